package editor

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sheet"
)

func sharedSheet() *contacts.Directory {
	return &contacts.Directory{Members: []contacts.Member{
		{Row: 2, Name: "张三", Account: "zhangsan", Mobile: "13800000001", BizMail: "zhangsan@example.com", Departments: []string{"研发部"}},
		// a shared box typed as a member: no contact (error) and flagged
		{Row: 3, Name: "客服", Account: "service", BizMail: "service@example.com"},
	}, MailGroups: []contacts.MailGroup{{Address: "all@example.com", Name: "全员"}}, DeptOrder: map[string]int{"研发部": 3}}
}

func codesOf(ps []contacts.Problem) map[contacts.Code]bool {
	out := map[contacts.Code]bool{}
	for _, p := range ps {
		out[p.Code] = true
	}
	return out
}

// TestToggleMailboxType: one call makes a shared box an other mailbox
// (its contact_missing error and the suggestion go away), undo brings it
// back, and a second toggle returns it to member.
func TestToggleMailboxType(t *testing.T) {
	m := New(sharedSheet(), contacts.Options{})
	if c := codesOf(m.Index().Problems(3)); !c[contacts.CodeContactMissing] || !c[contacts.CodeMailboxMaybeShared] {
		t.Fatalf("before: %v", c)
	}
	typ, ch, err := m.ToggleMailboxType(3)
	if err != nil || typ != contacts.MailboxOther || len(ch) != 1 || len(ch[0].Problems) != 0 {
		t.Fatalf("toggle: %v %v %+v", typ, err, ch)
	}
	if m.MailboxType(3) != contacts.MailboxOther || len(m.Issues()) != 0 {
		t.Fatalf("after: %v %+v", m.MailboxType(3), m.Issues())
	}
	if _, err := m.Undo(); err != nil || m.MailboxType(3) != contacts.MailboxMember {
		t.Fatalf("undo: %v %v", err, m.MailboxType(3))
	}
	if _, err := m.Redo(); err != nil || m.MailboxType(3) != contacts.MailboxOther {
		t.Fatalf("redo: %v %v", err, m.MailboxType(3))
	}
	if typ, _, _ := m.ToggleMailboxType(3); typ != contacts.MailboxMember {
		t.Fatalf("second toggle gave %v", typ)
	}
	if _, _, err := m.ToggleMailboxType(99); err == nil {
		t.Fatal("toggle of a missing row")
	}
	m.SetReadOnly(true)
	if _, _, err := m.ToggleMailboxType(2); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only: %v", err)
	}
}

// TestEditorMailboxList: the export is refused while errors remain, then
// lists every mailbox with its type; the mail groups survive the autosave
// snapshot.
func TestEditorMailboxList(t *testing.T) {
	m := New(sharedSheet(), contacts.Options{})
	var buf bytes.Buffer
	var blocked *sheet.BlockedError
	if err := m.WriteMailboxList(&buf); !errors.As(err, &blocked) {
		t.Fatalf("want BlockedError, got %v", err)
	}
	if _, _, err := m.ToggleMailboxType(3); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := m.WriteMailboxList(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(sheet.SheetMailboxList)
	if len(rows) != 3 || rows[1][1] != "成员邮箱" || rows[2][0] != "service@example.com" || rows[2][1] != "其他邮箱" {
		t.Fatalf("list %v", rows)
	}
	if g, _ := f.GetRows(sheet.SheetMailGroups); len(g) != 2 {
		t.Fatalf("groups %v", g)
	}
	if d := m.Fixed(); len(d.MailGroups) != 1 || d.DeptOrder["研发部"] != 3 || !d.Members[1].IsOther() {
		t.Fatalf("fixed %+v", d)
	}
	if d, _ := m.Snapshot(); len(d.MailGroups) != 1 || d.DeptOrder["研发部"] != 3 || d.Members[1].Mailbox != "其他邮箱" {
		t.Fatalf("snapshot %+v", d)
	}
}
