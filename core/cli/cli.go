// Package cli is the headless command line of the app: thin commands that
// parse flags, call core packages and print. main.go hands it os.Args when a
// subcommand is given; with no arguments the GUI opens instead.
package cli

import (
	"fmt"
	"io"
	"sort"
)

// Exit codes of the CLI contract (../shared/DESIGN.md).
const (
	ExitOK          = 0 // no errors / all done
	ExitProblems    = 1 // errors found / some items failed for good
	ExitUsage       = 2 // refused, unreadable input or bad usage
	ExitInterrupted = 3 // migration interrupted; run again to resume
)

// Env is what a command may use: its arguments and output streams, and the
// environment lookup (so tests can pass secrets without touching os.Environ).
type Env struct {
	Args   []string // arguments after the command name
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string // one line for --help
	Run     func(env *Env) int
}

var commands = map[string]Command{}

// register adds a command; each command file registers itself in init.
func register(c Command) { commands[c.Name] = c }

// Has reports whether name is a known subcommand (or a global flag the CLI
// answers without a display, such as --help and --version).
func Has(name string) bool {
	switch name {
	case "--help", "-h", "help", "--version", "-version", "version":
		return true
	}
	_, ok := commands[name]
	return ok
}

// Version is the app version; a test keeps it equal to FyneApp.toml's.
var Version = "0.1.0"

// Run executes args[0] as a subcommand and returns the process exit code.
func Run(args []string, env *Env) int {
	if len(args) == 0 {
		Usage(env.Stdout)
		return ExitUsage
	}
	switch args[0] {
	case "--help", "-h", "help":
		Usage(env.Stdout)
		return ExitOK
	case "--version", "-version", "version":
		fmt.Fprintf(env.Stdout, "exmail-upgrade %s\n", Version)
		return ExitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "unknown command %q\n", args[0])
		Usage(env.Stderr)
		return ExitUsage
	}
	env.Args = args[1:]
	return c.Run(env)
}

// Usage prints the list of commands.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "企业邮箱升级助手 Exmail Upgrade Assistant")
	fmt.Fprintln(w, "usage: exmail-upgrade                 open the app")
	fmt.Fprintln(w, "       exmail-upgrade COMMAND [flags] run a headless command")
	fmt.Fprintln(w, "       exmail-upgrade --version | --help")
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
}
