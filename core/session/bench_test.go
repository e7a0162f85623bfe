package session

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
)

// BenchmarkFlowTimeToFirstCall100k walks a 100,000-member company through
// a Flow to its plan on the rehearsal target, confirms the plan and
// measures, end to end, the time from Run (the Start button) until the
// first member call (user/create or batch/syncuser) has reached the
// simulator (goal: under 1 s), besides the confirmation's own time and the
// longest stretch without a progress event before that call. Run with
// -benchtime 1x.
func BenchmarkFlowTimeToFirstCall100k(b *testing.B) {
	const n = 100_000
	dir := sample.Company(n, 7)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "s.db"), store.Options{})
		must(b, err)
		f, conn, pl := walk(b, st, dir, upgrade.MethodNew)
		t0 := time.Now()
		must(b, f.ConfirmPlan(pl, nil, f.Name))
		confirm := time.Since(t0)

		ctx, cancel := context.WithCancel(context.Background())
		var start time.Time
		var mu sync.Mutex
		var last time.Time
		var silence time.Duration
		steps := map[string]bool{}
		opt := migrate.Options{ProgressEvery: 10 * time.Millisecond, OnProgress: func(p migrate.Progress) {
			mu.Lock()
			defer mu.Unlock()
			now := time.Now()
			silence = max(silence, now.Sub(last))
			if debugSteps {
				println("DBG", p.Phase, p.Step, now.Sub(start).String())
			}
			last = now
			steps[p.Phase+"/"+p.Step] = true
		}}
		first := make(chan time.Time, 1)
		stop := make(chan struct{})
		go func() { // watches the simulator's counters for the first member call
			for {
				s := conn.Sim.Stats()
				if s.Calls["user/create"]+s.Calls["batch/syncuser"] > 0 {
					first <- time.Now()
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
			}
		}()
		done := make(chan error, 1)
		b.StartTimer()
		mu.Lock()
		start = time.Now()
		last = start
		mu.Unlock()
		go func() {
			_, err := f.Run(ctx, opt, nil)
			done <- err
		}()
		var at time.Time
		select {
		case at = <-first:
		case err := <-done:
			b.Fatalf("run ended before any member call: %v", err)
		}
		b.StopTimer()
		cancel()
		close(stop)
		if err := <-done; err != nil && err != migrate.ErrInterrupted {
			b.Fatal(err)
		}
		mu.Lock()
		silence = max(silence, at.Sub(last))
		mu.Unlock()
		if !steps[migrate.PhasePrepare+"/"+migrate.StepJournal] {
			b.Fatalf("no journal step among the progress events %v", steps)
		}
		b.ReportMetric(at.Sub(start).Seconds(), "s-to-first-call")
		b.ReportMetric(confirm.Seconds(), "s-confirm")
		b.ReportMetric(silence.Seconds(), "s-longest-silence")
		f.Close()
		st.Close()
	}
}

const debugSteps = false
