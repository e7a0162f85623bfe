package text

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestStringAndFallback(t *testing.T) {
	x := New("你好", "hello")
	if x.String(ZH) != "你好" || x.String(EN) != "hello" || x.String("fr") != "hello" || x.Joined() != "你好 / hello" {
		t.Fatalf("%+v", x)
	}
	if New("只有中文", "").String(EN) != "只有中文" || New("", "only").String(ZH) != "only" {
		t.Fatal("a missing language must fall back to the other")
	}
	if New("a", "").Complete() || !x.Complete() {
		t.Fatal("Complete")
	}
}

// Of shows an error in one language: its own text, its cause's text, and
// the plain context an fmt.Errorf put in front — never half a sentence
// cut at a " / " inside the text.
func TestOf(t *testing.T) {
	base := NewError("计划已变化 / 请重新确认", "the plan changed / confirm again")
	wrapped := Wrap(New("不能开始", "cannot start"), base)
	ctx := fmt.Errorf("project p1: %w", wrapped)
	cases := []struct {
		err    error
		zh, en string
	}{
		{base, "计划已变化 / 请重新确认", "the plan changed / confirm again"},
		{wrapped, "不能开始: 计划已变化 / 请重新确认", "cannot start: the plan changed / confirm again"},
		{ctx, "project p1: 不能开始: 计划已变化 / 请重新确认", "project p1: cannot start: the plan changed / confirm again"},
		{errors.New("plain"), "plain", "plain"},
	}
	for _, c := range cases {
		got := Of(c.err)
		if got.Zh != c.zh || got.En != c.en {
			t.Errorf("Of(%v) = %+v, want %q / %q", c.err, got, c.zh, c.en)
		}
	}
	if !errors.Is(ctx, base) {
		t.Fatal("the cause is lost")
	}
}

// Older versions stored texts as one "中文 / English" string: Parse and
// UnmarshalJSON read them without cutting inside the Chinese.
func TestParseAndLegacyJSON(t *testing.T) {
	cases := []struct{ in, zh, en string }{
		{"手机号已被使用 / mobile exists", "手机号已被使用", "mobile exists"},
		{"调用频率超限（每分钟 10,000 次 / 每小时 150,000 次），请稍后 / the rate limit (10,000/min, 150,000/h) was hit", "调用频率超限（每分钟 10,000 次 / 每小时 150,000 次），请稍后", "the rate limit (10,000/min, 150,000/h) was hit"},
		{"计划「甲」/「乙」已变化 / the plan changed", "计划「甲」/「乙」已变化", "the plan changed"},
		{"plain / words", "plain / words", "plain / words"},
		{"只有中文", "只有中文", "只有中文"},
	}
	for _, c := range cases {
		if got := Parse(c.in); got.Zh != c.zh || got.En != c.en {
			t.Errorf("Parse(%q) = %+v", c.in, got)
		}
	}
	var v struct {
		Old, New, Empty T
	}
	if err := json.Unmarshal([]byte(`{"Old":"已存在 / exists","New":{"zh":"新","en":"new"},"Empty":""}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Old != New("已存在", "exists") || v.New != New("新", "new") || !v.Empty.IsZero() {
		t.Fatalf("%+v", v)
	}
	b, _ := json.Marshal(v.Old)
	if string(b) != `{"zh":"已存在","en":"exists"}` {
		t.Fatalf("marshal %s", b)
	}
	if err := json.Unmarshal([]byte(`3`), &v.Old); err == nil {
		t.Fatal("a number is not a text")
	}
}

// FuzzParse: Parse loses nothing (the input is the two parts joined, or
// both are the input) and a decoded JSON string parses the same way.
func FuzzParse(f *testing.F) {
	f.Add("手机号已被使用 / mobile exists")
	f.Add("每分钟 10,000 次 / 每小时 150,000 次 / per minute")
	f.Add(" / ")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p := Parse(s)
		if p.Zh+" / "+p.En != s && (p.Zh != s || p.En != s) {
			t.Fatalf("Parse(%q) = %+v loses text", s, p)
		}
		b, err := json.Marshal(s)
		if err != nil {
			return
		}
		var u T
		if err := u.UnmarshalJSON(b); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var back string
		_ = json.Unmarshal(b, &back)
		if back != "" && u != Parse(back) {
			t.Fatalf("%s: %+v, want %+v", b, u, Parse(back))
		}
	})
}
