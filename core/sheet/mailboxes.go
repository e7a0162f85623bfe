package sheet

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
)

// The 邮箱类型 column.
//
// WeCom's admin import layout has no mailbox-type column, and importing an
// other mailbox there would create it as a WeCom member — exactly what the
// type exists to prevent. So the upload-ready sheet holds member mailboxes
// only (plus an informational 其他邮箱 sheet that no importer reads), the
// template, the CSV export and the review carry the type as a trailing
// column, and the mailbox list (WriteMailboxList) carries every mailbox
// with its type.

// mailboxTypeHeaders are the header spellings of the 邮箱类型 column
// (normalised as NormalizeHeader does).
var mailboxTypeHeaders = []string{"邮箱类型", "类型", "账号类型", "帐号类型", "邮箱类别", "mailboxtype", "mailbox_type", "type"}

func init() {
	for _, h := range mailboxTypeHeaders {
		fieldSynonyms[h] = contacts.FieldMailboxType
	}
	// the template's rules, before the closing 检查 entry
	rule := [2]string{"邮箱类型", "从下拉列表选择：成员邮箱（属于一位成员，会在企业微信中创建或合并为成员）或 其他邮箱（公共或合作方邮箱，如 info@、hr@，不会成为企业微信成员，不需要手机和部门，占用高级功能账号）。不填即为成员邮箱。"}
	n := len(templateRules)
	templateRules = append(templateRules[:n-1:n-1], rule, templateRules[n-1])
}

// mailboxTypeWidth is the column width of 邮箱类型 (characters).
const mailboxTypeWidth = 12

// addMailboxTypeColumn appends the 邮箱类型 column with its drop-down to the
// template's members sheet (after the import columns).
func addMailboxTypeColumn(f *excelize.File, st *styles) error {
	col, _ := excelize.ColumnNumberToName(len(ImportFields) + 1)
	cell := col + "1"
	if err := f.SetCellStr(SheetMembers, cell, contacts.FieldMailboxType.Header()); err != nil {
		return fmt.Errorf("template header: %w", err)
	}
	if err := f.SetCellStyle(SheetMembers, cell, cell, st.header); err != nil {
		return fmt.Errorf("template style: %w", err)
	}
	if err := f.SetColWidth(SheetMembers, col, col, mailboxTypeWidth); err != nil {
		return fmt.Errorf("template width: %w", err)
	}
	dv := excelize.NewDataValidation(true)
	dv.Sqref = col + "2:" + col + "100000"
	if err := dv.SetDropList([]string{string(contacts.MailboxMember), string(contacts.MailboxOther)}); err != nil {
		return fmt.Errorf("template drop-down: %w", err)
	}
	dv.SetError(excelize.DataValidationErrorStyleStop, "邮箱类型", "请从列表中选择 成员邮箱 或 其他邮箱")
	if err := f.AddDataValidation(SheetMembers, dv); err != nil {
		return fmt.Errorf("template drop-down: %w", err)
	}
	return nil
}

// splitMailboxes separates member mailboxes (rows that become WeCom
// members) from other mailboxes.
func splitMailboxes(d *contacts.Directory) (members, others *contacts.Directory) {
	members, others = &contacts.Directory{Departments: d.Departments, MailGroups: d.MailGroups}, &contacts.Directory{}
	for i := range d.Members {
		if d.Members[i].IsOther() {
			others.Members = append(others.Members, d.Members[i])
		} else {
			members.Members = append(members.Members, d.Members[i])
		}
	}
	return members, others
}

// SheetOtherMailboxes lists the other mailboxes in the upload workbook, for
// the reader's information only (importers read the first sheet).
const SheetOtherMailboxes = "其他邮箱"

// writeOtherMailboxesSheet adds the 其他邮箱 sheet to the upload workbook
// when there are other mailboxes.
func writeOtherMailboxesSheet(f *excelize.File, st *styles, others *contacts.Directory) error {
	if len(others.Members) == 0 {
		return nil
	}
	if _, err := f.NewSheet(SheetOtherMailboxes); err != nil {
		return fmt.Errorf("upload other mailboxes: %w", err)
	}
	rows := [][]string{{"说明 / note", "以下邮箱是其他邮箱（公共或合作方邮箱），不会导入为企业微信成员；它们在邮箱名单中。 / These are other mailboxes (shared or partner boxes): not imported as WeCom members; they are in the mailbox list."},
		{"姓名", "企业邮箱"}}
	for i := range others.Members {
		rows = append(rows, []string{others.Members[i].Name, others.Members[i].BizMail})
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr(SheetOtherMailboxes, cell, v); err != nil {
				return fmt.Errorf("upload other mailboxes: %w", err)
			}
		}
	}
	_ = f.SetCellStyle(SheetOtherMailboxes, "A2", "B2", st.header)
	_ = f.SetColWidth(SheetOtherMailboxes, "A", "A", 20)
	_ = f.SetColWidth(SheetOtherMailboxes, "B", "B", 40)
	return nil
}

// hasMailboxTypes reports whether any row has a mailbox type written, so
// exports of untyped sheets keep exactly the import layout.
func hasMailboxTypes(d *contacts.Directory) bool {
	for i := range d.Members {
		if d.Members[i].Mailbox != "" {
			return true
		}
	}
	return false
}

// exportFields are the columns of a CSV export or review of d: the import
// layout, plus 邮箱类型 when any row has one.
func exportFields(d *contacts.Directory) []contacts.Field {
	if !hasMailboxTypes(d) {
		return ImportFields
	}
	return append(ImportFields[:len(ImportFields):len(ImportFields)], contacts.FieldMailboxType)
}

// MailboxListHeaders are the columns of the mailbox list (邮箱名单).
var MailboxListHeaders = []string{"邮箱地址", "邮箱类型", "姓名", "账号", "部门", "原行号"}

// SheetMailboxList is the sheet of the mailbox list.
const SheetMailboxList = "邮箱名单"

// SheetMailGroups lists the mail groups and the tags they become.
const SheetMailGroups = "邮件群组"

// MailboxListRow is one line of the mailbox list.
type MailboxListRow struct {
	Address     string
	Type        contacts.MailboxType
	Name        string // member mailboxes: the member's name; other: the box's name
	UserID      string // member mailboxes only
	Departments string // member mailboxes only
	Row         int
}

// MailboxList returns every mailbox of d (rows with an address), member
// mailboxes with the member's name, userid (the account, or the address's
// local part the planner would use when it is blank) and departments.
func MailboxList(d *contacts.Directory) []MailboxListRow {
	out := make([]MailboxListRow, 0, len(d.Members))
	for i := range d.Members {
		m := &d.Members[i]
		addr := strings.TrimSpace(m.BizMail)
		if addr == "" {
			continue
		}
		r := MailboxListRow{Address: addr, Type: m.Type(), Name: m.Name, Row: m.Row}
		if r.Type == contacts.MailboxMember {
			r.UserID = strings.TrimSpace(m.Account)
			if r.UserID == "" {
				if at := strings.IndexByte(addr, '@'); at > 0 {
					r.UserID = addr[:at]
				}
			}
			r.Departments = contacts.DepartmentsText(m.Departments)
		}
		out = append(out, r)
	}
	return out
}

// WriteMailboxList writes the mailbox list (邮箱名单): every mailbox with its
// type (成员邮箱/其他邮箱) and, for member mailboxes, the member's name,
// userid and departments; a 邮件群组 sheet lists the mail groups with the
// tags T-<group> they become. d should have the safe fixes applied.
func WriteMailboxList(w io.Writer, d *contacts.Directory) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetMailboxList); err != nil {
		return fmt.Errorf("mailbox list: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("mailbox list: %w", err)
	}
	sw, err := f.NewStreamWriter(SheetMailboxList)
	if err != nil {
		return fmt.Errorf("mailbox list: %w", err)
	}
	for i, wd := range []float64{32, 10, 16, 20, 30, 8} {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("mailbox list: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("mailbox list: %w", err)
	}
	h := make([]any, len(MailboxListHeaders))
	for i, s := range MailboxListHeaders {
		h[i] = excelize.Cell{StyleID: st.header, Value: s}
	}
	if err := sw.SetRow("A1", h); err != nil {
		return fmt.Errorf("mailbox list header: %w", err)
	}
	for i, r := range MailboxList(d) {
		var row any = r.Row
		if r.Row == 0 {
			row = ""
		}
		cells := []any{excelize.Cell{StyleID: st.text, Value: r.Address}, string(r.Type), r.Name,
			excelize.Cell{StyleID: st.text, Value: r.UserID}, r.Departments, row}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("mailbox list row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("mailbox list: %w", err)
	}
	if len(d.MailGroups) > 0 {
		if _, err := f.NewSheet(SheetMailGroups); err != nil {
			return fmt.Errorf("mailbox list groups: %w", err)
		}
		rows := [][]string{{"群组地址", "群组名称", "将成为标签", "成员"}}
		for _, g := range d.MailGroups {
			rows = append(rows, []string{g.Address, g.Name, g.Tag(), strings.Join(g.Members, "；")})
		}
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellStr(SheetMailGroups, cell, v); err != nil {
					return fmt.Errorf("mailbox list groups: %w", err)
				}
			}
		}
		_ = f.SetCellStyle(SheetMailGroups, "A1", "D1", st.header)
		_ = f.SetColWidth(SheetMailGroups, "A", "A", 30)
		_ = f.SetColWidth(SheetMailGroups, "C", "C", 20)
		_ = f.SetColWidth(SheetMailGroups, "D", "D", 60)
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("mailbox list: %w", err)
	}
	return nil
}

// WriteMailboxListFile writes the mailbox list to path (atomically).
func WriteMailboxListFile(path string, d *contacts.Directory) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return WriteMailboxList(w, d) })
}
