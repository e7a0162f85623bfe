package sample

import (
	"math/rand"
	"strings"

	"exmail-upgrade/core/contacts"
)

// Planted records one problem Plant put into a directory.
type Planted struct {
	Index    int               // index into Directory.Members
	Row      int               // the member's Row
	Field    contacts.Field    // the field changed
	Code     contacts.Code     // the code the checker must report on Row
	Severity contacts.Severity // error, or fixed for safe-fix plants
	Related  int               // for duplicates: the row of the other member involved (0 otherwise)
}

type planter struct {
	code     contacts.Code
	field    contacts.Field
	severity contacts.Severity
	apply    func(m *contacts.Member, partner *contacts.Member)
	pair     bool // needs a partner member (duplicates)
}

var planters = []planter{
	{contacts.CodeMobileDuplicate, contacts.FieldMobile, contacts.SeverityError,
		func(m, p *contacts.Member) { m.Mobile = p.Mobile }, true},
	{contacts.CodeAccountDuplicate, contacts.FieldAccount, contacts.SeverityError,
		func(m, p *contacts.Member) { m.Account = strings.ToUpper(p.Account) }, true},
	{contacts.CodeBizMailDuplicate, contacts.FieldBizMail, contacts.SeverityError,
		func(m, p *contacts.Member) { m.BizMail = p.BizMail }, true},
	{contacts.CodeEmailDuplicate, contacts.FieldEmail, contacts.SeverityError,
		func(m, p *contacts.Member) {
			if p.Email == "" {
				p.Email = p.Account + "@163.com"
			}
			m.Email = p.Email
		}, true},
	{contacts.CodeAccountInvalid, contacts.FieldAccount, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Account = "-" + m.Account + "#" }, false},
	{contacts.CodeNameMissing, contacts.FieldName, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Name = "" }, false},
	{contacts.CodeNameTooLong, contacts.FieldName, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Name = strings.Repeat("长", 65) }, false},
	{contacts.CodeDepartmentTooDeep, contacts.FieldDepartments, contacts.SeverityError,
		func(m, _ *contacts.Member) {
			lv := make([]string, 16)
			for i := range lv {
				lv[i] = "层" + string(rune('A'+i))
			}
			m.Departments = []string{strings.Join(lv, "/")}
		}, false},
	{contacts.CodeDepartmentNameInvalid, contacts.FieldDepartments, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Departments = []string{"研发中心/后端*组"} }, false},
	{contacts.CodeDepartmentNameInvalid, contacts.FieldDepartments, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Departments = []string{"研发中心//后端组"} }, false},
	{contacts.CodeDepartmentNameTooLong, contacts.FieldDepartments, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Departments = []string{"市场部/" + strings.Repeat("品", 33)} }, false},
	{contacts.CodeEmailInvalid, contacts.FieldEmail, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Email = m.Account + "@@qq" }, false},
	{contacts.CodeBizMailInvalid, contacts.FieldBizMail, contacts.SeverityError,
		func(m, _ *contacts.Member) {
			at := strings.IndexByte(m.BizMail, '@')
			m.BizMail = m.BizMail[:1] + "--" + m.BizMail[1:at] + m.BizMail[at:]
		}, false},
	{contacts.CodeGenderInvalid, contacts.FieldGender, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Gender = "未知" }, false},
	{contacts.CodeMobileInvalid, contacts.FieldMobile, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Mobile = m.Mobile[:7] }, false},
	{contacts.CodeContactMissing, contacts.FieldMobile, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Mobile, m.Email = "", "" }, false},
	{contacts.CodeTelephoneInvalid, contacts.FieldTelephone, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Telephone = "010-6666 转 8" }, false},
	{contacts.CodePositionTooLong, contacts.FieldPosition, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Position = strings.Repeat("职", 129) }, false},
	{contacts.CodeAliasTooLong, contacts.FieldAlias, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Alias = strings.Repeat("a", 65) }, false},
	{contacts.CodeAddressTooLong, contacts.FieldAddress, contacts.SeverityError,
		func(m, _ *contacts.Member) { m.Address = strings.Repeat("址", 129) }, false},
	// safe fixes
	{contacts.CodeGenderWord, contacts.FieldGender, contacts.SeverityFixed,
		func(m, _ *contacts.Member) {
			if m.Gender == "女" {
				m.Gender = "female"
			} else {
				m.Gender = "M"
			}
		}, false},
	{contacts.CodeMobilePrefix, contacts.FieldMobile, contacts.SeverityFixed,
		func(m, _ *contacts.Member) { m.Mobile = "+86 " + m.Mobile }, false},
	{contacts.CodeFullWidth, contacts.FieldMobile, contacts.SeverityFixed,
		func(m, _ *contacts.Member) { m.Mobile = toFullWidth(m.Mobile) }, false},
	{contacts.CodeSpaceTrimmed, contacts.FieldName, contacts.SeverityFixed,
		func(m, _ *contacts.Member) { m.Name = "\u3000" + m.Name + " " }, false},
	{contacts.CodeDepartmentSep, contacts.FieldDepartments, contacts.SeverityFixed,
		func(m, _ *contacts.Member) {
			joined := strings.Join(m.Departments, "；")
			v := strings.ReplaceAll(strings.ReplaceAll(joined, "；", ";"), "/", "／")
			if v == joined {
				v += "；" // a top-level department alone: a trailing separator
			}
			m.Departments = []string{v}
		}, false},
	{contacts.CodeEmailDomainLowered, contacts.FieldBizMail, contacts.SeverityFixed,
		func(m, _ *contacts.Member) {
			at := strings.IndexByte(m.BizMail, '@')
			m.BizMail = m.BizMail[:at] + strings.ToUpper(m.BizMail[at:])
		}, false},
	{contacts.CodeMobileFromNumber, contacts.FieldMobile, contacts.SeverityFixed,
		func(m, _ *contacts.Member) { m.Mobile = m.Mobile[:1] + "." + m.Mobile[1:] + "E+10" }, false},
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Plant changes about rate×len(d.Members) members (at least one when rate >
// 0), each to carry exactly one known problem, cycling through every kind of
// problem the checker knows (errors and safely fixable ones). Duplicate
// plants copy a value from a partner member that is left otherwise clean;
// the partner is reported too (the checker flags both rows). Deterministic
// for a given directory, rate and seed.
func Plant(d *contacts.Directory, rate float64, seed int64) []Planted {
	n := len(d.Members)
	want := int(rate*float64(n) + 0.5)
	if rate > 0 && want == 0 {
		want = 1
	}
	r := rand.New(rand.NewSource(seed))
	order := r.Perm(n)
	used := make([]bool, n)
	var out []Planted
	next := 0
	pick := func() int {
		for next < len(order) {
			i := order[next]
			next++
			if !used[i] {
				used[i] = true
				return i
			}
		}
		return -1
	}
	for k := 0; len(out) < want; k++ {
		pl := planters[k%len(planters)]
		i := pick()
		if i < 0 {
			break
		}
		m := &d.Members[i]
		var partner *contacts.Member
		p := -1
		if pl.pair {
			if p = pick(); p < 0 {
				break
			}
			partner = &d.Members[p]
		}
		pl.apply(m, partner)
		out = append(out, Planted{Index: i, Row: m.Row, Field: pl.field, Code: pl.code, Severity: pl.severity})
		if p >= 0 {
			out[len(out)-1].Related = partner.Row
			out = append(out, Planted{Index: p, Row: partner.Row, Field: pl.field, Code: pl.code,
				Severity: pl.severity, Related: m.Row})
		}
	}
	return out
}
