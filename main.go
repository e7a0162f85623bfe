// Command exmail-upgrade is the Exmail Upgrade Assistant (企业邮箱升级助手):
// with no arguments it opens the desktop app; with a subcommand it runs the
// headless command line (see core/cli and README.md).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"

	"fyne.io/fyne/v2/app"

	"exmail-upgrade/core/cli"
	"exmail-upgrade/gui"
)

// appID matches FyneApp.toml; preferences and storage are kept under it.
const appID = "com.exmailupgrade.assistant"

func main() {
	if len(os.Args) > 1 && cli.Has(os.Args[1]) {
		// The Windows GUI build has no console of its own: write to the one
		// it was started from (main_windows.go).
		useParentConsole()
		os.Exit(cli.Run(os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	opt, code, ok := parseAppFlags(os.Args[1:])
	if !ok {
		os.Exit(code)
	}
	log.SetOutput(&prefsRaceFilter{w: os.Stderr}) // fynelog.go
	a := app.NewWithID(appID)
	os.Exit(gui.Run(a, opt))
}

// parseAppFlags parses the app's own flags. On bad usage it prints the usage
// (to the parent console on Windows) and returns ok false with the exit code.
// Nothing is printed when the flags are fine, so a window started from a
// console never attaches to it (closing that console would end the app).
func parseAppFlags(args []string) (opt gui.Options, code int, ok bool) {
	fs := flag.NewFlagSet("exmail-upgrade", flag.ContinueOnError)
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	fs.StringVar(&opt.StatePath, "state", "", "state file or folder (default: the user's config folder)")
	fs.StringVar(&opt.Language, "lang", "", "zh or en (default: from the system locale)")
	fs.StringVar(&opt.DemoStep, "demo-step", "", "open a new rehearsal at a wizard step: projects, notice, method, target, qr, contacts, plan, migrate, done")
	fs.StringVar(&opt.APIBase, "api-base", os.Getenv("EXMAIL_UPGRADE_API_BASE"), "WeCom API base URL")
	fs.Usage = func() {
		cli.Usage(fs.Output())
		fmt.Fprintln(fs.Output(), "app flags:")
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		fmt.Fprintf(&msg, "unknown command %q\n", fs.Arg(0))
		cli.Usage(&msg)
		err = fmt.Errorf("unknown command")
	}
	if err != nil {
		useParentConsole()
		_, _ = os.Stderr.Write(msg.Bytes())
		return opt, cli.ExitUsage, false
	}
	return opt, 0, true
}
