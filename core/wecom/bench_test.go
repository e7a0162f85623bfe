package wecom_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// BenchmarkClientCreateUser measures user/create throughput of the client
// against the simulator on loopback (no latency, no limits) with 1, 4 and
// 16 workers.
func BenchmarkClientCreateUser(b *testing.B) {
	for _, workers := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			_, c := startSim(b, wecomsim.Options{})
			ctx := context.Background()
			if err := c.Check(ctx); err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			var failed atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						u := &wecom.User{UserID: fmt.Sprintf("u%08d", i), Name: "用户", Mobile: fmt.Sprintf("139%08d", i),
							Department: []int{1}}
						if err := c.CreateUser(ctx, u); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
			if failed.Load() > 0 {
				b.Fatalf("%d creates failed", failed.Load())
			}
		})
	}
}

// BenchmarkMigrate100k creates the departments of a 100,000-member sample
// company and then its members with 4 workers (faster than 16 on 2 cores) through the client against
// the simulator (no latency, no limits). Run with -benchtime=1x.
func BenchmarkMigrate100k(b *testing.B) {
	dir := sample.Company(100000, 1)
	for n := 0; n < b.N; n++ {
		s, c := startSim(b, wecomsim.Options{})
		ctx := context.Background()
		start := time.Now()
		ids := createDepartments(b, ctx, c, dir)
		var next atomic.Int64
		var failed atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(dir.Members) {
						return
					}
					u, err := userFromMember(&dir.Members[i], ids)
					if err == nil {
						err = c.CreateUser(ctx, u)
					}
					if err != nil {
						failed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		if failed.Load() > 0 {
			b.Fatalf("%d members failed", failed.Load())
		}
		if got := len(s.State().Users); got != len(dir.Members) {
			b.Fatalf("%d members in sim", got)
		}
		b.ReportMetric(el.Seconds(), "s/migration")
		b.ReportMetric(float64(len(dir.Members))/el.Seconds(), "members/s")
	}
}

// BenchmarkRateLimitCompliance runs 4 workers for 5 s against a server
// that allows 10 calls per 1-s window per API (600/min, scaled down so the
// run is short) and blocks for 1 s after a breach (45009). The client is
// configured with the same 600/min. It reports the achieved rate as a
// percentage of the limit and the 45009 answers seen; no call may fail.
func BenchmarkRateLimitCompliance(b *testing.B) {
	for n := 0; n < b.N; n++ {
		s, _ := startSim(b, wecomsim.Options{})
		s.SetKnobs(wecomsim.Knobs{RateLimit: 10, RateWindow: time.Second, BlockFor: time.Second})
		c, err := wecom.New(wecom.Config{BaseURL: simBase[s], CorpID: s.CorpID(), Secret: s.Secret(),
			RatePerMinute: 600, RateLimitWait: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if err := c.Check(ctx); err != nil { // token (its own API counter)
			b.Fatal(err)
		}
		const run = 5 * time.Second
		start := time.Now()
		var ok, failed atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Since(start) < run {
					if _, err := c.ListUserIDs(ctx); err != nil {
						failed.Add(1)
					} else {
						ok.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		perMin := float64(ok.Load()) / el.Minutes()
		b.ReportMetric(perMin/600*100, "%of-limit")
		b.ReportMetric(float64(s.Stats().ByCode[wecom.CodeRateLimit]), "45009s")
		if failed.Load() > 0 {
			b.Fatalf("%d calls failed", failed.Load())
		}
	}
}

// BenchmarkClientRate runs c.MaxInFlight() goroutines creating members for
// 10 s against the simulator on 127.0.0.1 with a fixed latency per call, a
// limit of 6,000 calls/min per API (WeCom's per-minute window, scaled down)
// and a cap of 40 concurrent calls per API (45033), with the client
// configured at the same 6,000/min. It reports the achieved rate as a
// percentage of the allowed one, the share of calls refused with 45033,
// the 45009 answers and the client's final bound of calls in flight.
// %allowed covers the whole run, including the bound's ramp from 8 and the
// last calls' drain; %steady counts only the answers between 3 s and 10 s.
// At 500 ms the cap allows at most 40 / 0.5 s = 80 calls/s (80 %); the
// last case lifts the cap.
// Run: go test ./core/wecom -run X -bench ClientRate -benchtime 1x
func BenchmarkClientRate(b *testing.B) {
	const allowed = 6000 // per minute
	const run = 10 * time.Second
	for _, tc := range []struct {
		lat time.Duration
		cap int
	}{{0, 40}, {50 * time.Millisecond, 40}, {200 * time.Millisecond, 40}, {500 * time.Millisecond, 40}, {500 * time.Millisecond, 0}} {
		lat := tc.lat
		b.Run(fmt.Sprintf("latency=%s/cap=%d", lat, tc.cap), func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				s, _ := startSim(b, wecomsim.Options{})
				c := simClient(b, s, wecom.Config{RatePerMinute: allowed})
				ctx := context.Background()
				if err := c.Check(ctx); err != nil {
					b.Fatal(err)
				}
				s.SetKnobs(wecomsim.Knobs{Latency: lat, RateLimit: allowed, RateWindow: time.Minute, MaxConcurrent: tc.cap})
				before := s.Stats()
				const settle = 3 * time.Second
				var ok, steady, failed, next atomic.Int64
				start := time.Now()
				var wg sync.WaitGroup
				for w := 0; w < c.MaxInFlight(); w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for time.Since(start) < run {
							i := next.Add(1)
							u := &wecom.User{UserID: fmt.Sprintf("u%08d", i), Name: "用户", Mobile: fmt.Sprintf("139%08d", i),
								Department: []int{1}}
							if err := c.CreateUser(ctx, u); err != nil {
								failed.Add(1)
							} else {
								ok.Add(1)
								if t := time.Since(start); t >= settle && t < run {
									steady.Add(1)
								}
							}
						}
					}()
				}
				wg.Wait()
				el := time.Since(start)
				st := s.Stats()
				calls := st.Calls["user/create"] - before.Calls["user/create"]
				refused := st.ByCode[wecom.CodeConcurrency] - before.ByCode[wecom.CodeConcurrency]
				b.ReportMetric(float64(ok.Load())/el.Minutes()/allowed*100, "%allowed")
				b.ReportMetric(float64(steady.Load())/(run-settle).Minutes()/allowed*100, "%steady")
				b.ReportMetric(float64(refused)/float64(max(calls, 1))*100, "%45033")
				b.ReportMetric(float64(st.ByCode[wecom.CodeRateLimit]), "45009s")
				b.ReportMetric(float64(c.Stats()["user/create"].Limit), "bound")
				b.ReportMetric(float64(ok.Load())/el.Seconds(), "members/s")
				if failed.Load() > 0 {
					b.Fatalf("%d creates failed", failed.Load())
				}
			}
		})
	}
}
