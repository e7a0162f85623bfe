package i18n

import (
	"regexp"
	"strings"
	"testing"
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
