package i18n

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	cats, err := Catalogues()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{Chinese, English} {
		if len(cats[l]) == 0 {
			t.Fatalf("catalogue %q missing or empty", l)
		}
	}
	if miss := MissingKeys(cats); len(miss) > 0 {
		t.Fatalf("keys missing in a language:\n%s", strings.Join(miss, "\n"))
	}
}

func TestMissingKeysDetects(t *testing.T) {
	got := MissingKeys(map[string]map[string]string{"zh": {"a": "甲", "b": "乙"}, "en": {"a": "A"}})
	if len(got) != 1 || got[0] != "en: b" {
		t.Fatalf("got %v", got)
	}
}

// Format verbs must agree, or Tf would print %!v(MISSING) in one language.
func TestFormatVerbsAgree(t *testing.T) {
	cats, err := Catalogues()
	if err != nil {
		t.Fatal(err)
	}
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	for k, zh := range cats[Chinese] {
		en := cats[English][k]
		a, b := verb.FindAllString(zh, -1), verb.FindAllString(en, -1)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%s: zh verbs %v, en verbs %v", k, a, b)
		}
	}
}

func TestSwitchLanguage(t *testing.T) {
	defer SetLanguage(Chinese)
	SetLanguage(Chinese)
	zh := T("app.title")
	SetLanguage(English)
	en := T("app.title")
	if zh == en || zh == "app.title" || en == "app.title" {
		t.Fatalf("zh %q en %q", zh, en)
	}
	if !regexp.MustCompile(`\p{Han}`).MatchString(zh) {
		t.Fatalf("Chinese title has no Han characters: %q", zh)
	}
	SetLanguage("xx")
	if Language() != English {
		t.Fatalf("unknown language should fall back to English, got %s", Language())
	}
	if got := T("no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key should show itself, got %q", got)
	}
}

// Fyne's own texts (dialog buttons, the file chooser) follow the app's
// language, whatever the system's, and switch with it.
func TestFyneTextsFollowLanguage(t *testing.T) {
	for _, sys := range []string{"C", "en_US.UTF-8", "zh_CN.UTF-8", "de_DE.UTF-8", "zh_TW.UTF-8"} {
		t.Run(sys, func(t *testing.T) { fyneTextsFollow(t, sys) })
	}
}

func fyneTextsFollow(t *testing.T, sys string) {
	for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES"} {
		t.Setenv(v, "")
	}
	t.Setenv("LANG", sys)
	defer SetLanguage(Chinese)
	for _, c := range []struct{ l, no, yes, save string }{
		{Chinese, "否", "是", "保存"}, {English, "No", "Yes", "Save"}, {Chinese, "否", "是", "保存"},
	} {
		SetLanguage(c.l)
		if got := []string{lang.L("No"), lang.L("Yes"), lang.L("Save")}; got[0] != c.no || got[1] != c.yes || got[2] != c.save {
			t.Errorf("%s: Fyne says %v, want %s %s %s", c.l, got, c.no, c.yes, c.save)
		}
	}
}

// Both files of Fyne's texts hold the same keys.
func TestFyneTextsComplete(t *testing.T) {
	cats := map[string]map[string]any{}
	for _, l := range []string{Chinese, English} {
		data, err := fyneTexts.ReadFile("fyne/" + l + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		cats[l] = m
	}
	for k := range cats[English] {
		if _, ok := cats[Chinese][k]; !ok {
			t.Errorf("zh lacks Fyne text %q", k)
		}
	}
	if len(cats[English]) != len(cats[Chinese]) {
		t.Errorf("zh has %d Fyne texts, en %d", len(cats[Chinese]), len(cats[English]))
	}
}
