package contacts

import (
	"strings"
	"testing"
)

func base() Member {
	return Member{Row: 2, Name: "张伟", Account: "zhangwei", Departments: []string{"研发中心/后端组"},
		Gender: "男", Mobile: "13800000000", BizMail: "zhangwei@example.com"}
}

func TestCheckMemberRules(t *testing.T) {
	opts := &Options{Domains: []string{"example.com"}}
	cases := []struct {
		name  string
		edit  func(m *Member)
		code  Code
		sev   Severity
		field Field
		want  func(f Member) bool // optional check of the fixed member
	}{
		{"clean", func(m *Member) {}, "", "", "", nil},
		{"name missing", func(m *Member) { m.Name = " " }, CodeNameMissing, SeverityError, FieldName, nil},
		{"name 64 ok", func(m *Member) { m.Name = strings.Repeat("名", 64) }, "", "", "", nil},
		{"name too long", func(m *Member) { m.Name = strings.Repeat("名", 65) }, CodeNameTooLong, SeverityError, FieldName, nil},
		{"account bad char", func(m *Member) { m.Account = "zhang wei" }, CodeAccountInvalid, SeverityError, FieldAccount, nil},
		{"account bad first", func(m *Member) { m.Account = "_zw" }, CodeAccountInvalid, SeverityError, FieldAccount, nil},
		{"account 65 bytes", func(m *Member) { m.Account = strings.Repeat("a", 65) }, CodeAccountInvalid, SeverityError, FieldAccount, nil},
		{"account chinese", func(m *Member) { m.Account = "张伟" }, CodeAccountInvalid, SeverityError, FieldAccount, nil},
		{"account with @ ok", func(m *Member) { m.Account = "zw@example.com" }, "", "", "", nil},
		{"account empty ok", func(m *Member) { m.Account = "" }, "", "", "", nil},
		{"alias", func(m *Member) { m.Alias = strings.Repeat("a", 65) }, CodeAliasTooLong, SeverityError, FieldAlias, nil},
		{"position", func(m *Member) { m.Position = strings.Repeat("职", 129) }, CodePositionTooLong, SeverityError, FieldPosition, nil},
		{"address", func(m *Member) { m.Address = strings.Repeat("址", 129) }, CodeAddressTooLong, SeverityError, FieldAddress, nil},
		{"dept empty level", func(m *Member) { m.Departments = []string{"A//B"} }, CodeDepartmentNameInvalid, SeverityError, FieldDepartments, nil},
		{"dept bad char", func(m *Member) { m.Departments = []string{"A/B?"} }, CodeDepartmentNameInvalid, SeverityError, FieldDepartments, nil},
		{"dept too long", func(m *Member) { m.Departments = []string{"A/" + strings.Repeat("部", 33)} }, CodeDepartmentNameTooLong, SeverityError, FieldDepartments, nil},
		{"dept 32 ok", func(m *Member) { m.Departments = []string{"A/" + strings.Repeat("部", 32)} }, "", "", "", nil},
		{"dept too deep", func(m *Member) { m.Departments = []string{strings.Repeat("a/", 15) + "b"} }, CodeDepartmentTooDeep, SeverityError, FieldDepartments, nil},
		{"dept 15 ok", func(m *Member) { m.Departments = []string{strings.Repeat("a/", 14) + "b"} }, "", "", "", nil},
		{"dept 21 warn", func(m *Member) { m.Departments = strings.Split(strings.Repeat("a；", 20)+"b", "；") }, CodeDepartmentTooMany, SeverityWarning, FieldDepartments, nil},
		{"dept 101 error", func(m *Member) { m.Departments = strings.Split(strings.Repeat("a；", 100)+"b", "；") }, CodeDepartmentTooMany, SeverityError, FieldDepartments, nil},
		{"dept separators", func(m *Member) { m.Departments = []string{`研发中心／后端组;市场部\品牌组、财务部`} }, CodeDepartmentSep, SeverityFixed, FieldDepartments,
			func(f Member) bool {
				return strings.Join(f.Departments, "|") == "研发中心/后端组|市场部/品牌组|财务部"
			}},
		{"dept trailing sep", func(m *Member) { m.Departments = []string{"研发中心", ""} }, CodeDepartmentSep, SeverityFixed, FieldDepartments,
			func(f Member) bool { return len(f.Departments) == 1 }},
		{"dept spaces", func(m *Member) { m.Departments = []string{"研发中心 / 后端组 "} }, CodeSpaceTrimmed, SeverityFixed, FieldDepartments,
			func(f Member) bool { return f.Departments[0] == "研发中心/后端组" }},
		{"gender invalid", func(m *Member) { m.Gender = "未知" }, CodeGenderInvalid, SeverityError, FieldGender, nil},
		{"gender F", func(m *Member) { m.Gender = "F" }, CodeGenderWord, SeverityFixed, FieldGender, func(f Member) bool { return f.Gender == "女" }},
		{"gender male", func(m *Member) { m.Gender = "Male" }, CodeGenderWord, SeverityFixed, FieldGender, func(f Member) bool { return f.Gender == "男" }},
		{"gender 2", func(m *Member) { m.Gender = "2" }, CodeGenderWord, SeverityFixed, FieldGender, func(f Member) bool { return f.Gender == "女" }},
		{"gender empty ok", func(m *Member) { m.Gender = "" }, "", "", "", nil},
		{"mobile short", func(m *Member) { m.Mobile = "1380000" }, CodeMobileInvalid, SeverityError, FieldMobile, nil},
		{"mobile letters", func(m *Member) { m.Mobile = "1380000000a" }, CodeMobileInvalid, SeverityError, FieldMobile, nil},
		{"mobile foreign no plus", func(m *Member) { m.Mobile = "85291234567" }, CodeMobileInvalid, SeverityError, FieldMobile, nil},
		{"mobile foreign ok", func(m *Member) { m.Mobile = "+852 91234567" }, "", "", "", nil},
		{"mobile +86", func(m *Member) { m.Mobile = "+86 13800000000" }, CodeMobilePrefix, SeverityFixed, FieldMobile, func(f Member) bool { return f.Mobile == "13800000000" }},
		{"mobile 0086", func(m *Member) { m.Mobile = "008613800000000" }, CodeMobilePrefix, SeverityFixed, FieldMobile, func(f Member) bool { return f.Mobile == "13800000000" }},
		{"mobile 86-", func(m *Member) { m.Mobile = "86-13800000000" }, CodeMobilePrefix, SeverityFixed, FieldMobile, func(f Member) bool { return f.Mobile == "13800000000" }},
		{"mobile full width", func(m *Member) { m.Mobile = "１３８００００００００" }, CodeFullWidth, SeverityFixed, FieldMobile, func(f Member) bool { return f.Mobile == "13800000000" }},
		{"mobile float", func(m *Member) { m.Mobile = "13800000000.0" }, CodeMobileFromNumber, SeverityFixed, FieldMobile, func(f Member) bool { return f.Mobile == "13800000000" }},
		{"mobile sci full", func(m *Member) { m.Mobile = "1.3812345678E+10" }, CodeMobileFromNumber, SeverityFixed, FieldMobile, func(f Member) bool { return f.Mobile == "13812345678" }},
		{"mobile sci lossy", func(m *Member) { m.Mobile = "1.38E+10" }, CodeMobileInvalid, SeverityError, FieldMobile, nil},
		{"contact missing", func(m *Member) { m.Mobile = "" }, CodeContactMissing, SeverityError, FieldMobile, nil},
		{"email only ok", func(m *Member) { m.Mobile, m.Email = "", "zw@qq.com" }, "", "", "", nil},
		{"email invalid", func(m *Member) { m.Email = "zw@@qq.com" }, CodeEmailInvalid, SeverityError, FieldEmail, nil},
		{"email too short", func(m *Member) { m.Email = "a@b.c" }, CodeEmailInvalid, SeverityError, FieldEmail, nil},
		{"email domain case", func(m *Member) { m.Email = "ZW@QQ.COM" }, CodeEmailDomainLowered, SeverityFixed, FieldEmail, func(f Member) bool { return f.Email == "ZW@qq.com" }},
		{"email full width", func(m *Member) { m.Email = "zw＠qq．com" }, CodeFullWidth, SeverityFixed, FieldEmail, func(f Member) bool { return f.Email == "zw@qq.com" }},
		{"telephone ok", func(m *Member) { m.Telephone = "010-88886666,123" }, "", "", "", nil},
		{"telephone bad", func(m *Member) { m.Telephone = "010 8888" }, CodeTelephoneInvalid, SeverityError, FieldTelephone, nil},
		{"bizmail --", func(m *Member) { m.BizMail = "zhang--wei@example.com" }, CodeBizMailInvalid, SeverityError, FieldBizMail, nil},
		{"bizmail +", func(m *Member) { m.BizMail = "zhang+wei@example.com" }, CodeBizMailInvalid, SeverityError, FieldBizMail, nil},
		{"bizmail 63 bytes ok", func(m *Member) { m.BizMail = strings.Repeat("a", 51) + "@example.com" }, "", "", "", nil},
		{"bizmail 64 bytes", func(m *Member) { m.BizMail = strings.Repeat("a", 52) + "@example.com" }, CodeBizMailInvalid, SeverityError, FieldBizMail, nil},
		{"bizmail domain", func(m *Member) { m.BizMail = "zw@other.com" }, CodeBizMailDomain, SeverityError, FieldBizMail, nil},
		{"bizmail domain case", func(m *Member) { m.BizMail = "zw@Example.COM" }, CodeEmailDomainLowered, SeverityFixed, FieldBizMail, nil},
		{"bizmail leading dot", func(m *Member) { m.BizMail = ".lead@example.com" }, CodeBizMailInvalid, SeverityError, FieldBizMail, nil},
		{"bizmail trailing dash", func(m *Member) { m.BizMail = "lead-@example.com" }, CodeBizMailInvalid, SeverityError, FieldBizMail, nil},
		{"bizmail dot underscore", func(m *Member) { m.BizMail = "a._b@example.com" }, CodeBizMailInvalid, SeverityError, FieldBizMail, nil},
		{"bizmail trailing dot", func(m *Member) { m.BizMail = "zw.@example.com" }, CodeBizMailInvalid, SeverityError, FieldBizMail, nil},
		{"bizmail inner punctuation ok", func(m *Member) { m.BizMail = "zhang.wei-1_x@example.com" }, "", "", "", nil},
		{"value too long", func(m *Member) { m.Position = strings.Repeat("职", MaxCellChars+1) }, CodeValueTooLong, SeverityError, FieldPosition, nil},
		{"departments too long", func(m *Member) {
			m.Departments = strings.Split(strings.Repeat("部；", MaxCellChars/2+1)+"部", "；")
		}, CodeValueTooLong, SeverityError, FieldDepartments, nil},
		{"name spaces", func(m *Member) { m.Name = "\u3000张伟\u00a0" }, CodeSpaceTrimmed, SeverityFixed, FieldName, func(f Member) bool { return f.Name == "张伟" }},
		{"account full width", func(m *Member) { m.Account = "ｚｈａｎｇ" }, CodeFullWidth, SeverityFixed, FieldAccount, func(f Member) bool { return f.Account == "zhang" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.edit(&m)
			before := m
			f, ps := CheckMember(&m, opts)
			if m.Name != before.Name || m.Mobile != before.Mobile {
				t.Fatal("CheckMember changed its input")
			}
			if tc.code == "" {
				if len(ps) != 0 {
					t.Fatalf("want clean, got %+v", ps)
				}
				return
			}
			found := false
			for _, p := range ps {
				if p.Severity == SeverityError && p.Code != tc.code {
					t.Errorf("unexpected error %s: %s", p.Code, p.Message)
				}
				if p.Code == tc.code && p.Severity == tc.sev && p.Field == tc.field {
					found = true
					if p.Row != 2 || p.Column != tc.field.Header() || !strings.Contains(p.Message, " / ") {
						t.Errorf("bad problem %+v", p)
					}
				}
			}
			if !found {
				t.Fatalf("want %s/%s on %s, got %+v", tc.code, tc.sev, tc.field, ps)
			}
			if tc.want != nil && !tc.want(f) {
				t.Errorf("fixed member wrong: %+v", f)
			}
		})
	}
}

// TestBizMailPunctuation: the legacy Exmail rule for . - _ holds for every
// layout (contacts-rules.md), legacy or not.
func TestBizMailPunctuation(t *testing.T) {
	for _, v := range []string{".zw@example.com", "zw_@example.com", "z._w@example.com", "z__w@example.com", "-zw@example.com"} {
		for _, legacy := range []bool{false, true} {
			m := base()
			m.BizMail = v
			_, ps := CheckMember(&m, &Options{Legacy: legacy})
			if len(ps) != 1 || ps[0].Code != CodeBizMailInvalid {
				t.Errorf("%s (legacy %v): want bizmail_invalid, got %+v", v, legacy, ps)
			}
		}
	}
}

func TestBizMailLength(t *testing.T) {
	for v, ok := range map[string]bool{"a@b.cn": true, "a@b.c": false, strings.Repeat("a", 57) + "@b.com": true, strings.Repeat("a", 58) + "@b.com": false} {
		m := base()
		m.BizMail = v
		if _, ps := CheckMember(&m, &Options{}); HasErrors(ps) == ok {
			t.Errorf("%s (%d bytes): ok %v, got %+v", v, len(v), ok, ps)
		}
	}
}

// TestHugeValueBounded: a value of 10 MB gives one value_too_long error per
// field, quotes only a short prefix, and is checked without being copied.
func TestHugeValueBounded(t *testing.T) {
	huge := strings.Repeat("Ａ ", 5<<20) // full-width and spaces: every fix would copy it
	m := base()
	m.Name, m.Mobile, m.BizMail, m.Address = huge, huge, huge, huge
	m.Departments = []string{huge, huge}
	f, ps := CheckMember(&m, &Options{})
	long := map[Field]bool{}
	for _, p := range ps {
		if len(p.Value) > 4*QuoteRunes+len("…") || len(p.Message) > 1024 {
			t.Errorf("%s carries %d bytes of value, %d of message", p.Code, len(p.Value), len(p.Message))
		}
		if p.Code == CodeValueTooLong {
			long[p.Field] = true
		} else if p.Field != FieldMobile || p.Code != CodeContactMissing {
			t.Errorf("unexpected %s on %s", p.Code, p.Field)
		}
	}
	for _, fd := range []Field{FieldName, FieldMobile, FieldBizMail, FieldAddress, FieldDepartments} {
		if !long[fd] {
			t.Errorf("%s: no value_too_long", fd)
		}
	}
	if f.Name != huge || f.Departments[0] != huge {
		t.Error("an over-long value was changed")
	}
	// a value at the limit is an ordinary value
	m = base()
	m.Address = strings.Repeat("址", MaxCellChars)
	if _, ps := CheckMember(&m, &Options{}); len(ps) != 1 || ps[0].Code != CodeAddressTooLong {
		t.Errorf("32767 characters: got %+v", ps)
	}
}

func TestColumnsOption(t *testing.T) {
	m := base()
	m.Mobile = "123"
	_, ps := CheckMember(&m, &Options{Columns: map[Field]string{FieldMobile: "手机号码"}})
	if len(ps) != 1 || ps[0].Column != "手机号码" {
		t.Fatalf("got %+v", ps)
	}
}
