package cli

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
)

func TestLocaleLanguage(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{nil, LangEN},
		{map[string]string{"LANG": "zh_CN.UTF-8"}, LangZH},
		{map[string]string{"LANG": "C"}, LangEN},
		{map[string]string{"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, LangEN},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "zh_TW.UTF-8"}, LangZH},
	}
	for _, c := range cases {
		if got := localeLang(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %s, want %s", c.env, got, c.want)
		}
	}
	for _, args := range [][]string{{"--lang", "fr", "status"}, {"status", "--lang"}} {
		if code, _, _ := runCLI(t, nil, args...); code != ExitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

var cjk = regexp.MustCompile(`\p{Han}`)

// TestOneLanguagePerLine: every command speaks one language, chosen by
// --lang (anywhere on the line) or the locale; no line joins both. Chinese
// in English output may only be data (the company, names, departments).
func TestOneLanguagePerLine(t *testing.T) {
	for _, lang := range []string{LangZH, LangEN} {
		state := t.TempDir()
		env := map[string]string{"LANG": "en_US.UTF-8"}
		if lang == LangZH {
			env["LANG"] = "zh_CN.UTF-8"
		}
		var all strings.Builder
		for _, args := range [][]string{
			{"demo", "--members", "40", "--method", "bind", "--state", state},
			{"status", "--state", state},
			{"report", "--state", state, "-o", state + "/r.xlsx"},
			{"--help"},
			{"migrate", "--contacts", "x.csv", "--method", "nope", "--company", "甲", "--confirm", "甲"},
		} {
			_, out, errs := runCLI(t, env, args...)
			all.WriteString(out + errs)
		}
		// --lang overrides the locale.
		other := map[string]string{"LANG": "zh_CN.UTF-8"}
		if lang == LangZH {
			other["LANG"] = "C"
		}
		_, out, errs := runCLI(t, other, "status", "--lang", lang, "--state", t.TempDir())
		all.WriteString(out + errs)
		assertOneLanguage(t, lang, all.String(), dataLine)
	}
}

// assertOneLanguage fails for every line of out that joins both languages
// (" / "), and in English for a line with Chinese that isData does not
// explain, in Chinese for a line with an English sentence ("the ").
func assertOneLanguage(t *testing.T, lang, out string, isData func(string) bool) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " / ") {
			t.Errorf("%s: both languages on one line: %q", lang, line)
		}
		if lang == LangEN && cjk.MatchString(line) && !isData(line) {
			t.Errorf("en: Chinese in %q", line)
		}
		if lang == LangZH && strings.Contains(line, "the ") {
			t.Errorf("zh: English in %q", line)
		}
	}
}

// dataLine reports whether line's Chinese is data (the sample company, its
// people and departments) rather than a sentence of the CLI.
func dataLine(line string) bool {
	for _, s := range []string{"示例科技有限公司", "[members]", "[verify]", "[done]", "[departments]", "[reconcile]", "✗ create", "✗ update"} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return !strings.ContainsFunc(line, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}
