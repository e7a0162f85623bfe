package wecom

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"exmail-upgrade/core/contacts"
)

// SyncCSVHeader is the header of the batch/syncuser CSV file.
var SyncCSVHeader = []string{"姓名", "帐号", "手机号", "邮箱", "所在部门", "职位", "性别", "是否部门内领导", "排序", "别名", "地址", "座机", "禁用"}

// DepartmentIDs maps department paths (contacts.Member.Departments) to
// WeCom department IDs. The empty path is the root.
type DepartmentIDs map[string]int

func (ids DepartmentIDs) lookup(path string) (int, error) {
	if path == "" {
		return RootDepartment, nil
	}
	id, ok := ids[path]
	if !ok || id <= 0 {
		return 0, fmt.Errorf("部门未创建 / department %q has no WeCom ID", path)
	}
	return id, nil
}

// UserFromMember converts a directory member into a user/create body. Every
// department path must have an ID in ids; a member without departments goes
// to the root. The member's account is the userid and must not be empty.
func UserFromMember(m *contacts.Member, ids DepartmentIDs) (*User, error) {
	if m.Account == "" {
		return nil, fmt.Errorf("member %q: 帐号为空 / account is empty", m.Name)
	}
	u := &User{UserID: m.Account, Name: m.Name, Alias: m.Alias, Mobile: m.Mobile, Position: m.Position,
		Email: m.Email, BizMail: m.BizMail, Telephone: m.Telephone, Address: m.Address}
	paths := m.Departments
	if len(paths) == 0 {
		paths = []string{""}
	}
	seen := map[int]bool{}
	for _, p := range paths {
		id, err := ids.lookup(p)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", m.Account, err)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		u.Department = append(u.Department, id)
	}
	u.Order = make([]int, len(u.Department))
	u.IsLeaderInDept = make([]int, len(u.Department))
	u.MainDepartment = u.Department[0]
	switch m.Gender {
	case "男":
		u.Gender = "1"
	case "女":
		u.Gender = "2"
	}
	enable := 1
	if m.Disabled {
		enable = 0
	}
	u.Enable = &enable
	return u, nil
}

// WriteSyncCSV writes members as the UTF-8 CSV batch/syncuser reads (header
// SyncCSVHeader; department IDs, leader flags and orders separated by ";";
// gender 男/女; leader and disabled as 0/1). The CSV has no business-mail
// column: members whose 企业邮箱 must be set need user/create instead.
func WriteSyncCSV(w io.Writer, members []contacts.Member, ids DepartmentIDs) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(SyncCSVHeader); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	for i := range members {
		u, err := UserFromMember(&members[i], ids)
		if err != nil {
			return fmt.Errorf("CSV row %d: %w", i+2, err)
		}
		rec := []string{u.Name, u.UserID, u.Mobile, u.Email, joinInts(u.Department), u.Position,
			members[i].Gender, joinInts(u.IsLeaderInDept), joinInts(u.Order), u.Alias, u.Address, u.Telephone, "0"}
		if members[i].Disabled {
			rec[12] = "1"
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write CSV row %d: %w", i+2, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ";")
}
