package migrate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/text"
)

// Verification is what reading the target back found.
type Verification struct {
	At                  time.Time `json:"at"`
	OK                  bool      `json:"ok"` // every planned department and member is there, once
	TargetDepartments   int       `json:"target_departments"`
	TargetMembers       int       `json:"target_members"`
	DepartmentsExpected int       `json:"departments_expected"`
	DepartmentsFound    int       `json:"departments_found"`
	MembersExpected     int       `json:"members_expected"`
	MembersFound        int       `json:"members_found"`
	MissingDepartments  []string  `json:"missing_departments,omitempty"` // paths
	WrongParent         []string  `json:"wrong_parent,omitempty"`        // paths found under another parent
	MissingMembers      []string  `json:"missing_members,omitempty"`     // userids
	DuplicateMembers    []string  `json:"duplicate_members,omitempty"`   // userids listed twice (ignoring case)
	MissingInDepartment []string  `json:"missing_in_department,omitempty"`
	Error               string    `json:"error,omitempty"` // the target could not be read
}

// Summary is a one-line bilingual description (Text joined).
func (v *Verification) Summary() string { return v.Text().Joined() }

// Text is the one-line description in both languages.
func (v *Verification) Text() text.T {
	if v == nil {
		return text.New("未核验", "not verified")
	}
	if v.Error != "" {
		return text.New("核验失败："+v.Error, "verification failed: "+v.Error)
	}
	t := text.Sprintf("核验：部门 %d/%d，成员 %d/%d 在目标企业中", "verified: %d/%d departments, %d/%d members present",
		v.DepartmentsFound, v.DepartmentsExpected, v.MembersFound, v.MembersExpected)
	if len(v.DuplicateMembers) > 0 {
		t = t.Append("", text.Sprintf("；重复：%d", "; duplicates: %d", len(v.DuplicateMembers)))
	}
	return t
}

// Verify reads the target back (department/simplelist, user/list_id) and
// checks that every department and member of p is there exactly once, each
// member in at least the departments the plan put it in.
func Verify(ctx context.Context, r plan.Reader, p *plan.Plan) (*Verification, error) {
	ds, err := r.ListDepartmentIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify departments: %w", err)
	}
	us, err := r.ListUserIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify members: %w", err)
	}
	v := &Verification{At: time.Now(), TargetDepartments: len(ds)}
	parent := make(map[int]int, len(ds))
	for _, d := range ds {
		parent[d.ID] = d.ParentID
	}
	check := func(path string, id, wantParent int) {
		v.DepartmentsExpected++
		got, ok := parent[id]
		switch {
		case !ok:
			v.MissingDepartments = append(v.MissingDepartments, path)
		case wantParent != 0 && got != wantParent:
			v.WrongParent = append(v.WrongParent, path)
		default:
			v.DepartmentsFound++
		}
	}
	for _, m := range p.Matched {
		check(m.Path, m.ID, 0)
	}
	for _, d := range p.Departments {
		check(d.Path, d.ID, d.ParentID)
	}
	members := make(map[string][]int, len(us))
	spelled := make(map[string]string, len(us))
	for _, u := range us {
		k := strings.ToLower(u.UserID)
		if s, ok := spelled[k]; ok && s != u.UserID {
			v.DuplicateMembers = append(v.DuplicateMembers, u.UserID)
		}
		spelled[k] = u.UserID
		members[k] = append(members[k], u.Departments...)
	}
	v.TargetMembers = len(members)
	expect := func(u plan.User) {
		v.MembersExpected++
		depts, ok := members[strings.ToLower(u.UserID)]
		if !ok {
			v.MissingMembers = append(v.MissingMembers, u.UserID)
			return
		}
		v.MembersFound++
		for _, id := range u.Departments {
			found := false
			for _, d := range depts {
				if d == id {
					found = true
					break
				}
			}
			if !found {
				v.MissingInDepartment = append(v.MissingInDepartment, fmt.Sprintf("%s@%d", u.UserID, id))
			}
		}
	}
	for _, m := range p.Create {
		expect(m.User)
	}
	for _, m := range p.Update {
		expect(m.User)
	}
	sort.Strings(v.DuplicateMembers)
	v.OK = v.DepartmentsFound == v.DepartmentsExpected && v.MembersFound == v.MembersExpected &&
		len(v.DuplicateMembers) == 0 && len(v.MissingInDepartment) == 0
	return v, nil
}
