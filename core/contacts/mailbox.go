package contacts

import (
	"fmt"
	"sort"
	"strings"
)

// MailboxType says what a mailbox becomes in the upgrade's mailbox list
// (邮箱名单): a member mailbox belongs to a person, who is (or is created as)
// a WeCom member; an other mailbox is a shared or partner box (info@, hr@)
// that is never a WeCom member, keeps its password and uses an
// advanced-feature seat.
type MailboxType string

// The two mailbox types, as the sheet cell shows them. An empty cell means
// a member mailbox.
const (
	MailboxMember MailboxType = "成员邮箱"
	MailboxOther  MailboxType = "其他邮箱"
)

// MailboxTypes lists the canonical values in drop-down order.
var MailboxTypes = []MailboxType{MailboxMember, MailboxOther}

// English names the type in English.
func (t MailboxType) English() string {
	if t == MailboxOther {
		return "other mailbox"
	}
	return "member mailbox"
}

// FieldMailboxType is the 邮箱类型 column.
const FieldMailboxType Field = "mailbox_type"

// Mailbox-list codes.
const (
	CodeMailboxTypeInvalid    Code = "mailbox_type_invalid"
	CodeMailboxMaybeShared    Code = "mailbox_maybe_shared" // warning: a member row that looks like a shared box
	CodeMailboxMissing        Code = "mailbox_missing"      // an Exmail mailbox the sheet lacks
	CodeMailboxNotInExmail    Code = "mailbox_not_in_exmail"
	CodeMailboxTypeNormalised Code = "mailbox_type_normalised" // fixed: 其他/other/shared → 其他邮箱
)

func init() {
	messages[CodeMailboxTypeInvalid] = [2]string{"邮箱类型只能填 成员邮箱 或 其他邮箱", "mailbox type must be 成员邮箱 (member) or 其他邮箱 (other)"}
	messages[CodeMailboxMaybeShared] = [2]string{"这个邮箱像公共邮箱", "this mailbox looks like a shared box"}
	messages[CodeMailboxMissing] = [2]string{"腾讯企业邮中的这个邮箱不在表格里", "this Exmail mailbox is not in the sheet"}
	messages[CodeMailboxNotInExmail] = [2]string{"腾讯企业邮中没有这个邮箱地址", "the live Exmail has no such address"}
	messages[CodeMailboxTypeNormalised] = [2]string{"已统一邮箱类型的写法", "mailbox type spelled canonically"}
}

// mailboxWords maps the accepted spellings (folded: trimmed, half-width,
// lower case) to a type.
var mailboxWords = map[string]MailboxType{
	"成员邮箱": MailboxMember, "成员": MailboxMember, "member": MailboxMember, "members": MailboxMember,
	"membermailbox": MailboxMember, "member mailbox": MailboxMember, "个人邮箱": MailboxMember,
	"其他邮箱": MailboxOther, "其他": MailboxOther, "其它邮箱": MailboxOther, "其它": MailboxOther,
	"other": MailboxOther, "othermailbox": MailboxOther, "other mailbox": MailboxOther,
	"shared": MailboxOther, "shared mailbox": MailboxOther, "共享邮箱": MailboxOther, "公共邮箱": MailboxOther,
}

// ParseMailboxType reads a 邮箱类型 cell. Empty is a member mailbox; ok is
// false for a value that is neither type.
func ParseMailboxType(v string) (t MailboxType, ok bool) {
	v = strings.ToLower(toHalfWidth(strings.TrimFunc(v, isTrimSpace)))
	if v == "" {
		return MailboxMember, true
	}
	t, ok = mailboxWords[v]
	return t, ok
}

// Type returns the mailbox type of a member (an unreadable value counts as
// a member mailbox; the rules report it as an error).
func (m *Member) Type() MailboxType {
	t, ok := ParseMailboxType(m.Mailbox)
	if !ok {
		return MailboxMember
	}
	return t
}

// IsOther reports whether the row is an other mailbox (never a WeCom member).
func (m *Member) IsOther() bool { return m.Type() == MailboxOther }

// roleNames are local parts that name a function, not a person.
var roleNames = map[string]bool{
	"info": true, "information": true, "hr": true, "admin": true, "administrator": true, "service": true,
	"services": true, "support": true, "help": true, "helpdesk": true, "sales": true, "sale": true,
	"finance": true, "accounting": true, "billing": true, "invoice": true, "job": true, "jobs": true,
	"career": true, "careers": true, "recruit": true, "recruitment": true, "hiring": true, "zhaopin": true,
	"noreply": true, "no-reply": true, "donotreply": true, "do-not-reply": true, "postmaster": true,
	"contact": true, "contactus": true, "office": true, "marketing": true, "market": true,
	"webmaster": true, "hostmaster": true, "abuse": true, "security": true, "legal": true, "press": true,
	"media": true, "news": true, "newsletter": true, "notice": true, "notify": true, "notification": true,
	"system": true, "mailer": true, "mail": true, "kefu": true, "caiwu": true, "renshi": true,
	"xingzheng": true, "purchase": true, "procurement": true, "team": true, "all": true, "it": true,
	"pr": true, "bd": true, "biz": true, "business": true, "service-desk": true, "servicedesk": true,
}

// RoleLike reports whether an address's local part names a function
// (info, hr, service-cn, sales.bj, jobs2) rather than a person.
func RoleLike(addr string) bool {
	local := strings.ToLower(addr)
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	if local == "" {
		return false
	}
	if roleNames[local] || roleNames[strings.TrimRight(local, "0123456789")] {
		return true
	}
	// the first token of sales.bj, support-cn, hr_sh (short tokens such as
	// "it" would catch people like it.zhang, so only longer ones count)
	if i := strings.IndexAny(local, "._-"); i >= 3 && roleNames[local[:i]] {
		return true
	}
	return false
}

// LooksShared reports whether a member row looks like a shared box: a
// role-like address and no mobile (nobody's phone behind it).
func LooksShared(m *Member) bool {
	return m.BizMail != "" && strings.TrimSpace(m.Mobile) == "" && RoleLike(strings.TrimSpace(m.BizMail))
}

// mailboxType checks and normalises the 邮箱类型 cell of f (already fixed
// in its other fields) and reports a member row that looks like a shared box.
func (c *checker) mailboxType(f *Member) {
	orig := f.Mailbox
	v := c.trim(FieldMailboxType, f.Mailbox)
	t, ok := ParseMailboxType(v)
	switch {
	case !ok:
		c.add(FieldMailboxType, CodeMailboxTypeInvalid, SeverityError, orig,
			msg(CodeMailboxTypeInvalid, "“"+quote(v)+"”", fmt.Sprintf("%q", quote(v))))
		f.Mailbox = v
		return
	case v != "" && v != string(t):
		c.fixed(FieldMailboxType, CodeMailboxTypeNormalised, v, string(t))
		v = string(t)
	}
	f.Mailbox = v
	if t == MailboxOther {
		if f.BizMail == "" {
			c.add(FieldBizMail, CodeBizMailInvalid, SeverityError, "",
				msg(CodeBizMailInvalid, "其他邮箱必须填写邮箱地址", "an other mailbox needs its address"))
		}
		return
	}
	if LooksShared(f) {
		c.add(FieldMailboxType, CodeMailboxMaybeShared, SeverityWarning, orig,
			msg(CodeMailboxMaybeShared, fmt.Sprintf("“%s” 没有手机号，名称像职能邮箱；如果是公共邮箱，请把邮箱类型改为 其他邮箱（不会创建为企业微信成员）", f.BizMail),
				fmt.Sprintf("%s has no mobile and a role-like name; if it is a shared box, set the mailbox type to 其他邮箱 (it is then not created as a WeCom member)", f.BizMail)))
	}
}

// quote shortens a value for a message.
func quote(v string) string {
	const max = 24
	r := []rune(v)
	if len(r) > max {
		return string(r[:max]) + "…"
	}
	return v
}

// MailGroup is a legacy Exmail mail group (邮件群组). The upgrade turns it
// into a WeCom tag named T-<group>; later group edits do not sync to it.
type MailGroup struct {
	Address string   `json:"address"`           // the group's address (its Exmail groupid)
	Name    string   `json:"name"`              // groupname
	Members []string `json:"members,omitempty"` // member addresses (user list)
	Groups  []string `json:"groups,omitempty"`  // nested group addresses
	Depts   []string `json:"depts,omitempty"`   // department paths whose members belong to it
}

// Tag is the WeCom tag the group becomes.
func (g *MailGroup) Tag() string {
	n := strings.TrimSpace(g.Name)
	if n == "" {
		n = g.Address
		if at := strings.IndexByte(n, '@'); at > 0 {
			n = n[:at]
		}
	}
	return "T-" + n
}

// CompareMailboxes checks a sheet against the mailboxes of the live
// Exmail: an address the sheet names that Exmail does not have
// (mailbox_not_in_exmail, error: the upgrade's list may not name it) and an
// Exmail mailbox the sheet lacks (mailbox_missing, error: it would be
// forgotten). Addresses compare ignoring case; mail groups count as known
// addresses, never as missing mailboxes. Rows without an address are left
// to the field rules.
func CompareMailboxes(sheet, live *Directory, opts *Options) []Problem {
	known := map[string]bool{}
	for i := range live.Members {
		if a := strings.ToLower(strings.TrimSpace(live.Members[i].BizMail)); a != "" {
			known[a] = true
		}
	}
	for i := range live.MailGroups {
		known[strings.ToLower(strings.TrimSpace(live.MailGroups[i].Address))] = true
	}
	var out []Problem
	inSheet := map[string]bool{}
	for i := range sheet.Members {
		m := &sheet.Members[i]
		a := strings.ToLower(toHalfWidth(strings.TrimFunc(m.BizMail, isTrimSpace)))
		if a == "" {
			continue
		}
		inSheet[a] = true
		if !known[a] {
			out = append(out, Problem{Row: m.Row, Column: opts.column(FieldBizMail), Field: FieldBizMail,
				Code: CodeMailboxNotInExmail, Severity: SeverityError, Value: m.BizMail,
				Message: msg(CodeMailboxNotInExmail, "邮箱名单只能包含已有的邮箱，请核对地址或删除这一行",
					"the mailbox list may only name existing mailboxes; check the address or remove the row")})
		}
	}
	var missing []string
	for i := range live.Members {
		a := strings.ToLower(strings.TrimSpace(live.Members[i].BizMail))
		if a != "" && !inSheet[a] {
			missing = append(missing, live.Members[i].BizMail)
		}
	}
	sort.Strings(missing)
	for _, a := range missing {
		out = append(out, Problem{Column: opts.column(FieldBizMail), Field: FieldBizMail,
			Code: CodeMailboxMissing, Severity: SeverityError, Value: a,
			Message: msg(CodeMailboxMissing, "“"+a+"” 需要加到表格里（成员邮箱或其他邮箱），否则升级时会被遗漏",
				a+" must be added to the sheet (as a member or other mailbox), or the upgrade forgets it")})
	}
	return out
}
