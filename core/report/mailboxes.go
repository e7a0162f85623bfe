package report

import (
	"fmt"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/text"
)

// SheetMailboxes lists the other mailboxes (kept as mailboxes, never
// created as members) and the mail groups with the tags they become.
const SheetMailboxes = "其他邮箱 Mailboxes"

// mailboxSummary is the summary line of the mailboxes the migration left
// alone on purpose (none when there are none).
func mailboxSummary(p *plan.Plan) []text.T {
	if len(p.OtherMailboxes) == 0 && len(p.MailGroups) == 0 {
		return nil
	}
	return []text.T{text.Sprintf("其他邮箱：%d 个保留为邮箱，不创建为成员；邮件组：%d 个 → 标签 T-xxx",
		"other mailboxes: %d kept as mailboxes, not created as members; mail groups: %d → tags T-xxx",
		len(p.OtherMailboxes), len(p.MailGroups))}
}

// writeMailboxesSheet adds SheetMailboxes when the plan has other
// mailboxes or mail groups.
func writeMailboxesSheet(f *excelize.File, p *plan.Plan, head int) error {
	if len(p.OtherMailboxes) == 0 && len(p.MailGroups) == 0 {
		return nil
	}
	if _, err := f.NewSheet(SheetMailboxes); err != nil {
		return err
	}
	lines := [][]any{{"类别 / kind", "邮箱地址 / address", "名称 / name", "原行号 / row", "说明 / note"}}
	for _, o := range p.OtherMailboxes {
		var row any = o.Row
		if o.Row == 0 {
			row = ""
		}
		lines = append(lines, []any{"其他邮箱 / other mailbox", o.Address, o.Name, row, plan.OtherMailboxesTitle.String()})
	}
	for _, g := range p.MailGroups {
		lines = append(lines, []any{"邮件组 / mail group", g.Address, g.Name, "",
			fmt.Sprintf("将成为标签 %s（%d 人） / becomes tag %s (%d members)", g.Tag, g.Members, g.Tag, g.Members)})
	}
	for i, l := range lines {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(SheetMailboxes, cell, &l); err != nil {
			return err
		}
	}
	f.SetCellStyle(SheetMailboxes, "A1", "E1", head)
	f.SetColWidth(SheetMailboxes, "A", "A", 24)
	f.SetColWidth(SheetMailboxes, "B", "B", 32)
	f.SetColWidth(SheetMailboxes, "E", "E", 50)
	return nil
}
