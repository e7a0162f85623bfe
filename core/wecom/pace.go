package wecom

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Pacing of calls, per API path as WeCom counts them:
//
//   - rate windows: per minute and per hour. A call counts from the moment
//     its send is reserved until its answer arrives plus the window's
//     length. A new call may be reserved only while fewer than the window's
//     allowance are counted. Since the server counts a call at its arrival,
//     which lies between send and answer, no server window of that length,
//     however aligned and whatever the network's latency or jitter, then
//     sees more calls than the allowance: no 45009 is caused by us while our
//     rate is at or below the server's. Sends are also spaced evenly at the
//     shortest window's rate, so a run does not start with a burst.
//   - an adaptive bound of calls in flight, always within
//     Config.MaxInFlight: it grows while callers queue for it (doubling per
//     round trip until the first sign of congestion, then one per round
//     trip) and stops growing once it covers the allowed rate times the
//     round trip (more would only queue in the pacing), when latency rises
//     above twice the lowest recently seen, or near the level at which
//     45033 last came (probed only slowly). A 45033 lowers it below the
//     level the refusal showed; a timeout or a latency several times the
//     lowest lowers it multiplicatively, once per round trip.
//   - after a 45009 every call of that API waits out the block together.

// Tuning of the adaptive bound.
const (
	initialInFlight   = 8
	decreaseOn45033   = 0.9  // the level a 45033 showed as safe × this
	decreaseOnTimeout = 0.75 // limit × this on a timeout
	decreaseOnRTT     = 0.9  // limit × this when latency rose steeply
	// Latency "rose" when the smoothed RTT exceeds the lowest recent one
	// × factor + slack: the bound stops growing; "rose steeply" (steep
	// factor and slack): it shrinks.
	rttRiseFactor   = 2.0
	rttRiseSlack    = 20 * time.Millisecond
	rttSteepFactor  = 4.0
	rttSteepSlack   = 100 * time.Millisecond
	minRTTPeriod    = 30 * time.Second // the lowest RTT is the lowest of this period and the last
	ceilingLifetime = 30 * time.Second // a 45033 level is forgotten after this long without one
	probeSlowdown   = 16               // at or above the 45033 level, grow this much slower
	rttSmoothing    = 0.125
	// The bound stops growing once it covers the allowed rate times the
	// round trip (Little's law) by this margin: more would only queue.
	rateHeadroom = 1.1
)

// rateWindow counts the calls of one window length.
type rateWindow struct {
	limit int
	per   time.Duration
	open  int     // reserved or in flight: end not known yet
	ends  []int64 // answer times (ns since pace.epoch), ascending
	head  int     // ends[head:] are live
}

func (w *rateWindow) prune(now int64) {
	cut := now - int64(w.per)
	for w.head < len(w.ends) && w.ends[w.head] <= cut {
		w.head++
	}
	if w.head > 1024 && w.head*2 > len(w.ends) {
		w.ends = append(w.ends[:0], w.ends[w.head:]...)
		w.head = 0
	}
}

func (w *rateWindow) count() int { return w.open + len(w.ends) - w.head }

// pace is the state of one API path.
type pace struct {
	api   string
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	epoch time.Time

	mu           sync.Mutex
	windows      []*rateWindow // shortest first
	interval     time.Duration // even spacing at the shortest window's rate
	next         time.Time     // earliest send of the next reservation
	blockedUntil time.Time     // after 45009
	changed      chan struct{} // closed and replaced when a call ends while someone waits on it
	waited       bool          // someone took changed

	// adaptive bound of calls in flight
	max      int
	limit    float64
	inflight int
	waiters  []chan struct{}
	slowDone bool // a congestion signal was seen: grow by 1 per round trip only
	srtt     time.Duration
	minRTT   time.Duration // lowest of the last and the current period
	prevMin  time.Duration // lowest of the last period
	curMin   time.Duration // lowest of the current period
	minAt    time.Time     // start of the current period
	lastCut  time.Time
	ceiling  int       // calls in flight when 45033 last came (0: none seen)
	ceilAt   time.Time // when

	calls, throttled, rateLimited int64
}

func newPace(api string, cfg *Config) *pace {
	p := &pace{api: api, now: cfg.Now, sleep: cfg.Sleep, epoch: cfg.Now(), changed: make(chan struct{}),
		max: cfg.MaxInFlight, limit: float64(min(initialInFlight, cfg.MaxInFlight))}
	if cfg.RatePerMinute > 0 {
		p.windows = append(p.windows, &rateWindow{limit: cfg.RatePerMinute, per: time.Minute})
		if cfg.RatePerHour > 0 {
			p.windows = append(p.windows, &rateWindow{limit: cfg.RatePerHour, per: time.Hour})
		}
	}
	for _, w := range cfg.RateWindows {
		if w.Calls > 0 && w.Per > 0 {
			p.windows = append(p.windows, &rateWindow{limit: w.Calls, per: w.Per})
		}
	}
	sort.Slice(p.windows, func(i, j int) bool { return p.windows[i].per < p.windows[j].per })
	if len(p.windows) > 0 {
		p.interval = p.windows[0].per / time.Duration(p.windows[0].limit)
	}
	return p
}

// acquire waits for a place among the calls in flight. saturated tells
// whether the bound was reached (so it may grow).
func (p *pace) acquire(ctx context.Context) (saturated bool, err error) {
	p.mu.Lock()
	if p.inflight < int(p.limit) && len(p.waiters) == 0 {
		p.inflight++
		saturated = p.inflight >= int(p.limit)
		p.mu.Unlock()
		return saturated, nil
	}
	ch := make(chan struct{})
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()
	select {
	case <-ch:
		return true, nil
	case <-ctx.Done():
		p.mu.Lock()
		for i, w := range p.waiters {
			if w == ch {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				p.mu.Unlock()
				return false, ctx.Err()
			}
		}
		p.mu.Unlock()
		p.release(outcome{}) // granted just as ctx ended
		return false, ctx.Err()
	}
}

// outcome is what one call's answer teaches the bound.
type outcome struct {
	sent      bool
	rtt       time.Duration // of a full answer (0: none, e.g. a network failure)
	saturated bool          // the bound was full when the call got its place
	rateBound bool          // a full rate window held the call back
	refused   bool          // 45033
	timeout   bool          // the attempt timed out
}

// release gives the place back and adapts the bound.
func (p *pace) release(o outcome) {
	p.mu.Lock()
	now := p.now()
	if o.sent {
		p.adapt(o, now)
	}
	p.inflight--
	for len(p.waiters) > 0 && p.inflight < int(p.limit) {
		p.inflight++
		close(p.waiters[0])
		p.waiters = p.waiters[1:]
	}
	p.mu.Unlock()
}

func (p *pace) adapt(o outcome, now time.Time) {
	if !p.ceilAt.IsZero() && now.Sub(p.ceilAt) > ceilingLifetime {
		p.ceiling = 0 // the server's allowance may have grown
	}
	switch {
	case o.refused:
		p.throttled++
		if p.ceiling > 0 && now.Sub(p.ceilAt) < p.srtt {
			// More refusals of the round trip that set the level: each
			// shows one call too many beyond it.
			p.limit = max(1, p.limit-1)
			p.ceiling = max(1, p.ceiling-1)
			return
		}
		// The server allowed fewer than the calls in flight now: fall
		// below that level and stay near it.
		p.ceiling, p.ceilAt = p.inflight, now
		p.cut(float64(min(int(p.limit), p.inflight-1))*decreaseOn45033, now)
		return
	case o.timeout:
		p.throttled++
		p.cut(p.limit*decreaseOnTimeout, now)
		return
	}
	if o.rtt > 0 {
		if p.minAt.IsZero() || now.Sub(p.minAt) > minRTTPeriod {
			p.prevMin, p.curMin, p.minAt = p.curMin, 0, now
		}
		if p.curMin == 0 || o.rtt < p.curMin {
			p.curMin = o.rtt
		}
		p.minRTT = p.curMin
		if p.prevMin > 0 && p.prevMin < p.minRTT {
			p.minRTT = p.prevMin
		}
		if p.srtt == 0 {
			p.srtt = o.rtt
		} else {
			p.srtt += time.Duration(rttSmoothing * float64(o.rtt-p.srtt))
		}
		min := float64(p.minRTT)
		if p.srtt > time.Duration(rttSteepFactor*min)+rttSteepSlack {
			p.cut(p.limit*decreaseOnRTT, now)
			return
		}
		if p.srtt > time.Duration(rttRiseFactor*min)+rttRiseSlack {
			return
		}
	}
	if !o.saturated || o.rateBound || int(p.limit) >= p.max {
		return
	}
	if !p.lastCut.IsZero() && now.Sub(p.lastCut) < p.srtt {
		return // answers of calls sent before the last cut teach nothing
	}
	if p.interval > 0 && p.srtt > 0 && p.limit >= rateHeadroom*float64(p.srtt)/float64(p.interval)+1 {
		return // enough calls in flight to reach the allowed rate
	}
	switch {
	case p.ceiling > 0 && p.limit+1 >= float64(p.ceiling):
		p.limit += 1 / (p.limit * probeSlowdown) // probe above the 45033 level rarely
	case p.slowDone:
		p.limit += 1 / p.limit // one more per round trip
	default:
		p.limit++ // doubles per round trip until the first signal
	}
	p.limit = min(p.limit, float64(p.max))
}

// cut lowers the bound to to (at least 1), at most once per round trip:
// the answers of one round trip report the same congestion.
func (p *pace) cut(to float64, now time.Time) {
	p.slowDone = true
	if !p.lastCut.IsZero() && now.Sub(p.lastCut) < max(p.srtt, time.Millisecond) {
		return
	}
	p.lastCut = now
	p.limit = max(1, min(p.limit, to))
}

// reserve books a send within the rate windows and sleeps until it.
// rateBound tells whether a full window held the call back.
func (p *pace) reserve(ctx context.Context) (rateBound bool, err error) {
	for {
		p.mu.Lock()
		now := p.now()
		if now.Before(p.blockedUntil) {
			d := p.blockedUntil.Sub(now)
			p.mu.Unlock()
			if err := p.sleep(ctx, d); err != nil {
				return false, err
			}
			continue
		}
		ns := int64(now.Sub(p.epoch))
		var wake time.Duration
		full := false
		for _, w := range p.windows {
			w.prune(ns)
			if w.count() < w.limit {
				continue
			}
			full = true
			if w.head < len(w.ends) {
				wake = max(wake, time.Duration(w.ends[w.head]+int64(w.per)-ns))
			}
		}
		if full {
			rateBound = true
			signal := p.changed
			p.waited = true
			p.mu.Unlock()
			if wake > 0 {
				if err := p.sleep(ctx, wake); err != nil {
					return false, err
				}
				continue
			}
			select { // every counted call is still in flight
			case <-signal:
				continue
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
		t := now
		if p.next.After(t) {
			t = p.next
		}
		p.next = t.Add(p.interval)
		for _, w := range p.windows {
			w.open++
		}
		p.calls++
		p.mu.Unlock()
		if d := t.Sub(now); d > 0 {
			if err := p.sleep(ctx, d); err != nil {
				p.done()
				return false, err
			}
		}
		return rateBound, nil
	}
}

// done ends a reserved call: it is counted from now on by its answer time.
func (p *pace) done() {
	p.mu.Lock()
	ns := int64(p.now().Sub(p.epoch))
	for _, w := range p.windows {
		w.open--
		if n := len(w.ends); n > w.head && w.ends[n-1] > ns {
			ns = w.ends[n-1] // keep ascending under a clock step back
		}
		w.ends = append(w.ends, ns)
	}
	if p.waited {
		close(p.changed)
		p.changed, p.waited = make(chan struct{}), false
	}
	p.mu.Unlock()
}

// block makes every call of the API wait d (after 45009).
func (p *pace) block(d time.Duration) {
	p.mu.Lock()
	p.rateLimited++
	if until := p.now().Add(d); until.After(p.blockedUntil) {
		p.blockedUntil = until
	}
	p.mu.Unlock()
}

// APIStats describes the client's pacing of one API path.
type APIStats struct {
	Calls       int64 // HTTP attempts
	Throttled   int64 // answers that shrank the bound (45033, timeouts)
	RateLimited int64 // 45009 answers
	InFlight    int   // calls holding a place now
	Limit       int   // current bound of calls in flight
}

// Stats returns the pacing state of every API path called so far.
func (c *Client) Stats() map[string]APIStats {
	c.paceMu.Lock()
	ps := make([]*pace, 0, len(c.paces))
	for _, p := range c.paces {
		ps = append(ps, p)
	}
	c.paceMu.Unlock()
	out := make(map[string]APIStats, len(ps))
	for _, p := range ps {
		p.mu.Lock()
		out[p.api] = APIStats{Calls: p.calls, Throttled: p.throttled, RateLimited: p.rateLimited,
			InFlight: p.inflight, Limit: int(p.limit)}
		p.mu.Unlock()
	}
	return out
}

func (c *Client) pace(api string) *pace {
	c.paceMu.Lock()
	defer c.paceMu.Unlock()
	p := c.paces[api]
	if p == nil {
		p = newPace(api, &c.cfg)
		c.paces[api] = p
	}
	return p
}
