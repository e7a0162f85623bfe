package contacts

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzCheckMember: any cell values are checked without panicking, and the
// safe fixes are idempotent: the fixed member needs no further fix.
func FuzzCheckMember(f *testing.F) {
	f.Add("张伟", "zhangwei", "研发中心/后端组", "男", "+86 13800000000", "010-1", "A@QQ.COM", "zw@example.com")
	f.Add("\u3000", "ｚｗ", "A／B;C、D", "female", "1.3812345678E+10", "x", "@@", "a--b@x.cn")
	f.Add("", "", "/A//B\\C", "2", "１３８", "", "", "")
	f.Fuzz(func(t *testing.T, name, account, dept, gender, mobile, tel, email, biz string) {
		m := Member{Row: 2, Name: name, Account: account, Gender: gender, Mobile: mobile, Telephone: tel, Email: email, BizMail: biz}
		m.Set(FieldDepartments, dept)
		opts := &Options{Domains: []string{"example.com"}, Legacy: len(name)%2 == 0}
		fixed, ps := CheckMember(&m, opts)
		for _, p := range ps {
			if p.Code == "" || p.Severity == "" || !strings.Contains(p.Message, " / ") {
				t.Fatalf("malformed problem %+v", p)
			}
		}
		again, ps2 := CheckMember(&fixed, opts)
		for _, p := range ps2 {
			if p.Severity == SeverityFixed {
				t.Fatalf("fix not idempotent: %+v from %+v", p, fixed)
			}
		}
		if !reflect.DeepEqual(again, fixed) {
			t.Fatalf("second fix changed the member: %+v -> %+v", fixed, again)
		}
	})
}
