package wecomsim

import (
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Department is one department of the tenant as State returns it.
type Department struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	NameEn   string `json:"name_en,omitempty"`
	ParentID int    `json:"parentid"`
	Order    int    `json:"order"`
	Path     string `json:"-"` // names from below the root, joined by "/" ("" for the root)
}

// User is one member of the tenant as State returns it (and as it is stored).
type User struct {
	UserID         string `json:"userid"`
	Name           string `json:"name"`
	Alias          string `json:"alias,omitempty"`
	Mobile         string `json:"mobile,omitempty"`
	Department     []int  `json:"department"`
	Order          []int  `json:"order"`
	Position       string `json:"position,omitempty"`
	Gender         string `json:"gender,omitempty"`
	Email          string `json:"email,omitempty"`
	BizMail        string `json:"biz_mail,omitempty"`
	Telephone      string `json:"telephone,omitempty"`
	IsLeaderInDept []int  `json:"is_leader_in_dept"`
	MainDepartment int    `json:"main_department"`
	Enable         int    `json:"enable"`
	Address        string `json:"address,omitempty"`
	BizMailFixed   bool   `json:"biz_mail_fixed,omitempty"` // set at creation or changed once: 60144 on change
}

// userIn is a user/create or user/update body; pointers tell which fields
// were given.
type userIn struct {
	UserID         *string `json:"userid"`
	Name           *string `json:"name"`
	Alias          *string `json:"alias"`
	Mobile         *string `json:"mobile"`
	Department     []int   `json:"department"`
	Order          []int   `json:"order"`
	Position       *string `json:"position"`
	Gender         *string `json:"gender"`
	Email          *string `json:"email"`
	BizMail        *string `json:"biz_mail"`
	Telephone      *string `json:"telephone"`
	IsLeaderInDept []int   `json:"is_leader_in_dept"`
	MainDepartment *int    `json:"main_department"`
	Enable         *int    `json:"enable"`
	Address        *string `json:"address"`
}

// apiErr is a WeCom errcode with its errmsg.
type apiErr struct {
	code int
	msg  string
}

func (e *apiErr) Error() string { return fmt.Sprintf("errcode %d: %s", e.code, e.msg) }

func fail(code int, format string, args ...any) *apiErr {
	return &apiErr{code: code, msg: fmt.Sprintf(format, args...)}
}

// Limits of the WeCom API the simulator enforces.
const (
	maxDepth        = 15    // levels below the root
	maxUserDepts    = 100   // departments per member
	defaultDeptCap  = 30000 // departments per company
	listIDMaxLimit  = 10000
	mediaMinBytes   = 5
	mediaMaxBytes   = 20 << 20
	rootID          = 1
	forbiddenInDept = `\:*?"<>|`
)

var (
	reUserID    = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_\-@.]{0,63}$`)
	reMainland  = regexp.MustCompile(`^(\+86[- ]?)?1[0-9]{10}$`)
	reIntl      = regexp.MustCompile(`^\+[0-9]{1,4}[- ]?[0-9][0-9 \-]{3,}$`)
	reTelephone = regexp.MustCompile(`^[0-9+\-,]{1,32}$`)
	reBizLocal  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)
)

// tenant is the in-memory state of one company; the Server persists it.
// All methods expect the caller to hold Server.mu.
type tenant struct {
	depts    map[int]*Department
	children map[int]map[string]int // parent id → child name → id
	nextDept int
	users    map[string]*User  // key: lower-case userid
	byMobile map[string]string // canonical mobile → user key
	byEmail  map[string]string // lower-case email → user key
	byBiz    map[string]string // lower-case biz mail → user key
	sorted   []string          // sorted user keys; nil when stale

	accountCap  int
	deptCap     int
	mailDomains []string // from Knobs.MailDomains
	ownDomains  []string // the company's own mail domains (SetMailDomains, Seed); persisted
	dirtyMeta   bool

	dirtyDepts map[int]bool
	dirtyUsers map[string]bool
}

func newTenant() *tenant {
	t := &tenant{
		depts: map[int]*Department{}, children: map[int]map[string]int{}, nextDept: 2,
		users: map[string]*User{}, byMobile: map[string]string{}, byEmail: map[string]string{}, byBiz: map[string]string{},
		dirtyDepts: map[int]bool{}, dirtyUsers: map[string]bool{}, deptCap: defaultDeptCap,
	}
	t.putDept(&Department{ID: rootID, Name: "企业", ParentID: 0})
	return t
}

func (t *tenant) putDept(d *Department) {
	t.depts[d.ID] = d
	if d.ID != rootID {
		m := t.children[d.ParentID]
		if m == nil {
			m = map[string]int{}
			t.children[d.ParentID] = m
		}
		m[d.Name] = d.ID
	}
	if d.ID >= t.nextDept {
		t.nextDept = d.ID + 1
	}
	t.dirtyDepts[d.ID] = true
}

func (t *tenant) putUser(u *User, old *User) {
	key := strings.ToLower(u.UserID)
	if old != nil {
		if old.Mobile != "" {
			delete(t.byMobile, canonMobile(old.Mobile))
		}
		if old.Email != "" {
			delete(t.byEmail, strings.ToLower(old.Email))
		}
		if old.BizMail != "" {
			delete(t.byBiz, strings.ToLower(old.BizMail))
		}
	} else {
		t.sorted = nil
	}
	t.users[key] = u
	if u.Mobile != "" {
		t.byMobile[canonMobile(u.Mobile)] = key
	}
	if u.Email != "" {
		t.byEmail[strings.ToLower(u.Email)] = key
	}
	if u.BizMail != "" {
		t.byBiz[strings.ToLower(u.BizMail)] = key
	}
	t.dirtyUsers[key] = true
}

func (t *tenant) depth(id int) int {
	n := 0
	for id != rootID {
		d, ok := t.depts[id]
		if !ok {
			return n
		}
		id = d.ParentID
		n++
	}
	return n
}

func checkDeptName(name string) *apiErr {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 64 || strings.TrimSpace(name) == "" {
		return fail(60001, "department name size not valid")
	}
	if strings.ContainsAny(name, forbiddenInDept) {
		return fail(60009, "department name include invalid char")
	}
	return nil
}

// createDept validates and creates a department; it returns its ID.
func (t *tenant) createDept(name, nameEn string, parent, order, id int) (int, *apiErr) {
	if err := checkDeptName(name); err != nil {
		return 0, err
	}
	if nameEn != "" {
		if err := checkDeptName(nameEn); err != nil {
			return 0, err
		}
	}
	if _, ok := t.depts[parent]; !ok {
		return 0, fail(60004, "parent department not found")
	}
	if t.depth(parent)+1 > maxDepth {
		return 0, fail(60002, "department level too deep")
	}
	if _, dup := t.children[parent][name]; dup {
		return 0, fail(60008, "department existed")
	}
	if id != 0 {
		if id < 2 || id > 1<<31-1 {
			return 0, fail(40058, "invalid department id")
		}
		if _, dup := t.depts[id]; dup {
			return 0, fail(60008, "department id existed")
		}
	}
	if len(t.depts) >= t.deptCap {
		return 0, fail(60006, "department count exceeds limit")
	}
	if id == 0 {
		id = t.nextDept
	}
	t.putDept(&Department{ID: id, Name: name, NameEn: nameEn, ParentID: parent, Order: order})
	return id, nil
}

// subtree returns id and its descendants, parents before children.
func (t *tenant) subtree(id int) []*Department {
	var out []*Department
	queue := []int{id}
	for len(queue) > 0 {
		d := t.depts[queue[0]]
		queue = queue[1:]
		out = append(out, d)
		kids := make([]int, 0, len(t.children[d.ID]))
		for _, k := range t.children[d.ID] {
			kids = append(kids, k)
		}
		sort.Ints(kids)
		queue = append(queue, kids...)
	}
	return out
}

// path returns the department's names below the root joined by "/".
func (t *tenant) path(id int) string {
	var parts []string
	for id != rootID {
		d, ok := t.depts[id]
		if !ok {
			break
		}
		parts = append(parts, d.Name)
		id = d.ParentID
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

var mobileSeps = strings.NewReplacer(" ", "", "-", "")

func canonMobile(m string) string {
	m = mobileSeps.Replace(m)
	return strings.TrimPrefix(m, "+86")
}

func validMobile(m string) bool {
	if len(m) > 32 {
		return false
	}
	return reMainland.MatchString(m) || reIntl.MatchString(m)
}

func validEmail(e string) bool {
	if len(e) < 6 || len(e) > 64 || strings.ContainsAny(e, " \t<>") {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Contains(e[strings.LastIndex(e, "@"):], ".")
}

func (t *tenant) validBizMail(b string) bool {
	at := strings.LastIndex(b, "@")
	if at < 1 || !validEmail(b) {
		return false
	}
	local, domain := b[:at], strings.ToLower(b[at+1:])
	if !reBizLocal.MatchString(local) || strings.Contains(local, "--") {
		return false
	}
	if len(t.mailDomains) == 0 && len(t.ownDomains) == 0 {
		return true // the tenant does not know its domains (a new company)
	}
	for _, list := range [][]string{t.mailDomains, t.ownDomains} {
		for _, d := range list {
			if strings.EqualFold(d, domain) {
				return true
			}
		}
	}
	return false
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// applyUser validates in against the tenant and writes it: a create when
// old is nil, else an update of old. It returns the stored user.
func (t *tenant) applyUser(in *userIn, old *User) (*User, *apiErr) {
	if in.UserID == nil || *in.UserID == "" {
		return nil, fail(41009, "missing userid")
	}
	uid := *in.UserID
	key := strings.ToLower(uid)
	if old == nil {
		if !reUserID.MatchString(uid) {
			return nil, fail(40003, "invalid userid")
		}
		if _, dup := t.users[key]; dup {
			return nil, fail(60102, "userid existed")
		}
		if t.accountCap > 0 && len(t.users) >= t.accountCap {
			return nil, fail(45024, "account number reaches the limit")
		}
	}
	var u User
	if old != nil {
		u = *old
		u.Department = append([]int(nil), old.Department...)
		u.Order = append([]int(nil), old.Order...)
		u.IsLeaderInDept = append([]int(nil), old.IsLeaderInDept...)
	} else {
		u = User{UserID: uid, Enable: 1}
	}
	if in.Name != nil || old == nil {
		n := utf8.RuneCountInString(str(in.Name))
		if n < 1 || n > 64 || strings.TrimSpace(str(in.Name)) == "" {
			return nil, fail(60112, "invalid username")
		}
		u.Name = *in.Name
	}
	if in.Alias != nil {
		if utf8.RuneCountInString(*in.Alias) > 64 {
			return nil, fail(40058, "invalid alias")
		}
		u.Alias = *in.Alias
	}
	if in.Position != nil {
		if utf8.RuneCountInString(*in.Position) > 128 {
			return nil, fail(301012, "invalid position")
		}
		u.Position = *in.Position
	}
	if in.Address != nil {
		if utf8.RuneCountInString(*in.Address) > 128 {
			return nil, fail(40058, "invalid address")
		}
		u.Address = *in.Address
	}
	if in.Gender != nil {
		switch *in.Gender {
		case "", "0", "1", "2":
			u.Gender = *in.Gender
		default:
			return nil, fail(60114, "invalid gender")
		}
	}
	if in.Telephone != nil && *in.Telephone != "" {
		if !reTelephone.MatchString(*in.Telephone) {
			return nil, fail(301013, "invalid telephone")
		}
		u.Telephone = *in.Telephone
	}
	if in.Mobile != nil && *in.Mobile != "" {
		if !validMobile(*in.Mobile) {
			return nil, fail(60103, "mobile invalid")
		}
		if k, ok := t.byMobile[canonMobile(*in.Mobile)]; ok && k != key {
			return nil, fail(60104, "mobile existed")
		}
		u.Mobile = *in.Mobile
	}
	if in.Email != nil && *in.Email != "" {
		if !validEmail(*in.Email) {
			return nil, fail(60105, "email invalid")
		}
		if k, ok := t.byEmail[strings.ToLower(*in.Email)]; ok && k != key {
			return nil, fail(60106, "email existed")
		}
		u.Email = *in.Email
	}
	if in.BizMail != nil && *in.BizMail != "" && !strings.EqualFold(*in.BizMail, u.BizMail) {
		if !t.validBizMail(*in.BizMail) {
			return nil, fail(60143, "biz_mail invalid")
		}
		if k, ok := t.byBiz[strings.ToLower(*in.BizMail)]; ok && k != key {
			return nil, fail(60145, "biz_mail existed")
		}
		if old != nil && old.BizMailFixed {
			return nil, fail(60144, "biz_mail can not be modified")
		}
		u.BizMail = *in.BizMail
		u.BizMailFixed = true
	}
	if u.Mobile == "" && u.Email == "" {
		return nil, fail(60129, "mobile and email can not both be empty")
	}
	if in.Department != nil || old == nil {
		depts := in.Department
		if len(depts) == 0 {
			depts = []int{rootID}
		}
		if len(depts) > maxUserDepts {
			return nil, fail(60110, "too many departments")
		}
		seen := map[int]bool{}
		for _, d := range depts {
			if _, ok := t.depts[d]; !ok {
				return nil, fail(60003, "department not found")
			}
			if seen[d] {
				return nil, fail(40058, "duplicate department")
			}
			seen[d] = true
		}
		if in.IsLeaderInDept != nil && len(in.IsLeaderInDept) != len(depts) {
			return nil, fail(60132, "is_leader_in_dept size not match department size")
		}
		if in.Order != nil && len(in.Order) != len(depts) {
			return nil, fail(40058, "order size not match department size")
		}
		u.Department = append([]int(nil), depts...)
		u.Order = make([]int, len(depts))
		copy(u.Order, in.Order)
		u.IsLeaderInDept = make([]int, len(depts))
		copy(u.IsLeaderInDept, in.IsLeaderInDept)
		if !seen[u.MainDepartment] {
			u.MainDepartment = depts[0]
		}
	} else if in.IsLeaderInDept != nil || in.Order != nil {
		if in.IsLeaderInDept != nil && len(in.IsLeaderInDept) != len(u.Department) {
			return nil, fail(60132, "is_leader_in_dept size not match department size")
		}
		if in.Order != nil && len(in.Order) != len(u.Department) {
			return nil, fail(40058, "order size not match department size")
		}
		if in.Order != nil {
			u.Order = append([]int(nil), in.Order...)
		}
		if in.IsLeaderInDept != nil {
			u.IsLeaderInDept = append([]int(nil), in.IsLeaderInDept...)
		}
	}
	if in.MainDepartment != nil && *in.MainDepartment != 0 {
		ok := false
		for _, d := range u.Department {
			ok = ok || d == *in.MainDepartment
		}
		if !ok {
			return nil, fail(40058, "main_department not in department")
		}
		u.MainDepartment = *in.MainDepartment
	}
	if in.Enable != nil {
		if *in.Enable != 0 && *in.Enable != 1 {
			return nil, fail(40058, "invalid enable")
		}
		u.Enable = *in.Enable
	}
	stored := &u
	t.putUser(stored, old)
	return stored, nil
}

// sortedKeys returns the user keys in order (cached until a user is added).
func (t *tenant) sortedKeys() []string {
	if t.sorted == nil {
		t.sorted = make([]string, 0, len(t.users))
		for k := range t.users {
			t.sorted = append(t.sorted, k)
		}
		sort.Strings(t.sorted)
	}
	return t.sorted
}

// PendingDeptName is the department WeCom's import puts a member in when
// the row's department ID does not exist.
const PendingDeptName = "其他(待设置部门)"

// placeUnknownDepts replaces the department IDs of a batch row that do not
// exist by 其他(待设置部门) (created under the root when missing), as
// WeCom's import does, keeping is_leader_in_dept and order aligned.
func (t *tenant) placeUnknownDepts(in *userIn) {
	pending, havePending := 0, false
	for _, d := range in.Department {
		if _, ok := t.depts[d]; !ok {
			id, exists := t.children[rootID][PendingDeptName]
			if !exists {
				var e *apiErr
				if id, e = t.createDept(PendingDeptName, "", rootID, 0, 0); e != nil {
					return // e.g. the department cap: the row answers 60003
				}
			}
			pending = id
			break
		}
	}
	if pending == 0 {
		return
	}
	aligned := func(a []int) bool { return a == nil || len(a) == len(in.Department) }
	if !aligned(in.IsLeaderInDept) || !aligned(in.Order) {
		return // the row answers 60132/40058 for its lengths first
	}
	var depts, leaders, orders []int
	for i, d := range in.Department {
		if _, ok := t.depts[d]; !ok || d == pending {
			if havePending {
				continue
			}
			d, havePending = pending, true
		}
		depts = append(depts, d)
		if in.IsLeaderInDept != nil {
			leaders = append(leaders, in.IsLeaderInDept[i])
		}
		if in.Order != nil {
			orders = append(orders, in.Order[i])
		}
	}
	in.Department, in.IsLeaderInDept, in.Order = depts, leaders, orders
}
