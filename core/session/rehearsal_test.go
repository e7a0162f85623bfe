package session

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

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
