package report

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
)

// TestBindRehearsalWithSharedBoxes: a method-2 rehearsal whose company has
// shared boxes (three typed 其他邮箱, jobs@ untyped) and a mail group. The
// typed boxes never become members of the simulator's tenant, and plan and
// report list them as other mailboxes; the group is shown with its tag.
func TestBindRehearsalWithSharedBoxes(t *testing.T) {
	dir := sample.Company(80, 5)
	existing := migrate.ExistingCompany(dir, 6)
	sample.AddSharedBoxes(dir, "")
	typed, untyped := sample.SharedBoxAddresses("")

	reh, err := migrate.StartRehearsal(migrate.RehearsalOptions{TenantPath: filepath.Join(t.TempDir(), "tenant.db"), Existing: existing})
	if err != nil {
		t.Fatal(err)
	}
	defer reh.Close()
	p, checks, err := plan.Prepare(context.Background(), reh.Target, plan.ReadOptions{CreatedThisMonth: -1, AdvancedSeats: 2},
		plan.Input{Method: upgrade.MethodBind, Company: "示例公司", Contacts: dir})
	if err != nil || p == nil {
		t.Fatalf("plan: %v %+v", err, checks)
	}
	if p.Blocked() {
		t.Fatalf("plan blocked: %+v", p.Conflicts)
	}
	planted := 0 // target members owning one of our mobiles: 60104 when writing (details unknown)
	for _, m := range existing.Members {
		if strings.HasPrefix(m.Account, "legacy") {
			planted++
		}
	}
	if len(p.OtherMailboxes) != len(typed) || len(p.MailGroups) != 1 || p.MailGroups[0].Tag != "T-全体员工" {
		t.Fatalf("plan mailboxes %+v groups %+v", p.OtherMailboxes, p.MailGroups)
	}
	short := false
	for _, w := range p.Warnings {
		short = short || w.Reason.Code == "advanced_seats_short"
	}
	if !short {
		t.Fatal("3 other mailboxes against 2 advanced seats must warn")
	}

	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	proj, err := st.CreateProject("示例公司")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := migrate.New(st.DB(), proj.ID, p, reh.Target, migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background(), p.ContactsHash)
	eng.Close()
	if err != nil || res.Failed != planted {
		t.Fatalf("run: %v, %d failed, want the %d planted mobile conflicts: %+v", err, res.Failed, planted, res.Failures)
	}
	for _, f := range res.Failures {
		if f.Code != 60104 {
			t.Fatalf("unexpected failure %+v", f)
		}
	}

	// the simulator's tenant: no typed box is a member; the untyped one is
	// (it was only flagged, never changed silently)
	state := reh.Server.State()
	bizOf := map[string]bool{}
	for _, u := range state.Users {
		bizOf[strings.ToLower(u.BizMail)] = true
		for _, a := range typed {
			if strings.EqualFold(u.UserID, strings.Split(a, "@")[0]) {
				t.Errorf("other mailbox %s created as member %s", a, u.UserID)
			}
		}
	}
	for _, a := range typed {
		if bizOf[a] {
			t.Errorf("other mailbox %s is a member's biz mail in the tenant", a)
		}
	}
	if !bizOf[untyped[0]] {
		t.Errorf("untyped %s should have been migrated as a member", untyped[0])
	}

	recs, err := migrate.Records(st.DB(), proj.ID, p)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Plan: p, Records: recs}
	if s := Summary(in); !strings.Contains(s, "其他邮箱：3 个保留为邮箱") || !strings.Contains(s, "other mailboxes: 3 kept as mailboxes") || !strings.Contains(s, "mail groups: 1") {
		t.Fatalf("summary %s", s)
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, in); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetMailboxes)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+3+1 {
		t.Fatalf("mailboxes sheet %v", rows)
	}
	for i, a := range typed {
		if rows[i+1][1] != a || !strings.Contains(rows[i+1][4], "不创建为成员") {
			t.Errorf("row %d: %v", i+1, rows[i+1])
		}
	}
	if !strings.Contains(rows[4][4], "T-全体员工") {
		t.Errorf("group row %v", rows[4])
	}
	members, _ := f.GetRows(SheetMembers)
	for _, r := range members {
		for _, a := range typed {
			if strings.Contains(strings.Join(r, ","), strings.Split(a, "@")[0]+",") {
				t.Errorf("other mailbox %s in the members sheet: %v", a, r)
			}
		}
	}
}
