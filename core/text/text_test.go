package text

import (
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
