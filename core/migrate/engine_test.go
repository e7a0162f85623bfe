package migrate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/upgrade"
)

func run(t testing.TB, e *env, p *plan.Plan, f Target, opt Options, ctx context.Context) (*Result, error) {
	t.Helper()
	eng, err := New(e.st.DB(), e.project, p, f, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	return eng.Run(ctx, p.ContactsHash)
}

func TestRunModes(t *testing.T) {
	cases := []struct {
		name      string
		n         int
		noBiz     bool
		mode      BatchMode
		wantSyncs bool
	}{
		{"small per-member", 40, false, BatchAuto, false},
		{"auto above threshold without biz mail uses batch", 60, true, BatchAuto, true},
		{"always batch", 30, true, BatchAlways, true},
		{"never batch", 60, true, BatchNever, false},
		{"biz mail forces per-member", 60, false, BatchAlways, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, f := newEnv(t), newFake()
			dir := company(tc.n, tc.noBiz)
			p := mustPlan(t, f, dir, upgrade.MethodNew)
			var events []Progress
			var mu sync.Mutex
			res, err := run(t, e, p, f, Options{Batch: tc.mode, BatchThreshold: 50, ChunkSize: 25, Workers: 4,
				OnProgress: func(pr Progress) { mu.Lock(); events = append(events, pr); mu.Unlock() }}, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() || res.MembersCreated != tc.n || res.DeptsCreated != 6 || f.creates != tc.n || f.deptCreates != 6 {
				t.Fatalf("result %+v verification %+v creates %d", res, res.Verification, f.creates)
			}
			if (f.syncs > 0) != tc.wantSyncs {
				t.Errorf("syncs %d, want batch %v", f.syncs, tc.wantSyncs)
			}
			if res.Commits >= int64(res.Total) {
				t.Errorf("journal not batched: %d commits for %d operations", res.Commits, res.Total)
			}
			last := events[len(events)-1]
			if last.Phase != PhaseDone || last.Done != res.Total || last.Remaining != 0 {
				t.Errorf("last event %+v", last)
			}
			// The journal agrees.
			st, meta, err := Status(e.st.DB(), e.project, p)
			if err != nil || !meta.Finished || st.Done != res.Total || meta.Verification == nil || !meta.Verification.OK {
				t.Errorf("status %+v %+v %v", st, meta, err)
			}
			// Running again does nothing more.
			res2, err := run(t, e, p, f, Options{}, context.Background())
			if err != nil || !res2.OK() || f.creates != tc.n {
				t.Errorf("second run: %+v %v creates %d", res2, err, f.creates)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	e, f := newEnv(t), newFake()
	dir := company(5, false)
	p := mustPlan(t, f, dir, upgrade.MethodNew)
	eng, _ := New(e.st.DB(), e.project, p, f, Options{})
	defer eng.Close()
	if _, err := eng.Run(context.Background(), "other"); !errors.Is(err, ErrContactsChanged) {
		t.Errorf("contacts changed: %v", err)
	}
	if _, err := eng.Run(context.Background(), p.ContactsHash); err != nil {
		t.Fatal(err)
	}
	dir.Members[0].Position = "经理"
	p2 := mustPlan(t, f, dir, upgrade.MethodNew)
	eng2, _ := New(e.st.DB(), e.project, p2, f, Options{})
	defer eng2.Close()
	if _, err := eng2.Run(context.Background(), p2.ContactsHash); !errors.Is(err, ErrPlanChanged) {
		t.Errorf("plan changed: %v", err)
	}
	blocked := *p
	blocked.Conflicts = []plan.Item{{Kind: plan.KindCompany, Key: "x"}}
	if _, err := New(e.st.DB(), e.project, &blocked, f, Options{}); !errors.Is(err, ErrPlanBlocked) {
		t.Errorf("blocked: %v", err)
	}
}

func TestFailuresAndRetry(t *testing.T) {
	e, f := newEnv(t), newFake()
	dir := company(20, false)
	p := mustPlan(t, f, dir, upgrade.MethodNew)
	f.failUser["user00003"] = 60104
	f.failUser["user00007"] = 60145
	f.loseAnswer["user00005"] = true // applied, answer lost: retried, 60102 proves it
	f.loseAnswer["d后端组"] = true
	res, err := run(t, e, p, f, Options{}, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 2 || res.MembersCreated != 18 || res.OK() || res.Verification.OK || len(res.Verification.MissingMembers) != 2 {
		t.Fatalf("result %+v %+v", res, res.Verification)
	}
	for _, fl := range res.Failures {
		if fl.Kind != "create" || (fl.Code != 60104 && fl.Code != 60145) || !fl.Explain.Complete() {
			t.Errorf("failure %+v", fl)
		}
	}
	if f.creates != 18 || f.deptCreates != 6 {
		t.Errorf("creates %d depts %d", f.creates, f.deptCreates)
	}
	// The user fixes the target; retry-failed finishes.
	delete(f.failUser, "user00003")
	delete(f.failUser, "user00007")
	eng, _ := New(e.st.DB(), e.project, p, f, Options{})
	defer eng.Close()
	res, err = eng.RetryFailed(context.Background(), p.ContactsHash)
	if err != nil || !res.OK() || f.creates != 20 {
		t.Fatalf("retry: %+v %v", res, err)
	}
	recs, _ := Records(e.st.DB(), e.project, p)
	if r := recs[CreateKey("user00003")]; r.State != StateDone || r.Attempts != 2 {
		t.Errorf("record %+v", r)
	}
}

// TestInterruptAndResume cancels runs at many points, losing the journal's
// unflushed records each time, and checks that every member and department
// is created exactly once.
func TestInterruptAndResume(t *testing.T) {
	for _, stopAt := range []int{1, 2, 3, 6, 7, 8, 9, 10, 55, 91} {
		e, f := newEnv(t), newFake()
		dir := company(100, stopAt%2 == 0)
		p := mustPlan(t, f, dir, upgrade.MethodNew)
		ctx, cancel := context.WithCancel(context.Background())
		f.onCall = func(n int) {
			if n == stopAt {
				cancel()
			}
		}
		// A long flush interval: records of the interrupted run are lost
		// unless Run flushes them (it does on interruption); drop the
		// journal's buffer to simulate a crash instead.
		eng, _ := New(e.st.DB(), e.project, p, f, Options{Batch: BatchAlways, ChunkSize: 30, FlushEvery: time.Hour, FlushOps: 1 << 20})
		eng.j.mu.Lock()
		eng.j.buf = map[string]Record{}
		eng.j.mu.Unlock()
		res, err := eng.Run(ctx, p.ContactsHash)
		if !errors.Is(err, ErrInterrupted) || !res.Interrupted {
			t.Fatalf("stop %d: %v %+v", stopAt, err, res)
		}
		eng.Close()
		cancel()
		f.onCall = nil
		res, err = run(t, e, p, f, Options{Batch: BatchAlways, ChunkSize: 30}, context.Background())
		if err != nil || !res.OK() {
			t.Fatalf("stop %d: resume %+v %v", stopAt, res, err)
		}
		if f.creates != 100 || f.deptCreates != 6 || len(f.users) != 100 {
			t.Errorf("stop %d: creates %d depts %d users %d", stopAt, f.creates, f.deptCreates, len(f.users))
		}
	}
}

func TestPauseResume(t *testing.T) {
	e, f := newEnv(t), newFake()
	p := mustPlan(t, f, company(50, false), upgrade.MethodNew)
	eng, _ := New(e.st.DB(), e.project, p, f, Options{Workers: 1})
	defer eng.Close()
	paused := make(chan struct{})
	var once sync.Once
	f.onCall = func(n int) {
		if n == 20 {
			once.Do(func() { eng.Pause(); close(paused) })
		}
	}
	done := make(chan *Result)
	go func() {
		r, _ := eng.Run(context.Background(), p.ContactsHash)
		done <- r
	}()
	<-paused
	// While paused, no new operation starts: the call counter settles.
	f.mu.Lock()
	before := f.calls
	f.mu.Unlock()
	for i := 0; i < 50; i++ {
		time.Sleep(2 * time.Millisecond)
	}
	f.mu.Lock()
	after := f.calls
	f.mu.Unlock()
	if after-before > 1 || !eng.Paused() || !eng.Snapshot().Paused {
		t.Errorf("calls went on while paused: %d → %d", before, after)
	}
	eng.Resume()
	r := <-done
	if !r.OK() || f.creates != 50 {
		t.Fatalf("after resume %+v", r)
	}
}

func TestBindUpdates(t *testing.T) {
	e, f := newEnv(t), newFake()
	f.depts[2] = plan.TargetDept{ID: 2, ParentID: 1, Name: "销售部"}
	f.users["old1"] = plan.User{UserID: "old1", Departments: []int{2}}
	f.users["user00001"] = plan.User{UserID: "user00001", Departments: []int{2}}
	dir := company(10, false)
	p := mustPlan(t, f, dir, upgrade.MethodBind)
	if len(p.Update) != 1 || len(p.Create) != 9 {
		t.Fatalf("plan create %d update %d", len(p.Create), len(p.Update))
	}
	res, err := run(t, e, p, f, Options{}, context.Background())
	if err != nil || !res.OK() || res.MembersUpdated != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, ok := f.users["old1"]; !ok || len(f.users["user00001"].Departments) != 2 {
		t.Errorf("target member lost or not merged: %+v", f.users["user00001"])
	}
}

func TestJournalBatching(t *testing.T) {
	e := newEnv(t)
	j := OpenJournal(e.st.DB(), e.project, time.Hour, 100)
	for i := 0; i < 1000; i++ {
		j.Put(CreateKey(string(rune('a'+i%26))+strings.Repeat("x", i%7)+string(rune('0'+i%10))), Record{State: StateDone})
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if c := j.Commits(); c > 12 || c < 1 {
		t.Errorf("commits %d for 1000 puts with batches of 100", c)
	}
	_, _, recs, err := LoadJournal(e.st.DB(), e.project)
	if err != nil || len(recs) == 0 {
		t.Fatalf("%d %v", len(recs), err)
	}
}

func TestSyncCSV(t *testing.T) {
	b, err := SyncCSV([]plan.User{{UserID: "a", Name: "张,三", Gender: "2", Departments: []int{3, 5}, MainDepartment: 3, Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := "姓名,帐号,手机号,邮箱,所在部门,职位,性别,是否部门内领导,排序,别名,地址,座机,禁用\n\"张,三\",a,,,3;5,,女,0;0,0;0,,,,1\n"
	if string(b) != want {
		t.Errorf("got\n%s", b)
	}
}

var _ = contacts.PathSep
