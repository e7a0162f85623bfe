package wecom

import (
	"container/heap"
	"context"
	"math/rand"
	"sort"
	"testing"
	"time"
)

// answers is a min-heap of answer times of calls in flight.
type answers []time.Time

func (h answers) Len() int           { return len(h) }
func (h answers) Less(i, j int) bool { return h[i].Before(h[j]) }
func (h answers) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *answers) Push(x any)        { *h = append(*h, x.(time.Time)) }
func (h *answers) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// paceSim drives one pace in simulated time: a caller keeps up to
// inFlight calls going; each takes a random latency in [0, maxLatency) and
// reaches the server at a random moment of its flight. Sleeping advances
// the clock, answering the calls whose answers fall in between.
type paceSim struct {
	now      time.Time
	p        *pace
	flying   answers
	arrivals []time.Time
}

func (s *paceSim) sleep(_ context.Context, d time.Duration) error {
	target := s.now.Add(d)
	for len(s.flying) > 0 && !s.flying[0].After(target) {
		s.now = heap.Pop(&s.flying).(time.Time)
		s.p.done()
	}
	s.now = target
	return nil
}

func runPaceSim(t *testing.T, cfg Config, calls, inFlight int, maxLatency time.Duration, seed int64, naive bool) *paceSim {
	t.Helper()
	s := &paceSim{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Now = func() time.Time { return s.now }
	cfg.Sleep = s.sleep
	cfg.MaxInFlight = 64
	s.p = newPace("user/create", &cfg)
	if naive { // even spacing only: no window accounting
		for _, w := range s.p.windows {
			w.limit = 1 << 30
		}
	}
	r := rand.New(rand.NewSource(seed))
	for sent := 0; sent < calls; {
		if len(s.flying) >= inFlight {
			s.sleep(context.Background(), s.flying[0].Sub(s.now))
			continue
		}
		if _, err := s.p.reserve(context.Background()); err != nil {
			t.Fatal(err)
		}
		lat := time.Duration(r.Int63n(int64(maxLatency)))
		s.arrivals = append(s.arrivals, s.now.Add(time.Duration(r.Float64()*float64(lat))))
		heap.Push(&s.flying, s.now.Add(lat))
		sent++
	}
	return s
}

// maxInWindow returns the most arrivals within any window of length per.
func maxInWindow(arrivals []time.Time, per time.Duration) int {
	a := append([]time.Time(nil), arrivals...)
	sort.Slice(a, func(i, j int) bool { return a[i].Before(a[j]) })
	best, j := 0, 0
	for i := range a {
		for a[i].Sub(a[j]) >= per {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// TestRateWindowsHoldUnderJitter: whatever the latency and its jitter, no
// window of a minute or an hour, however aligned, sees more arrivals than
// allowed, while the rate stays close to the allowance. The same traffic
// paced by even spacing alone overflows the minute: the test can fail.
func TestRateWindowsHoldUnderJitter(t *testing.T) {
	cfg := Config{RatePerMinute: 100, RatePerHour: 2500}
	for _, maxLat := range []time.Duration{200 * time.Millisecond, 3 * time.Second, 20 * time.Second} {
		s := runPaceSim(t, cfg, 4000, 40, maxLat, 7, false)
		if got := maxInWindow(s.arrivals, time.Minute); got > 100 {
			t.Errorf("latency up to %v: %d arrivals in one minute, allowed 100", maxLat, got)
		}
		if got := maxInWindow(s.arrivals, time.Hour); got > 2500 {
			t.Errorf("latency up to %v: %d arrivals in one hour, allowed 2500", maxLat, got)
		}
		// 2500 calls first, then the hour binds until an hour (plus the
		// latency) after the first; the last 1500 go at the minute's rate,
		// 100 per (minute + latency): about 1h15 at short latencies.
		el := s.now.Sub(s.arrivals[0])
		if limit := time.Hour + maxLat + 15*(time.Minute+maxLat) + time.Minute; el > limit {
			t.Errorf("latency up to %v: 4000 calls took %v, want at most %v", maxLat, el, limit)
		}
		t.Logf("latency up to %v: %d calls in %v", maxLat, len(s.arrivals), el.Round(time.Second))
	}
	naive := runPaceSim(t, Config{RatePerMinute: 100, RatePerHour: -1}, 1000, 40, 3*time.Second, 7, true)
	if got := maxInWindow(naive.arrivals, time.Minute); got <= 100 {
		t.Errorf("even spacing alone kept to %d per minute: the scenario does not test the windows", got)
	}
}

// TestRateShortRun: the first minute is paced evenly at the allowed rate
// (no burst), and the minute window does not slow a run shorter than it.
func TestRateShortRun(t *testing.T) {
	s := runPaceSim(t, Config{RatePerMinute: 6000}, 1000, 30, 200*time.Millisecond, 3, false)
	el := s.now.Sub(s.arrivals[0])
	if el < 9800*time.Millisecond || el > 10500*time.Millisecond {
		t.Fatalf("1000 calls at 6000/min took %v, want about 10 s", el)
	}
	if got := maxInWindow(s.arrivals, time.Second); got > 110 {
		t.Fatalf("%d arrivals in one second: a burst", got)
	}
}

// TestAdaptiveBound drives the bound with scripted outcomes.
func TestAdaptiveBound(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := Config{MaxInFlight: 20, Now: func() time.Time { return now }, Sleep: sleepCtx}
	p := newPace("user/create", &cfg)
	step := func(n int, o outcome) {
		for i := 0; i < n; i++ {
			now = now.Add(10 * time.Millisecond)
			p.inflight++
			p.release(o)
		}
	}
	ok := outcome{sent: true, rtt: 10 * time.Millisecond, saturated: true}
	if int(p.limit) != initialInFlight {
		t.Fatalf("starts at %v", p.limit)
	}
	step(5, outcome{sent: true, rtt: 10 * time.Millisecond}) // not saturated: no growth
	if int(p.limit) != initialInFlight {
		t.Fatalf("grew without demand: %v", p.limit)
	}
	step(5, outcome{sent: true, rtt: 10 * time.Millisecond, saturated: true, rateBound: true})
	if int(p.limit) != initialInFlight {
		t.Fatalf("grew while the rate binds: %v", p.limit)
	}
	step(4, ok) // slow start: +1 per success
	if int(p.limit) != 12 {
		t.Fatalf("slow start: %v", p.limit)
	}
	step(100, ok)
	if int(p.limit) != 20 {
		t.Fatalf("not capped at MaxInFlight: %v", p.limit)
	}
	// 45033 with 11 in flight: the server allows about 10.
	p.inflight = 11
	now = now.Add(time.Second)
	p.release(outcome{sent: true, refused: true})
	if p.limit != 9 {
		t.Fatalf("after 45033 at 11 in flight: %v, want 9", p.limit)
	}
	p.inflight = 11 // another refusal of the same round trip: one less
	p.release(outcome{sent: true, refused: true})
	if p.limit != 8 || p.ceiling != 10 {
		t.Fatalf("second refusal of the round trip: bound %v ceiling %d, want 8 and 10", p.limit, p.ceiling)
	}
	step(30, ok) // back to the safe level within a few round trips …
	if int(p.limit) != 9 {
		t.Fatalf("after recovery %v, want 9", p.limit)
	}
	step(80, ok) // … and probing above it only slowly
	if p.limit >= 11 {
		t.Fatalf("probes above the 45033 level too fast: %v", p.limit)
	}
	// latency rising above twice the lowest stops growth …
	p.ceiling = 0
	slow := outcome{sent: true, rtt: 60 * time.Millisecond, saturated: true}
	step(10, slow) // the smoothed RTT follows
	before := p.limit
	step(30, slow)
	if p.limit != before {
		t.Fatalf("latency rose, bound moved from %v to %v", before, p.limit)
	}
	// … rising steeply shrinks it
	step(30, outcome{sent: true, rtt: 500 * time.Millisecond, saturated: true})
	if p.limit >= before {
		t.Fatalf("latency rose steeply, bound stayed %v", p.limit)
	}
}

// TestRefusalAfterTimeout: a 45033 right after a timeout's cut sets the
// level from the calls in flight, not from an unset one.
func TestRefusalAfterTimeout(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := Config{MaxInFlight: 64, Now: func() time.Time { return now }, Sleep: sleepCtx}
	p := newPace("user/create", &cfg)
	p.limit, p.srtt = 20, time.Second
	p.inflight = 1
	p.release(outcome{sent: true, timeout: true})
	if p.limit != 15 {
		t.Fatalf("after a timeout %v, want 15", p.limit)
	}
	now = now.Add(10 * time.Millisecond)
	p.inflight = 14
	p.release(outcome{sent: true, refused: true})
	if p.ceiling != 14 {
		t.Fatalf("level %d after a refusal with 14 in flight, want 14", p.ceiling)
	}
}
