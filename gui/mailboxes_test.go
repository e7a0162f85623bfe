package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/plan"
)

// TestEditorTypeColumnOneClick: the editor shows the 邮箱类型 column, a
// shared box typed as a member is flagged with the suggestion, and one
// click on the value bar's switch makes it an other mailbox (no errors
// left); the switch then offers the way back.
func TestEditorTypeColumnOneClick(t *testing.T) {
	ui := newTestUI(t)
	dir := &contacts.Directory{Members: []contacts.Member{
		{Row: 2, Name: "张三", Account: "zhangsan", Mobile: "13800000001", Departments: []string{"研发部"}, BizMail: "zhangsan@example.com"},
		{Row: 3, Name: "客服", Account: "service", BizMail: "service@example.com"},
	}}
	wz := projectAtContacts(t, ui, dir)
	cv := wz.contacts
	col := -1
	for i, f := range contacts.Fields {
		if f == contacts.FieldMailboxType {
			col = i
		}
	}
	if col < 0 {
		t.Fatal("no 邮箱类型 column")
	}
	if cv.typeBtn.Visible() {
		t.Fatal("the switch shows before a row is selected")
	}
	shared := false
	for _, p := range cv.issueSet {
		shared = shared || p.Code == contacts.CodeMailboxMaybeShared && strings.Contains(problemText(p), "其他邮箱")
	}
	if !shared || cv.model.Index().Counts().Error == 0 {
		t.Fatalf("issues %+v", cv.issueSet)
	}
	cv.table.Select(widget.TableCellID{Row: 1, Col: col})
	if !cv.typeBtn.Visible() || cv.typeBtn.Text != "设为其他邮箱" || cv.barLabel.Text != "第 3 行 · 邮箱类型" {
		t.Fatalf("switch %v %q, bar %q", cv.typeBtn.Visible(), cv.typeBtn.Text, cv.barLabel.Text)
	}
	test.Tap(cv.typeBtn)
	if c := cv.model.Index().Counts(); c.Error != 0 || c.Warning != 0 {
		t.Fatalf("after the click: %+v %+v", c, cv.model.Issues())
	}
	if cv.bar.Text != "其他邮箱" || cv.typeBtn.Text != "设为成员邮箱" || cv.next.Disabled() {
		t.Fatalf("bar %q switch %q", cv.bar.Text, cv.typeBtn.Text)
	}
	test.Tap(findButton(t, ui.Win.Content(), "撤销"))
	if cv.model.MailboxType(3) != contacts.MailboxMember {
		t.Fatal("undo did not restore the type")
	}
}

func TestPlanMailboxRows(t *testing.T) {
	p := &plan.Plan{OtherMailboxes: []plan.OtherMailbox{{Address: "info@example.com", Name: "信息"}},
		MailGroups: []plan.GroupTag{{Address: "all@example.com", Name: "全员", Tag: "T-全员", Members: 3}}}
	rows := mailboxPlanRows(p)
	if len(rows) != 2 || rows[0][0] != "other" || !strings.Contains(rows[0][1], "不创建为成员") || !strings.Contains(rows[0][1], "info@example.com") ||
		rows[1][0] != "group" || !strings.Contains(rows[1][1], "T-全员") {
		t.Fatalf("rows %v", rows)
	}
}
