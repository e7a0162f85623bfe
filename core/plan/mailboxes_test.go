package plan

import (
	"context"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/upgrade"
)

func other(name, biz string, depts ...string) contacts.Member {
	m := mem(name, "", "", biz, depts...)
	m.Mailbox = string(contacts.MailboxOther)
	return m
}

func TestPlanKeepsOtherMailboxes(t *testing.T) {
	dir := &contacts.Directory{Members: []contacts.Member{
		mem("张伟", "zhangwei", "13800000000", "zhangwei@example.com", "研发部"),
		other("客服邮箱", "service@example.com"),
		other("人事", "hr@example.com", "人事部"), // its department is not created for it
		mem("李娜", "", "13800000001", "lina@example.com", "研发部"),
	}, MailGroups: []contacts.MailGroup{{Address: "all@example.com", Name: "全员", Members: []string{"zhangwei@example.com", "lina@example.com"}}}}
	for i := range dir.Members {
		dir.Members[i].Row = i + 2
	}
	for _, method := range []upgrade.Method{upgrade.MethodNew, upgrade.MethodBind} {
		t.Run(string(method), func(t *testing.T) {
			in := Input{Method: method, Company: "示例", Contacts: dir}
			if method == upgrade.MethodBind {
				snap, err := ReadSnapshot(context.Background(), existing(), ReadOptions{AccountCap: 10, CreatedThisMonth: -1, AdvancedSeats: 1})
				if err != nil {
					t.Fatal(err)
				}
				in.Target = snap
			}
			p, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Create) != 2 {
				t.Fatalf("want the 2 people created, got %+v", p.Create)
			}
			for _, ops := range [][]MemberOp{p.Create, p.Update} {
				for _, op := range ops {
					if p.IsOtherMailbox(op.User.BizMail) || op.User.UserID == "service" || op.User.UserID == "hr" {
						t.Fatalf("other mailbox planned as a member: %+v", op)
					}
				}
			}
			if len(p.OtherMailboxes) != 2 || p.OtherMailboxes[0].Address != "service@example.com" || p.OtherMailboxes[1].Row != 4 {
				t.Fatalf("other mailboxes %+v", p.OtherMailboxes)
			}
			for _, d := range p.Departments {
				if d.Path == "人事部" {
					t.Fatal("a department only an other mailbox names must not be created")
				}
			}
			if len(p.MailGroups) != 1 || p.MailGroups[0].Tag != "T-全员" || p.MailGroups[0].Members != 2 {
				t.Fatalf("mail groups %+v", p.MailGroups)
			}
			seats := p.SeatsText().String()
			if !strings.Contains(seats, "其他邮箱 2") {
				t.Fatalf("seats text %q", seats)
			}
			short := false
			for _, w := range p.Warnings {
				short = short || w.Reason.Code == "advanced_seats_short"
			}
			if method == upgrade.MethodBind {
				if !short || p.AdvancedSeats != 1 || !strings.Contains(seats, "高级功能账号 1") || !strings.Contains(seats, "成员账号 4（上限 10）") {
					t.Fatalf("seats: short=%v seats=%d %q", short, p.AdvancedSeats, seats)
				}
			} else if short {
				t.Fatal("seats unknown: no shortage can be claimed")
			}
		})
	}
}

func TestPlanHashUnchangedWithoutMailboxes(t *testing.T) {
	// a plan without other mailboxes or groups encodes exactly as before
	// (the new fields are omitted), so stored plans keep their hash
	p, err := Build(Input{Method: upgrade.MethodNew, Contacts: &contacts.Directory{Members: []contacts.Member{mem("张伟", "zw", "13800000000", "zw@example.com")}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Marshal()
	for _, k := range []string{"other_mailboxes", "mail_groups", "advanced_seats"} {
		if strings.Contains(string(b), k) {
			t.Fatalf("%s in %s", k, b)
		}
	}
}

func TestOtherMailboxNotCountedAgainstCap(t *testing.T) {
	dir := &contacts.Directory{Members: []contacts.Member{
		mem("张伟", "zhangwei", "13800000000", "zhangwei@example.com"),
		other("客服邮箱", "service@example.com"),
		other("招聘", "jobs@example.com"),
	}}
	p, err := Build(Input{Method: upgrade.MethodNew, Contacts: dir, Target: &Snapshot{AccountCap: 1, CreatedThisMonth: -1}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Blocked() {
		t.Fatalf("other mailboxes must not count against the account cap: %+v", p.Conflicts)
	}
}

// TestPlanDepartmentOrder: the WeCom order the Exmail reader converted is
// what the plan creates departments with, also when the company's own
// name is stripped from the paths.
func TestPlanDepartmentOrder(t *testing.T) {
	dir := &contacts.Directory{
		Members:   []contacts.Member{mem("张伟", "zw", "13800000000", "zw@example.com", "示例/研发部"), mem("李娜", "ln", "13800000001", "ln@example.com", "示例/市场部")},
		DeptOrder: map[string]int{"示例/研发部": 1, "示例/市场部": 2, "示例": 1},
	}
	p, err := Build(Input{Method: upgrade.MethodNew, Company: "示例", Contacts: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, d := range p.Departments {
		got[d.Path] = d.Order
	}
	if !p.StrippedRoot || got["研发部"] != 1 || got["市场部"] != 2 {
		t.Fatalf("orders %v (stripped %v)", got, p.StrippedRoot)
	}
}
