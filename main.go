// Command exmail-upgrade is the Exmail Upgrade Assistant (企业邮箱升级助手):
// with no arguments it opens the desktop app; with a subcommand it runs the
// headless command line (see core/cli and README.md).
package main

import (
	"flag"
	"fmt"
	"os"

	"fyne.io/fyne/v2/app"

	"exmail-upgrade/core/cli"
	"exmail-upgrade/gui"
)

// appID matches FyneApp.toml; preferences and storage are kept under it.
const appID = "com.exmailupgrade.assistant"

func main() {
	if len(os.Args) > 1 && cli.Has(os.Args[1]) {
		os.Exit(cli.Run(os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	fs := flag.NewFlagSet("exmail-upgrade", flag.ContinueOnError)
	var opt gui.Options
	fs.StringVar(&opt.StatePath, "state", "", "state file or folder (default: the user's config folder)")
	fs.StringVar(&opt.Language, "lang", "", "zh or en (default: from the system locale)")
	fs.StringVar(&opt.DemoStep, "demo-step", "", "open a new rehearsal at a wizard step: projects, notice, method, target, qr, contacts, plan, migrate, done")
	fs.StringVar(&opt.APIBase, "api-base", os.Getenv("EXMAIL_UPGRADE_API_BASE"), "WeCom API base URL")
	fs.Usage = func() { cli.Usage(os.Stderr); fmt.Fprintln(os.Stderr, "app flags:"); fs.PrintDefaults() }
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(cli.ExitUsage)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "unknown command %q\n", fs.Arg(0))
		cli.Usage(os.Stderr)
		os.Exit(cli.ExitUsage)
	}
	a := app.NewWithID(appID)
	os.Exit(gui.Run(a, opt))
}
