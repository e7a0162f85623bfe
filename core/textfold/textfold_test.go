package textfold

import (
	"testing"
	"unicode/utf8"
)

func TestEqual(t *testing.T) {
	name := "示例科技有限公司（演练 12-01 20:34:07）"
	cases := []struct {
		a, b string
		want bool
	}{
		{name, name, true},
		{"示例科技有限公司(演练 12-01 20:34:07)", name, true},
		{"  示例科技有限公司（演练12-01 20：34：07） ", name, true},
		{"示例科技有限公司（演练 １２-０１ ２０:３４:０７）", name, true},
		{"示例科技有限公司（演练\u300012-01  20:34:07）", name, true},
		{"示例科技有限公司（演练 12-01 20:34:08）", name, false},
		{"示例科技有限公司", name, false},
		{"Acme  Trading Ltd", "Acme Trading Ltd", true},
		{"ＡｃｍｅTrading Ltd", "Acme Trading Ltd", false},  // a space between words counts
		{"acme trading ltd", "Acme Trading Ltd", false}, // case counts
		{"", "", true},
		{" ", "", true},
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%q, %q) = %v, want %v (folded %q / %q)", c.a, c.b, got, c.want, Fold(c.a), Fold(c.b))
		}
	}
}

func TestCompare(t *testing.T) {
	want := "示例公司（演练 12-01）"
	cases := []struct {
		typed string
		res   Result
	}{
		{"示例公司(演练12-01)", Result{Match: true, Pos: 13}},
		{"示例公司（演练", Result{Pos: 7, Missing: "12-01)", Want: "1"}},
		{"", Result{Pos: 0, Missing: "示例公司(演练12-01)", Want: "示"}},
		{"示例工司", Result{Pos: 2, Want: "公", Got: "工"}},
		{"示例公司（演练 12-01）。", Result{Pos: 13, Extra: "。", Got: "。"}},
	}
	for _, c := range cases {
		if got := Compare(c.typed, want); got != c.res {
			t.Errorf("Compare(%q) = %+v, want %+v", c.typed, got, c.res)
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"示例（演练 12-01 20:34:07）", " a  b ", "ＡＢ　ｃ", "\u3000"} {
		f.Add(s, "示例(演练 12-01 20:34:07)")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		fa := Fold(a)
		if Fold(fa) != fa {
			t.Fatalf("Fold not idempotent on %q: %q then %q", a, fa, Fold(fa))
		}
		if !Equal(a, a) {
			t.Fatalf("Equal(%q, itself) is false", a)
		}
		r := Compare(a, b)
		if r.Match != Equal(a, b) {
			t.Fatalf("Compare(%q, %q).Match = %v, Equal says %v", a, b, r.Match, Equal(a, b))
		}
		if utf8.ValidString(b) && r.Pos > utf8.RuneCountInString(Fold(b)) {
			t.Fatalf("Pos %d beyond the wanted text %q", r.Pos, Fold(b))
		}
	})
}
