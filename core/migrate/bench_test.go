package migrate

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// benchMigrate migrates an n-member generated company into a fresh
// simulator (no artificial latency) with the journal durable; run with
// -benchtime=1x. Reports the journal's commits (one fsync each).
func benchMigrate(b *testing.B, n int, mode BatchMode) {
	dir := sample.Company(n, 1)
	if mode != BatchNever {
		for i := range dir.Members {
			dir.Members[i].BizMail = "" // only members without biz mail can go through batch jobs
		}
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sim, tgt := startSim(b, wecomsim.Knobs{})
		e := newEnv(b)
		p := mustPlan(b, tgt, dir, upgrade.MethodNew)
		b.StartTimer()
		t0 := time.Now()
		res, err := run(b, e, p, tgt, Options{Batch: mode}, context.Background())
		el := time.Since(t0)
		b.StopTimer()
		if err != nil || !res.OK() {
			b.Fatalf("%v %+v", err, res)
		}
		if len(sim.State().Users) != n {
			b.Fatalf("users %d", len(sim.State().Users))
		}
		b.ReportMetric(float64(res.Commits), "commits")
		b.ReportMetric(float64(res.Total)/el.Seconds(), "ops/s")
		b.ReportMetric(el.Seconds(), "s/run")
	}
}

func BenchmarkMigrate100kPerMember(b *testing.B) { benchMigrate(b, 100_000, BatchNever) }
func BenchmarkMigrate100kBatch(b *testing.B)     { benchMigrate(b, 100_000, BatchAuto) }

// BenchmarkJournalPut measures the journal's cost per operation record
// (buffered puts committed in batches of 2000, durable).
func BenchmarkJournalPut(b *testing.B) {
	e := newEnv(b)
	j := OpenJournal(e.st.DB(), e.project, 200*time.Millisecond, 2000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j.Put(CreateKey(fmt.Sprintf("user%08d", i)), Record{State: StateDone, Note: "created", At: time.Now()})
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(j.Commits()), "commits")
}

// BenchmarkResumeAfterKill50 kills (cancels, dropping the journal's
// unflushed records) a 100k per-member migration at 50%, then measures the
// run that resumes it: the reconcile phase and the whole rest.
func BenchmarkResumeAfterKill50(b *testing.B) {
	const n = 100_000
	dir := sample.Company(n, 2)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sim, tgt := startSim(b, wecomsim.Knobs{})
		e := newEnv(b)
		p := mustPlan(b, tgt, dir, upgrade.MethodNew)
		ctx, cancel := context.WithCancel(context.Background())
		var eng *Engine
		eng, _ = New(e.st.DB(), e.project, p, tgt, Options{ProgressEvery: time.Millisecond,
			OnProgress: func(pr Progress) {
				if pr.Done >= pr.Total/2 {
					cancel()
					eng.j.mu.Lock()
					eng.j.buf = map[string]Record{} // what a kill loses
					eng.j.mu.Unlock()
				}
			}})
		_, err := eng.Run(ctx, p.ContactsHash)
		if err != ErrInterrupted {
			b.Fatal(err)
		}
		eng.Close()
		var reconciled time.Duration
		t0 := time.Now()
		b.StartTimer()
		eng2, _ := New(e.st.DB(), e.project, p, tgt, Options{OnProgress: func(pr Progress) {
			if pr.Phase == PhaseDepartments && reconciled == 0 {
				reconciled = time.Since(t0)
			}
		}})
		res, err := eng2.Run(context.Background(), p.ContactsHash)
		el := time.Since(t0)
		b.StopTimer()
		eng2.Close()
		if err != nil || !res.OK() || len(sim.State().Users) != n {
			b.Fatalf("%v %+v", err, res)
		}
		b.ReportMetric(reconciled.Seconds(), "s-to-resume")
		b.ReportMetric(el.Seconds(), "s-to-finish")
		b.ReportMetric(float64(res.Commits), "commits")
	}
}

// firstCall wraps a Target and records when the first write left.
type firstCall struct {
	Target
	once  sync.Once
	at    time.Time
	first chan struct{}
}

func (f *firstCall) mark() { f.once.Do(func() { f.at = time.Now(); close(f.first) }) }

func (f *firstCall) CreateDepartment(ctx context.Context, d plan.Department) error {
	f.mark()
	return f.Target.CreateDepartment(ctx, d)
}

func (f *firstCall) CreateUser(ctx context.Context, u plan.User) error {
	f.mark()
	return f.Target.CreateUser(ctx, u)
}

// BenchmarkTimeToFirstCall100k measures, for a 100,000-member plan, the
// time from Start (the stored plan decoded, the engine set up, Run called)
// until the first write leaves for the target (goal: under 1 s), on a fresh
// journal and on one resumed at 50 %; also its two parts: decoding the
// plan, and the engine from New to the first call.
func BenchmarkTimeToFirstCall100k(b *testing.B) {
	const n = 100_000
	dir := company(n, false)
	f := newFake()
	p := mustPlan(b, f, dir, upgrade.MethodNew)
	data, err := p.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	for _, resumed := range []bool{false, true} {
		name := "fresh"
		if resumed {
			name = "resumed50"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := newEnv(b)
				if resumed {
					recs := map[string]Record{}
					for k, o := range planOps(p) {
						if k < n/2 {
							recs[o.key] = Record{State: StateDone, Note: "created"}
						}
					}
					j := OpenJournal(e.st.DB(), e.project, 0, 0)
					if err := j.PutMeta(Meta{PlanHash: p.Hash(), ContactsHash: p.ContactsHash, Runs: 1, Intent: true}); err != nil {
						b.Fatal(err)
					}
					if err := j.PutAll(recs); err != nil {
						b.Fatal(err)
					}
					j.Close()
				}
				ft := &firstCall{Target: newFake(), first: make(chan struct{})}
				ctx, cancel := context.WithCancel(context.Background())
				b.StartTimer()
				t0 := time.Now()
				p2, err := plan.Unmarshal(data) // the stored plan, as core/session reads it
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				eng, err := New(e.st.DB(), e.project, p2, ft, Options{})
				if err != nil {
					b.Fatal(err)
				}
				done := make(chan struct{})
				go func() { eng.Run(ctx, p2.ContactsHash); close(done) }()
				<-ft.first
				el := ft.at.Sub(t0)
				b.StopTimer()
				cancel()
				<-done
				eng.Close()
				b.ReportMetric(el.Seconds(), "s-to-first-call")
				b.ReportMetric(ft.at.Sub(t1).Seconds(), "s-engine-to-first-call")
				b.ReportMetric(t1.Sub(t0).Seconds(), "s-plan-decode")
			}
		})
	}
}

// arrivals stands in front of the simulator and records when each
// user/create arrived (what WeCom's rate accounting sees).
type arrivals struct {
	h  http.Handler
	mu sync.Mutex
	at []time.Time
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/user/create") {
		a.mu.Lock()
		a.at = append(a.at, time.Now())
		a.mu.Unlock()
	}
	a.h.ServeHTTP(w, r)
}

// BenchmarkRateVsLatency migrates 1,000 members per-member through the
// engine and core/wecom's client into a simulator whose every call takes
// the given latency, the client allowed 6,000 calls/min (100/s), and
// reports the user/create rate achieved as a share of the allowed rate
// (goal ≥ 90 % at 200 ms) and the share of calls answered 45009/45033.
// "workers8" is the engine's former fixed pool, for comparison.
func BenchmarkRateVsLatency(b *testing.B) {
	const n, perMinute = 1000, 6000
	cases := []struct {
		name    string
		latency time.Duration
		workers int
	}{
		{"0ms", 0, 0}, {"50ms", 50 * time.Millisecond, 0}, {"200ms", 200 * time.Millisecond, 0},
		{"500ms", 500 * time.Millisecond, 0}, {"200ms-workers8", 200 * time.Millisecond, 8},
	}
	dir := company(n, false)
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				sim, err := wecomsim.New(wecomsim.Options{Knobs: wecomsim.Knobs{Latency: tc.latency, RateLimit: perMinute, RateWindow: time.Minute}})
				if err != nil {
					b.Fatal(err)
				}
				ar := &arrivals{h: sim}
				srv := httptest.NewServer(ar)
				base := srv.URL
				hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
				c, err := wecom.New(wecom.Config{BaseURL: base, HTTPClient: hc, CorpID: sim.CorpID(), Secret: sim.Secret(),
					RatePerMinute: perMinute, RetryBackoff: 10 * time.Millisecond})
				if err != nil {
					b.Fatal(err)
				}
				ct := NewWeCom(c)
				e := newEnv(b)
				p := mustPlan(b, ct, dir, upgrade.MethodNew)
				b.StartTimer()
				res, err := run(b, e, p, ct, Options{Workers: tc.workers, Batch: BatchNever}, context.Background())
				b.StopTimer()
				if err != nil || !res.OK() {
					b.Fatalf("%v %+v", err, res)
				}
				st := sim.Stats()
				hc.CloseIdleConnections()
				srv.Close()
				sim.Close()
				span := ar.at[len(ar.at)-1].Sub(ar.at[0]).Seconds()
				calls := len(ar.at)
				rate := float64(calls-1) / span
				var all int64
				for _, v := range st.Calls {
					all += v
				}
				// The share after the client's bound has grown (the last 80 %
				// of the creates), besides the whole run's.
				k := len(ar.at) / 5
				steady := float64(len(ar.at)-1-k) / ar.at[len(ar.at)-1].Sub(ar.at[k]).Seconds()
				b.ReportMetric(100*steady/(perMinute/60.0), "%-steady")
				b.ReportMetric(rate, "creates/s")
				b.ReportMetric(100*rate/(perMinute/60.0), "%-of-allowed")
				b.ReportMetric(100*float64(st.ByCode[45009]+st.ByCode[45033])/float64(all), "%-45009/45033")
			}
		})
	}
}
