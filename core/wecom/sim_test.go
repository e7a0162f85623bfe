package wecom_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var simBase = map[*wecomsim.Server]string{}

// startSim runs a simulator on loopback and returns it with a client.
func startSim(t testing.TB, opts wecomsim.Options) (*wecomsim.Server, *wecom.Client) {
	t.Helper()
	s, err := wecomsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	base, stop, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	// Idle client connections are closed first: a connection dialled but
	// never used would hold the server's Shutdown for 5 s.
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(func() { tr.CloseIdleConnections(); stop(); s.Close() })
	simBase[s] = base
	c, err := wecom.New(wecom.Config{BaseURL: base, CorpID: s.CorpID(), Secret: s.Secret(), RatePerMinute: -1,
		RetryBackoff: time.Millisecond, RateLimitWait: 10 * time.Millisecond, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// simClient returns a client of s configured by cfg (base URL and
// credentials filled in) whose idle connections close before the server
// stops.
func simClient(t testing.TB, s *wecomsim.Server, cfg wecom.Config) *wecom.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections) // runs before startSim's cleanup
	cfg.BaseURL, cfg.CorpID, cfg.Secret, cfg.HTTPClient = simBase[s], s.CorpID(), s.Secret(), &http.Client{Transport: tr}
	c, err := wecom.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createDepartments creates every path of d in order and returns the IDs.
func createDepartments(t testing.TB, ctx context.Context, c *wecom.Client, d *contacts.Directory) departmentIDs {
	ids := departmentIDs{}
	for _, p := range d.AllDepartments() {
		parent := wecom.RootDepartment
		if pp := contacts.ParentPath(p); pp != "" {
			parent = ids[pp]
		}
		lv := contacts.SplitPath(p)
		id, err := c.CreateDepartment(ctx, wecom.Department{Name: lv[len(lv)-1], ParentID: parent})
		if err != nil {
			t.Fatalf("department %s: %v", p, err)
		}
		ids[p] = id
	}
	return ids
}

func sameMembers(t *testing.T, got, want *contacts.Directory) {
	t.Helper()
	idx := map[string]contacts.Member{}
	for _, m := range want.Members {
		m.Row = 0
		sort.Strings(m.Departments)
		idx[strings.ToLower(m.Account)] = m
	}
	if len(got.Members) != len(idx) {
		t.Fatalf("%d members, want %d", len(got.Members), len(idx))
	}
	for _, m := range got.Members {
		sort.Strings(m.Departments)
		if w := idx[strings.ToLower(m.Account)]; !reflect.DeepEqual(m, w) {
			t.Fatalf("member differs:\n got %+v\nwant %+v", m, w)
		}
	}
}

func TestMigrateThroughSim(t *testing.T) {
	s, c := startSim(t, wecomsim.Options{})
	ctx := context.Background()
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	dir := sample.Company(300, 5)
	ids := createDepartments(t, ctx, c, dir)
	var wg sync.WaitGroup
	errs := make(chan error, len(dir.Members))
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(dir.Members); i += 8 {
				u, err := userFromMember(&dir.Members[i], ids)
				if err == nil {
					err = c.CreateUser(ctx, u)
				}
				if err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sameMembers(t, s.State().Directory(), dir)
	if n := s.Stats().Calls["gettoken"]; n != 1 {
		t.Fatalf("%d token fetches by 8 workers, want 1", n)
	}
	// a second create of the same member is a conflict; an update works
	u, _ := userFromMember(&dir.Members[0], ids)
	if err := c.CreateUser(ctx, u); wecom.CodeOf(err) != wecom.CodeUserIDExists {
		t.Fatalf("second create: %v", err)
	}
	if err := c.UpdateUser(ctx, &wecom.User{UserID: u.UserID, Position: "新职务"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.State().User(u.UserID); got.Position != "新职务" || got.Name != dir.Members[0].Name {
		t.Fatalf("update: %+v", got)
	}
	err := c.UpdateUser(ctx, &wecom.User{UserID: "nobody-here", Name: "x"})
	if wecom.CodeOf(err) != wecom.CodeUserNotFound {
		t.Fatalf("update unknown: %v", err)
	}
	var e *wecom.Error
	if !errors.As(err, &e) || e.Item != "nobody-here" || e.API != "user/update" {
		t.Fatalf("error fields: %#v", err)
	}
	// simplelist sees every department
	list, err := c.ListDepartmentIDs(ctx, 0)
	if err != nil || len(list) != len(ids)+1 {
		t.Fatalf("simplelist: %d, %v", len(list), err)
	}
	named, err := c.ListDepartments(ctx, 0)
	if err != nil || len(named) != len(list) {
		t.Fatalf("department/list: %v", err)
	}
}

func TestListUserIDsPages(t *testing.T) {
	s, c := startSim(t, wecomsim.Options{})
	dir := sample.Company(10500, 9)
	if _, err := s.Seed(dir); err != nil {
		t.Fatal(err)
	}
	pairs := 0
	for _, m := range dir.Members {
		pairs += len(m.Departments)
		if len(m.Departments) == 0 {
			pairs++
		}
	}
	got, err := c.ListUserIDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != pairs {
		t.Fatalf("%d pairs, want %d", len(got), pairs)
	}
	if n := s.Stats().Calls["user/list_id"]; n != 2 {
		t.Fatalf("%d pages, want 2", n)
	}
	users := map[string]bool{}
	for _, du := range got {
		users[du.UserID] = true
	}
	if len(users) != len(dir.Members) {
		t.Fatalf("%d distinct members, want %d", len(users), len(dir.Members))
	}
}

func TestSyncUserThroughSim(t *testing.T) {
	s, c := startSim(t, wecomsim.Options{})
	ctx := context.Background()
	dir := sample.Company(400, 6)
	ids := createDepartments(t, ctx, c, dir)
	media, err := c.UploadMedia(ctx, "members.csv", syncCSV(t, dir.Members, ids))
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.SyncUser(ctx, media)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	res, err := c.WaitBatch(ctx, job, 5*time.Millisecond, func(r *wecom.BatchResult) { seen = append(seen, r.Status) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 400 || res.Percentage != 100 || len(res.Result) != 400 || seen[len(seen)-1] != wecom.BatchDone {
		t.Fatalf("job %+v", res)
	}
	for _, r := range res.Result {
		if r.Err() != nil {
			t.Fatalf("row %s: %v", r.UserID, r.Err())
		}
	}
	// The batch CSV has no biz-mail column: compare without it.
	want := &contacts.Directory{}
	for _, m := range dir.Members {
		m.BizMail = ""
		want.Members = append(want.Members, m)
	}
	sameMembers(t, s.State().Directory(), want)
}

func TestTokenExpiryMidRun(t *testing.T) {
	clock := &simClock{t: time.Now()}
	s, c := startSim(t, wecomsim.Options{Clock: clock.Now})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.ListDepartmentIDs(ctx, 0); err != nil {
			t.Fatal(err)
		}
		switch i {
		case 0:
			clock.Advance(7201 * time.Second) // expired on the server: 42001
		case 1:
			s.InvalidateTokens() // invalidated early: 40014
		}
	}
	st := s.Stats()
	if st.Calls["gettoken"] != 3 || st.ByCode[wecom.CodeTokenExpired] != 1 || st.ByCode[wecom.CodeInvalidToken] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAuthErrorsFromSim(t *testing.T) {
	s, c := startSim(t, wecomsim.Options{})
	ctx := context.Background()
	s.SetKnobs(wecomsim.Knobs{DenyDetails: true})
	if _, err := c.ListDepartments(ctx, 0); wecom.CodeOf(err) != wecom.CodeNoPermission {
		t.Fatalf("48009: %v", err)
	}
	if _, err := c.ListDepartmentIDs(ctx, 0); err != nil {
		t.Fatalf("simplelist must work with DenyDetails: %v", err)
	}
	s.SetKnobs(wecomsim.Knobs{TrustedIPs: []string{"203.0.113.7"}})
	err := c.Check(ctx)
	if wecom.CodeOf(err) != wecom.CodeUntrustedIP || !strings.Contains(wecom.Explain(err).Zh, "企业可信IP") {
		t.Fatalf("60020: %v", err)
	}
	s.SetKnobs(wecomsim.Knobs{})
	bad, _ := wecom.New(wecom.Config{BaseURL: simBase[s], CorpID: s.CorpID(), Secret: "wrong"})
	if err := bad.Check(ctx); wecom.CodeOf(err) != wecom.CodeBadSecret || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("bad secret: %v", err)
	}
	if n := s.Stats().ByCode[wecom.CodeBadSecret]; n != 1 {
		t.Fatalf("bad secret retried: %d gettoken failures", n)
	}
}

func TestBusyFaultsRetried(t *testing.T) {
	s, c := startSim(t, wecomsim.Options{RandSeed: 42})
	ctx := context.Background()
	dir := sample.Company(150, 8)
	ids := createDepartments(t, ctx, c, dir)
	s.SetKnobs(wecomsim.Knobs{FaultRate: 0.2})
	for i := range dir.Members {
		u, _ := userFromMember(&dir.Members[i], ids)
		if err := c.CreateUser(ctx, u); err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	if n := s.Stats().ByCode[-1]; n < 10 {
		t.Fatalf("only %d faults injected", n)
	}
	sameMembers(t, s.State().Directory(), dir)
}

func TestRateLimitedSimNoFailures(t *testing.T) {
	// The server allows 20 calls per 100 ms window per API and blocks for
	// 100 ms; the client waits 100 ms after 45009. No call may fail.
	s, _ := startSim(t, wecomsim.Options{})
	s.SetKnobs(wecomsim.Knobs{RateLimit: 20, RateWindow: 100 * time.Millisecond, BlockFor: 100 * time.Millisecond})
	c, err := wecom.New(wecom.Config{BaseURL: simBase[s], CorpID: s.CorpID(), Secret: s.Secret(), RatePerMinute: -1,
		RateLimitWait: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if _, err := c.ListDepartmentIDs(ctx, 0); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d calls failed: %v", len(failed), failed[0])
	}
	if s.Stats().ByCode[wecom.CodeRateLimit] == 0 {
		t.Fatal("the server never limited: test did not exercise 45009")
	}
}
