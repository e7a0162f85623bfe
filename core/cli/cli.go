// Package cli is the headless command line of the app: thin commands that
// parse flags, call core packages and print. main.go hands it os.Args when a
// subcommand is given; with no arguments the GUI opens instead. One file per
// command; exit codes are decided in one place (exitCode). The CLI speaks
// the locale's language (--lang zh|en overrides), one language per line.
package cli

import (
	"errors"
	"fmt"
	"io"
	"sort"

	_ "exmail-upgrade/core/cli/quiet" // before the toolkit's init: no "Fyne error" on the command line
	"exmail-upgrade/core/migrate"
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
	// Lang is "zh" or "en"; empty: from --lang, else the locale.
	Lang string
}

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string // one line for --help, "中文 / English"
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
// --lang zh|en may stand anywhere in args.
func Run(args []string, env *Env) int {
	args, lang, err := takeLang(args)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	if lang != "" {
		env.Lang = lang
	}
	if len(args) == 0 {
		Usage(env.Stdout)
		return ExitUsage
	}
	switch args[0] {
	case "--help", "-h", "help":
		env.usage(env.Stdout)
		return ExitOK
	case "--version", "-version", "version":
		fmt.Fprintf(env.Stdout, "exmail-upgrade %s\n", Version)
		return ExitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		env.Warn("未知命令 %q", "unknown command %q", args[0])
		env.usage(env.Stderr)
		return ExitUsage
	}
	env.Args = args[1:]
	return c.Run(env)
}

// Usage prints the list of commands in the locale's language.
func Usage(w io.Writer) { (&Env{Stdout: w, Stderr: w}).usage(w) }

func (e *Env) usage(w io.Writer) {
	fmt.Fprintln(w, e.T("企业邮箱升级助手", "Exmail Upgrade Assistant"))
	fmt.Fprintln(w, e.T("用法：exmail-upgrade                 打开应用", "usage: exmail-upgrade                 open the app"))
	fmt.Fprintln(w, e.T("      exmail-upgrade 命令 [参数]     运行命令行命令", "       exmail-upgrade COMMAND [flags] run a headless command"))
	fmt.Fprintln(w, "       exmail-upgrade --version | --help")
	fmt.Fprintln(w, e.T("命令：", "commands:"))
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, e.Text(commands[n].Summary))
	}
	fmt.Fprintln(w, e.T("每个命令都接受 --lang zh|en（默认随系统语言）", "every command takes --lang zh|en (default: the locale)"))
}

// usageError is a refusal before anything ran: bad flags, unreadable input,
// a locked project (exit 2).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// refuse wraps err as a usage error (exit 2).
func refuse(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// errFailedItems: the migration ended with items that failed for good.
var errFailedItems = errors.New("some items failed")

// exitCode is the one place that maps an outcome to the CLI contract's exit
// codes.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u), errors.Is(err, migrate.ErrContactsChanged), errors.Is(err, migrate.ErrPlanChanged):
		return ExitUsage
	case errors.Is(err, migrate.ErrInterrupted):
		return ExitInterrupted
	}
	return ExitProblems
}

// finish prints err (when it is not already said) in the command's
// language and returns its exit code.
func (e *Env) finish(err error) int {
	if err != nil && !errors.Is(err, errFailedItems) && !errors.Is(err, migrate.ErrInterrupted) && !errors.Is(err, errSaid) {
		fmt.Fprintln(e.Stderr, e.Err(err))
	}
	return exitCode(err)
}

// errSaid marks an error whose explanation was already printed.
var errSaid = errors.New("said")

// usageErr prints a usage message and returns ExitUsage (for flag errors).
func usageErr(env *Env, format string, args ...any) int {
	fmt.Fprintln(env.Stderr, env.Text(fmt.Sprintf(format, args...)))
	return ExitUsage
}
