// Package contacts holds the directory model (members and department paths),
// the catalogue of contact-sheet rules with their stable problem codes, the
// safe automatic fixes, and an index that revalidates edited rows.
package contacts

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// PathSep separates the levels of a department path ("研发部/后端组").
const PathSep = "/"

// Member is one person of the directory, as one row of a contacts sheet
// describes it. Departments are full paths from the top (below the company
// root); the first one is the main department.
type Member struct {
	Row         int      // spreadsheet row as the user sees it; 0 when not from a sheet
	Name        string   // 姓名
	Account     string   // 账号 = WeCom userid; empty lets WeCom generate one
	Alias       string   // 别名
	Position    string   // 职务
	Departments []string // 部门: full paths, levels split by PathSep, first is main
	Gender      string   // 性别: "", "男" or "女"
	Mobile      string   // 手机, canonical ("13800000000" or "+852 ...")
	Telephone   string   // 座机
	Email       string   // 邮箱 (personal)
	Address     string   // 地址
	BizMail     string   // 企业邮箱 address
	Disabled    bool     // 禁用
	Mailbox     string   `json:",omitempty"` // 邮箱类型: "" or 成员邮箱 (member mailbox), 其他邮箱 (other mailbox); see Type
}

// Directory is a whole company's contacts: its members and every department
// path they use (plus departments that exist without members).
type Directory struct {
	Members     []Member
	Departments []string // explicit paths; see AllDepartments for the closure
	// MailGroups are the legacy Exmail mail groups, when read from the live
	// Exmail (informational: they become tags T-<group>; not in Hash).
	MailGroups []MailGroup `json:",omitempty"`
	// DeptOrder is the WeCom order of departments by path (larger first
	// among siblings), when the source knows one (the live Exmail, whose own
	// order sorts the other way round, converted by core/exmail).
	DeptOrder map[string]int `json:",omitempty"`
}

// SplitPath splits a department path into its levels.
func SplitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, PathSep)
}

// ParentPath returns the path of the parent department ("" for a top level).
func ParentPath(p string) string {
	i := strings.LastIndex(p, PathSep)
	if i < 0 {
		return ""
	}
	return p[:i]
}

// AllDepartments returns every department path the directory needs,
// including every ancestor level, ordered parents first (by depth, then by
// path) so that creating them in this order never misses a parent.
func (d *Directory) AllDepartments() []string {
	seen := map[string]bool{}
	add := func(p string) {
		for p != "" && !seen[p] {
			seen[p] = true
			p = ParentPath(p)
		}
	}
	for _, p := range d.Departments {
		add(p)
	}
	for i := range d.Members {
		for _, p := range d.Members[i].Departments {
			add(p)
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := strings.Count(out[i], PathSep), strings.Count(out[j], PathSep)
		if di != dj {
			return di < dj
		}
		return out[i] < out[j]
	})
	return out
}

// Hash returns a stable content hash of the directory (hex SHA-256). Row
// numbers are ignored: moving rows without changing them keeps the hash; any
// change of a member field or department changes it.
func (d *Directory) Hash() string {
	h := sha256.New()
	w := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, p := range d.AllDepartments() {
		w("D")
		w(p)
	}
	for i := range d.Members {
		m := &d.Members[i]
		w("M")
		for _, s := range []string{m.Name, m.Account, m.Alias, m.Position, m.Gender, m.Mobile,
			m.Telephone, m.Email, m.Address, m.BizMail} {
			w(s)
		}
		w(strings.Join(m.Departments, "\x1f"))
		if m.Disabled {
			w("1")
		} else {
			w("0")
		}
		if m.Mailbox != "" { // only when set, so hashes of untyped sheets stay as they were
			w("T")
			w(m.Mailbox)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
