package editor

import (
	"fmt"
	"io"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sheet"
)

// ToggleMailboxType switches a row between member mailbox (成员邮箱) and
// other mailbox (其他邮箱) in one undoable edit: the editor's one-click
// change of the type. It returns the row's new type with the changed
// problem lists.
func (m *Model) ToggleMailboxType(row int) (contacts.MailboxType, []contacts.Change, error) {
	m.mu.Lock()
	raw, _, ok := m.ix.Member(row)
	m.mu.Unlock()
	if !ok {
		return "", nil, fmt.Errorf("row %d does not exist", row)
	}
	next := contacts.MailboxOther
	if raw.IsOther() {
		next = contacts.MailboxMember
	}
	ch, err := m.Set(row, contacts.FieldMailboxType, string(next))
	if err != nil {
		return "", nil, err
	}
	return next, ch, nil
}

// MailboxType returns a row's mailbox type as the rules read it.
func (m *Model) MailboxType(row int) contacts.MailboxType {
	m.mu.Lock()
	defer m.mu.Unlock()
	raw, _, _ := m.ix.Member(row)
	return raw.Type()
}

// WriteMailboxList writes the mailbox list (邮箱名单) of the sheet with the
// safe fixes applied and the mail groups read from the live Exmail. It is
// refused (*sheet.BlockedError) while errors remain: the upgrade's list
// may not name a wrong or unknown address.
func (m *Model) WriteMailboxList(w io.Writer) error {
	m.mu.Lock()
	c := m.ix.Counts()
	d := m.ix.Fixed()
	d.MailGroups = m.groups
	m.mu.Unlock()
	if c.Error > 0 {
		return &sheet.BlockedError{Counts: c}
	}
	return sheet.WriteMailboxList(w, d)
}

// Fixed returns the sheet with every safe fix applied plus what the sheet
// itself cannot hold (the live Exmail's mail groups and department order):
// what is frozen for the plan.
func (m *Model) Fixed() *contacts.Directory {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.ix.Fixed()
	d.MailGroups, d.DeptOrder = m.groups, m.deptOrder
	return d
}
