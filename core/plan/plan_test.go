package plan

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
)

// fakeReader is an in-memory target.
type fakeReader struct {
	depts    []TargetDept // with names
	users    []TargetUser
	namesErr error // error of ListDepartments (48009)
	idsErr   error
}

func (f *fakeReader) ListUserIDs(context.Context) ([]TargetUser, error) {
	if f.idsErr != nil {
		return nil, f.idsErr
	}
	out := make([]TargetUser, len(f.users))
	for i, u := range f.users {
		out[i] = TargetUser{UserID: u.UserID, Departments: append([]int(nil), u.Departments...)}
	}
	return out, nil
}

func (f *fakeReader) ListDepartmentIDs(context.Context) ([]TargetDept, error) {
	if f.idsErr != nil {
		return nil, f.idsErr
	}
	out := make([]TargetDept, len(f.depts))
	for i, d := range f.depts {
		out[i] = TargetDept{ID: d.ID, ParentID: d.ParentID}
	}
	return out, nil
}

func (f *fakeReader) ListDepartments(context.Context) ([]TargetDept, error) {
	if f.namesErr != nil {
		return nil, f.namesErr
	}
	return append([]TargetDept(nil), f.depts...), nil
}

func mem(name, account, mobile, biz string, depts ...string) contacts.Member {
	return contacts.Member{Name: name, Account: account, Mobile: mobile, BizMail: biz, Departments: depts}
}

// existing is a target company: root, 研发部(2) with 后端组(3), 销售部(4);
// members alice (in 3) and bob (in 4).
func existing() *fakeReader {
	return &fakeReader{
		depts: []TargetDept{{ID: 1, Name: "老公司"}, {ID: 2, ParentID: 1, Name: "研发部"}, {ID: 3, ParentID: 2, Name: "后端组"}, {ID: 4, ParentID: 1, Name: "Sales"}},
		users: []TargetUser{{UserID: "alice", Departments: []int{3}}, {UserID: "bob", Departments: []int{4}}},
	}
}

func codes(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Reason.Code+":"+it.Key)
	}
	return out
}

func has(items []Item, code, key string) bool {
	for _, it := range items {
		if it.Reason.Code == code && (key == "" || it.Key == key) {
			return true
		}
	}
	return false
}

func TestBuild(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		method upgrade.Method
		target *fakeReader
		opt    ReadOptions
		dir    contacts.Directory
		check  func(t *testing.T, p *Plan)
	}{
		{
			name: "new company: departments parent first, ids assigned, userids generated", method: upgrade.MethodNew,
			target: &fakeReader{depts: []TargetDept{{ID: 1, Name: "X"}}},
			dir: contacts.Directory{Members: []contacts.Member{
				mem("张三", "zhangsan", "13800000001", "", "研发部/后端组"),
				mem("李四", "", "13800000002", "li.si@example.com", "研发部", "销售部"),
				mem("王五", "", "13800000003", "", ""),
				mem("赵六", "", "13800000004", "li.si@other.com", "销售部"),
			}},
			check: func(t *testing.T, p *Plan) {
				want := []Department{{Path: "研发部", Name: "研发部", ID: 2, ParentID: 1}, {Path: "销售部", Name: "销售部", ID: 3, ParentID: 1}, {Path: "研发部/后端组", Name: "后端组", ID: 4, ParentID: 2}}
				if len(p.Departments) != len(want) {
					t.Fatalf("departments %+v", p.Departments)
				}
				for i := range want {
					if p.Departments[i] != want[i] {
						t.Errorf("dept %d = %+v, want %+v", i, p.Departments[i], want[i])
					}
				}
				if len(p.Create) != 4 || len(p.Update) != 0 || p.Blocked() {
					t.Fatalf("create %d update %d conflicts %v", len(p.Create), len(p.Update), codes(p.Conflicts))
				}
				if u := p.Create[0].User; u.UserID != "zhangsan" || p.Create[0].Generated || u.MainDepartment != 4 {
					t.Errorf("zhangsan %+v", u)
				}
				if u := p.Create[1].User; u.UserID != "li.si" || !p.Create[1].Generated || len(u.Departments) != 2 || u.Departments[1] != 3 {
					t.Errorf("li.si %+v", u)
				}
				if u := p.Create[2].User; !strings.HasPrefix(u.UserID, "u") || len(u.UserID) != 11 || u.Departments[0] != RootID {
					t.Errorf("wangwu %+v", u)
				}
				if u := p.Create[3].User; u.UserID == "li.si" || !ValidUserID(u.UserID) {
					t.Errorf("second li.si must get another id: %+v", u)
				}
			},
		},
		{
			name: "company name as first level is stripped", method: upgrade.MethodNew,
			target: &fakeReader{depts: []TargetDept{{ID: 1}}},
			dir: contacts.Directory{Members: []contacts.Member{
				mem("张三", "zs", "13800000001", "", "示例公司/研发部"),
				mem("李四", "ls", "13800000002", "", "示例公司"),
			}},
			check: func(t *testing.T, p *Plan) {
				if !p.StrippedRoot || len(p.Departments) != 1 || p.Departments[0].Path != "研发部" || p.Departments[0].ParentID != 1 {
					t.Fatalf("departments %+v stripped %v", p.Departments, p.StrippedRoot)
				}
				if p.Create[1].User.Departments[0] != RootID {
					t.Errorf("member of the company level goes to the root: %+v", p.Create[1].User)
				}
			},
		},
		{
			name: "bind with names: match, create below, merge, untouched", method: upgrade.MethodBind, target: existing(),
			dir: contacts.Directory{Members: []contacts.Member{
				mem("Alice", "alice", "13800000001", "", "研发部/后端组", "研发部/前端组"),
				mem("Bob", "BOB", "13800000002", "", "Sales"),
				mem("Carol", "carol", "13800000003", "", "研发部/后端组"),
			}},
			check: func(t *testing.T, p *Plan) {
				if p.Blocked() {
					t.Fatalf("conflicts %v", codes(p.Conflicts))
				}
				if len(p.Departments) != 1 || p.Departments[0].Path != "研发部/前端组" || p.Departments[0].ParentID != 2 || p.Departments[0].ID != 5 {
					t.Fatalf("departments %+v", p.Departments)
				}
				if len(p.Matched) != 3 {
					t.Errorf("matched %+v", p.Matched)
				}
				if len(p.Create) != 1 || p.Create[0].User.UserID != "carol" || p.Create[0].User.Departments[0] != 3 {
					t.Errorf("create %+v", p.Create)
				}
				if len(p.Update) != 1 || p.Update[0].User.UserID != "alice" || len(p.Update[0].User.Departments) != 2 || p.Update[0].User.Name != "" {
					t.Errorf("update %+v", p.Update)
				}
				if !has(p.Untouched, "already_present", "bob") || !has(p.Untouched, "target_wins", "alice") || has(p.Untouched, "target_wins", "bob") {
					t.Errorf("untouched %v", codes(p.Untouched))
				}
				if !has(p.Warnings, "details_unknown", "") {
					t.Errorf("warnings %v", codes(p.Warnings))
				}
			},
		},
		{
			name: "bind: target-only members and departments are left untouched", method: upgrade.MethodBind, target: existing(),
			dir: contacts.Directory{Members: []contacts.Member{mem("Carol", "carol", "13800000003", "", "新部门")}},
			check: func(t *testing.T, p *Plan) {
				for _, k := range []string{"alice", "bob"} {
					if !has(p.Untouched, "target_only", k) {
						t.Errorf("%s not untouched: %v", k, codes(p.Untouched))
					}
				}
				// Departments are named by their path, never by a raw ID.
				if !has(p.Untouched, "target_only", "Sales") || !has(p.Untouched, "target_only", "研发部/后端组") || len(p.Departments) != 1 {
					t.Errorf("untouched %v departments %+v", codes(p.Untouched), p.Departments)
				}
			},
		},
		{
			name: "bind, 48009 and no sheet: names unknown block", method: upgrade.MethodBind,
			target: func() *fakeReader { f := existing(); f.namesErr = &wecom.Error{Code: 48009}; return f }(),
			dir:    contacts.Directory{Members: []contacts.Member{mem("Carol", "carol", "13800000003", "", "研发部")}},
			check: func(t *testing.T, p *Plan) {
				if !has(p.Conflicts, "department_names_unknown", "研发部") || len(p.Create) != 0 {
					t.Fatalf("conflicts %v create %d", codes(p.Conflicts), len(p.Create))
				}
				if p.Conflicts[0].Advice.ZH == "" || p.Conflicts[0].Advice.EN == "" || !has(p.Warnings, "names_48009", "") {
					t.Errorf("advice/notes missing: %+v %v", p.Conflicts[0], codes(p.Warnings))
				}
			},
		},
		{
			name: "bind, 48009 with the target's sheet: names deduced, mobile conflict found", method: upgrade.MethodBind,
			target: func() *fakeReader { f := existing(); f.namesErr = &wecom.Error{Code: 48009}; return f }(),
			opt: ReadOptions{TargetSheet: &contacts.Directory{Members: []contacts.Member{
				{Name: "Alice", Account: "alice", Mobile: "13900000001", Departments: []string{"老公司/研发部/后端组"}},
				{Name: "Bob", Account: "bob", Mobile: "13900000002", Position: "经理", Departments: []string{"老公司/Sales"}},
			}}},
			dir: contacts.Directory{Members: []contacts.Member{
				mem("Carol", "carol", "13800000003", "", "研发部/后端组"),
				mem("Dave", "dave", "13900000001", "", "Sales"),
				{Name: "Bob", Mobile: "13900000002", Alias: "bobby", Position: "总监", Departments: []string{"Sales"}},
			}},
			check: func(t *testing.T, p *Plan) {
				if len(p.Departments) != 0 || len(p.Matched) != 3 {
					t.Errorf("departments %+v matched %+v", p.Departments, p.Matched)
				}
				if !has(p.Conflicts, "owned_by_other", "dave") || len(p.Conflicts) != 1 {
					t.Errorf("conflicts %v", codes(p.Conflicts))
				}
				if len(p.Update) != 1 || p.Update[0].User.UserID != "bob" || p.Update[0].User.Alias != "bobby" || p.Update[0].User.Position != "" {
					t.Errorf("bob merged by mobile, target position wins: %+v", p.Update)
				}
				if len(p.Create) != 1 || p.Create[0].User.UserID != "carol" {
					t.Errorf("create %+v", p.Create)
				}
			},
		},
		{
			name: "department name clash with the target and among siblings", method: upgrade.MethodBind, target: existing(),
			dir: contacts.Directory{Members: []contacts.Member{
				mem("Carol", "carol", "13800000003", "", "SALES"),
				mem("Eve", "eve", "13800000005", "", "市场部/ａ组"),
				mem("Fay", "fay", "13800000006", "", "市场部/a组"),
			}},
			check: func(t *testing.T, p *Plan) {
				if !has(p.Conflicts, "department_clash", "SALES") {
					t.Errorf("conflicts %v", codes(p.Conflicts))
				}
				if n := len(p.Conflicts); n != 2 {
					t.Errorf("want 2 clashes, got %v", codes(p.Conflicts))
				}
			},
		},
		{
			name: "account cap and monthly allowance", method: upgrade.MethodNew,
			target: &fakeReader{depts: []TargetDept{{ID: 1}}, users: []TargetUser{{UserID: "boss", Departments: []int{1}}}},
			opt:    ReadOptions{AccountCap: 2, CreatedThisMonth: 5},
			dir: contacts.Directory{Members: []contacts.Member{
				mem("A", "a", "13800000001", ""), mem("B", "b", "13800000002", ""),
			}},
			check: func(t *testing.T, p *Plan) {
				if !has(p.Conflicts, "cap_exceeded", "account_cap") || !has(p.Conflicts, "monthly_exceeded", "monthly_allowance") {
					t.Errorf("conflicts %v", codes(p.Conflicts))
				}
			},
		},
		{
			name: "generated userid avoids a target userid without proof of identity", method: upgrade.MethodBind,
			target: existing(),
			dir:    contacts.Directory{Members: []contacts.Member{mem("Alice2", "", "13800000009", "alice@example.com", "Sales")}},
			check: func(t *testing.T, p *Plan) {
				if len(p.Create) != 1 || p.Create[0].User.UserID == "alice" || !has(p.Warnings, "userid_taken", "") {
					t.Errorf("create %+v warnings %v", p.Create, codes(p.Warnings))
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			if opt.CreatedThisMonth == 0 {
				opt.CreatedThisMonth = -1
			}
			p, checks, err := Prepare(ctx, tc.target, opt, Input{Method: tc.method, Company: "示例公司", Contacts: &tc.dir})
			if err != nil || p == nil {
				t.Fatalf("prepare: %v %v", err, checks)
			}
			tc.check(t, p)
			bothLanguages(t, p)
			bothLanguages(t, checks)
			// Deterministic: the same input plans the same, hash included.
			p2, _, _ := Prepare(ctx, tc.target, opt, Input{Method: tc.method, Company: "示例公司", Contacts: &tc.dir})
			if p.Hash() != p2.Hash() {
				t.Errorf("plan not deterministic")
			}
			if p.ContactsHash != tc.dir.Hash() {
				t.Errorf("contacts hash not recorded")
			}
			q, err := Unmarshal(mustMarshal(t, p))
			if err != nil || q.Hash() != p.Hash() {
				t.Errorf("round trip changes the hash: %v", err)
			}
		})
	}
}

// bothLanguages fails when a message anywhere in v (a plan, checks) exists
// in one language only: every text built at run time is checked where it
// is used.
func bothLanguages(t *testing.T, v any) {
	t.Helper()
	var walk func(path string, x reflect.Value)
	walk = func(path string, x reflect.Value) {
		switch x.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !x.IsNil() {
				walk(path, x.Elem())
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < x.Len(); i++ {
				walk(fmt.Sprintf("%s[%d]", path, i), x.Index(i))
			}
		case reflect.Struct:
			if m, ok := x.Interface().(Msg); ok {
				if (m.Code != "" || m.ZH != "" || m.EN != "") && !m.Text().Complete() {
					t.Errorf("%s: %+v exists in one language only", path, m)
				}
				return
			}
			for i := 0; i < x.NumField(); i++ {
				if x.Type().Field(i).IsExported() {
					walk(path+"."+x.Type().Field(i).Name, x.Field(i))
				}
			}
		}
	}
	walk("", reflect.ValueOf(v))
}

func mustMarshal(t *testing.T, p *Plan) []byte {
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHashChangesWithContacts(t *testing.T) {
	dir := contacts.Directory{Members: []contacts.Member{mem("A", "a", "13800000001", "", "X")}}
	p1, _ := Build(Input{Method: upgrade.MethodNew, Contacts: &dir})
	dir.Members[0].Position = "经理"
	p2, _ := Build(Input{Method: upgrade.MethodNew, Contacts: &dir})
	if p1.Hash() == p2.Hash() || p1.ContactsHash == p2.ContactsHash {
		t.Fatal("a changed member must change the plan and contacts hashes")
	}
}

func TestPreflight(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		err      error
		wantName string
		wantCode string
	}{
		{"untrusted ip", &wecom.Error{API: "department/simplelist", Code: 60020}, "trusted_ip", "untrusted_ip"},
		{"bad secret", &wecom.Error{API: "gettoken", Code: 40001}, "secret", "secret_bad"},
		{"malformed secret", &wecom.Error{API: "gettoken", Code: wecom.CodeSecretInvalid}, "secret", "secret_bad"},
		{"wrong corp id", &wecom.Error{API: "gettoken", Code: 40013}, "secret", "secret_bad"},
		{"network", &wecom.Error{Code: wecom.CodeTransport, Msg: "connection refused"}, "secret", "read_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap, checks, ok := Preflight(ctx, &fakeReader{idsErr: tc.err}, ReadOptions{}, 0)
			if ok || snap != nil {
				t.Fatal("preflight must fail")
			}
			bothLanguages(t, checks)
			last := checks[len(checks)-1]
			if last.Name != tc.wantName || last.OK || last.Msg.Code != tc.wantCode || last.Advice.ZH == "" {
				t.Errorf("checks %+v", checks)
			}
		})
	}
	_, checks, ok := Preflight(ctx, existing(), ReadOptions{AccountCap: 10, CreatedThisMonth: 0}, 9)
	if ok || checks[2].Name != "account_cap" || checks[2].OK || !checks[3].OK {
		t.Errorf("cap: %+v", checks)
	}
}

func FuzzGenerateUserID(f *testing.F) {
	f.Add("张三", "13800000000", "", "zhang.san@example.com")
	f.Add("", "", "a@b.c", "-bad@example.com")
	f.Fuzz(func(t *testing.T, name, mobile, email, biz string) {
		m := &contacts.Member{Name: name, Mobile: mobile, Email: email, BizMail: biz}
		taken := map[string]bool{"u": true}
		id := GenerateUserID(m, func(s string) bool { return taken[s] })
		if !ValidUserID(id) || taken[strings.ToLower(id)] {
			t.Fatalf("bad id %q", id)
		}
		if id2 := GenerateUserID(m, func(s string) bool { return taken[s] }); id2 != id {
			t.Fatalf("not deterministic")
		}
	})
}

// TestCapRuleOneAnswer: the pre-flight checks and the plan's conflicts give
// the same answer for the account cap and the monthly allowance, an unknown
// month count (-1) included.
func TestCapRuleOneAnswer(t *testing.T) {
	dir := contacts.Directory{Members: []contacts.Member{
		mem("甲", "a", "13800000001", "", "X"), mem("乙", "b", "13800000002", "", "X"), mem("丙", "c", "13800000003", "", "X")}}
	cases := []struct {
		name             string
		cap, month       int
		capBad, monthBad bool
	}{
		{"cap unknown", 0, 0, false, false},
		{"fits", 10, 0, false, false},
		{"cap exceeded", 2, 0, true, false},
		{"exactly at the cap", 3, 0, false, false},
		{"month exceeded", 4, 10, false, true},
		{"month unknown", 4, -1, false, false},
	}
	for _, tc := range cases {
		snap := &Snapshot{Departments: []TargetDept{{ID: 1, Name: "X"}}, AccountCap: tc.cap, CreatedThisMonth: tc.month}
		p, err := Build(Input{Method: upgrade.MethodNew, Contacts: &dir, Target: snap})
		if err != nil {
			t.Fatal(err)
		}
		checks, ok := CapChecks(snap, len(p.Create))
		if ok == (tc.capBad || tc.monthBad) {
			t.Errorf("%s: checks ok=%v %+v", tc.name, ok, checks)
		}
		for _, c := range []struct {
			key string
			bad bool
		}{{"account_cap", tc.capBad}, {"monthly_allowance", tc.monthBad}} {
			inPlan := false
			for _, it := range p.Conflicts {
				inPlan = inPlan || it.Key == c.key
			}
			var check Check
			for _, ch := range checks {
				if ch.Name == c.key {
					check = ch
				}
			}
			if inPlan != c.bad || check.OK == c.bad || check.Name == "" {
				t.Errorf("%s: %s conflict %v, check %+v, want exceeded %v", tc.name, c.key, inPlan, check, c.bad)
			}
		}
		if tc.cap == 0 && !has(p.Warnings, "cap_unknown", "account_cap") {
			t.Errorf("%s: no warning for the unknown cap: %v", tc.name, codes(p.Warnings))
		}
	}
}
