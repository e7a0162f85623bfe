package migrate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// TestTransientIsNeverFinal: token (40014, 42001), busy (-1), rate and
// concurrency (45009, 45033) and network failures that outlast the client's
// own retries leave the item for a final pass; it succeeds there. Only the
// final answers (60104 here) fail, explained.
func TestTransientIsNeverFinal(t *testing.T) {
	e, f := newEnv(t), newFake()
	dir := company(30, false)
	p := mustPlan(t, f, dir, upgrade.MethodNew)
	f.flaky["user00001"] = []int{wecom.CodeInvalidToken}
	f.flaky["user00002"] = []int{wecom.CodeTokenExpired, wecom.CodeTokenExpired}
	f.flaky["user00003"] = []int{wecom.CodeBusy}
	f.flaky["user00004"] = []int{wecom.CodeRateLimit}
	f.flaky["user00005"] = []int{wecom.CodeConcurrency, wecom.CodeTransport, wecom.CodeConcurrency}
	f.flaky["d后端组"] = []int{wecom.CodeBusy} // its members wait for it, they do not fail
	f.failUser["user00009"] = wecom.CodeMobileExists
	res, err := run(t, e, p, f, Options{RetryBackoff: time.Millisecond}, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || len(res.Failures) != 1 || res.Failures[0].Key != "user00009" || res.Failures[0].Code != wecom.CodeMobileExists || res.Failures[0].Explain.IsZero() {
		t.Fatalf("failures %+v", res.Failures)
	}
	if res.MembersCreated != 29 || res.DeptsCreated != 6 || f.creates != 29 {
		t.Fatalf("result %+v creates %d", res, f.creates)
	}
}

// TestTransientOutlastsRetries: an item that keeps failing transiently
// through every final pass fails in the end, saying so (and the run ends).
func TestTransientOutlastsRetries(t *testing.T) {
	e, f := newEnv(t), newFake()
	p := mustPlan(t, f, company(5, false), upgrade.MethodNew)
	f.flaky["user00002"] = []int{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
	res, err := run(t, e, p, f, Options{RetryBackoff: time.Millisecond, RetryRounds: 3}, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || res.Failures[0].Code != wecom.CodeBusy || res.MembersCreated != 4 {
		t.Fatalf("result %+v", res)
	}
	if n := len(f.flaky["user00002"]); n != 10-4 {
		t.Errorf("tried %d times, want 4 (1 + 3 final passes)", 10-n)
	}
}

// TestInFlightDefault: without Options.Workers the engine keeps as many
// calls in flight as the target allows (64 by default), not 8.
func TestInFlightDefault(t *testing.T) {
	e, f := newEnv(t), newFake()
	p := mustPlan(t, f, company(200, false), upgrade.MethodNew)
	var once sync.Once
	gate := make(chan struct{})
	f.hold = func() {
		f.mu.Lock()
		n := f.inflight
		f.mu.Unlock()
		if n >= DefaultInFlight {
			once.Do(func() { close(gate) })
		}
		select {
		case <-gate:
		case <-time.After(2 * time.Second):
		}
	}
	res, err := run(t, e, p, f, Options{}, context.Background())
	if err != nil || !res.OK() {
		t.Fatalf("%v %+v", err, res)
	}
	if f.maxInflight != DefaultInFlight {
		t.Errorf("peak calls in flight %d, want %d", f.maxInflight, DefaultInFlight)
	}
}

// TestPrepareStepReported: before the first call the progress events name
// what the engine is busy with (reading/writing the journal), so a large
// company's start is never silent.
func TestPrepareStepReported(t *testing.T) {
	e, f := newEnv(t), newFake()
	p := mustPlan(t, f, company(10, false), upgrade.MethodNew)
	var first *Progress
	var mu sync.Mutex
	res, err := run(t, e, p, f, Options{OnProgress: func(pr Progress) {
		mu.Lock()
		if first == nil {
			first = &pr
		}
		mu.Unlock()
	}}, context.Background())
	if err != nil || !res.OK() {
		t.Fatalf("%v %+v", err, res)
	}
	if first == nil || first.Phase != PhasePrepare || first.Step != StepJournal {
		t.Errorf("first event %+v, want phase %s step %s", first, PhasePrepare, StepJournal)
	}
}

// TestUserIDTakenMeanwhile: a userid the plan creates appears in the target
// before the run (someone else's member, in another department): its 60102
// is checked against the member there and fails, explained — never counted
// as done. One that matches ours (same departments) is done, not failed.
func TestUserIDTakenMeanwhile(t *testing.T) {
	e, f := newEnv(t), newFake()
	p := mustPlan(t, f, company(10, false), upgrade.MethodNew)
	f.depts[99] = plan.TargetDept{ID: 99, ParentID: 1, Name: "别的部门"}
	f.users["user00002"] = plan.User{UserID: "user00002", Departments: []int{99}}
	ours := p.Create[4].User
	ours.Departments = append([]int(nil), ours.Departments...)
	res, err := run(t, e, p, &preCreate{fake: f, u: ours}, Options{}, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || res.Failures[0].Key != "user00002" || res.Failures[0].Code != wecom.CodeUserIDExists ||
		!strings.Contains(res.Failures[0].Explain.En, "user00002") {
		t.Fatalf("failures %+v", res.Failures)
	}
	recs, _ := Records(e.st.DB(), e.project, p)
	if r := recs[CreateKey(ours.UserID)]; r.State != StateDone || r.Note != "exists" {
		t.Errorf("our own member found present: %+v", r)
	}
}

// preCreate creates one member of ours in the target just before the
// departments are created, as a lost answer of an earlier run would have.
type preCreate struct {
	*fake
	u    plan.User
	once sync.Once
}

func (p *preCreate) CreateUser(ctx context.Context, u plan.User) error {
	p.once.Do(func() {
		p.fake.mu.Lock()
		p.fake.users[strings.ToLower(p.u.UserID)] = p.u
		p.fake.mu.Unlock()
	})
	return p.fake.CreateUser(ctx, u)
}

// TestBatchJobAwaitedOnResume: a run stopped right after its batch job was
// submitted and journaled resumes by awaiting that job, not by submitting
// its rows again.
func TestBatchJobAwaitedOnResume(t *testing.T) {
	sim, tgt := startSim(t, wecomsim.Knobs{AcceptDuplicateCreates: true, JobRowDelay: time.Millisecond})
	e := newEnv(t)
	p := mustPlan(t, tgt, company(60, true), upgrade.MethodNew)
	ctx, cancel := context.WithCancel(context.Background())
	var jobs int
	opt := Options{Batch: BatchAlways, ChunkSize: 25, afterCall: func(key string, err error) {
		if strings.HasPrefix(key, "job/") {
			jobs++
			cancel() // stop while the job runs: its id is in the journal
		}
	}}
	if _, err := run(t, e, p, tgt, opt, ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("first run: %v", err)
	}
	eng, _ := New(e.st.DB(), e.project, p, tgt, Options{})
	if ids, _ := eng.j.Jobs(); len(ids) != 1 {
		t.Fatalf("journaled jobs %v", ids)
	}
	eng.Close()
	res, err := run(t, e, p, tgt, Options{Batch: BatchAlways, ChunkSize: 25}, context.Background())
	if err != nil || !res.OK() {
		t.Fatalf("resume: %v %+v", err, res)
	}
	if jobs != 1 {
		t.Errorf("jobs journaled %d", jobs)
	}
	if n := sim.Stats().Calls["batch/syncuser"]; n != 3 {
		t.Errorf("%d jobs submitted for 60 rows in chunks of 25, want 3", n)
	}
	createdOnce(t, sim, p)
}
