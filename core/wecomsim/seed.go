package wecomsim

import (
	"fmt"
	"sort"
	"strings"

	"exmail-upgrade/core/contacts"
)

// Seed pre-fills the tenant with an existing company ("method 2: bind
// existing"): every department path of d (parents first) and every member,
// with the API's validation (the account cap is not applied). Departments
// that already exist are reused. Members without an account get "seedN".
// The business-mail domains of the seeded members become the tenant's own
// mail domains (see SetMailDomains): from then on a biz_mail outside them
// is refused with 60143, as WeCom refuses it for a company with domains.
// It returns the ID of every department path.
func (s *Server) Seed(d *contacts.Directory) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := map[string]int{}
	for _, p := range d.AllDepartments() {
		parent := rootID
		if pp := contacts.ParentPath(p); pp != "" {
			parent = ids[pp]
		}
		levels := contacts.SplitPath(p)
		name := levels[len(levels)-1]
		if id, ok := s.t.children[parent][name]; ok {
			ids[p] = id
			continue
		}
		id, e := s.t.createDept(name, "", parent, 0, 0)
		if e != nil {
			return nil, fmt.Errorf("seed department %q: %w", p, e)
		}
		ids[p] = id
	}
	var domains []string
	for i := range d.Members {
		if at := strings.LastIndexByte(d.Members[i].BizMail, '@'); at > 0 {
			domains = append(domains, d.Members[i].BizMail[at+1:])
		}
	}
	if len(domains) > 0 {
		s.t.setOwnDomains(append(domains, s.t.ownDomains...))
	}
	cap := s.t.accountCap
	s.t.accountCap = 0
	defer func() { s.t.accountCap = cap }()
	for i := range d.Members {
		m := &d.Members[i]
		uid := m.Account
		if uid == "" {
			uid = fmt.Sprintf("seed%d", i+1)
		}
		in := userIn{UserID: &uid, Name: &m.Name, Alias: &m.Alias, Mobile: &m.Mobile, Position: &m.Position,
			Email: &m.Email, BizMail: &m.BizMail, Telephone: &m.Telephone, Address: &m.Address}
		for _, p := range m.Departments {
			in.Department = append(in.Department, ids[p])
		}
		g := map[string]string{"男": "1", "女": "2"}[m.Gender]
		in.Gender = &g
		en := 1
		if m.Disabled {
			en = 0
		}
		in.Enable = &en
		if _, e := s.t.applyUser(&in, nil); e != nil {
			return nil, fmt.Errorf("seed member %d %q: %w", i+1, uid, e)
		}
	}
	return ids, nil
}

// SetMailDomains sets the company's own mail domains (kept in the tenant
// file): a biz_mail outside them (and outside Knobs.MailDomains) is then
// refused with 60143. No domains means none are checked.
func (s *Server) SetMailDomains(domains []string) {
	s.mu.Lock()
	s.t.setOwnDomains(domains)
	s.mu.Unlock()
}

// MailDomains returns the company's own mail domains, sorted.
func (s *Server) MailDomains() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.t.ownDomains...)
}

// setOwnDomains stores domains lower-cased, sorted and without repeats.
func (t *tenant) setOwnDomains(domains []string) {
	seen := map[string]bool{}
	var out []string
	for _, d := range domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	t.ownDomains = out
	t.dirtyMeta = true
}

// State is a full read of the tenant, for verification in tests and the
// rehearsal report.
type State struct {
	Departments []Department // by ID; Path filled in
	Users       []User       // by lower-case userid
}

// State returns a copy of the tenant's departments and members.
func (s *Server) State() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &State{}
	for _, d := range s.t.depts {
		c := *d
		c.Path = s.t.path(d.ID)
		st.Departments = append(st.Departments, c)
	}
	sort.Slice(st.Departments, func(i, j int) bool { return st.Departments[i].ID < st.Departments[j].ID })
	for _, k := range s.t.sortedKeys() {
		u := *s.t.users[k]
		u.Department = append([]int(nil), u.Department...)
		u.Order = append([]int(nil), u.Order...)
		u.IsLeaderInDept = append([]int(nil), u.IsLeaderInDept...)
		st.Users = append(st.Users, u)
	}
	return st
}

// User returns the member with userid (ignoring case), if any.
func (st *State) User(userid string) (User, bool) {
	k := strings.ToLower(userid)
	i := sort.Search(len(st.Users), func(i int) bool { return strings.ToLower(st.Users[i].UserID) >= k })
	if i < len(st.Users) && strings.ToLower(st.Users[i].UserID) == k {
		return st.Users[i], true
	}
	return User{}, false
}

// Directory converts the state into a contacts directory (department
// paths, gender as 男/女), to compare a migrated tenant with its source.
func (st *State) Directory() *contacts.Directory {
	paths := map[int]string{}
	d := &contacts.Directory{}
	for _, dep := range st.Departments {
		paths[dep.ID] = dep.Path
		if dep.ID != rootID {
			d.Departments = append(d.Departments, dep.Path)
		}
	}
	for _, u := range st.Users {
		m := contacts.Member{Name: u.Name, Account: u.UserID, Alias: u.Alias, Position: u.Position,
			Gender: map[string]string{"1": "男", "2": "女"}[u.Gender], Mobile: u.Mobile, Telephone: u.Telephone,
			Email: u.Email, Address: u.Address, BizMail: u.BizMail, Disabled: u.Enable == 0}
		for _, id := range u.Department {
			if p := paths[id]; p != "" {
				m.Departments = append(m.Departments, p)
			}
		}
		d.Members = append(d.Members, m)
	}
	return d
}
