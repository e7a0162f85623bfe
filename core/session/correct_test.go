package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
)

// bindWithMobileConflicts runs a method-2 rehearsal whose target already has
// other members owning some of our mobiles, which the plan cannot see (the
// contact-sync secret reads no details): the run ends at failed_items with
// 60104 failures.
func bindWithMobileConflicts(t *testing.T) (*Flow, *migrate.Result) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	f, _, pl := walk(t, st, sample.Company(300, 5), upgrade.MethodBind)
	if pl.Blocked() {
		t.Fatalf("plan blocked: %+v", pl.Conflicts)
	}
	must(t, f.ConfirmPlan(pl, nil, f.Name))
	res, err := f.Run(context.Background(), migrate.Options{}, nil)
	must(t, err)
	if res.Failed == 0 || f.Stage() != upgrade.StageFailedItems {
		t.Fatalf("want failures: %d failed, stage %s", res.Failed, f.Stage())
	}
	for _, fl := range res.Failures {
		if fl.Code != wecom.CodeMobileExists {
			t.Fatalf("failure %+v, want 60104", fl)
		}
	}
	return f, res
}

// TestCorrectFailedMembersThenRetryFinishes is the way forward after failed
// items: only the failed rows open for editing, revalidated; the changes are
// listed, applied in the audit log, and the retry finishes with 0 failures
// without accepting anything.
func TestCorrectFailedMembersThenRetryFinishes(t *testing.T) {
	f, res := bindWithMobileConflicts(t)
	c, err := f.OpenCorrection()
	must(t, err)
	if len(c.Rows()) != res.Failed {
		t.Fatalf("%d editable rows for %d failures", len(c.Rows()), res.Failed)
	}
	if err := c.Apply(); !errors.Is(err, ErrNothingChanged) {
		t.Fatalf("apply without changes: %v", err)
	}
	// Only failed rows, only correctable fields.
	other := 0
	for other = 1; other < 10000; other++ {
		if _, ok := c.failures[other]; !ok {
			break
		}
	}
	if _, err := c.Set(other, contacts.FieldMobile, "13912345678"); !errors.Is(err, ErrNotCorrectable) {
		t.Fatalf("edit of a row that did not fail: %v", err)
	}
	if _, err := c.Set(c.Rows()[0], contacts.FieldAccount, "someone"); !errors.Is(err, ErrNotCorrectable) {
		t.Fatalf("edit of the account: %v", err)
	}
	// Revalidated against the whole directory: another member's mobile is a duplicate.
	dup := c.Member(c.Rows()[0]).Mobile
	if len(c.Rows()) > 1 {
		ps, err := c.Set(c.Rows()[1], contacts.FieldMobile, dup)
		must(t, err)
		if !contacts.HasErrors(ps) {
			t.Fatalf("duplicate mobile accepted: %+v", ps)
		}
		if err := c.Apply(); !errors.Is(err, upgrade.ErrContactsHaveErrors) {
			t.Fatalf("apply with errors: %v", err)
		}
	}
	for i, r := range c.Rows() {
		ps, err := c.Set(r, contacts.FieldMobile, fmt.Sprintf("1770000%04d", i+1))
		must(t, err)
		if contacts.HasErrors(ps) {
			t.Fatalf("row %d: %+v", r, ps)
		}
	}
	ch := c.Changes()
	if len(ch) != len(c.Rows()) || ch[0].Field != contacts.FieldMobile || ch[0].New == ch[0].Old || ch[0].UserID == "" {
		t.Fatalf("changes %+v", ch)
	}
	must(t, c.Apply())
	if f.Stage() != upgrade.StageFailedItems {
		t.Fatalf("stage after correction %s", f.Stage())
	}
	res2, err := f.RetryFailed(context.Background(), migrate.Options{}, nil)
	must(t, err)
	if res2.Failed != 0 || !res2.OK() || f.Stage() != upgrade.StageDone {
		t.Fatalf("retry: %d failed, ok %v, stage %s, %+v", res2.Failed, res2.OK(), f.Stage(), res2.Failures)
	}
	users := f.Connection().Sim.State().Users
	for _, x := range ch {
		found := false
		for _, u := range users {
			if strings.EqualFold(u.UserID, x.UserID) && u.Mobile == x.New {
				found = true
			}
		}
		if !found {
			t.Errorf("%s does not hold the corrected mobile %s in the target", x.UserID, x.New)
		}
	}
	hist, err := f.Up.History()
	must(t, err)
	var actions []string
	for _, e := range hist {
		actions = append(actions, e.Action)
		if e.Action == "CorrectFailures" && !strings.Contains(e.Details["changed"], ch[0].UserID+".mobile") {
			t.Errorf("audit entry %+v does not name the change", e)
		}
	}
	got := strings.Join(actions, " ")
	if !strings.Contains(got, "FinishMigration CorrectFailures RetryFailed FinishMigration") || strings.Contains(got, "AcceptFailures") {
		t.Fatalf("audit log %s", got)
	}
}
