package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"exmail-upgrade/core/fsname"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"
)

func TestNewRehearsalHoldsSampleCompany(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	p, err := NewRehearsal(st, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Name, RehearsalCompany) || p.TargetKind != "sim" {
		t.Fatalf("project %+v", p)
	}
	d, ok, err := st.Contacts(p.ID)
	if err != nil || !ok {
		t.Fatalf("contacts ok=%v err=%v", ok, err)
	}
	others := 0
	for i := range d.Members {
		if d.Members[i].IsOther() {
			others++
		}
	}
	typed, untyped := sample.SharedBoxAddresses("")
	if len(d.Members) != RehearsalMembers+len(typed)+len(untyped) || others != len(typed) || len(d.MailGroups) != 1 || len(d.AllDepartments()) < 3 {
		t.Fatalf("%d rows (%d other mailboxes, %d groups), %d departments", len(d.Members), others, len(d.MailGroups), len(d.AllDepartments()))
	}
	// A second rehearsal a second later is a separate project.
	p2, err := NewRehearsal(st, now.Add(time.Second))
	if err != nil || p2.ID == p.ID || p2.Name == p.Name {
		t.Fatalf("second rehearsal %+v err %v", p2, err)
	}
}

// Rehearsal names are valid file names everywhere (they become the suggested
// names of exports): no colon in the time stamp.
func TestRehearsalNameIsAFileName(t *testing.T) {
	n := RehearsalName(time.Date(2026, 12, 1, 20, 34, 7, 0, time.UTC))
	if n != "示例科技有限公司（演练 12-01 20.34.07）" || fsname.FileName(n) != n {
		t.Fatalf("rehearsal name %q (as a file name %q)", n, fsname.FileName(n))
	}
}

func TestRehearsalTenantPath(t *testing.T) {
	p, err := RehearsalTenantPath(filepath.Join("cfg", "state.db"), "p1")
	if err != nil || p != filepath.Join("cfg", "rehearsal", "p1.db") {
		t.Fatalf("%q %v", p, err)
	}
	for _, bad := range []string{"", "..", "a/b", `a\b`, "CON", "x:y"} {
		if _, err := RehearsalTenantPath("state.db", bad); err == nil {
			t.Errorf("project id %q accepted as a path element", bad)
		}
	}
}

// --state means the same in the GUI and the CLI: a file, or a folder
// holding state.db.
func TestStatePath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.db")
	other := filepath.Join(dir, "custom-state")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		dir:                              filepath.Join(dir, StateFileName),
		dir + string(filepath.Separator): filepath.Join(dir, StateFileName),
		filepath.Join(dir, "s2"):         filepath.Join(dir, "s2", StateFileName), // C:\tmp\s2: a folder, as the CLI always did
		file:                             file,
		other:                            other, // an existing file is that file
	}
	for in, want := range cases {
		if got, err := StatePath(in); err != nil || got != want {
			t.Errorf("StatePath(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	if got, err := StatePath(""); err != nil || !strings.HasSuffix(got, ".db") {
		t.Errorf("default state %q %v", got, err)
	}
}
