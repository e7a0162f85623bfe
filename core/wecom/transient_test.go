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

// createAll creates every member of a sample company of n members with the
// given number of goroutines and returns the failures. then, when not nil,
// runs after the departments are created.
func createAll(t *testing.T, c *wecom.Client, n, workers int, seed int64, then ...func()) []error {
	t.Helper()
	ctx := context.Background()
	dir := sample.Company(n, seed)
	ids := createDepartments(t, ctx, c, dir)
	for _, f := range then {
		f()
	}
	var next atomic.Int64
	var mu sync.Mutex
	var failed []error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
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
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return failed
}

// TestTransientStorms: 600 members arrive while the server replaces tokens
// early with many calls in flight, answers busy (-1) and caps concurrent
// calls (45033). Each member must arrive exactly once and nothing may fail.
// Token replacement must cost one gettoken per replaced token (single
// flight), not one per failed call.
func TestTransientStorms(t *testing.T) {
	cases := []struct {
		name    string
		knobs   wecomsim.Knobs
		workers int
	}{
		// About one attempt in three meets a token replacement while in
		// flight (a random call of the ~C in flight invalidates): a client
		// that refetches at most once per request loses members here.
		{"early token invalidation, 8 in flight", wecomsim.Knobs{Latency: 2 * time.Millisecond, TokenInvalidateRate: 0.045}, 8},
		{"early token invalidation, 32 in flight", wecomsim.Knobs{Latency: 2 * time.Millisecond, TokenInvalidateRate: 0.012}, 32},
		{"early token invalidation every 40th call", wecomsim.Knobs{Latency: 2 * time.Millisecond, TokenInvalidateEvery: 40}, 8},
		{"busy answers", wecomsim.Knobs{Latency: time.Millisecond, FaultRate: 0.2}, 16},
		{"concurrency cap", wecomsim.Knobs{Latency: 2 * time.Millisecond, MaxConcurrent: 5}, 32},
		// Tokens live 40 ms (the answer says 1 s) while 64 goroutines queue
		// behind a cap of 2: a token taken before the wait would be stale.
		{"short-lived tokens behind a queue", wecomsim.Knobs{Latency: 5 * time.Millisecond, TokenLifetime: 40 * time.Millisecond,
			MaxConcurrent: 2, FaultRate: 0.05}, 64},
		{"all at once", wecomsim.Knobs{Latency: 2 * time.Millisecond, TokenInvalidateRate: 0.01, FaultRate: 0.1, MaxConcurrent: 6}, 32},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := startSim(t, wecomsim.Options{})
			if err := c.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
			s.SetKnobs(tc.knobs)
			if tc.knobs.TokenLifetime > 0 {
				s.InvalidateTokens() // the next token gets the short lifetime
			}
			start := time.Now()
			failed := createAll(t, c, 600, tc.workers, 14)
			elapsed := time.Since(start)
			if len(failed) > 0 {
				t.Fatalf("%d of 600 members failed, first: %v", len(failed), failed[0])
			}
			st := s.Stats()
			if got := len(s.State().Users); got != 600 {
				t.Fatalf("%d members in WeCom, want 600", got)
			}
			cr := s.Creates()
			if d := cr.Duplicates(); len(d) > 0 {
				t.Fatalf("created twice: %v", d)
			}
			invalid := st.ByCode[wecom.CodeInvalidToken]
			if replaced := st.TokenInvalidations; replaced > 0 {
				if invalid == 0 {
					t.Fatal("no token was replaced in flight: the case tests nothing")
				}
				// At most one fetch per replacement or expiry, plus the first:
				// a token is fetched only after the previous one failed.
				expiries := int64(0)
				if tc.knobs.TokenLifetime > 0 {
					expiries = int64(elapsed/tc.knobs.TokenLifetime) + 1
				}
				if got := st.TokensIssued; got > replaced+expiries+1 {
					t.Fatalf("%d token fetches for %d replacements and at most %d expiries (%d calls failed with 40014): not single flight",
						got, replaced, expiries, invalid)
				}
			}
			if tc.knobs.TokenLifetime > 0 && st.ByCode[wecom.CodeTokenExpired] == 0 {
				t.Fatal("no token expired: the case tests nothing")
			}
			if tc.knobs.MaxConcurrent > 0 && st.ByCode[wecom.CodeConcurrency] == 0 {
				t.Fatal("no 45033 seen: the case tests nothing")
			}
			t.Logf("calls %v, answers %v, %d token replacements, client %+v", st.Calls, st.ByCode, st.TokenInvalidations, c.Stats()["user/create"])
		})
	}
}

// TestConcurrencyAdapts: against a server that allows 6 calls of an API at
// once, 64 goroutines settle near 6 in flight, and 45033 stays a small
// share of the calls instead of one in every few.
func TestConcurrencyAdapts(t *testing.T) {
	s, c := startSim(t, wecomsim.Options{})
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.SetKnobs(wecomsim.Knobs{Latency: 3 * time.Millisecond, MaxConcurrent: 6})
	if failed := createAll(t, c, 800, 64, 3); len(failed) > 0 {
		t.Fatalf("%d failed: %v", len(failed), failed[0])
	}
	st := s.Stats()
	calls, refused := st.Calls["user/create"], st.ByCode[wecom.CodeConcurrency]
	share := float64(refused) / float64(calls)
	cs := c.Stats()["user/create"]
	t.Logf("%d calls, %d answered 45033 (%.1f%%), final bound %d", calls, refused, share*100, cs.Limit)
	if share > 0.05 {
		t.Fatalf("%.1f%% of calls answered 45033", share*100)
	}
	if cs.Limit > 12 || cs.Limit < 1 {
		t.Fatalf("bound %d did not settle near the server's 6", cs.Limit)
	}
}

// TestNo45009UnderJitter: a server allowing 20 calls per 500 ms window per
// API, with latencies between 5 and 155 ms, never answers 45009 to a client
// configured with the same allowance, although 32 goroutines push as hard
// as they can. (Even spacing alone lets jittered calls bunch into one
// window; the client counts each call until its answer.)
func TestNo45009UnderJitter(t *testing.T) {
	s, _ := startSim(t, wecomsim.Options{RandSeed: 5})
	c := simClient(t, s, wecom.Config{RatePerMinute: -1,
		RateWindows: []wecom.RateWindow{{Calls: 20, Per: 500 * time.Millisecond}}, MaxInFlight: 32,
		RetryBackoff: time.Millisecond, RateLimitWait: 100 * time.Millisecond})
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	knobs := func() {
		s.SetKnobs(wecomsim.Knobs{Latency: 5 * time.Millisecond, LatencyJitter: 150 * time.Millisecond,
			RateLimit: 20, RateWindow: 500 * time.Millisecond, BlockFor: 100 * time.Millisecond})
	}
	if failed := createAll(t, c, 100, 32, 8, knobs); len(failed) > 0 {
		t.Fatalf("%d failed: %v", len(failed), failed[0])
	}
	if n := s.Stats().ByCode[wecom.CodeRateLimit]; n > 0 {
		t.Fatalf("%d answers 45009: the client exceeded the allowance it was given", n)
	}
}

func ExampleClient_MaxInFlight() {
	c, _ := wecom.New(wecom.Config{CorpID: "ww0", Secret: "s"})
	fmt.Println(c.MaxInFlight())
	// Output: 64
}
