package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/width"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/upgrade"
)

// FormatVersion is the version of the plan format.
const FormatVersion = 1

// Input is what a plan is built from.
type Input struct {
	Method   upgrade.Method
	Company  string              // company name; a first path level equal to it is stripped
	Contacts *contacts.Directory // clean contacts (no rule errors)
	Target   *Snapshot           // the target as read; an empty snapshot for a brand-new company
}

var userIDRe = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_\-@.]{0,63}$`)

// ValidUserID reports whether s is a userid WeCom accepts.
func ValidUserID(s string) bool { return userIDRe.MatchString(s) }

var folder = cases.Fold()

// normName folds a department name the way sibling uniqueness is judged:
// case, width and surrounding spaces are ignored.
func normName(s string) string {
	return folder.String(width.Fold.String(strings.TrimSpace(s)))
}

// Build computes the plan. It never fails on data: everything that forbids
// the migration is a conflict in the result. It errors only on missing input.
func Build(in Input) (*Plan, error) {
	if in.Contacts == nil {
		return nil, fmt.Errorf("build plan: no contacts")
	}
	if in.Method != upgrade.MethodNew && in.Method != upgrade.MethodBind {
		return nil, fmt.Errorf("build plan: unknown method %q", in.Method)
	}
	snap := in.Target
	if snap == nil {
		snap = &Snapshot{CreatedThisMonth: -1}
	}
	b := &builder{in: in, snap: snap, p: &Plan{
		Version: FormatVersion, Method: in.Method, Company: in.Company,
		ContactsHash: in.Contacts.Hash(), AccountCap: snap.AccountCap, TargetUsers: len(snap.Users),
		Departments: []Department{}, Matched: []DeptMatch{}, Create: []MemberOp{}, Update: []MemberOp{},
		Conflicts: []Item{}, Warnings: []Item{}, Untouched: []Item{},
	}}
	dir := b.stripCompany(b.otherMailboxes(in.Contacts)) // other mailboxes are never members (mailboxes.go)
	b.p.Warnings = append(b.p.Warnings, snap.Notes...)
	b.departments(dir)
	b.members(dir)
	b.limits()
	b.seats()
	return b.p, nil
}

type builder struct {
	in     Input
	snap   *Snapshot
	p      *Plan
	pathID map[string]int // planned path → id (matched or new); 0 when blocked
}

// stripCompany removes a first level equal to the company name when every
// path starts with it, and returns the directory to plan from.
func (b *builder) stripCompany(d *contacts.Directory) *contacts.Directory {
	c := strings.TrimSpace(b.in.Company)
	if c == "" {
		return d
	}
	all := d.AllDepartments()
	if len(all) == 0 {
		return d
	}
	for _, p := range all {
		if contacts.SplitPath(p)[0] != c {
			return d
		}
	}
	strip := func(p string) string {
		if p == c {
			return ""
		}
		return strings.TrimPrefix(p, c+contacts.PathSep)
	}
	out := &contacts.Directory{Members: make([]contacts.Member, len(d.Members))}
	if d.DeptOrder != nil {
		out.DeptOrder = make(map[string]int, len(d.DeptOrder))
		for p, o := range d.DeptOrder {
			out.DeptOrder[strip(p)] = o
		}
	}
	for _, p := range d.Departments {
		if s := strip(p); s != "" {
			out.Departments = append(out.Departments, s)
		}
	}
	for i, m := range d.Members {
		m.Departments = nil
		for _, p := range d.Members[i].Departments {
			m.Departments = append(m.Departments, strip(p))
		}
		out.Members[i] = m
	}
	b.p.StrippedRoot = true
	return out
}

func (b *builder) departments(dir *contacts.Directory) {
	children := map[int][]TargetDept{}
	maxID := RootID
	for _, d := range b.snap.Departments {
		if d.ID != RootID {
			children[d.ParentID] = append(children[d.ParentID], d)
		}
		if d.ID > maxID {
			maxID = d.ID
		}
	}
	next := maxID + 1
	b.pathID = map[string]int{"": RootID}
	planned := map[string]bool{}               // paths this plan creates
	siblings := map[string]map[string]string{} // parent path → folded name → planned name
	for _, path := range dir.AllDepartments() {
		levels := contacts.SplitPath(path)
		name := levels[len(levels)-1]
		parentPath := contacts.ParentPath(path)
		key := normName(name)
		if siblings[parentPath] == nil {
			siblings[parentPath] = map[string]string{}
		}
		if other, ok := siblings[parentPath][key]; ok && other != name {
			b.conflict(KindDepartment, path, 0,
				Msg{"department_clash", fmt.Sprintf("部门「%s」与同级部门「%s」被企业微信视为同名", name, other), fmt.Sprintf("department %q clashes with its sibling %q (WeCom treats them as the same name)", name, other)},
				Msg{"department_clash", "统一这两个部门名称的写法（大小写、全角半角）", "spell the two department names identically (case, full/half width)"})
			b.pathID[path] = 0
			continue
		}
		siblings[parentPath][key] = name
		parentID, ok := b.pathID[parentPath]
		if !ok || parentID == 0 {
			b.pathID[path] = 0 // parent blocked: its conflict is reported already
			continue
		}
		if !planned[parentPath] {
			// The parent exists in the target: look for this name among its children.
			var exact, clash *TargetDept
			unknown := 0
			for i, c := range children[parentID] {
				switch {
				case c.Name == "":
					unknown++
				case c.Name == name:
					exact = &children[parentID][i]
				case normName(c.Name) == key:
					clash = &children[parentID][i]
				}
			}
			if exact != nil {
				b.pathID[path] = exact.ID
				b.p.Matched = append(b.p.Matched, DeptMatch{Path: path, ID: exact.ID})
				continue
			}
			if clash != nil {
				b.conflict(KindDepartment, path, 0,
					Msg{"department_clash", fmt.Sprintf("目标企业已有同级部门「%s」（ID %d），与「%s」被视为同名", clash.Name, clash.ID, name), fmt.Sprintf("the target already has sibling department %q (id %d), which WeCom treats as the same name as %q", clash.Name, clash.ID, name)},
					Msg{"department_clash", "在通讯录中使用目标企业的部门名称写法", "use the target's spelling of the department name in the contacts"})
				b.pathID[path] = 0
				continue
			}
			if unknown > 0 {
				b.conflict(KindDepartment, path, 0,
					Msg{"department_names_unknown", fmt.Sprintf("目标企业在上级部门下有%d个名称未知的部门，无法判断「%s」是否已存在", unknown, name), fmt.Sprintf("the target has %d departments with unknown names under this parent; cannot tell whether %q exists", unknown, name)},
					Msg{"department_names_unknown", "从目标企业管理后台导出通讯录表格并提供给本工具（--target-contacts），或使用自建应用的只读secret", "export the target's contacts sheet from its admin console and provide it (--target-contacts), or use a self-built app's read-only secret"})
				b.pathID[path] = 0
				continue
			}
		}
		d := Department{Path: path, Name: name, ID: next, ParentID: parentID, Order: dir.DeptOrder[path]}
		next++
		b.pathID[path] = d.ID
		planned[path] = true
		b.p.Departments = append(b.p.Departments, d)
	}
	// Target departments the contacts do not mention stay as they are.
	used := map[int]bool{}
	for _, id := range b.pathID {
		used[id] = true
	}
	byID := make(map[int]TargetDept, len(b.snap.Departments))
	for _, d := range b.snap.Departments {
		byID[d.ID] = d
	}
	for _, d := range b.snap.Departments {
		if d.ID == RootID || used[d.ID] {
			continue
		}
		// A person reads the department's path, as the admin console
		// shows it; only a department whose name the API hides (48009)
		// is named by its ID.
		key := targetPath(byID, d)
		if key == "" {
			key = fmt.Sprintf("#%d", d.ID)
		}
		b.p.Untouched = append(b.p.Untouched, Item{Kind: KindDepartment, Key: key,
			Reason: Msg{"target_only", "目标企业已有的部门，不在通讯录中，保持不变（不会删除）", "exists only in the target; kept as it is (never deleted)"}})
	}
}

// targetPath is d's full path below the root ("销售部/华南大区"), or "" when
// a level's name is unknown or the parents do not lead to the root.
func targetPath(byID map[int]TargetDept, d TargetDept) string {
	var levels []string
	for depth := 0; d.ID != RootID; depth++ {
		if d.Name == "" || depth > 64 {
			return ""
		}
		levels = append(levels, d.Name)
		p, ok := byID[d.ParentID]
		if !ok {
			if d.ParentID != RootID {
				return ""
			}
			break
		}
		d = p
	}
	for i, j := 0, len(levels)-1; i < j; i, j = i+1, j-1 {
		levels[i], levels[j] = levels[j], levels[i]
	}
	return strings.Join(levels, "/")
}

func (b *builder) conflict(kind, key string, row int, reason, advice Msg) {
	b.p.Conflicts = append(b.p.Conflicts, Item{Kind: kind, Key: key, Row: row, Reason: reason, Advice: advice})
}

func genderCode(g string) string {
	switch g {
	case "男":
		return "1"
	case "女":
		return "2"
	}
	return ""
}

// GenerateUserID returns the userid the planner gives a member without an
// account: the local part of the biz mail when it is a valid userid, else
// "u" and a hash of the member's identity. taken reports ids already used
// (compared lower-case); a numeric suffix resolves clashes deterministically.
func GenerateUserID(m *contacts.Member, taken func(string) bool) string {
	base := ""
	if i := strings.IndexByte(m.BizMail, '@'); i > 0 && ValidUserID(m.BizMail[:i]) {
		base = m.BizMail[:i]
	}
	if base == "" || taken(strings.ToLower(base)) {
		h := sha256.Sum256([]byte(m.Name + "\x00" + m.Mobile + "\x00" + m.Email + "\x00" + m.BizMail))
		base = "u" + hex.EncodeToString(h[:])[:10]
	}
	id := base
	for n := 2; taken(strings.ToLower(id)); n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	return id
}

func (b *builder) members(dir *contacts.Directory) {
	target := make(map[string]*TargetUser, len(b.snap.Users))
	byMobile, byEmail, byBiz := map[string]string{}, map[string]string{}, map[string]string{}
	for i := range b.snap.Users {
		u := &b.snap.Users[i]
		target[strings.ToLower(u.UserID)] = u
		if d := u.Details; d != nil {
			if d.Mobile != "" {
				byMobile[d.Mobile] = u.UserID
			}
			if d.Email != "" {
				byEmail[strings.ToLower(d.Email)] = u.UserID
			}
			if d.BizMail != "" {
				byBiz[strings.ToLower(d.BizMail)] = u.UserID
			}
		}
	}
	// Sized up front: a 100,000-member plan is built without regrowing.
	b.p.Create = make([]MemberOp, 0, max(0, len(dir.Members)-len(b.snap.Users)))
	taken := make(map[string]bool, len(target)+len(dir.Members))
	for k := range target {
		taken[k] = true
	}
	for _, m := range dir.Members {
		if a := strings.TrimSpace(m.Account); a != "" {
			taken[strings.ToLower(a)] = true
		}
	}
	seen := map[string]bool{} // target userids the contacts touch
	for i := range dir.Members {
		m := &dir.Members[i]
		uid := strings.TrimSpace(m.Account) // a blank account lets the planner choose
		generated := false
		owners := func() map[string]string { // field → owning target userid
			o := map[string]string{}
			if m.Mobile != "" && byMobile[m.Mobile] != "" {
				o["mobile"] = byMobile[m.Mobile]
			}
			if m.Email != "" && byEmail[strings.ToLower(m.Email)] != "" {
				o["email"] = byEmail[strings.ToLower(m.Email)]
			}
			if m.BizMail != "" && byBiz[strings.ToLower(m.BizMail)] != "" {
				o["biz_mail"] = byBiz[strings.ToLower(m.BizMail)]
			}
			return o
		}()
		if uid == "" {
			distinct := map[string]bool{}
			for _, o := range owners {
				distinct[o] = true
			}
			if len(distinct) == 1 {
				for o := range distinct {
					uid = o // the same person, proven by a shared mobile/email
				}
			} else {
				uid = GenerateUserID(m, func(s string) bool { return taken[s] })
				taken[strings.ToLower(uid)] = true
				generated = true
				if i := strings.IndexByte(m.BizMail, '@'); i > 0 && target[strings.ToLower(m.BizMail[:i])] != nil {
					b.p.Warnings = append(b.p.Warnings, Item{Kind: KindMember, Key: uid, Row: m.Row,
						Reason: Msg{"userid_taken", fmt.Sprintf("目标企业已有账号%s，没有证据表明是同一人，将新建账号%s", m.BizMail[:i], uid), fmt.Sprintf("the target already has userid %s and nothing proves it is the same person; %s will be created", m.BizMail[:i], uid)},
						Advice: Msg{"userid_taken", fmt.Sprintf("如是同一人，请在通讯录的账号列填写%s", m.BizMail[:i]), fmt.Sprintf("if it is the same person, put %s in the account column", m.BizMail[:i])}})
				}
			}
		}
		blocked := false
		fields := make([]string, 0, len(owners))
		for f := range owners {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			if o := owners[f]; !strings.EqualFold(o, uid) {
				b.conflict(KindMember, uid, m.Row,
					Msg{"owned_by_other", fmt.Sprintf("%s已被目标企业的成员%s使用", fieldZH(f), o), fmt.Sprintf("the %s is owned by target member %s", f, o)},
					Msg{"owned_by_other", fmt.Sprintf("如是同一人，请把账号改为%s；否则修改%s", o, fieldZH(f)), fmt.Sprintf("if it is the same person, set the account to %s; otherwise change the %s", o, f)})
				blocked = true
			}
		}
		deptIDs := make([]int, 0, len(m.Departments))
		for _, p := range m.Departments {
			id := b.pathID[p]
			if id == 0 {
				blocked = true // the department's conflict is listed
				continue
			}
			if !containsInt(deptIDs, id) {
				deptIDs = append(deptIDs, id)
			}
		}
		if len(m.Departments) == 0 {
			deptIDs = []int{RootID}
		}
		if blocked {
			continue
		}
		u := User{UserID: uid, Name: m.Name, Alias: m.Alias, Position: m.Position, Gender: genderCode(m.Gender),
			Mobile: m.Mobile, Telephone: m.Telephone, Email: m.Email, BizMail: m.BizMail, Address: m.Address,
			Departments: deptIDs, MainDepartment: deptIDs[0], Disabled: m.Disabled}
		t := target[strings.ToLower(uid)]
		if t == nil {
			reason := Msg{"new_member", "新建成员", "new member"}
			if generated {
				reason = Msg{"new_member_generated", "新建成员（账号由本工具生成，重复运行结果相同）", "new member (userid generated deterministically)"}
			}
			b.p.Create = append(b.p.Create, MemberOp{Row: m.Row, User: u, Generated: generated, Reason: reason})
			continue
		}
		seen[strings.ToLower(t.UserID)] = true
		u.UserID = t.UserID
		if b.in.Method == upgrade.MethodNew {
			b.p.Update = append(b.p.Update, MemberOp{Row: m.Row, User: u,
				Reason: Msg{"update_member", "目标企业已有此账号，按通讯录更新", "the userid exists in the target; updated from the contacts"}})
			continue
		}
		b.merge(m, t, u)
	}
	for _, t := range b.snap.Users {
		if !seen[strings.ToLower(t.UserID)] {
			b.p.Untouched = append(b.p.Untouched, Item{Kind: KindMember, Key: t.UserID,
				Reason: Msg{"target_only", "目标企业已有的成员，不在通讯录中，保持不变（不会删除）", "exists only in the target; kept as it is (never deleted)"}})
		}
	}
	if b.in.Method == upgrade.MethodBind && len(b.snap.Users) > 0 && b.snap.DetailsSource == "" {
		b.p.Warnings = append(b.p.Warnings, Item{Kind: KindCompany, Key: "details",
			Reason: Msg{"details_unknown", "目标企业成员的手机、邮箱未知，冲突将在迁移时以失败项列出（60104/60106）", "the target members' mobiles and emails are unknown; conflicts will show as failed items during the migration (60104/60106)"},
			Advice: Msg{"details_unknown", "提供目标企业导出的通讯录表格可提前发现冲突", "provide the target's exported contacts sheet to find conflicts now"}})
	}
}

func fieldZH(f string) string {
	switch f {
	case "mobile":
		return "手机号"
	case "email":
		return "邮箱"
	case "biz_mail":
		return "企业邮箱"
	}
	return f
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// merge plans the update of an existing target member for method bind:
// departments are added (never removed), fields are filled only where the
// target has none, and the target's value wins where both differ.
func (b *builder) merge(m *contacts.Member, t *TargetUser, want User) {
	upd := User{UserID: t.UserID}
	changed := false
	var kept []string
	union := append([]int(nil), t.Departments...)
	for _, id := range want.Departments {
		if !containsInt(union, id) {
			union = append(union, id)
			changed = true
		}
	}
	if changed {
		upd.Departments = union
	}
	if d := t.Details; d != nil {
		fill := func(name string, ours, theirs string, dst *string) {
			switch {
			case ours == "" || ours == theirs:
			case theirs == "":
				*dst = ours
				changed = true
			default:
				kept = append(kept, name)
			}
		}
		fill("name", want.Name, d.Name, &upd.Name)
		fill("alias", want.Alias, d.Alias, &upd.Alias)
		fill("position", want.Position, d.Position, &upd.Position)
		fill("gender", want.Gender, genderCode(d.Gender), &upd.Gender)
		fill("mobile", want.Mobile, d.Mobile, &upd.Mobile)
		fill("telephone", want.Telephone, d.Telephone, &upd.Telephone)
		fill("email", want.Email, d.Email, &upd.Email)
		fill("biz_mail", want.BizMail, d.BizMail, &upd.BizMail)
		fill("address", want.Address, d.Address, &upd.Address)
	} else {
		kept = append(kept, "all fields (target details unknown)")
	}
	if !changed {
		b.p.Untouched = append(b.p.Untouched, Item{Kind: KindMember, Key: t.UserID, Row: m.Row,
			Reason: Msg{"already_present", "目标企业已有此成员，无需修改", "already in the target; nothing to change"}})
		return
	}
	if len(kept) > 0 {
		b.p.Untouched = append(b.p.Untouched, Item{Kind: KindMember, Key: t.UserID, Row: m.Row,
			Reason: Msg{"target_wins", "目标企业的数据优先，保留目标企业的值：" + strings.Join(kept, ", "), "the target's data wins; kept the target's value of: " + strings.Join(kept, ", ")}})
	}
	b.p.Update = append(b.p.Update, MemberOp{Row: m.Row, User: upd,
		Reason: Msg{"merge_member", "合并到目标企业已有成员（只补充，不覆盖，不删除）", "merged into the existing target member (fills gaps, never overwrites or deletes)"}})
}

// limits turns the account limits (capLimits, the rule CapChecks shows)
// into the plan's conflicts, and an unknown cap into a warning.
func (b *builder) limits() {
	for _, l := range capLimits(b.snap, len(b.p.Create)) {
		switch {
		case !l.Known && l.Name == capAccount:
			b.p.Warnings = append(b.p.Warnings, Item{Kind: KindCompany, Key: capAccount,
				Reason: Msg{"cap_unknown", "账号上限未知，无法预先检查", "the account cap is unknown; not checked in advance"}})
			return
		case !l.Exceeded():
		case l.Name == capAccount:
			b.conflict(KindCompany, l.Name, 0,
				Msg{"cap_exceeded", fmt.Sprintf("迁移后共%d个账号，超过账号上限%d", l.Total, l.Limit), fmt.Sprintf("%d accounts after the migration exceed the account cap of %d", l.Total, l.Limit)},
				l.advice())
		default:
			b.conflict(KindCompany, l.Name, 0,
				Msg{"monthly_exceeded", fmt.Sprintf("本月已新建%d个账号，再新建%d个将超过每月上限（3×账号上限=%d）", l.Base, l.New, l.Limit), fmt.Sprintf("%d accounts created this month plus %d new exceed the monthly allowance (3 × cap = %d)", l.Base, l.New, l.Limit)},
				l.advice())
		}
	}
}
