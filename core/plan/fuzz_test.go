package plan

import (
	"context"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
)

// FuzzBuild plans arbitrary contacts against a target whose names come from
// an arbitrary exported sheet: no panic, valid userids, departments parents
// first, a stable hash.
func FuzzBuild(f *testing.F) {
	f.Add("张三", "", "13800000000", "zs@example.com", "研发部/后端组", "老公司/研发部", "alice", true)
	f.Add("A", "a", "", "", "示例公司/X", "X", "", false)
	f.Add("B", "B.b", "+852 1234", "-x@y", "a//b", "/", "b.b", true)
	f.Fuzz(func(t *testing.T, name, account, mobile, biz, path, sheetPath, targetUser string, bind bool) {
		if !ValidUserID(targetUser) {
			targetUser = "t" // WeCom's own userids are valid
		}
		dir := &contacts.Directory{Members: []contacts.Member{
			{Name: name, Account: account, Mobile: mobile, BizMail: biz, Departments: []string{path}},
			{Name: name + "2", Mobile: mobile + "1", BizMail: biz, Departments: []string{path, sheetPath}},
			{Name: name + "3", Account: account + "3", BizMail: "box." + biz, Mailbox: string(contacts.MailboxOther), Departments: []string{path}},
		}}
		r := &fakeReader{namesErr: &wecom.Error{Code: 48009},
			depts: []TargetDept{{ID: 1}, {ID: 2, ParentID: 1}, {ID: 3, ParentID: 2}},
			users: []TargetUser{{UserID: targetUser, Departments: []int{3}}, {UserID: "other", Departments: []int{2, 3}}}}
		sheet := &contacts.Directory{Members: []contacts.Member{
			{Account: targetUser, Mobile: mobile, Departments: []string{sheetPath}},
			{Account: "other", Departments: []string{path, sheetPath}},
		}}
		method := upgrade.MethodNew
		if bind {
			method = upgrade.MethodBind
		}
		in := Input{Method: method, Company: "示例公司", Contacts: dir}
		p, _, err := Prepare(context.Background(), r, ReadOptions{TargetSheet: sheet, CreatedThisMonth: -1}, in)
		if err != nil || p == nil {
			t.Fatalf("prepare: %v", err)
		}
		seen := map[int]bool{RootID: true, 2: true, 3: true}
		for _, d := range p.Departments {
			if !seen[d.ParentID] || seen[d.ID] {
				t.Fatalf("department %+v out of order or reused", d)
			}
			seen[d.ID] = true
		}
		for _, m := range append(append([]MemberOp{}, p.Create...), p.Update...) {
			if m.Generated && !ValidUserID(m.User.UserID) {
				t.Fatalf("generated userid %q invalid", m.User.UserID)
			}
			if strings.TrimSpace(m.User.UserID) == "" {
				t.Fatalf("empty userid")
			}
		}
		if len(p.OtherMailboxes) != 1 || len(p.Create)+len(p.Update) > 2 {
			t.Fatalf("the other mailbox was planned as a member: %d other, %d create, %d update", len(p.OtherMailboxes), len(p.Create), len(p.Update))
		}
		p2, _, _ := Prepare(context.Background(), r, ReadOptions{TargetSheet: sheet, CreatedThisMonth: -1}, in)
		if p.Hash() != p2.Hash() {
			t.Fatal("not deterministic")
		}
	})
}

// FuzzUnmarshal decodes arbitrary stored plans without panicking.
func FuzzUnmarshal(f *testing.F) {
	p, _ := Build(Input{Method: upgrade.MethodNew, Contacts: &contacts.Directory{Members: []contacts.Member{{Name: "A", Account: "a", Departments: []string{"X"}}}}})
	b, _ := p.Marshal()
	f.Add(b)
	f.Add([]byte(`{"departments":[{"id":-1}],"create":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := Unmarshal(data)
		if err == nil {
			_ = q.Hash()
			_ = q.Blocked()
		}
	})
}
