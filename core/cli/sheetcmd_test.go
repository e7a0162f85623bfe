package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// problemsSheet is a small sheet with errors and fixes, among them a value
// holding " / " (a department) that a naive split would cut.
const problemsSheet = "testdata/problems.csv"

// checkProblemCodes returns the codes check finds in problemsSheet.
func checkProblemCodes(t *testing.T) []contacts.Code {
	t.Helper()
	_, out, _ := runCLI(t, nil, "check", problemsSheet, "--domain", "example.com", "--format", "json")
	var doc jsonCheck
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	var codes []contacts.Code
	for _, p := range doc.Problems {
		codes = append(codes, contacts.Code(p.Code))
	}
	if len(codes) < 8 {
		t.Fatalf("only %d problems in %s", len(codes), problemsSheet)
	}
	return codes
}

// quotedData matches what a sheet command quotes from the user's file: a
// column header in brackets, a value in quotes.
var quotedData = regexp.MustCompile(`\[[^\]]*\]|"(?:[^"\\]|\\.)*"|“[^”]*”`)

// stripSheetData removes from out what is the user's data rather than a
// sentence of the CLI: quoted values, column headers, the file names
// given, and the Chinese words the English rules name (男/女, headers).
func stripSheetData(out string, files ...string) string {
	for _, f := range files {
		out = strings.ReplaceAll(out, filepath.FromSlash(f), "FILE")
	}
	out = quotedData.ReplaceAllString(out, "DATA")
	for _, f := range contacts.Fields {
		out = strings.ReplaceAll(out, f.Header(), "HEADER")
	}
	return strings.NewReplacer("男", "M", "女", "F").Replace(out)
}

// TestSheetCommandsOneLanguage: template, check, fix and mailboxes speak the locale's
// language (or --lang's), one per line, with the same exit codes in both;
// no line holds a problem's Chinese text and its English counterpart, and
// each problem's text is there in the chosen language.
func TestSheetCommandsOneLanguage(t *testing.T) {
	dir := t.TempDir()
	fixable := filepath.Join(dir, "fixable.csv")
	os.WriteFile(fixable, []byte("姓名,部门,手机,性别\n张三,研发部,+86 13800000000,M\n"), 0o644)
	xls := filepath.Join(dir, "old.xls")
	os.WriteFile(xls, append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), 0o644)
	out, review, tpl, list := filepath.Join(dir, "out.xlsx"), filepath.Join(dir, "review.xlsx"), filepath.Join(dir, "tpl.xlsx"), filepath.Join(dir, "list.xlsx")
	files := []string{problemsSheet, fixable, xls, out, review, tpl, list, dir}
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"template", "-o", tpl}, ExitOK},
		{[]string{"template"}, ExitUsage},
		{[]string{"template", "-o"}, ExitUsage},
		{[]string{"check", problemsSheet, "--domain", "example.com"}, ExitProblems},
		{[]string{"check", fixable}, ExitOK},
		{[]string{"check", xls}, ExitUsage},
		{[]string{"check", "--nope", fixable}, ExitUsage},
		{[]string{"check", fixable, "--format", "xml"}, ExitUsage},
		{[]string{"fix", problemsSheet, "-o", out, "--review", review, "--domain", "example.com"}, ExitProblems},
		{[]string{"fix", fixable, "-o", out}, ExitOK},
		{[]string{"fix", fixable, "-o", fixable}, ExitUsage},
		{[]string{"fix", xls, "-o", out}, ExitUsage},
		{[]string{"fix", fixable}, ExitUsage},
		{[]string{"check", fixable, "--exmail-corp-id", "wm1"}, ExitUsage}, // no secret in the environment
		{[]string{"mailboxes", fixable, "-o", list}, ExitOK},
		{[]string{"mailboxes", problemsSheet, "-o", list, "--domain", "example.com"}, ExitProblems},
		{[]string{"mailboxes", fixable, "-o", fixable}, ExitUsage},
		{[]string{"mailboxes", fixable}, ExitUsage},
		// migrate lists the errors of its contacts the same way
		{[]string{"migrate", "--contacts", problemsSheet, "--method", "new", "--target", "sim", "--company", "甲", "--confirm", "甲", "--state", dir}, ExitUsage},
	}
	codes := checkProblemCodes(t)
	for _, lang := range []string{LangZH, LangEN} {
		locale, other := map[string]string{"LANG": "C"}, map[string]string{"LANG": "zh_CN.UTF-8"}
		if lang == LangZH {
			locale, other = other, locale
		}
		var all strings.Builder
		for _, c := range cases {
			for _, run := range []struct {
				env  map[string]string
				args []string
			}{{locale, c.args}, {other, append([]string{"--lang", lang}, c.args...)}} {
				code, stdout, stderr := runCLI(t, run.env, run.args...)
				if code != c.code {
					t.Errorf("%s %v: exit %d, want %d\n%s%s", lang, run.args, code, c.code, stdout, stderr)
				}
				if strings.TrimSpace(stdout+stderr) == "" {
					t.Errorf("%s %v: said nothing", lang, run.args)
				}
				all.WriteString(stdout + stderr)
			}
		}
		said := all.String()
		assertOneLanguage(t, lang, stripSheetData(said, files...), func(line string) bool { return !cjk.MatchString(line) })
		for _, code := range codes {
			base := contacts.DescribeText(code)
			mine, theirs := base.Zh, base.En
			if lang == LangEN {
				mine, theirs = theirs, mine
			}
			if !strings.Contains(said, mine) {
				t.Errorf("%s: %s is not said as %q", lang, code, mine)
			}
			for _, line := range strings.Split(said, "\n") {
				if strings.Contains(line, theirs) {
					t.Errorf("%s: %s's other language %q in %q", lang, code, theirs, line)
				}
			}
		}
	}
}

// TestCheckGolden: check of a small sheet with problems, in Chinese, in
// English and as JSON (the same document whatever the language; message
// stays "中文 / English", see jsonProblem). go test -update rewrites them.
func TestCheckGolden(t *testing.T) {
	for _, g := range []struct {
		golden string
		args   []string
	}{
		{"check.zh.golden", []string{"--lang", "zh"}},
		{"check.en.golden", []string{"--lang", "en"}},
		{"check.json.golden", []string{"--lang", "zh", "--format", "json"}},
		{"check.json.golden", []string{"--lang", "en", "--format", "json"}},
	} {
		code, out, errs := runCLI(t, nil, append([]string{"check", problemsSheet, "--domain", "example.com"}, g.args...)...)
		if code != ExitProblems || errs != "" {
			t.Errorf("%v: exit %d, stderr %q", g.args, code, errs)
		}
		out = strings.ReplaceAll(out, filepath.FromSlash(problemsSheet), problemsSheet)
		path := filepath.Join("testdata", g.golden)
		if *update {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("%v differs from %s:\n%s", g.args, path, out)
		}
	}
}
