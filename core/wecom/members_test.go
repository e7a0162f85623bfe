package wecom_test

import (
	"fmt"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/wecom"
)

// departmentIDs maps department paths (contacts.Member.Departments) to the
// WeCom department IDs the tests created. The empty path is the root.
type departmentIDs map[string]int

// userFromMember turns a directory member into a user/create body for the
// client tests (the app itself writes plan.User through core/migrate).
func userFromMember(m *contacts.Member, ids departmentIDs) (*wecom.User, error) {
	if m.Account == "" {
		return nil, fmt.Errorf("member %q: account is empty", m.Name)
	}
	u := &wecom.User{UserID: m.Account, Name: m.Name, Alias: m.Alias, Mobile: m.Mobile, Position: m.Position,
		Email: m.Email, BizMail: m.BizMail, Telephone: m.Telephone, Address: m.Address}
	paths := m.Departments
	if len(paths) == 0 {
		paths = []string{""}
	}
	seen := map[int]bool{}
	for _, p := range paths {
		id := wecom.RootDepartment
		if p != "" {
			id = ids[p]
		}
		if id <= 0 {
			return nil, fmt.Errorf("member %s: department %q has no WeCom ID", m.Account, p)
		}
		if !seen[id] {
			seen[id] = true
			u.Department = append(u.Department, id)
		}
	}
	u.Order = make([]int, len(u.Department))
	u.IsLeaderInDept = make([]int, len(u.Department))
	u.MainDepartment = u.Department[0]
	u.Gender = map[string]string{"男": "1", "女": "2"}[m.Gender]
	enable := 1
	if m.Disabled {
		enable = 0
	}
	u.Enable = &enable
	return u, nil
}

// syncCSV renders members as the batch/syncuser CSV the engine uploads
// (migrate.SyncCSV).
func syncCSV(t testing.TB, members []contacts.Member, ids departmentIDs) []byte {
	t.Helper()
	users := make([]plan.User, 0, len(members))
	for i := range members {
		u, err := userFromMember(&members[i], ids)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, plan.User{UserID: u.UserID, Name: u.Name, Alias: u.Alias, Position: u.Position, Gender: u.Gender,
			Mobile: u.Mobile, Telephone: u.Telephone, Email: u.Email, Address: u.Address,
			Departments: u.Department, MainDepartment: u.MainDepartment, Disabled: members[i].Disabled})
	}
	b, err := migrate.SyncCSV(users)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
