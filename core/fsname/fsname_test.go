package fsname

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFileName(t *testing.T) {
	long := strings.Repeat("公司", 100) + ".xlsx"
	tests := []struct{ in, want string }{
		{"示例科技有限公司（演练 12-01 20:34:07）.exup", "示例科技有限公司（演练 12-01 20.34.07）.exup"},
		{"a/b\\c:d*e?f\"g<h>i|j.xlsx", "a-b-c.d-ef'g(h)i-j.xlsx"},
		{"CON", "_CON"},
		{"con.txt", "_con.txt"},
		{"Nul.tar.gz", "_Nul.tar.gz"},
		{"COM1.exup", "_COM1.exup"},
		{"console.exup", "console.exup"},
		{"name. . .", "name"},
		{"name .xlsx", "name.xlsx"},
		{"   ", "untitled"},
		{".xlsx", "untitled.xlsx"},
		{"", "untitled"},
		{"tab\there\x00.csv", "tabhere.csv"},
		{"?.exup", "untitled.exup"},
		{"..", "untitled"},
	}
	for _, tc := range tests {
		if got := FileName(tc.in); got != tc.want {
			t.Errorf("FileName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	got := FileName(long)
	if len(got) > MaxBytes || !strings.HasSuffix(got, ".xlsx") || !utf8.ValidString(got) {
		t.Errorf("long name: %d bytes %q", len(got), got)
	}
}

// FuzzFileName: whatever goes in, the result is a valid name on every system.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"示例（演练 12-01 20:34:07）.exup", "CON.txt", "a/../b", "\xff\xfe", " . "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FileName(s)
		if got == "" || len(got) > MaxBytes || !utf8.ValidString(got) {
			t.Fatalf("FileName(%q) = %q", s, got)
		}
		if strings.ContainsAny(got, "/\\:*?\"<>|") || strings.HasSuffix(got, ".") || strings.HasSuffix(got, " ") {
			t.Fatalf("FileName(%q) = %q has a reserved character or ending", s, got)
		}
		first, _, _ := strings.Cut(got, ".")
		if reserved[strings.ToUpper(strings.TrimSpace(first))] {
			t.Fatalf("FileName(%q) = %q is a device name", s, got)
		}
		if got == "." || got == ".." {
			t.Fatalf("FileName(%q) = %q", s, got)
		}
	})
}

func TestComponent(t *testing.T) {
	ok := []string{"p-20261201-1", "abc_DEF.1", "项目1"}
	for _, id := range ok {
		if got, err := Component(id); err != nil || got != id {
			t.Errorf("Component(%q) = %q, %v", id, got, err)
		}
	}
	bad := []string{"", ".", "..", "../../x", "a/b", `a\b`, "a:b", ".hidden", "x.", "x ", " x", "NUL", "com1.db",
		"a\x00b", "\xff", strings.Repeat("a", MaxBytes+1)}
	for _, id := range bad {
		if _, err := Component(id); !errors.Is(err, ErrUnsafeComponent) {
			t.Errorf("Component(%q) accepted", id)
		}
	}
}

func TestPrefix(t *testing.T) {
	if got := Prefix("张伟张伟", 2); got != "张伟…" {
		t.Errorf("got %q", got)
	}
	if got := Prefix("ab", 2); got != "ab" {
		t.Errorf("got %q", got)
	}
}
