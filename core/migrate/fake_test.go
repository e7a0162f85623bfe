package migrate

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
)

// fake is an in-memory WeCom with fault injection.
type fake struct {
	mu      sync.Mutex
	depts   map[int]plan.TargetDept
	users   map[string]plan.User // lower userid
	mobiles map[string]string

	creates, updates, deptCreates, syncs int // successful applications
	calls                                int

	// failUser makes CreateUser of these userids fail with the code.
	failUser map[string]int
	// loseAnswer: apply the write but answer a transport error (once per key).
	loseAnswer map[string]bool
	// onCall runs before every write (tests cancel contexts from it).
	onCall func(n int)
	// flaky makes the next writes of a key (userid, or "d"+department
	// name) fail with these codes, one per call, before anything is applied.
	flaky map[string][]int
	// inflight counts CreateUser calls running; maxInflight is its peak.
	// hold, when set, runs inside CreateUser while counted.
	inflight, maxInflight int
	hold                  func()
}

// flake pops the next planned transient failure of key.
func (f *fake) flake(api, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	codes := f.flaky[key]
	if len(codes) == 0 {
		return nil
	}
	f.flaky[key] = codes[1:]
	return &wecom.Error{API: api, Code: codes[0], Item: key, Msg: "flaky"}
}

func newFake() *fake {
	return &fake{depts: map[int]plan.TargetDept{1: {ID: 1}}, users: map[string]plan.User{}, mobiles: map[string]string{},
		failUser: map[string]int{}, loseAnswer: map[string]bool{}, flaky: map[string][]int{}}
}

func (f *fake) hook() {
	f.mu.Lock()
	f.calls++
	n, h := f.calls, f.onCall
	f.mu.Unlock()
	if h != nil {
		h(n)
	}
}

func (f *fake) ListUserIDs(context.Context) ([]plan.TargetUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []plan.TargetUser
	for _, u := range f.users {
		out = append(out, plan.TargetUser{UserID: u.UserID, Departments: append([]int(nil), u.Departments...)})
	}
	return out, nil
}

func (f *fake) ListDepartmentIDs(context.Context) ([]plan.TargetDept, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []plan.TargetDept
	for _, d := range f.depts {
		out = append(out, plan.TargetDept{ID: d.ID, ParentID: d.ParentID})
	}
	return out, nil
}

func (f *fake) ListDepartments(context.Context) ([]plan.TargetDept, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []plan.TargetDept
	for _, d := range f.depts {
		out = append(out, d)
	}
	return out, nil
}

func (f *fake) CreateDepartment(ctx context.Context, d plan.Department) error {
	f.hook()
	if err := ctx.Err(); err != nil {
		return &wecom.Error{Code: wecom.CodeTransport, Err: err}
	}
	if err := f.flake("department/create", "d"+d.Name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.depts[d.ParentID]; !ok {
		return &wecom.Error{API: "department/create", Code: 60004}
	}
	if _, ok := f.depts[d.ID]; ok {
		return &wecom.Error{API: "department/create", Code: 60008}
	}
	for _, x := range f.depts {
		if x.ParentID == d.ParentID && x.Name == d.Name {
			return &wecom.Error{API: "department/create", Code: 60008}
		}
	}
	f.depts[d.ID] = plan.TargetDept{ID: d.ID, ParentID: d.ParentID, Name: d.Name}
	f.deptCreates++
	if f.loseAnswer["d"+d.Name] {
		delete(f.loseAnswer, "d"+d.Name)
		return &wecom.Error{API: "department/create", Code: wecom.CodeTransport, Msg: "answer lost"}
	}
	return nil
}

func (f *fake) createLocked(u plan.User) error {
	k := strings.ToLower(u.UserID)
	if code := f.failUser[k]; code != 0 {
		return &wecom.Error{API: "user/create", Code: code, Item: u.UserID}
	}
	if _, ok := f.users[k]; ok {
		return &wecom.Error{API: "user/create", Code: 60102, Item: u.UserID}
	}
	if o, ok := f.mobiles[u.Mobile]; ok && u.Mobile != "" && o != k {
		return &wecom.Error{API: "user/create", Code: 60104, Item: u.UserID}
	}
	for _, d := range u.Departments {
		if _, ok := f.depts[d]; !ok {
			return &wecom.Error{API: "user/create", Code: 60003, Item: u.UserID}
		}
	}
	f.users[k] = u
	if u.Mobile != "" {
		f.mobiles[u.Mobile] = k
	}
	f.creates++
	return nil
}

func (f *fake) CreateUser(ctx context.Context, u plan.User) error {
	f.hook()
	if err := ctx.Err(); err != nil {
		return &wecom.Error{Code: wecom.CodeTransport, Err: err}
	}
	f.mu.Lock()
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	hold := f.hold
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inflight--; f.mu.Unlock() }()
	if hold != nil {
		hold()
	}
	if err := f.flake("user/create", strings.ToLower(u.UserID)); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.createLocked(u); err != nil {
		return err
	}
	if f.loseAnswer[strings.ToLower(u.UserID)] {
		delete(f.loseAnswer, strings.ToLower(u.UserID))
		return &wecom.Error{API: "user/create", Code: wecom.CodeTransport, Msg: "answer lost"}
	}
	return nil
}

func (f *fake) UpdateUser(ctx context.Context, u plan.User) error {
	f.hook()
	if err := ctx.Err(); err != nil {
		return &wecom.Error{Code: wecom.CodeTransport, Err: err}
	}
	if err := f.flake("user/update", strings.ToLower(u.UserID)); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := strings.ToLower(u.UserID)
	old, ok := f.users[k]
	if !ok {
		return &wecom.Error{API: "user/update", Code: 60111}
	}
	if u.Departments != nil {
		old.Departments = u.Departments
	}
	if u.Alias != "" {
		old.Alias = u.Alias
	}
	f.users[k] = old
	f.updates++
	return nil
}

func (f *fake) SyncUsers(ctx context.Context, users []plan.User, progress func(int)) ([]RowResult, error) {
	f.hook()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	out := make([]RowResult, len(users))
	for i, u := range users {
		k := strings.ToLower(u.UserID)
		out[i].UserID = u.UserID
		if _, ok := f.users[k]; ok { // upsert
			continue
		}
		if err := f.createLocked(u); err != nil {
			out[i].Err = err
		}
	}
	return out, nil
}

// env is a store with one project.
type env struct {
	st      *store.Store
	project string
}

func newEnv(t testing.TB) *env {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := st.CreateProject("示例公司")
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, project: p.ID}
}

// company returns n members in a few departments; without biz mail when
// noBiz (so they can go through batch jobs).
func company(n int, noBiz bool) *contacts.Directory {
	d := &contacts.Directory{}
	paths := []string{"研发部/后端组", "研发部/前端组", "销售部", "销售部/华东", "行政部"}
	for i := 0; i < n; i++ {
		m := contacts.Member{Name: fmt.Sprintf("成员%d", i), Account: fmt.Sprintf("user%05d", i),
			Mobile: fmt.Sprintf("138%08d", i), Departments: []string{paths[i%len(paths)]}}
		if !noBiz {
			m.BizMail = m.Account + "@example.com"
		}
		d.Members = append(d.Members, m)
	}
	return d
}

func mustPlan(t testing.TB, r plan.Reader, dir *contacts.Directory, method upgrade.Method) *plan.Plan {
	t.Helper()
	p, checks, err := plan.Prepare(context.Background(), r, plan.ReadOptions{CreatedThisMonth: -1},
		plan.Input{Method: method, Company: "示例公司", Contacts: dir})
	if err != nil || p == nil {
		t.Fatalf("plan: %v %+v", err, checks)
	}
	if p.Blocked() {
		t.Fatalf("plan blocked: %+v", p.Conflicts)
	}
	return p
}
