package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/text"
)

func init() {
	register(Command{Name: "check", Summary: "检查通讯录表格 / check a contacts sheet", Run: runCheck})
}

// jsonProblem is one problem of `check --format json` (the CLI contract).
// Message is the problem's text in both languages, "中文 / English", as it
// has always been and whatever --lang says: the JSON is for scripts, which
// must not see it change with the locale of the machine that runs them
// (contacts.Problem.Text splits it).
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

// runCheck: exit 0 no errors, 1 errors found, 2 unreadable or bad usage.
func runCheck(env *Env) int {
	const zh, en = "用法: exmail-upgrade check 文件 [--format text|json] [--domain 域名 ...]",
		"usage: exmail-upgrade check FILE [--format text|json] [--domain D ...]"
	fs := sheetFlags("check")
	format := fs.String("format", "text", "text | json")
	var domains listFlag
	fs.Var(&domains, "domain", "company mail domain (repeatable)")
	ef := addExmailFlags(fs) // mailboxes.go
	pos, err := parseInterleaved(fs, env.Args)
	if err != nil {
		return env.finish(flagError(err, zh, en))
	}
	if len(pos) != 1 || (*format != "text" && *format != "json") {
		return env.finish(refuse(text.NewError(zh, en)))
	}
	return env.finish(check(env, pos[0], *format == "json", domains, ef))
}

func check(env *Env, file string, asJSON bool, domains []string, ef *exmailFlags) error {
	res, problems, err := sheet.Check(file, sheet.Options{Domains: domains})
	if err != nil {
		var u *sheet.UnreadableError
		if errors.As(err, &u) {
			problems = []contacts.Problem{u.Problem()}
		} else {
			problems = []contacts.Problem{{Code: contacts.CodeFileUnreadable, Severity: contacts.SeverityError, Message: text.Of(err).Joined()}}
		}
		env.printCheck(asJSON, file, nil, problems)
		if asJSON {
			return refuse(errSaid) // the document says it
		}
		return refuse(err)
	}
	live, err := ef.compare(env, res) // the live Exmail's mailboxes, when asked
	if err != nil {
		return refuse(err)
	}
	problems = append(problems, live...)
	env.printCheck(asJSON, file, res, problems)
	if contacts.HasErrors(problems) {
		return errSheetErrors
	}
	return nil
}

func (e *Env) printCheck(asJSON bool, file string, res *sheet.Result, problems []contacts.Problem) {
	counts := contacts.Count(problems)
	layout, rows := "", 0
	if res != nil {
		layout, rows = string(res.Layout), len(res.Dir.Members)
	}
	if asJSON {
		doc := jsonCheck{File: file, Layout: layout, Rows: rows, Problems: make([]jsonProblem, 0, len(problems)), Counts: counts}
		for _, p := range problems {
			doc.Problems = append(doc.Problems, jsonProblem{Row: p.Row, Column: p.Column, Field: string(p.Field),
				Code: string(p.Code), Severity: string(p.Severity), Message: p.Message, Value: p.Value})
		}
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		_ = enc.Encode(doc)
		return
	}
	if res != nil {
		e.Say("文件：%s  格式：%s  成员：%d", "file: %s  layout: %s  rows: %d", filepath.FromSlash(file), layout, rows)
	}
	for i := range problems {
		fmt.Fprintln(e.Stdout, e.problemLine(&problems[i]))
	}
	e.Say("错误 %d · 提醒 %d · 已自动修正 %d", "errors %d, warnings %d, fixed %d", counts.Error, counts.Warning, counts.Fixed)
}
