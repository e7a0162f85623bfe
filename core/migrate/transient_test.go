package migrate

import (
	"context"
	"sync"
	"testing"
	"time"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/wecom"
)

// TestTransientIsNeverFinal: token (40014, 42001), busy (-1), rate and
// concurrency (45009, 45033) and network failures that outlast the client's
// own retries leave the item for a final pass; it succeeds there. Only the
// final answers (60104 here) fail, explained.
func TestTransientIsNeverFinal(t *testing.T) {
	e, f := newEnv(t), newFake()
	dir := company(30, false)
	p := mustPlan(t, f, dir, plan.MethodNew)
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
	if res.Failed != 1 || len(res.Failures) != 1 || res.Failures[0].Key != "user00009" || res.Failures[0].Code != wecom.CodeMobileExists || res.Failures[0].Explain == "" {
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
	p := mustPlan(t, f, company(5, false), plan.MethodNew)
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
	p := mustPlan(t, f, company(200, false), plan.MethodNew)
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
	p := mustPlan(t, f, company(10, false), plan.MethodNew)
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
