package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/text"
)

// What the sheet commands (template, check, fix) share: flag parsing and
// how a problem reads on a terminal.

// listFlag collects a repeatable string flag (--domain a --domain b, or a,b).
type listFlag []string

// String joins the values (flag.Value).
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set adds one or more comma-separated values (flag.Value).
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// sheetFlags returns a quiet flag set for a sheet command: parse errors
// are said in the command's language by flagError, not by the flag package.
func sheetFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// flagError is a flag parse error in both languages followed by the
// command's usage line (exit 2).
func flagError(err error, usageZh, usageEn string) error {
	msg := err.Error()
	t := text.New(msg, msg)
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		t = text.Sprintf("没有参数 %s", "unknown flag %s", name)
	} else if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		t = text.Sprintf("参数 %s 需要一个值", "flag %s needs a value", name)
	} else if errors.Is(err, flag.ErrHelp) {
		t = text.T{}
	}
	u := text.New(usageZh, usageEn)
	if t == (text.T{}) {
		return refuse(text.NewError(u.Zh, u.En))
	}
	return refuse(text.NewError(t.Zh+"\n"+u.Zh, t.En+"\n"+u.En))
}

// parseInterleaved parses flags that may come before or after positional
// arguments and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// errSheetErrors: the sheet has errors, already listed (exit 1).
var errSheetErrors = fmt.Errorf("the sheet has errors: %w", errSaid)

// problemLine is one problem as a terminal line in the command's language:
// where, severity, code, message and, for a row, the value as found.
func (e *Env) problemLine(p *contacts.Problem) string {
	where := e.T("表格", "sheet")
	if p.Row > 0 {
		where = e.Tf("第 %d 行", "row %d", p.Row)
	}
	if p.Column != "" {
		where += " [" + p.Column + "]"
	}
	line := fmt.Sprintf("%s %s %s: %s", where, e.severity(p.Severity), p.Code, p.Text().String(e.lang()))
	if p.Value != "" && p.Row > 0 {
		line += e.Tf("（值：%q）", " (value: %q)", contacts.Quote(p.Value))
	}
	return line
}

func (e *Env) severity(s contacts.Severity) string {
	switch s {
	case contacts.SeverityError:
		return e.T("错误", "error")
	case contacts.SeverityWarning:
		return e.T("提醒", "warning")
	case contacts.SeverityFixed:
		return e.T("已修正", "fixed")
	}
	return string(s)
}
