package sample

import (
	"fmt"

	"exmail-upgrade/core/contacts"
)

// sharedBoxes are the shared mailboxes AddSharedBoxes gives a company:
// local part, name, typed as 其他邮箱 (true) or left untyped (false, so the
// rules' mailbox_maybe_shared suggestion has something to find).
var sharedBoxes = []struct {
	local, name string
	typed       bool
}{
	{"info", "公司信息", true},
	{"hr", "人力资源部邮箱", true},
	{"service", "客服中心", true},
	{"jobs", "招聘邮箱", false},
}

// AddSharedBoxes appends the company's shared mailboxes (info@, hr@,
// service@ typed 其他邮箱, jobs@ untyped with a personal e-mail, none with
// a mobile or a department) as rows after the last one, and one mail group 全体员工
// (all@) holding the first members. The domain is the members' (or
// DefaultDomain).
func AddSharedBoxes(d *contacts.Directory, domain string) {
	if domain == "" {
		domain = DefaultDomain
	}
	row := 1
	for i := range d.Members {
		row = max(row, d.Members[i].Row)
	}
	for _, b := range sharedBoxes {
		row++
		m := contacts.Member{Row: row, Name: b.name, Account: b.local, BizMail: b.local + "@" + domain}
		if b.typed {
			m.Mailbox = string(contacts.MailboxOther)
		} else {
			m.Email = b.local + "@163.com" // a member row needs a mobile or an e-mail
		}
		d.Members = append(d.Members, m)
	}
	g := contacts.MailGroup{Address: "all@" + domain, Name: "全体员工"}
	for i := 0; i < len(d.Members) && i < 10; i++ {
		if !d.Members[i].IsOther() && d.Members[i].BizMail != "" {
			g.Members = append(g.Members, d.Members[i].BizMail)
		}
	}
	d.MailGroups = append(d.MailGroups, g)
}

// SharedBoxAddresses returns the addresses AddSharedBoxes adds for domain,
// typed ones first.
func SharedBoxAddresses(domain string) (typed, untyped []string) {
	if domain == "" {
		domain = DefaultDomain
	}
	for _, b := range sharedBoxes {
		a := fmt.Sprintf("%s@%s", b.local, domain)
		if b.typed {
			typed = append(typed, a)
		} else {
			untyped = append(untyped, a)
		}
	}
	return typed, untyped
}
