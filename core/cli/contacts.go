package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sheet"
)

func init() {
	register(Command{Name: "template", Summary: "生成空白通讯录模板 / write the blank contacts template", Run: runTemplate})
	register(Command{Name: "check", Summary: "检查通讯录表格 / check a contacts sheet", Run: runCheck})
	register(Command{Name: "fix", Summary: "自动修正并导出可上传的表格 / apply safe fixes, write the upload-ready sheet", Run: runFix})
}

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

func contactsUsage(env *Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, format+"\n", args...)
	return ExitUsage
}

func runTemplate(env *Env) int {
	fs := flag.NewFlagSet("template", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("o", "", "output .xlsx file")
	pos, err := parseInterleaved(fs, env.Args)
	if err != nil {
		return ExitUsage
	}
	if *out == "" || len(pos) > 0 {
		return contactsUsage(env, "usage: exmail-upgrade template -o FILE.xlsx")
	}
	if err := sheet.WriteFileAtomic(*out, sheet.WriteTemplate); err != nil {
		fmt.Fprintf(env.Stderr, "写模板失败 / cannot write the template: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintf(env.Stdout, "已生成模板 / template written: %s\n", filepath.FromSlash(*out))
	return ExitOK
}

// jsonProblem is one problem of `check --format json` (the CLI contract).
type jsonProblem struct {
	Row      int    `json:"row"`
	Column   string `json:"column"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Value    string `json:"value"`
}

// jsonCheck is the whole `check --format json` document.
type jsonCheck struct {
	File     string          `json:"file"`
	Layout   string          `json:"layout"`
	Rows     int             `json:"rows"`
	Problems []jsonProblem   `json:"problems"`
	Counts   contacts.Counts `json:"counts"`
}

func runCheck(env *Env) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	format := fs.String("format", "text", "text | json")
	var domains listFlag
	fs.Var(&domains, "domain", "company mail domain (repeatable)")
	ef := addExmailFlags(fs) // mailboxes.go
	pos, err := parseInterleaved(fs, env.Args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 || (*format != "text" && *format != "json") {
		return contactsUsage(env, "usage: exmail-upgrade check FILE [--format text|json] [--domain D ...]")
	}
	file := pos[0]
	res, problems, err := sheet.Check(file, sheet.Options{Domains: domains})
	if err != nil {
		var u *sheet.UnreadableError
		if errors.As(err, &u) {
			problems = []contacts.Problem{u.Problem()}
		} else {
			problems = []contacts.Problem{{Code: contacts.CodeFileUnreadable, Severity: contacts.SeverityError, Message: err.Error()}}
		}
		printCheck(env.Stdout, *format, file, nil, problems)
		if *format == "text" {
			fmt.Fprintln(env.Stderr, err)
		}
		return ExitUsage
	}
	live, err := ef.compare(env, res) // the live Exmail's mailboxes, when asked
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	problems = append(problems, live...)
	printCheck(env.Stdout, *format, file, res, problems)
	if contacts.HasErrors(problems) {
		return ExitProblems
	}
	return ExitOK
}

func printCheck(w io.Writer, format, file string, res *sheet.Result, problems []contacts.Problem) {
	counts := contacts.Count(problems)
	layout, rows := "", 0
	if res != nil {
		layout, rows = string(res.Layout), len(res.Dir.Members)
	}
	if format == "json" {
		doc := jsonCheck{File: file, Layout: layout, Rows: rows, Problems: make([]jsonProblem, 0, len(problems)), Counts: counts}
		for _, p := range problems {
			doc.Problems = append(doc.Problems, jsonProblem{Row: p.Row, Column: p.Column, Field: string(p.Field),
				Code: string(p.Code), Severity: string(p.Severity), Message: p.Message, Value: p.Value})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(doc)
		return
	}
	if res != nil {
		fmt.Fprintf(w, "文件 / file: %s  格式 / layout: %s  成员 / rows: %d\n", filepath.FromSlash(file), layout, rows)
	}
	for _, p := range problems {
		where := "表格 / sheet"
		if p.Row > 0 {
			where = fmt.Sprintf("第 %d 行 / row %d", p.Row, p.Row)
		}
		if p.Column != "" {
			where += " [" + p.Column + "]"
		}
		line := fmt.Sprintf("%s %s %s: %s", where, severityText(p.Severity), p.Code, p.Message)
		if p.Value != "" && p.Row > 0 {
			line += fmt.Sprintf("（值 / value: %q）", contacts.Quote(p.Value))
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "错误 %d · 提醒 %d · 已自动修正 %d / errors %d, warnings %d, fixed %d\n",
		counts.Error, counts.Warning, counts.Fixed, counts.Error, counts.Warning, counts.Fixed)
}

func severityText(s contacts.Severity) string {
	switch s {
	case contacts.SeverityError:
		return "错误/error"
	case contacts.SeverityWarning:
		return "提醒/warning"
	case contacts.SeverityFixed:
		return "已修正/fixed"
	}
	return string(s)
}

func runFix(env *Env) int {
	fs := flag.NewFlagSet("fix", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("o", "", "upload-ready output .xlsx (written only when no errors remain)")
	review := fs.String("review", "", "review workbook .xlsx (always written when given)")
	var domains listFlag
	fs.Var(&domains, "domain", "company mail domain (repeatable)")
	pos, err := parseInterleaved(fs, env.Args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 || *out == "" {
		return contactsUsage(env, "usage: exmail-upgrade fix FILE -o OUT.xlsx [--review REVIEW.xlsx] [--domain D ...]")
	}
	if zh, en := checkOutputs(pos[0], [2]string{"-o", *out}, [2]string{"--review", *review}); en != "" {
		fmt.Fprintln(env.Stderr, env.T(zh, en))
		return ExitUsage
	}
	res, err := sheet.Read(pos[0], sheet.Options{Domains: domains})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	opts := res.ValidationOptions()
	raw := &contacts.Directory{Members: append([]contacts.Member(nil), res.Dir.Members...)}
	problems := append([]contacts.Problem(nil), res.Problems...)
	if res.Layout != "" {
		problems = append(problems, contacts.Fix(res.Dir, opts)...)
	}
	if *review != "" {
		err := sheet.WriteFileAtomic(*review, func(w io.Writer) error { return sheet.WriteReview(w, raw, problems) })
		if err != nil {
			fmt.Fprintf(env.Stderr, "写检查结果失败 / cannot write the review: %v\n", err)
			return ExitUsage
		}
		fmt.Fprintf(env.Stdout, "检查结果 / review: %s\n", filepath.FromSlash(*review))
	}
	c := contacts.Count(problems)
	fmt.Fprintf(env.Stdout, "已自动修正 %d 处 · 错误 %d · 提醒 %d / fixed %d, errors %d, warnings %d\n",
		c.Fixed, c.Error, c.Warning, c.Fixed, c.Error, c.Warning)
	if c.Error > 0 {
		for _, p := range problems {
			if p.Severity == contacts.SeverityError {
				where := "表格 / sheet"
				if p.Row > 0 {
					where = fmt.Sprintf("第 %d 行 / row %d [%s]", p.Row, p.Row, p.Column)
				}
				fmt.Fprintf(env.Stdout, "%s %s: %s\n", where, p.Code, p.Message)
			}
		}
		fmt.Fprintf(env.Stdout, "还有错误，未生成 %s / errors remain; %s not written\n", filepath.FromSlash(*out), filepath.FromSlash(*out))
		return ExitProblems
	}
	if err := sheet.WriteFileAtomic(*out, func(w io.Writer) error { return sheet.WriteUpload(w, res.Dir, opts) }); err != nil {
		fmt.Fprintf(env.Stderr, "写文件失败 / cannot write: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintf(env.Stdout, "可上传的表格 / upload-ready sheet: %s\n", filepath.FromSlash(*out))
	noteOtherMailboxes(env, res.Dir) // mailboxes.go
	return ExitOK
}
