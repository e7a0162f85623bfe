package contacts

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Options tune validation.
type Options struct {
	// Domains are the company's mail domains. When non-empty, a biz mail in
	// another domain is an error (bizmail_domain).
	Domains []string
	// Legacy marks a legacy Exmail export. Its stricter biz-mail rule (. - _
	// may not start or end the local part nor stand twice in a row) now
	// applies to every sheet (contacts-rules.md), so it changes nothing.
	Legacy bool
	// Columns maps a field to the header the user sees; Field.Header() when
	// absent.
	Columns map[Field]string
}

func (o *Options) column(f Field) string {
	if o != nil && o.Columns != nil {
		if c, ok := o.Columns[f]; ok {
			return c
		}
	}
	return f.Header()
}

func (o *Options) domainOK(d string) bool {
	if o == nil || len(o.Domains) == 0 {
		return true
	}
	for _, x := range o.Domains {
		if strings.EqualFold(strings.TrimSpace(x), d) {
			return true
		}
	}
	return false
}

// Limits of the field rules (contacts-rules.md).
const (
	MaxName            = 64  // characters
	MaxAccount         = 64  // bytes
	MaxAlias           = 64  // characters
	MaxPosition        = 128 // characters
	MaxAddress         = 128 // characters
	MaxDepartments     = 100 // paths; error above
	WarnDepartments    = 20  // paths; warning above
	MaxDepartmentName  = 32  // characters per level
	MaxDepartmentDepth = 15  // levels
	MaxMobile          = 32  // characters
	MaxTelephone       = 32  // characters
	MinEmail, MaxEmail = 6, 64
	MinBizMail         = 6     // bytes in all (WeCom user/update)
	MaxBizMail         = 63    // bytes in all
	MaxCellChars       = 32767 // characters: a spreadsheet cell's limit
)

var (
	rePrefixed = regexp.MustCompile(`^(?:\+86|0086|86)[ -]?(1[0-9]{10})$`)
	reIntl     = regexp.MustCompile(`^\+[0-9]{1,4}[ -]?[0-9][0-9 -]{3,}$`)
	reFloat    = regexp.MustCompile(`^([0-9]+)\.0*$`)
	reSci      = regexp.MustCompile(`^([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]{1,2})$`)
)

// checker accumulates the problems of one member.
type checker struct {
	opts *Options
	row  int
	out  []Problem
}

// add records a problem; the value is quoted (a short prefix), never copied whole.
func (c *checker) add(f Field, code Code, sev Severity, value, message string) {
	if message == "" {
		message = Describe(code)
	}
	c.out = append(c.out, Problem{Row: c.row, Column: c.opts.column(f), Field: f, Code: code,
		Severity: sev, Message: message, Value: Quote(value)})
}

func (c *checker) fixed(f Field, code Code, from, to string) {
	c.add(f, code, SeverityFixed, from, msg(code, fmt.Sprintf("“%s” → “%s”", Quote(from), Quote(to)), ""))
}

// overLong reports whether v has more than MaxCellChars characters, reading
// at most that many (a 10 MB value costs no more than a full cell).
func overLong(v string) bool {
	if len(v) <= MaxCellChars { // bytes ≥ characters
		return false
	}
	n := 0
	for range v {
		if n++; n > MaxCellChars {
			return true
		}
	}
	return false
}

// longFields reports the fields of m longer than a cell can hold (an error
// on each); CheckMember then leaves those values as they are.
func (c *checker) longFields(m *Member) map[Field]bool {
	var long map[Field]bool
	for _, f := range Fields {
		var v string
		if f == FieldDepartments {
			if !departmentsOverLong(m.Departments) {
				continue
			}
			v = departmentsPrefix(m.Departments)
		} else if v = m.Get(f); !overLong(v) {
			continue
		}
		if long == nil {
			long = map[Field]bool{}
		}
		long[f] = true
		c.add(f, CodeValueTooLong, SeverityError, v, "")
	}
	return long
}

// departmentsOverLong is overLong of the departments cell, without joining it.
func departmentsOverLong(paths []string) bool {
	total := 0
	for _, p := range paths {
		total += len(p) + len("；")
	}
	if total <= MaxCellChars {
		return false
	}
	n := len(paths) - 1 // the separators
	for _, p := range paths {
		for range p {
			if n++; n > MaxCellChars {
				return true
			}
		}
	}
	return n > MaxCellChars
}

// departmentsPrefix is the start of the departments cell, enough to quote.
func departmentsPrefix(paths []string) string {
	var b strings.Builder
	for i, p := range paths {
		if i > 0 {
			b.WriteString("；")
		}
		if b.Len()+len(p) > 4*QuoteRunes+4 {
			b.WriteString(Quote(p))
			break
		}
		b.WriteString(p)
	}
	return b.String()
}

func isTrimSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u00a0' || r == '\u3000' || r == '\ufeff' || r == '\u200b'
}

// trim removes surrounding spaces (also U+3000, NBSP, BOM, ZWSP), recording a fix.
func (c *checker) trim(f Field, v string) string {
	t := strings.TrimFunc(v, isTrimSpace)
	if t != v {
		c.fixed(f, CodeSpaceTrimmed, v, t)
	}
	return t
}

// toHalfWidth converts full-width ASCII variants (！..～, U+3000) to ASCII.
func toHalfWidth(s string) string {
	if isASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (c *checker) halfWidth(f Field, v string) string {
	t := toHalfWidth(v)
	if t != v {
		c.fixed(f, CodeFullWidth, v, t)
	}
	return t
}

// CheckMember validates one member on its own (everything but uniqueness)
// and returns the member with every safe fix applied plus its problems
// (fixes as severity fixed). m is not changed.
func CheckMember(m *Member, opts *Options) (Member, []Problem) {
	c := &checker{opts: opts, row: m.Row}
	f := *m
	f.Departments = append([]string(nil), m.Departments...)
	long := c.longFields(m) // reported; left as they are

	// 姓名
	if !long[FieldName] {
		f.Name = c.trim(FieldName, f.Name)
		if f.Name == "" {
			c.add(FieldName, CodeNameMissing, SeverityError, m.Name, "")
		} else if n := utf8.RuneCountInString(f.Name); n > MaxName {
			c.add(FieldName, CodeNameTooLong, SeverityError, m.Name,
				msg(CodeNameTooLong, fmt.Sprintf("共 %d 个字", n), fmt.Sprintf("%d characters", n)))
		}
	}

	// 账号
	if !long[FieldAccount] {
		f.Account = c.halfWidth(FieldAccount, c.trim(FieldAccount, f.Account))
		if f.Account != "" && (len(f.Account) > MaxAccount || !matchAccount(f.Account)) {
			c.add(FieldAccount, CodeAccountInvalid, SeverityError, m.Account, "")
		}
	}

	// 别名, 职务, 地址
	if !long[FieldAlias] {
		f.Alias = c.trim(FieldAlias, f.Alias)
		if utf8.RuneCountInString(f.Alias) > MaxAlias {
			c.add(FieldAlias, CodeAliasTooLong, SeverityError, m.Alias, "")
		}
	}
	if !long[FieldPosition] {
		f.Position = c.trim(FieldPosition, f.Position)
		if utf8.RuneCountInString(f.Position) > MaxPosition {
			c.add(FieldPosition, CodePositionTooLong, SeverityError, m.Position, "")
		}
	}
	if !long[FieldAddress] {
		f.Address = c.trim(FieldAddress, f.Address)
		if utf8.RuneCountInString(f.Address) > MaxAddress {
			c.add(FieldAddress, CodeAddressTooLong, SeverityError, m.Address, "")
		}
	}

	// 部门
	if !long[FieldDepartments] {
		f.Departments = c.departments(f.Departments)
	}

	// 性别
	if !long[FieldGender] {
		f.Gender = c.gender(f.Gender)
	}

	// 手机
	if !long[FieldMobile] {
		f.Mobile = c.mobile(f.Mobile)
	}

	// 座机
	if !long[FieldTelephone] {
		f.Telephone = c.halfWidth(FieldTelephone, c.trim(FieldTelephone, f.Telephone))
		if f.Telephone != "" && (len(f.Telephone) > MaxTelephone || !matchTelephone(f.Telephone)) {
			c.add(FieldTelephone, CodeTelephoneInvalid, SeverityError, m.Telephone, "")
		}
	}

	// 邮箱
	if !long[FieldEmail] {
		f.Email = c.emailFixes(FieldEmail, f.Email)
		if f.Email != "" && (len(f.Email) < MinEmail || len(f.Email) > MaxEmail || !matchEmail(f.Email)) {
			c.add(FieldEmail, CodeEmailInvalid, SeverityError, m.Email, "")
		}
	}
	if f.Mobile == "" && f.Email == "" && !f.IsOther() { // an other mailbox is nobody's: no contact needed
		c.add(FieldMobile, CodeContactMissing, SeverityError, "", "")
	}

	// 企业邮箱
	if !long[FieldBizMail] {
		f.BizMail = c.emailFixes(FieldBizMail, f.BizMail)
		if f.BizMail != "" {
			c.bizMail(m.BizMail, f.BizMail)
		}
	}

	// 邮箱类型 (mailbox.go)
	c.mailboxType(&f)
	return f, c.out
}

func (c *checker) emailFixes(fd Field, v string) string {
	v = c.halfWidth(fd, c.trim(fd, v))
	if at := strings.LastIndexByte(v, '@'); at >= 0 {
		if low := v[:at] + strings.ToLower(v[at:]); low != v {
			c.fixed(fd, CodeEmailDomainLowered, v, low)
			v = low
		}
	}
	return v
}

func (c *checker) bizMail(orig, v string) {
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || !matchEmail(v) {
		c.add(FieldBizMail, CodeBizMailInvalid, SeverityError, orig, "")
		return
	}
	local, domain := v[:at], v[at+1:]
	switch {
	case len(v) < MinBizMail || len(v) > MaxBizMail:
		c.add(FieldBizMail, CodeBizMailInvalid, SeverityError, orig, msg(CodeBizMailInvalid,
			fmt.Sprintf("共 %d 个字符，应为 %d 到 %d 个", len(v), MinBizMail, MaxBizMail), fmt.Sprintf("%d characters, %d to %d are allowed", len(v), MinBizMail, MaxBizMail)))
		return
	case !matchBizLocal(local):
		c.add(FieldBizMail, CodeBizMailInvalid, SeverityError, orig, msg(CodeBizMailInvalid, "@ 前只能用字母、数字和 . - _", "only letters, digits and . - _ before @"))
		return
	case strings.Contains(local, "--"):
		c.add(FieldBizMail, CodeBizMailInvalid, SeverityError, orig, msg(CodeBizMailInvalid, "不能含有 --", "must not contain --"))
		return
	case !bizLocalPunctOK(local):
		c.add(FieldBizMail, CodeBizMailInvalid, SeverityError, orig, msg(CodeBizMailInvalid,
			"@ 前的 . - _ 不能在开头、结尾或连续出现", "before @, . - _ may not start or end the name nor stand twice in a row"))
		return
	}
	if !c.opts.domainOK(domain) {
		c.add(FieldBizMail, CodeBizMailDomain, SeverityError, orig,
			msg(CodeBizMailDomain, "“"+Quote(domain)+"” 不在 "+strings.Join(c.opts.Domains, "、")+" 中", Quote(domain)+" not in "+strings.Join(c.opts.Domains, ", ")))
	}
}

// bizLocalPunctOK: . - _ neither start nor end the local part nor stand
// twice in a row (.lead, lead-, a._b are refused).
func bizLocalPunctOK(local string) bool {
	punct := func(b byte) bool { return b == '.' || b == '-' || b == '_' }
	if local == "" || punct(local[0]) || punct(local[len(local)-1]) {
		return false
	}
	for i := 1; i < len(local); i++ {
		if punct(local[i]) && punct(local[i-1]) {
			return false
		}
	}
	return true
}

var genderWords = map[string]string{
	"男": "男", "女": "女", "1": "男", "2": "女", "m": "男", "f": "女", "male": "男", "female": "女",
	"男性": "男", "女性": "女", "man": "男", "woman": "女",
}

func (c *checker) gender(v string) string {
	orig := v
	v = c.trim(FieldGender, v)
	if v == "" || v == "男" || v == "女" {
		return v
	}
	if g, ok := genderWords[strings.ToLower(toHalfWidth(v))]; ok {
		c.fixed(FieldGender, CodeGenderWord, v, g)
		return g
	}
	c.add(FieldGender, CodeGenderInvalid, SeverityError, orig, "")
	return v
}

// mobile applies the mobile fixes and checks the result.
func (c *checker) mobile(v string) string {
	orig := v
	v = c.halfWidth(FieldMobile, c.trim(FieldMobile, v))
	if v == "" || matchMainland(v) {
		return v // the common case: nothing to fix or check
	}
	if m := reFloat.FindStringSubmatch(v); m != nil && m[0] != m[1] {
		c.fixed(FieldMobile, CodeMobileFromNumber, v, m[1])
		v = m[1]
	} else if m := reSci.FindStringSubmatch(v); m != nil {
		exp, _ := strconv.Atoi(m[3])
		frac := m[2]
		if len(frac) != exp {
			c.add(FieldMobile, CodeMobileInvalid, SeverityError, orig, msg(CodeMobileInvalid,
				"科学计数法丢失了号码的数字，请把该列设为文本后重新填写", "scientific notation lost digits; format the column as text and type the number again"))
			return v
		}
		c.fixed(FieldMobile, CodeMobileFromNumber, v, m[1]+frac)
		v = m[1] + frac
	}
	if m := rePrefixed.FindStringSubmatch(v); m != nil {
		c.fixed(FieldMobile, CodeMobilePrefix, v, m[1])
		v = m[1]
	}
	switch {
	case matchMainland(v):
	case len(v) <= MaxMobile && reIntl.MatchString(v) && !strings.HasPrefix(v, "+86"):
	default:
		c.add(FieldMobile, CodeMobileInvalid, SeverityError, orig, msg(CodeMobileInvalid,
			"大陆手机号为 1 开头的 11 位数字，其他地区请以 + 和国家码开头", "mainland numbers are 11 digits starting with 1; others start with + and the country code"))
	}
	return v
}

var mobileKeyReplacer = strings.NewReplacer(" ", "", "-", "")

// mobileKey is the uniqueness key of a valid mobile.
func mobileKey(v string) string {
	if !strings.ContainsAny(v, " -") {
		return v
	}
	return mobileKeyReplacer.Replace(v)
}

var deptSepReplacer = strings.NewReplacer("／", "/", "\\", "/", ";", "；", "，", "；", "、", "；")

// canonicalPath reports whether a path needs no normalisation: not empty,
// no separator to convert, no leading /, no level with surrounding spaces.
func canonicalPath(p string) bool {
	if p == "" || p[0] == '/' || strings.ContainsAny(p, "／\\;，、；") {
		return false
	}
	for rest := p; ; {
		l, r, more := strings.Cut(rest, PathSep)
		if l != "" && (isTrimSpace(rune(l[0])) || isTrimSpace(rune(l[len(l)-1])) ||
			!isASCII(l) && strings.TrimFunc(l, isTrimSpace) != l) {
			return false
		}
		if !more {
			return true
		}
		rest = r
	}
}

// departments normalises separators and checks every level of every path.
// paths may be returned (it is the caller's copy).
func (c *checker) departments(paths []string) []string {
	fast := true
	for _, p := range paths {
		if !canonicalPath(p) {
			fast = false
			break
		}
	}
	if fast {
		orig := ""
		if len(paths) == 1 {
			orig = paths[0]
		} else if len(paths) > WarnDepartments {
			orig = strings.Join(paths, "；")
		}
		c.departmentCount(orig, len(paths))
		for _, p := range paths[:min(len(paths), MaxDepartments)] {
			if orig == "" {
				orig = strings.Join(paths, "；")
			}
			c.departmentPath(orig, p)
		}
		return paths
	}
	raw := strings.Join(paths, "；")
	orig := raw
	t := strings.TrimFunc(raw, isTrimSpace)
	norm := t
	if strings.ContainsAny(t, "／\\;，、") {
		norm = deptSepReplacer.Replace(t)
	}
	var out []string
	trimmed := false
	for _, p := range strings.Split(norm, "；") {
		q := strings.TrimFunc(p, isTrimSpace)
		if q != p {
			trimmed = true
		}
		if q == "" {
			continue // empty path between separators (trailing ；)
		}
		if q = strings.TrimLeft(q, "/"); q == "" { // "/A" and "//A" are A from the top
			continue
		}
		levels := strings.Split(q, PathSep)
		for i, l := range levels {
			if tl := strings.TrimFunc(l, isTrimSpace); tl != l {
				levels[i], trimmed = tl, true
			}
		}
		// Levels that were only spaces may leave the path starting with "/"
		// again (" /A") or empty (" / "): settle it now so one pass suffices.
		if q = strings.TrimLeft(strings.Join(levels, PathSep), "/"); q == "" {
			continue
		}
		out = append(out, q)
	}
	canon := strings.Join(out, "；")
	if t != raw || trimmed {
		c.fixed(FieldDepartments, CodeSpaceTrimmed, raw, canon)
	}
	if norm != t || (canon != raw && t == raw && !trimmed) {
		c.fixed(FieldDepartments, CodeDepartmentSep, raw, canon)
	}
	c.departmentCount(orig, len(out))
	for _, p := range out[:min(len(out), MaxDepartments)] { // more paths are an error already
		c.departmentPath(orig, p)
	}
	return out
}

// departmentCount checks the number of departments of a member.
func (c *checker) departmentCount(orig string, n int) {
	if n > MaxDepartments {
		c.add(FieldDepartments, CodeDepartmentTooMany, SeverityError, orig,
			msg(CodeDepartmentTooMany, fmt.Sprintf("共 %d 个，最多 %d 个", n, MaxDepartments), fmt.Sprintf("%d, at most %d", n, MaxDepartments)))
	} else if n > WarnDepartments {
		c.add(FieldDepartments, CodeDepartmentTooMany, SeverityWarning, orig,
			msg(CodeDepartmentTooMany, fmt.Sprintf("共 %d 个，部分接口最多接受 %d 个", n, WarnDepartments), fmt.Sprintf("%d; some interfaces accept at most %d", n, WarnDepartments)))
	}
}

// departmentPath checks one path level by level.
func (c *checker) departmentPath(orig, p string) {
	if depth := strings.Count(p, PathSep) + 1; depth > MaxDepartmentDepth {
		c.add(FieldDepartments, CodeDepartmentTooDeep, SeverityError, orig,
			msg(CodeDepartmentTooDeep, fmt.Sprintf("“%s” 有 %d 级", Quote(p), depth), fmt.Sprintf("%q has %d levels", Quote(p), depth)))
	}
	rest, more := p, true
	for i := 0; more && i <= MaxDepartmentDepth; i++ { // deeper levels: too deep already
		var l string
		l, rest, more = strings.Cut(rest, PathSep)
		switch {
		case l == "":
			c.add(FieldDepartments, CodeDepartmentNameInvalid, SeverityError, orig,
				msg(CodeDepartmentNameInvalid, fmt.Sprintf("“%s” 第 %d 级为空", Quote(p), i+1), fmt.Sprintf("level %d of %q is empty", i+1, Quote(p))))
		case strings.ContainsAny(l, `\:*?"<>|`):
			c.add(FieldDepartments, CodeDepartmentNameInvalid, SeverityError, orig,
				msg(CodeDepartmentNameInvalid, fmt.Sprintf("“%s” 含有 \\ : * ? \" < > | 之一", Quote(l)), fmt.Sprintf("%q contains one of \\ : * ? \" < > |", Quote(l))))
		case utf8.RuneCountInString(l) > MaxDepartmentName:
			c.add(FieldDepartments, CodeDepartmentNameTooLong, SeverityError, orig,
				msg(CodeDepartmentNameTooLong, fmt.Sprintf("“%s” 有 %d 个字", Quote(l), utf8.RuneCountInString(l)), fmt.Sprintf("%q has %d characters", Quote(l), utf8.RuneCountInString(l))))
		}
	}
}
