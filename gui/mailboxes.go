package gui

import (
	"io"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/gui/i18n"
)

// newTypeButton is the value bar's one-click switch of the selected row
// between 成员邮箱 and 其他邮箱 (hidden until a row is selected).
func (cv *contactsView) newTypeButton() *widget.Button {
	b := widget.NewButtonWithIcon("", theme.MailForwardIcon(), cv.toggleType)
	b.Hide()
	return b
}

// updateTypeButton labels the switch by what it would make the row.
func (cv *contactsView) updateTypeButton(row int) {
	if cv.typeBtn == nil {
		return
	}
	if cv.model.ReadOnly() {
		cv.typeBtn.Hide()
		return
	}
	if cv.model.MailboxType(row) == contacts.MailboxOther {
		cv.typeBtn.SetText(i18n.T("contacts.make_member"))
	} else {
		cv.typeBtn.SetText(i18n.T("contacts.make_other"))
	}
	cv.typeBtn.Show()
}

// toggleType switches the selected row's mailbox type (one undoable edit).
func (cv *contactsView) toggleType() {
	view := cv.model.View()
	if cv.sel.Row < 0 || cv.sel.Row >= len(view) {
		return
	}
	row := view[cv.sel.Row]
	if _, _, err := cv.model.ToggleMailboxType(row); err != nil {
		cv.wz.ui.showError(err)
		return
	}
	cv.refresh()
	if f := contacts.Fields[cv.sel.Col]; f == contacts.FieldMailboxType {
		raw, _, _ := cv.model.Index().Member(row)
		cv.bar.SetText(raw.Get(f))
	}
	cv.showCellNote(row, contacts.Fields[cv.sel.Col])
	cv.updateTypeButton(row)
}

// exportMailboxList writes the mailbox list (邮箱名单; refused while errors remain).
func (cv *contactsView) exportMailboxList() {
	if c := cv.model.Index().Counts(); c.Error > 0 {
		cv.wz.ui.showError(cv.model.WriteMailboxList(io.Discard))
		return
	}
	cv.saveFile(cv.wz.project.Name+"-邮箱名单.xlsx", cv.model.WriteMailboxList)
}

// mailboxPlanRows are the plan list's rows for the other mailboxes (kind
// "other") and the mail groups with their tags (kind "group").
func mailboxPlanRows(p *plan.Plan) [][2]string {
	var out [][2]string
	for _, o := range p.OtherMailboxes {
		out = append(out, [2]string{"other", i18n.Tf("plan.item_other", o.Address, o.Name)})
	}
	for _, g := range p.MailGroups {
		out = append(out, [2]string{"group", i18n.Tf("plan.item_group", g.Address, g.Name, g.Tag, g.Members)})
	}
	return out
}
