// Package quiet keeps the toolkit silent on the command line. Importing the
// GUI links Fyne, whose language package logs "Fyne error: Error parsing
// user locale C" from its init when the locale is C or POSIX — noise a
// headless command must not print. Go initialises packages in import-path
// order among those whose imports are ready (the Go spec, "Package
// initialization"), so this package, imported by core/cli and sorting
// before "fyne.io/…", runs first and turns the standard logger off when
// the process was started with a subcommand rather than to open the window.
package quiet

import (
	"io"
	"log"
	"os"
	"strings"
)

// Headless reports whether args (os.Args) start a command-line command:
// a first argument that is not a flag, or --help / --version.
func Headless(args []string) bool {
	if len(args) < 2 {
		return false
	}
	switch a := args[1]; a {
	case "--help", "-h", "--version", "-version":
		return true
	default:
		return !strings.HasPrefix(a, "-")
	}
}

func init() {
	if Headless(os.Args) {
		log.SetOutput(io.Discard)
	}
}
