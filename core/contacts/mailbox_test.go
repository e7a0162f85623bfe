package contacts

import (
	"strings"
	"testing"
)

func hasCode(ps []Problem, code Code, sev Severity) bool {
	for _, p := range ps {
		if p.Code == code && p.Severity == sev {
			return true
		}
	}
	return false
}

func TestMailboxTypeRules(t *testing.T) {
	opts := &Options{Domains: []string{"example.com"}}
	shared := func(m *Member) {
		m.Name, m.Account, m.Mobile, m.BizMail = "客服", "service", "", "service@example.com"
	}
	cases := []struct {
		name    string
		edit    func(m *Member)
		code    Code
		sev     Severity
		absent  []Code // codes that must not appear
		wantTyp MailboxType
		wantRaw string // the fixed cell value
	}{
		{"empty is member", func(m *Member) {}, "", "", nil, MailboxMember, ""},
		{"成员邮箱", func(m *Member) { m.Mailbox = "成员邮箱" }, "", "", nil, MailboxMember, "成员邮箱"},
		{"member word", func(m *Member) { m.Mailbox = " Member " }, CodeMailboxTypeNormalised, SeverityFixed, nil, MailboxMember, "成员邮箱"},
		{"其他", func(m *Member) { m.Mailbox = "其他" }, CodeMailboxTypeNormalised, SeverityFixed, nil, MailboxOther, "其他邮箱"},
		{"shared", func(m *Member) { m.Mailbox = "SHARED" }, CodeMailboxTypeNormalised, SeverityFixed, nil, MailboxOther, "其他邮箱"},
		{"共享邮箱", func(m *Member) { m.Mailbox = "共享邮箱" }, CodeMailboxTypeNormalised, SeverityFixed, nil, MailboxOther, "其他邮箱"},
		{"full width other", func(m *Member) { m.Mailbox = "ｏｔｈｅｒ" }, CodeMailboxTypeNormalised, SeverityFixed, nil, MailboxOther, "其他邮箱"},
		{"invalid", func(m *Member) { m.Mailbox = "部门邮箱" }, CodeMailboxTypeInvalid, SeverityError, nil, MailboxMember, "部门邮箱"},
		{"other needs no mobile nor department", func(m *Member) {
			shared(m)
			m.Mailbox, m.Departments = "其他邮箱", nil
		}, "", "", []Code{CodeContactMissing, CodeMailboxMaybeShared}, MailboxOther, "其他邮箱"},
		{"other needs an address", func(m *Member) { m.Mailbox, m.BizMail = "其他邮箱", "" }, CodeBizMailInvalid, SeverityError, nil, MailboxOther, "其他邮箱"},
		{"member without contact still errs", func(m *Member) { m.Mobile = "" }, CodeContactMissing, SeverityError, nil, MailboxMember, ""},
		{"shared-looking member warns", func(m *Member) { shared(m); m.Email = "kefu@qq.com" }, CodeMailboxMaybeShared, SeverityWarning, nil, MailboxMember, ""},
		{"shared-looking typed member warns", func(m *Member) { shared(m); m.Email, m.Mailbox = "kefu@qq.com", "成员邮箱" }, CodeMailboxMaybeShared, SeverityWarning, nil, MailboxMember, "成员邮箱"},
		{"role name with mobile is a person", func(m *Member) { shared(m); m.Mobile = "13900000000" }, "", "", []Code{CodeMailboxMaybeShared}, MailboxMember, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.edit(&m)
			f, ps := CheckMember(&m, opts)
			if tc.code == "" {
				for _, p := range ps {
					if p.Severity != SeverityFixed {
						t.Fatalf("unexpected problem %+v", p)
					}
				}
			} else if !hasCode(ps, tc.code, tc.sev) {
				t.Fatalf("want %s/%s, got %+v", tc.code, tc.sev, ps)
			}
			for _, c := range tc.absent {
				for _, p := range ps {
					if p.Code == c {
						t.Fatalf("unexpected %s: %+v", c, p)
					}
				}
			}
			if f.Type() != tc.wantTyp || f.Mailbox != tc.wantRaw {
				t.Fatalf("fixed type %q cell %q, want %q %q", f.Type(), f.Mailbox, tc.wantTyp, tc.wantRaw)
			}
			if m.Mailbox != f.Mailbox && tc.sev != SeverityFixed && tc.code != "" && tc.code != CodeMailboxTypeInvalid {
				t.Fatalf("type changed without a fix record: %q → %q", m.Mailbox, f.Mailbox)
			}
		})
	}
}

func TestMaybeSharedSuggestsAndNeverChanges(t *testing.T) {
	m := base()
	m.Mobile, m.Email, m.BizMail = "", "x@qq.com", "hr@example.com"
	f, ps := CheckMember(&m, &Options{})
	if f.Mailbox != "" || f.IsOther() {
		t.Fatalf("type changed silently to %q", f.Mailbox)
	}
	for _, p := range ps {
		if p.Code == CodeMailboxMaybeShared {
			if !strings.Contains(p.Message, "其他邮箱") || p.Field != FieldMailboxType {
				t.Fatalf("no suggestion in %+v", p)
			}
			return
		}
	}
	t.Fatalf("no mailbox_maybe_shared in %+v", ps)
}

func TestRoleLike(t *testing.T) {
	for addr, want := range map[string]bool{
		"info@x.com": true, "HR@x.com": true, "service-cn@x.com": true, "sales.bj@x.com": true, "jobs2@x.com": true,
		"no-reply@x.com": true, "noreply@x.com": true, "postmaster@x.com": true, "webmaster": true, "finance@x.com": true,
		"zhangwei@x.com": false, "it.zhang@x.com": false, "information.li@x.com": true, "salesman@x.com": false,
		"adminli@x.com": false, "": false, "@x.com": false,
	} {
		if got := RoleLike(addr); got != want {
			t.Errorf("RoleLike(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestDuplicatesAcrossMailboxTypes(t *testing.T) {
	a, b := base(), base()
	b.Row, b.Name, b.Account, b.Mobile, b.Mailbox = 3, "公共", "pub", "", "其他邮箱"
	ps := Validate(&Directory{Members: []Member{a, b}}, Options{})
	n := 0
	for _, p := range ps {
		if p.Code == CodeBizMailDuplicate {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("want bizmail_duplicate on both rows across types, got %+v", ps)
	}
}

func TestCompareMailboxes(t *testing.T) {
	live := &Directory{Members: []Member{{BizMail: "zhangwei@example.com"}, {BizMail: "info@example.com"}, {BizMail: "Lost@example.com"}},
		MailGroups: []MailGroup{{Address: "all@example.com", Name: "全员"}}}
	sheet := &Directory{Members: []Member{
		{Row: 2, BizMail: "ZhangWei@example.com"},
		{Row: 3, BizMail: "info@example.com", Mailbox: "其他邮箱"},
		{Row: 4, BizMail: "ghost@example.com"},
		{Row: 5, BizMail: "all@example.com"},
		{Row: 6},
	}}
	ps := CompareMailboxes(sheet, live, &Options{})
	if len(ps) != 2 {
		t.Fatalf("want 2 problems, got %+v", ps)
	}
	if ps[0].Code != CodeMailboxNotInExmail || ps[0].Row != 4 || ps[0].Severity != SeverityError {
		t.Fatalf("first: %+v", ps[0])
	}
	if ps[1].Code != CodeMailboxMissing || ps[1].Value != "Lost@example.com" || ps[1].Row != 0 {
		t.Fatalf("second: %+v", ps[1])
	}
}

func TestMailGroupTag(t *testing.T) {
	cases := []struct {
		g    MailGroup
		want string
	}{
		{MailGroup{Address: "all@x.com", Name: "全体员工"}, "T-全体员工"},
		{MailGroup{Address: "dev@x.com"}, "T-dev"},
	}
	for _, c := range cases {
		if got := c.g.Tag(); got != c.want {
			t.Errorf("Tag(%+v) = %q, want %q", c.g, got, c.want)
		}
	}
}

func TestHashSeesMailboxType(t *testing.T) {
	d := &Directory{Members: []Member{base()}}
	h := d.Hash()
	d.Members[0].Mailbox = "其他邮箱"
	if d.Hash() == h {
		t.Fatal("changing the mailbox type must change the hash")
	}
	d.Members[0].Mailbox = ""
	if d.Hash() != h {
		t.Fatal("an untyped row must hash as before")
	}
}

func TestIndexSetMailboxType(t *testing.T) {
	m := base()
	m.Mobile, m.Email = "", ""
	x := NewIndex(&Directory{Members: []Member{m}}, Options{})
	if !hasCode(x.Problems(2), CodeContactMissing, SeverityError) {
		t.Fatal("member without contact must err")
	}
	ch, err := x.Set(2, FieldMailboxType, "其他邮箱")
	if err != nil || len(ch) != 1 || len(ch[0].Problems) != 0 {
		t.Fatalf("after typing other: %v %+v", err, ch)
	}
}

// FuzzMailboxType: any 邮箱类型 cell (with any address and mobile) is
// checked without panicking, every problem is well formed, the fix is
// idempotent, and a row is never made an other mailbox unless its cell
// says so.
func FuzzMailboxType(f *testing.F) {
	f.Add("其他邮箱", "info@example.com", "")
	f.Add(" Shared ", "hr@example.com", "13800000000")
	f.Add("ｏｔｈｅｒ", "", "")
	f.Add("部门邮箱", "no-reply@x.cn", "")
	f.Fuzz(func(t *testing.T, typ, biz, mobile string) {
		m := Member{Row: 2, Name: "x", Mobile: mobile, BizMail: biz, Mailbox: typ}
		fixed, ps := CheckMember(&m, &Options{})
		for _, p := range ps {
			if p.Code == "" || p.Severity == "" || !strings.Contains(p.Message, " / ") {
				t.Fatalf("malformed problem %+v", p)
			}
		}
		if _, ok := ParseMailboxType(typ); ok && fixed.IsOther() != m.IsOther() {
			t.Fatalf("type changed from %q to %q", typ, fixed.Mailbox)
		}
		if t2, ok := ParseMailboxType(typ); !ok || t2 != MailboxOther {
			if fixed.IsOther() {
				t.Fatalf("%q made an other mailbox", typ)
			}
		}
		again, ps2 := CheckMember(&fixed, &Options{})
		for _, p := range ps2 {
			if p.Severity == SeverityFixed {
				t.Fatalf("fix not idempotent: %+v", p)
			}
		}
		if again.Mailbox != fixed.Mailbox {
			t.Fatalf("second check changed the type %q → %q", fixed.Mailbox, again.Mailbox)
		}
	})
}

// BenchmarkMailboxTypeShare measures what the mailbox-type rule adds to
// checking a typical row (a person with a mobile and an untyped cell) and
// to a shared-looking row, next to CheckMember as a whole.
func BenchmarkMailboxTypeShare(b *testing.B) {
	person := base()
	shared := Member{Row: 3, Name: "客服", BizMail: "service-cn@example.com", Email: "kefu@qq.com"}
	b.Run("CheckMember", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			CheckMember(&person, &Options{})
		}
	})
	b.Run("mailboxType/person", func(b *testing.B) {
		c := &checker{opts: &Options{}}
		for i := 0; i < b.N; i++ {
			f := person
			c.out = c.out[:0]
			c.mailboxType(&f)
		}
	})
	b.Run("mailboxType/shared", func(b *testing.B) {
		c := &checker{opts: &Options{}}
		for i := 0; i < b.N; i++ {
			f := shared
			c.out = c.out[:0]
			c.mailboxType(&f)
		}
	})
}
