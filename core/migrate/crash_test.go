package migrate

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// TestHelperProcess is the child of TestCrashExactlyOnce: it runs the
// migration stored in the state file against the simulator the parent
// serves, printing "P <done>" progress lines, and "END <ok>" at the end.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("MIGRATE_CRASH_CHILD") != "1" {
		t.Skip("child of TestCrashExactlyOnce")
	}
	st, err := store.Open(os.Getenv("MIGRATE_CRASH_STATE"), store.Options{Timeout: 10 * time.Second})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	project := os.Getenv("MIGRATE_CRASH_PROJECT")
	sp, ok, err := st.Plan(project)
	if err != nil || !ok {
		fmt.Println("ERR no plan", err)
		os.Exit(2)
	}
	p, err := plan.Unmarshal(sp.Data)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	c, err := wecom.New(wecom.Config{BaseURL: os.Getenv("MIGRATE_CRASH_BASE"), CorpID: wecomsim.DefaultCorpID,
		Secret: wecomsim.DefaultSecret, RatePerMinute: -1, RetryBackoff: time.Millisecond})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	tgt := NewWeCom(c)
	tgt.PollInterval = 2 * time.Millisecond
	out := bufio.NewWriter(os.Stdout)
	var outMu sync.Mutex
	// MIGRATE_CRASH_KILL_CALL=N: SIGKILL this process right after the N-th
	// write the target accepted (a create, a batch job submitted or its id
	// journaled) and before the engine records it: the window between a
	// successful create and its journal commit.
	killCall, _ := strconv.ParseInt(os.Getenv("MIGRATE_CRASH_KILL_CALL"), 10, 64)
	var calls atomic.Int64
	afterCall := func(key string, err error) {
		if err == nil && killCall > 0 && calls.Add(1) == killCall {
			outMu.Lock()
			fmt.Fprintf(out, "K %s\n", key)
			out.Flush()
			self, _ := os.FindProcess(os.Getpid())
			self.Kill() // SIGKILL: nothing after this runs
			select {}
		}
	}
	eng, err := New(st.DB(), project, p, tgt, Options{Workers: 6, Batch: BatchAlways, ChunkSize: 20,
		FlushEvery: 10 * time.Millisecond, ProgressEvery: time.Millisecond, RetryBackoff: 5 * time.Millisecond,
		afterCall:  afterCall,
		OnProgress: func(pr Progress) { outMu.Lock(); fmt.Fprintf(out, "P %d\n", pr.Done); out.Flush(); outMu.Unlock() }})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	res, err := eng.Run(context.Background(), p.ContactsHash)
	eng.Close()
	if err != nil {
		fmt.Fprintln(out, "ERR", err)
		out.Flush()
		os.Exit(2)
	}
	if !res.OK() {
		b, _ := json.Marshal(res)
		fmt.Fprintln(out, "INFO", string(b))
	}
	fmt.Fprintln(out, "END", res.OK())
	out.Flush()
	st.Close()
	os.Exit(0)
}

var crashSeed = flag.Int64("crash.seed", 0, "seed of TestCrashExactlyOnce's kill points (0: from the clock; also MIGRATE_CRASH_SEED)")

// TestCrashExactlyOnce kills a migrating child process with SIGKILL at
// random points — by progress count, by time, and right after the N-th
// write the target accepted and before the engine journals it — then lets
// a last run finish, and proves every member and department was created
// exactly once: the simulator accepts and counts duplicate creates
// (Knobs.AcceptDuplicateCreates, Server.Creates), so a resume that sends a
// create or a batch job again fails the test. Scenarios (fresh tenant and state each) repeat until at
// least 20 kills happened in total. The seed is logged; replay a failure
// with MIGRATE_CRASH_SEED=N or -args -crash.seed=N.
func TestCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	seed := *crashSeed
	if s, err := strconv.ParseInt(os.Getenv("MIGRATE_CRASH_SEED"), 10, 64); err == nil && s != 0 {
		seed = s
	}
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay: MIGRATE_CRASH_SEED=%d go test -tags migrated_fynedo ./core/migrate -run TestCrashExactlyOnce)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	total, window := 0, 0
	for sc := 1; sc <= 4 && (total < 20 || window < 6); sc++ {
		n, w := crashScenario(t, rng, 24-total)
		total += n
		window += w
		t.Logf("scenario %d: %d kills, %d of them between an accepted write and its journal record", sc, n, w)
		if t.Failed() {
			t.Fatalf("failed with seed %d", seed)
		}
	}
	if total < 20 || window < 6 {
		t.Fatalf("only %d kills (%d in the write-to-journal window); seed %d", total, window, seed)
	}
}

// crashScenario migrates a fresh 300-member company into a fresh simulator
// that accepts duplicate creates, killing the child up to want times; it returns
// the kills made and how many of them were in the write-to-journal window.
func crashScenario(t *testing.T, rng *rand.Rand, want int) (int, int) {
	// A target that accepts a create sent twice and counts it: a resume
	// that repeats a create shows as a count of 2.
	sim, err := wecomsim.New(wecomsim.Options{Knobs: wecomsim.Knobs{AcceptDuplicateCreates: true}})
	if err != nil {
		t.Fatal(err)
	}
	base, stop, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	defer func() { hc.CloseIdleConnections(); stop(); sim.Close() }()
	c, _ := wecom.New(wecom.Config{BaseURL: base, CorpID: sim.CorpID(), Secret: sim.Secret(), RatePerMinute: -1, HTTPClient: hc})

	dir := sample.Company(300, rng.Int63())
	for i := range dir.Members {
		if i%2 == 0 {
			dir.Members[i].BizMail = "" // these go through batch jobs
		}
	}
	statePath := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(statePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	proj, _ := st.CreateProject("示例公司")
	p := mustPlan(t, NewWeCom(c), dir, upgrade.MethodNew)
	data, _ := json.Marshal(p)
	if err := st.SavePlan(proj.ID, store.StoredPlan{Hash: p.Hash(), SnapshotHash: p.ContactsHash, Data: data}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	total := OpCount(p)

	var startup time.Duration // child start to its first progress line (fastest seen)
	window := 0
	child := func(killAt int, killAfter time.Duration, killCall int) (killed, finished bool, last int) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "MIGRATE_CRASH_CHILD=1", "MIGRATE_CRASH_STATE="+statePath,
			"MIGRATE_CRASH_PROJECT="+proj.ID, "MIGRATE_CRASH_BASE="+base, fmt.Sprintf("MIGRATE_CRASH_KILL_CALL=%d", killCall))
		out, _ := cmd.StdoutPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var timer *time.Timer
		if killAfter > 0 {
			timer = time.AfterFunc(killAfter, func() { cmd.Process.Kill() })
		}
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 64<<20)
		t0 := time.Now()
		for sc.Scan() {
			line := sc.Text()
			if el := time.Since(t0); startup == 0 || el < startup {
				startup = el
			}
			switch {
			case strings.HasPrefix(line, "P "):
				last, _ = strconv.Atoi(line[2:])
				if killAt > 0 && last >= killAt && !killed {
					cmd.Process.Kill() // SIGKILL
					killed = true
				}
			case strings.HasPrefix(line, "K "):
				window++
				killed = true
			case strings.HasPrefix(line, "END"):
				finished = line == "END true"
			case strings.HasPrefix(line, "INFO"):
				t.Log(line[:min(len(line), 4000)])
			case strings.HasPrefix(line, "ERR"):
				t.Errorf("child: %s", line)
			}
		}
		err := cmd.Wait()
		if killAt == 0 && killAfter == 0 && killCall == 0 && !finished {
			t.Logf("last child: %v; stderr: %s", err, stderr.String())
		}
		if timer != nil && !timer.Stop() && !finished {
			killed = true
		}
		if ee, ok := err.(*exec.ExitError); ok && !ee.Exited() {
			killed = true
		}
		return killed && !finished, finished, last
	}
	kills, done := 0, 0
	var points []string
	for i := 0; i < 80 && kills < want; i++ {
		var killAt, killCall int
		var after time.Duration
		switch {
		case i%3 == 2 && startup > 0 && done < total*6/10:
			// By time: around the child's first progress line (journal
			// load, reconcile) or shortly after it.
			after = startup/2 + time.Duration(rng.Int63n(int64(startup/2+10*time.Millisecond)))
		case i%3 == 1:
			// Right after the target accepted a write, before the journal
			// has it: 1 to about a third of the writes left.
			killCall = 1 + rng.Intn(max(1, (total-done)/3))
		default:
			// Spread the remaining kills over the remaining operations.
			span := max(1, (total*85/100-done)/(want-kills+1))
			killAt = done + 1 + rng.Intn(max(1, 2*span-1))
		}
		killed, finished, last := child(killAt, after, killCall)
		if killed {
			kills++
			points = append(points, fmt.Sprintf("%d/%v/#%d→%d", killAt, after, killCall, last))
		}
		if last > done {
			done = last
		}
		if finished {
			t.Logf("child finished by itself after %d kills", kills)
			break
		}
	}
	if _, finished, _ := child(0, 0, 0); !finished {
		t.Fatal("the last run did not finish with everything verified")
	}
	t.Logf("%d kills (kill-at/after/#write→progress seen): %v", kills, points)
	exactlyOnce(t, sim, p)
	createdOnce(t, sim, p)
	if n := len(sim.State().Users); n != 300 {
		t.Errorf("tenant has %d users, want 300", n)
	}
	st, err = store.Open(statePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, meta, err := Status(st.DB(), proj.ID, p)
	if err != nil || !meta.Finished || res.Done != total || !meta.Verification.OK {
		t.Errorf("journal: %+v %+v %v", res, meta, err)
	}
	t.Logf("runs %d, sim calls %v", meta.Runs, sim.Stats().Calls)
	return kills, window
}

// createdOnce fails t unless the simulator counted exactly one successful
// create of every member and department of p, and no batch row twice.
func createdOnce(t testing.TB, sim *wecomsim.Server, p *plan.Plan) {
	t.Helper()
	c := sim.Creates()
	var bad []string
	for _, m := range p.Create {
		if n := c.UserCreates(m.User.UserID); n != 1 {
			bad = append(bad, fmt.Sprintf("member %s created %d times", m.User.UserID, n))
		}
	}
	for _, d := range p.Departments {
		if n := c.DepartmentCreates(d.ParentID, d.Name); n != 1 {
			bad = append(bad, fmt.Sprintf("department %s created %d times", d.Path, n))
		}
	}
	for uid, n := range c.SyncRows {
		if n > 1 {
			bad = append(bad, fmt.Sprintf("member %s sent in %d batch jobs", uid, n))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("not exactly once (%d): %s", len(bad), strings.Join(bad[:min(len(bad), 20)], "; "))
	}
}
