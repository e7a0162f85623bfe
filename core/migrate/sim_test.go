package migrate

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// startSim serves a fresh simulator on loopback and returns it with a
// Target over core/wecom's client.
func startSim(t testing.TB, knobs wecomsim.Knobs) (*wecomsim.Server, *WeCom) {
	t.Helper()
	sim, err := wecomsim.New(wecomsim.Options{Knobs: knobs, RandSeed: 7})
	if err != nil {
		t.Fatal(err)
	}
	base, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	tgt, hc := simTarget(t, base, sim)
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		stop()
		sim.Close()
	})
	return sim, tgt
}

func simTarget(t testing.TB, base string, sim *wecomsim.Server) (*WeCom, *http.Client) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	c, err := wecom.New(wecom.Config{BaseURL: base, HTTPClient: hc, CorpID: sim.CorpID(), Secret: sim.Secret(), RatePerMinute: -1,
		RetryBackoff: time.Millisecond, RateLimitWait: 30 * time.Millisecond, RateLimitRetries: 50})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWeCom(c)
	w.PollInterval = 5 * time.Millisecond
	return w, hc
}

// exactlyOnce checks the tenant holds every planned member and department
// once, by userid and by department path.
func exactlyOnce(t testing.TB, sim *wecomsim.Server, p *plan.Plan) {
	t.Helper()
	st := sim.State()
	users := map[string]int{}
	for _, u := range st.Users {
		users[strings.ToLower(u.UserID)]++
	}
	for _, m := range append(append([]plan.MemberOp{}, p.Create...), p.Update...) {
		if n := users[strings.ToLower(m.User.UserID)]; n != 1 {
			t.Errorf("member %s present %d times", m.User.UserID, n)
		}
	}
	paths := map[string]int{}
	for _, d := range st.Departments {
		paths[d.Path]++
	}
	for _, d := range p.Departments {
		if n := paths[d.Path]; n != 1 {
			t.Errorf("department %s present %d times", d.Path, n)
		}
	}
	for path, n := range paths {
		if n != 1 {
			t.Errorf("department path %q appears %d times", path, n)
		}
	}
}

func TestSimulatorRuns(t *testing.T) {
	noBiz := func(d *contacts.Directory, every int) *contacts.Directory {
		for i := range d.Members {
			if i%every == 0 {
				d.Members[i].BizMail = ""
			}
		}
		return d
	}
	cases := []struct {
		name  string
		dir   *contacts.Directory
		knobs wecomsim.Knobs
		opt   Options
	}{
		{"per-member 400", sample.Company(400, 1), wecomsim.Knobs{}, Options{Workers: 8}},
		{"batch and per-member 800", noBiz(sample.Company(800, 2), 2), wecomsim.Knobs{}, Options{Batch: BatchAuto, BatchThreshold: 100, ChunkSize: 150}},
		{"random busy (-1) faults", sample.Company(300, 3), wecomsim.Knobs{FaultRate: 0.1}, Options{Workers: 6}},
		{"45009 rate limit", sample.Company(150, 4), wecomsim.Knobs{RateLimit: 20, RateWindow: 100 * time.Millisecond, BlockFor: 30 * time.Millisecond}, Options{Workers: 4}},
		{"slow server", sample.Company(120, 5), wecomsim.Knobs{Latency: 3 * time.Millisecond}, Options{Workers: 16}},
		{"faults in batch jobs", noBiz(sample.Company(300, 6), 1), wecomsim.Knobs{FaultRate: 0.05}, Options{Batch: BatchAlways, ChunkSize: 100}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, tgt := startSim(t, tc.knobs)
			e := newEnv(t)
			p := mustPlan(t, tgt, tc.dir, upgrade.MethodNew)
			res, err := run(t, e, p, tgt, tc.opt, context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() {
				t.Fatalf("result %+v\nverification %+v", res, res.Verification)
			}
			exactlyOnce(t, sim, p)
			if n := len(sim.State().Users); n != len(tc.dir.Members) {
				t.Errorf("tenant has %d users, want %d", n, len(tc.dir.Members))
			}
			if tc.knobs.FaultRate > 0 && sim.Stats().ByCode[-1] == 0 {
				t.Errorf("no fault was injected")
			}
			if tc.knobs.RateLimit > 0 && sim.Stats().ByCode[45009] == 0 {
				t.Errorf("no 45009 was answered")
			}
		})
	}
}

// TestSimulatorBind migrates into an existing company with some members
// already there and a mobile conflict the planner cannot see (details
// unknown): it fails for good with the WeCom error explained.
func TestSimulatorBind(t *testing.T) {
	sim, tgt := startSim(t, wecomsim.Knobs{DenyDetails: false})
	dir := sample.Company(200, 9)
	existing := &contacts.Directory{Members: append([]contacts.Member(nil), dir.Members[:50]...)}
	other := dir.Members[60]
	other.Account, other.BizMail, other.Email = "someone.else", "", ""
	existing.Members = append(existing.Members, other) // owns member 60's mobile
	if _, err := sim.Seed(existing); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	p := mustPlan(t, tgt, dir, upgrade.MethodBind)
	if len(p.Create) != 150 || len(p.Matched) == 0 {
		t.Fatalf("plan create %d update %d depts %d", len(p.Create), len(p.Update), len(p.Departments))
	}
	res, err := run(t, e, p, tgt, Options{}, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || res.Failures[0].Code != 60104 || res.Failures[0].Key != dir.Members[60].Account || res.Failures[0].Explain.IsZero() {
		t.Fatalf("failures %+v", res.Failures)
	}
	if len(sim.State().Users) != 200 {
		t.Errorf("users %d", len(sim.State().Users))
	}
	if _, ok := sim.State().User("someone.else"); !ok {
		t.Error("the target's own member was touched")
	}
	fmt.Fprint(testWriter{t}, res.Failures[0].Explain.Joined())
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// TestSimulatorNamesFromSheet: with department/list denied (48009) the
// planner cannot match departments by name and blocks; given the target's
// exported sheet it deduces the names, matches, and also sees the mobile
// conflict in advance.
func TestSimulatorNamesFromSheet(t *testing.T) {
	sim, tgt := startSim(t, wecomsim.Knobs{DenyDetails: true})
	dir := sample.Company(120, 11)
	existing := &contacts.Directory{Members: append([]contacts.Member(nil), dir.Members[:40]...)}
	other := dir.Members[70]
	other.Account, other.BizMail, other.Email = "someone.else", "", ""
	existing.Members = append(existing.Members, other)
	if _, err := sim.Seed(existing); err != nil {
		t.Fatal(err)
	}
	in := plan.Input{Method: upgrade.MethodBind, Company: "示例公司", Contacts: dir}
	p, _, err := plan.Prepare(context.Background(), tgt, plan.ReadOptions{CreatedThisMonth: -1}, in)
	if err != nil || !p.Blocked() || p.Conflicts[0].Reason.Code != "department_names_unknown" {
		t.Fatalf("without names: %v %+v", err, p.Conflicts)
	}
	sheet := sim.State().Directory()
	p, _, err = plan.Prepare(context.Background(), tgt, plan.ReadOptions{TargetSheet: sheet, CreatedThisMonth: -1}, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Conflicts) != 1 || p.Conflicts[0].Reason.Code != "owned_by_other" || p.Conflicts[0].Key != dir.Members[70].Account {
		t.Fatalf("with the sheet: %+v", p.Conflicts)
	}
	if len(p.Matched) == 0 {
		t.Errorf("no department matched by the sheet's names")
	}
}

// TestSimulatorPreflight: an untrusted IP answers 60020, caught and explained.
func TestSimulatorPreflight(t *testing.T) {
	_, tgt := startSim(t, wecomsim.Knobs{TrustedIPs: []string{"10.9.9.9"}})
	snap, checks, ok := plan.Preflight(context.Background(), tgt, plan.ReadOptions{}, 0)
	if ok || snap != nil {
		t.Fatal("preflight passed from an untrusted IP")
	}
	last := checks[len(checks)-1]
	if last.Name != "trusted_ip" || last.OK || !strings.Contains(last.Advice.ZH, "可信IP") {
		t.Errorf("checks %+v", checks)
	}
}

// TestSimulatorTransientStorm: 600 members arrive, none failed, while the
// simulator answers busy (-1) at random, expires tokens every few dozen
// milliseconds (42001), invalidates them early every 25 calls (40014 for
// the calls in flight) and caps concurrent calls (45033) far below the
// engine's calls in flight.
func TestSimulatorTransientStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("600 members through faults")
	}
	sim, tgt := startSim(t, wecomsim.Knobs{FaultRate: 0.05, TokenLifetime: 40 * time.Millisecond, TokenInvalidateEvery: 25, MaxConcurrent: 4, Latency: 2 * time.Millisecond})
	dir := sample.Company(600, 21)
	e := newEnv(t)
	p := mustPlan(t, tgt, dir, upgrade.MethodNew)
	res, err := run(t, e, p, tgt, Options{RetryBackoff: 50 * time.Millisecond}, context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.MembersCreated != 600 || res.Failed != 0 {
		t.Fatalf("result: %d created, %d failed %+v", res.MembersCreated, res.Failed, res.Failures[:min(3, len(res.Failures))])
	}
	exactlyOnce(t, sim, p)
	st := sim.Stats()
	t.Logf("answers by code: %v", st.ByCode)
	if st.ByCode[-1] == 0 || st.ByCode[45033] == 0 || st.ByCode[42001] == 0 || st.ByCode[40014] == 0 {
		t.Errorf("not every fault happened: %v", st.ByCode)
	}
}
