package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/wecom"
)

// APIError is a WeCom error answer for fakes. CodeOf understands it, any
// *wecom.Error and any error with an ErrCode() int method.
type APIError struct {
	Code    int
	Message string
}

// Error implements error.
func (e *APIError) Error() string { return fmt.Sprintf("wecom errcode %d: %s", e.Code, e.Message) }

// ErrCode returns the WeCom errcode.
func (e *APIError) ErrCode() int { return e.Code }

// CodeOf returns the WeCom errcode carried by err (anywhere in its chain),
// or 0 when err is nil or carries none.
func CodeOf(err error) int {
	if err == nil {
		return 0
	}
	var we *wecom.Error
	if errors.As(err, &we) {
		return we.Code
	}
	var c interface{ ErrCode() int }
	if errors.As(err, &c) {
		return c.ErrCode()
	}
	return 0
}

// TargetDept is a department that exists in the target. Name is empty when
// unknown.
type TargetDept struct {
	ID       int    `json:"id"`
	ParentID int    `json:"parentid"`
	Name     string `json:"name,omitempty"`
}

// TargetUser is a member that exists in the target. Details is nil when the
// member's fields are unknown (the contact-sync secret may only list ids).
type TargetUser struct {
	UserID      string           `json:"userid"`
	Departments []int            `json:"department"`
	Details     *contacts.Member `json:"details,omitempty"`
}

// Reader reads the target company. ListDepartments may fail with 48009
// (names cannot be read from a new IP); the other two work from any
// trusted IP with the contact-sync secret.
type Reader interface {
	ListUserIDs(ctx context.Context) ([]TargetUser, error)
	ListDepartmentIDs(ctx context.Context) ([]TargetDept, error)
	ListDepartments(ctx context.Context) ([]TargetDept, error)
}

// Snapshot is what the planner knows about the target.
type Snapshot struct {
	Departments      []TargetDept `json:"departments"`
	Users            []TargetUser `json:"users"`
	NameSource       string       `json:"name_source,omitempty"`    // "department/list", "sheet" or "" (unknown)
	DetailsSource    string       `json:"details_source,omitempty"` // "sheet" or ""
	AccountCap       int          `json:"account_cap,omitempty"`    // 0: unknown
	CreatedThisMonth int          `json:"created_this_month"`       // -1: unknown
	AdvancedSeats    int          `json:"advanced_seats,omitempty"` // advanced-feature seats for other mailboxes; 0: unknown
	Notes            []Item       `json:"notes,omitempty"`
}

// Name sources.
const (
	SourceDeptList = "department/list"
	SourceSheet    = "sheet"
)

// ReadOptions are what the caller knows beyond the API.
type ReadOptions struct {
	// TargetSheet is the target's own exported contacts sheet, used for
	// department names (when department/list answers 48009) and member
	// details. Optional.
	TargetSheet *contacts.Directory
	// AccountCap is the target's account cap (0: unknown).
	AccountCap int
	// CreatedThisMonth counts accounts created this month (-1: unknown).
	CreatedThisMonth int
	// AdvancedSeats is the number of advanced-feature seats the company has
	// for its other mailboxes (0: unknown).
	AdvancedSeats int
}

// ReadSnapshot reads the target through r. Errors other than 48009 on
// department/list are returned (wrapped, errcode preserved), so 60020 and a
// bad secret reach the pre-flight checks.
func ReadSnapshot(ctx context.Context, r Reader, opt ReadOptions) (*Snapshot, error) {
	depts, err := r.ListDepartmentIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read target departments (department/simplelist): %w", err)
	}
	users, err := r.ListUserIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("read target members (user/list_id): %w", err)
	}
	s := &Snapshot{Departments: depts, Users: users, AccountCap: opt.AccountCap, CreatedThisMonth: opt.CreatedThisMonth, AdvancedSeats: opt.AdvancedSeats}
	named, err := r.ListDepartments(ctx)
	switch {
	case err == nil:
		byID := map[int]string{}
		for _, d := range named {
			byID[d.ID] = d.Name
		}
		for i := range s.Departments {
			if n, ok := byID[s.Departments[i].ID]; ok {
				s.Departments[i].Name = n
			}
		}
		s.NameSource = SourceDeptList
	case CodeOf(err) == wecom.CodeNoPermission:
		s.Notes = append(s.Notes, Item{Kind: KindCompany, Key: "department/list",
			Reason: Msg{"names_48009", "通讯录同步secret不能从新IP读取部门名称（48009），只能读取ID", "the contact-sync secret may not read department names from a new IP (48009); only ids are readable"},
			Advice: Msg{"names_48009", "导出目标企业的通讯录表格并提供给本工具，部门名称将据此确定", "export the target's contacts sheet from its admin console and give it to the app; names are taken from it"}})
	default:
		return nil, fmt.Errorf("read target department names (department/list): %w", err)
	}
	if opt.TargetSheet != nil {
		s.applySheet(opt.TargetSheet)
	}
	return s, nil
}

// applySheet takes member details from the target's exported sheet and,
// when names are not known yet, deduces department names: a member who is in
// exactly one department in both the sheet (by path) and user/list_id (by id)
// ties that path to that id; ancestors follow through parent ids. Nothing is
// guessed: a path tied to two ids is left unknown.
func (s *Snapshot) applySheet(sheet *contacts.Directory) {
	byUser := map[string]*contacts.Member{}
	for i := range sheet.Members {
		m := &sheet.Members[i]
		if m.Account != "" {
			byUser[strings.ToLower(m.Account)] = m
		}
	}
	for i := range s.Users {
		if m, ok := byUser[strings.ToLower(s.Users[i].UserID)]; ok {
			c := *m
			s.Users[i].Details = &c
		}
	}
	s.DetailsSource = SourceSheet
	if s.NameSource != "" {
		return
	}
	parent := map[int]int{}
	for _, d := range s.Departments {
		parent[d.ID] = d.ParentID
	}
	depth := func(id int) int {
		n := 0
		for id != RootID && n < 64 {
			p, ok := parent[id]
			if !ok {
				return -1
			}
			id = p
			n++
		}
		return n
	}
	type pair struct {
		path string
		id   int
	}
	var pairs []pair
	for _, u := range s.Users {
		if u.Details == nil || len(u.Departments) != 1 || len(u.Details.Departments) != 1 {
			continue
		}
		pairs = append(pairs, pair{u.Details.Departments[0], u.Departments[0]})
	}
	// Exported paths may start with the company (root) level: decide by depth.
	strip := len(pairs) > 0
	for _, p := range pairs {
		if len(contacts.SplitPath(p.path)) != depth(p.id)+1 {
			strip = false
			break
		}
	}
	stripPath := func(path string) string {
		if !strip {
			return path
		}
		if i := strings.Index(path, contacts.PathSep); i >= 0 {
			return path[i+1:]
		}
		return ""
	}
	pathOf := map[int]string{}
	idOf := map[string]int{}
	bad := map[int]bool{}
	tie := func(path string, id int) {
		for id != RootID && path != "" && !bad[id] {
			if _, known := parent[id]; !known {
				return
			}
			if old, ok := pathOf[id]; ok {
				if old != path {
					bad[id] = true
					delete(pathOf, id)
					delete(idOf, old)
				}
				return // ancestors are tied already
			}
			pathOf[id] = path
			idOf[path] = id
			id = parent[id]
			path = contacts.ParentPath(path)
		}
	}
	for _, p := range pairs {
		tie(stripPath(p.path), p.id)
	}
	// Members in several departments: once all but one of their
	// departments are tied, the remaining path and id belong together.
	for progress := true; progress; {
		progress = false
		for _, u := range s.Users {
			if u.Details == nil || len(u.Departments) < 2 || len(u.Departments) != len(u.Details.Departments) {
				continue
			}
			var paths []string
			var ids []int
			for _, p := range u.Details.Departments {
				if _, ok := idOf[stripPath(p)]; !ok {
					paths = append(paths, stripPath(p))
				}
			}
			for _, id := range u.Departments {
				if _, ok := pathOf[id]; !ok && !bad[id] {
					ids = append(ids, id)
				}
			}
			if len(paths) == 1 && len(ids) == 1 && len(contacts.SplitPath(paths[0])) == depth(ids[0]) {
				tie(paths[0], ids[0])
				progress = true
			}
		}
	}
	known := 0
	for i := range s.Departments {
		if p, ok := pathOf[s.Departments[i].ID]; ok {
			levels := contacts.SplitPath(p)
			s.Departments[i].Name = levels[len(levels)-1]
			known++
		}
	}
	s.NameSource = SourceSheet
	if len(bad) > 0 {
		ids := make([]int, 0, len(bad))
		for id := range bad {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		s.Notes = append(s.Notes, Item{Kind: KindCompany, Key: "target-sheet",
			Reason: Msg{"sheet_inconsistent", fmt.Sprintf("目标通讯录表格与接口数据不一致，部门%v的名称无法确定", ids), fmt.Sprintf("the target sheet disagrees with the API; names of departments %v stay unknown", ids)}})
	}
}
