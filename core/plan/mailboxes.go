package plan

import (
	"fmt"
	"strings"

	"exmail-upgrade/core/contacts"
)

// OtherMailbox is a mailbox the upgrade keeps as a mailbox and never
// creates as a WeCom member (其他邮箱: a shared or partner box).
type OtherMailbox struct {
	Row     int    `json:"row,omitempty"`
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
}

// GroupTag is a legacy mail group and the WeCom tag T-<group> the upgrade
// turns it into (informational: the directory migration does not create
// tags; Tencent's upgrade does).
type GroupTag struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
	Tag     string `json:"tag"`
	Members int    `json:"members"`
}

// Group labels of the plan's mailbox sections, Chinese and English.
var (
	OtherMailboxesTitle = Msg{"other_mailboxes", "保留为邮箱，不创建为成员", "kept as mailboxes, not created as members"}
	MailGroupsTitle     = Msg{"mail_groups", "邮件组 → 标签 T-xxx", "mail groups → tags T-xxx"}
)

// otherMailboxes takes the other mailboxes out of dir (they are never
// planned as members) into the plan, and lists the mail groups.
func (b *builder) otherMailboxes(dir *contacts.Directory) *contacts.Directory {
	out := &contacts.Directory{Departments: dir.Departments, DeptOrder: dir.DeptOrder, Members: make([]contacts.Member, 0, len(dir.Members))}
	for i := range dir.Members {
		m := &dir.Members[i]
		if !m.IsOther() {
			out.Members = append(out.Members, *m)
			continue
		}
		b.p.OtherMailboxes = append(b.p.OtherMailboxes, OtherMailbox{Row: m.Row, Address: strings.TrimSpace(m.BizMail), Name: m.Name})
	}
	for _, g := range b.in.Contacts.MailGroups {
		b.p.MailGroups = append(b.p.MailGroups, GroupTag{Address: g.Address, Name: g.Name, Tag: g.Tag(), Members: len(g.Members)})
	}
	return out
}

// seats checks the other mailboxes against the advanced-feature seats the
// user gave (every other mailbox uses one). Not enough seats is a warning:
// the directory migration never creates other mailboxes, but Tencent's
// upgrade needs the seats, so buy them first.
func (b *builder) seats() {
	if b.snap.AdvancedSeats > 0 { // 0 or negative: unknown, and not recorded
		b.p.AdvancedSeats = b.snap.AdvancedSeats
	}
	n := len(b.p.OtherMailboxes)
	if n == 0 || b.snap.AdvancedSeats <= 0 {
		return
	}
	if n > b.snap.AdvancedSeats {
		b.p.Warnings = append(b.p.Warnings, Item{Kind: KindCompany, Key: "advanced_seats",
			Reason: Msg{"advanced_seats_short", fmt.Sprintf("%d 个其他邮箱需要 %d 个高级功能账号，现有 %d 个", n, n, b.snap.AdvancedSeats),
				fmt.Sprintf("%d other mailboxes need %d advanced-feature seats; %d are available", n, n, b.snap.AdvancedSeats)},
			Advice: Msg{"advanced_seats_short", "升级前在企业微信管理后台购买高级功能账号，或把部分邮箱改为成员邮箱",
				"buy advanced-feature seats in the WeCom admin console before the upgrade, or make some of them member mailboxes"}})
	}
}

// SeatsText summarises the accounts the plan uses: member mailboxes
// against the account cap, other mailboxes against the advanced-feature
// seats (when known), Chinese and English.
func (p *Plan) SeatsText() Msg {
	members := p.TargetUsers + len(p.Create)
	capZH, capEN := "上限未知", "cap unknown"
	if p.AccountCap > 0 {
		capZH, capEN = fmt.Sprintf("上限 %d", p.AccountCap), fmt.Sprintf("cap %d", p.AccountCap)
	}
	seatZH, seatEN := "高级功能账号数未知", "advanced-feature seats unknown"
	if p.AdvancedSeats > 0 {
		seatZH, seatEN = fmt.Sprintf("高级功能账号 %d", p.AdvancedSeats), fmt.Sprintf("%d advanced-feature seats", p.AdvancedSeats)
	}
	return Msg{"seats",
		fmt.Sprintf("成员账号 %d（%s）；其他邮箱 %d（%s）", members, capZH, len(p.OtherMailboxes), seatZH),
		fmt.Sprintf("member accounts %d (%s); other mailboxes %d (%s)", members, capEN, len(p.OtherMailboxes), seatEN)}
}

// IsOtherMailbox reports whether addr is one of the plan's other
// mailboxes (ignoring case): the engine's guard that none is ever created
// as a member.
func (p *Plan) IsOtherMailbox(addr string) bool {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return false
	}
	for _, o := range p.OtherMailboxes {
		if strings.EqualFold(o.Address, addr) {
			return true
		}
	}
	return false
}
