package main

import (
	"bytes"
	"log"
	"strings"
	"testing"
)

func TestPrefsRaceFilter(t *testing.T) {
	const eof = "2026/12/01 22:08:44 Fyne error:  Preferences load error:\n" +
		"2026/12/01 22:08:44   Cause: EOF\n" +
		"2026/12/01 22:08:44   At: /root/go/pkg/mod/fyne.io/fyne/v2@v2.7.1/app/preferences.go:103\n"
	const other = "2026/12/01 22:08:44 Fyne error:  Preferences load error:\n" +
		"2026/12/01 22:08:44   Cause: invalid character 'x' looking for beginning of value\n" +
		"2026/12/01 22:08:44   At: /root/go/pkg/mod/fyne.io/fyne/v2@v2.7.1/app/preferences.go:103\n"
	const unrelated = "2026/12/01 22:08:44 Fyne error:  Failed on saving preferences\n" +
		"2026/12/01 22:08:44   Cause: EOF\n" +
		"2026/12/01 22:08:44   At: /x/preferences.go:150\n"
	cases := []struct{ name, in, want string }{
		{"the empty-file race is dropped", eof, ""},
		{"twice", eof + eof, ""},
		{"another cause passes", other, other},
		{"another message with EOF passes", unrelated, unrelated},
		{"lines around it pass", "a\n" + eof + "b\n", "a\nb\n"},
		{"a load error without cause passes", "2026/12/01 Fyne error:  Preferences load error:\nnext\n",
			"2026/12/01 Fyne error:  Preferences load error:\nnext\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			f := &prefsRaceFilter{w: &out}
			// one Write per line, as log.Logger does
			for _, line := range strings.SplitAfter(c.in, "\n") {
				if line != "" {
					if _, err := f.Write([]byte(line)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if out.String() != c.want {
				t.Fatalf("got %q, want %q", out.String(), c.want)
			}
		})
	}
}

// Through a real log.Logger, as fyne.LogError writes.
func TestPrefsRaceFilterWithLogger(t *testing.T) {
	var out bytes.Buffer
	l := log.New(&prefsRaceFilter{w: &out}, "", 0)
	l.Println("Fyne error: ", "Preferences load error:")
	l.Println("  Cause:", "EOF")
	l.Printf("  At: %s:%d", "preferences.go", 103)
	l.Println("kept")
	if out.String() != "kept\n" {
		t.Fatalf("got %q", out.String())
	}
}
