// Package wecomsim is the rehearsal WeCom: an http.Handler that speaks the
// contacts API of ../shared/reference/wecom-api.md (same paths, JSON and
// error codes, same validation) over a tenant kept in bbolt, with knobs for
// latency, rate limits (45009) and per-API concurrency caps (45033), token
// lifetime and early token invalidation (40014), random busy answers (-1),
// an account cap, an untrusted-IP mode (60020) and a details-denied mode
// (48009). The app starts it on 127.0.0.1 so rehearsals run the real client.
//
// Where WeCom's documents say so, it behaves like WeCom rather than
// refusing: a batch row whose department ID does not exist lands in
// 其他(待设置部门); a biz_mail outside the company's domains is refused
// once the tenant knows them (Seed, SetMailDomains); the deleting APIs
// answer in WeCom's JSON form with a refusal (48002; replace jobs 45026).
//
// For tests that prove exactly-once creation, Creates counts every
// successful create per key (member by userid, department by parent and
// name), and Knobs.AcceptDuplicateCreates accepts a repeated create (counted
// again) instead of hiding it behind 60102/60008.
//
// Durability: every accepted write is applied in memory before the answer
// is sent and written to the bbolt file by a background flush every
// Options.FlushInterval (one transaction for all changes since the last
// flush). Close flushes everything, so a restart on the same file loses
// nothing; a crash loses at most the writes of the last interval. With
// Options.SyncWrites every write answer waits for its commit (slower).
package wecomsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Defaults of Options.
const (
	DefaultCorpID = "wwsim0000000000001"
	DefaultSecret = "sim-contact-sync-secret"
)

// Knobs shape the simulator's behaviour; change them at run time with
// SetKnobs. The zero value is a fast, faultless, unlimited server.
type Knobs struct {
	Latency       time.Duration // added to every call
	LatencyJitter time.Duration // plus a random delay in [0, LatencyJitter) (seeded)

	RateLimit  int           // calls per RateWindow per API (0: unlimited) → 45009
	RateWindow time.Duration // default 1 minute
	BlockFor   time.Duration // how long 45009 lasts once the limit is hit (default 60 s)

	MaxConcurrent int // calls of one API in flight at once (0: unlimited) → 45033, as WeCom counts per API

	TokenLifetime time.Duration // default 7200 s → 42001 after it
	// TokenInvalidateEvery invalidates every issued token after each N-th
	// API call (gettoken not counted), as WeCom may do before a token's
	// lifetime ends: calls in flight with the old token answer 40014.
	TokenInvalidateEvery int
	// TokenInvalidateRate is the probability per API call (seeded by
	// Options.RandSeed) that every issued token is invalidated: random
	// replacements, so a retried call can be hit again.
	TokenInvalidateRate float64
	FaultRate           float64 // probability of -1 (busy) per call, before any effect

	AccountCap  int      // members allowed (0: unlimited) → 45024
	MailDomains []string // when set, biz_mail must use one of them → 60143 (with the tenant's own, see SetMailDomains)

	// AcceptDuplicateCreates is a test knob: user/create of an existing
	// userid and department/create of an existing name under the same
	// parent succeed (the member is overwritten, the department's ID is
	// answered) instead of 60102/60008, so a create sent twice shows as a
	// count of 2 in Creates rather than being hidden by the refusal.
	AcceptDuplicateCreates bool

	TrustedIPs  []string // when set, API calls (not gettoken) from other IPs → 60020
	DenyDetails bool     // department/list → 48009, as for a contact-sync secret from a new IP

	JobRowDelay time.Duration // processing time of one batch/syncuser row
}

// Options configure a new Server.
type Options struct {
	CorpID string // default DefaultCorpID
	Secret string // default DefaultSecret
	// DBPath is the bbolt file of the tenant; empty: a temp file removed by Close.
	DBPath        string
	FlushInterval time.Duration // default 50 ms
	SyncWrites    bool          // answer writes only after their commit
	RandSeed      int64         // seed of fault injection (0: 1)
	// Clock replaces time.Now for token expiry and rate windows (tests).
	Clock func() time.Time
	Knobs Knobs
}

// Server is the simulated WeCom. Create it with New, close it with Close.
type Server struct {
	opts Options

	mu        sync.Mutex
	t         *tenant
	jobs      map[string]*job
	dirtyJobs map[string]bool
	media     map[string][]byte

	db      *bolt.DB
	tmpPath string
	flushMu sync.Mutex

	knobMu sync.RWMutex
	knobs  Knobs

	tokMu  sync.Mutex
	tokens map[string]time.Time

	rateMu sync.Mutex
	rates  map[string]*window
	rng    *mrand.Rand
	epoch  time.Time

	inflight atomic.Int64 // all APIs
	apiMu    sync.Mutex
	apiIn    map[string]*atomic.Int64 // calls in flight per API
	calls    atomic.Int64             // API calls, for TokenInvalidateEvery
	statsMu  sync.Mutex
	stats    Stats
	creates  Creates

	stop    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Mutex
	closed  bool
	routes  map[string]route
}

type window struct {
	idx          int64
	count        int
	blockedUntil time.Time
}

type route struct {
	method string
	h      func(r *http.Request) (any, *apiErr)
}

// Stats counts the calls the server answered, by API and by errcode.
type Stats struct {
	Calls  map[string]int64 // by API path below /cgi-bin/
	ByCode map[int]int64    // by errcode (0 for success)
	// TokenInvalidations counts InvalidateTokens (knobs included);
	// TokensIssued counts successful gettoken answers.
	TokenInvalidations, TokensIssued int64
}

// New opens (or creates) the tenant and starts the background flush.
func New(opts Options) (*Server, error) {
	if opts.CorpID == "" {
		opts.CorpID = DefaultCorpID
	}
	if opts.Secret == "" {
		opts.Secret = DefaultSecret
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 50 * time.Millisecond
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.RandSeed == 0 {
		opts.RandSeed = 1
	}
	s := &Server{opts: opts, t: newTenant(), jobs: map[string]*job{}, dirtyJobs: map[string]bool{},
		media: map[string][]byte{}, tokens: map[string]time.Time{}, rates: map[string]*window{},
		rng: mrand.New(mrand.NewSource(opts.RandSeed)), stop: make(chan struct{}), epoch: opts.Clock(),
		stats: Stats{Calls: map[string]int64{}, ByCode: map[int]int64{}}, apiIn: map[string]*atomic.Int64{},
		creates: newCreates()}
	s.SetKnobs(opts.Knobs)
	path := opts.DBPath
	if path == "" {
		f, err := os.CreateTemp("", "wecomsim-*.db")
		if err != nil {
			return nil, fmt.Errorf("wecomsim: temp state file: %w", err)
		}
		path = f.Name()
		f.Close()
		os.Remove(path)
		s.tmpPath = path
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("wecomsim: state dir: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("wecomsim: open state %s: %w", path, err)
	}
	s.db = db
	if err := load(db, s.t, s.jobs); err != nil {
		db.Close()
		return nil, fmt.Errorf("wecomsim: load state %s: %w", path, err)
	}
	s.routes = map[string]route{
		"gettoken":              {http.MethodGet, s.getToken},
		"department/create":     {http.MethodPost, s.departmentCreate},
		"department/simplelist": {http.MethodGet, s.departmentSimpleList},
		"department/list":       {http.MethodGet, s.departmentList},
		"user/create":           {http.MethodPost, s.userCreate},
		"user/update":           {http.MethodPost, s.userUpdate},
		"user/list_id":          {http.MethodPost, s.userListID},
		"media/upload":          {http.MethodPost, s.mediaUpload},
		"batch/syncuser":        {http.MethodPost, s.batchSyncUser},
		"batch/getresult":       {http.MethodGet, s.batchGetResult},
		// The rehearsal never deletes: the deleting APIs answer in WeCom's
		// JSON form with a refusal instead of a bare 404.
		"user/delete":        {http.MethodGet, refuseDelete},
		"user/batchdelete":   {http.MethodPost, refuseDelete},
		"department/delete":  {http.MethodGet, refuseDelete},
		"batch/replaceuser":  {http.MethodPost, refuseReplace},
		"batch/replaceparty": {http.MethodPost, refuseReplace},
	}
	s.wg.Add(1)
	go s.flushLoop()
	return s, nil
}

func (s *Server) flushLoop() {
	defer s.wg.Done()
	tk := time.NewTicker(s.opts.FlushInterval)
	defer tk.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tk.C:
			_ = s.Flush() // a failed flush keeps its changes dirty for the next one
		}
	}
}

// CorpID returns the tenant's corp ID; Secret its contact-sync secret.
func (s *Server) CorpID() string { return s.opts.CorpID }

// Secret returns the contact-sync secret gettoken accepts.
func (s *Server) Secret() string { return s.opts.Secret }

// SetKnobs replaces the knobs (defaults filled in).
func (s *Server) SetKnobs(k Knobs) {
	if k.RateWindow <= 0 {
		k.RateWindow = time.Minute
	}
	if k.BlockFor <= 0 {
		k.BlockFor = 60 * time.Second
	}
	if k.TokenLifetime <= 0 {
		k.TokenLifetime = 7200 * time.Second
	}
	s.knobMu.Lock()
	s.knobs = k
	s.knobMu.Unlock()
	s.mu.Lock()
	s.t.accountCap = k.AccountCap
	s.t.mailDomains = k.MailDomains
	s.mu.Unlock()
}

// Knobs returns the current knobs.
func (s *Server) Knobs() Knobs {
	s.knobMu.RLock()
	defer s.knobMu.RUnlock()
	return s.knobs
}

// InvalidateTokens makes every issued token invalid (40014), as WeCom may
// do before a token's lifetime ends.
func (s *Server) InvalidateTokens() {
	s.tokMu.Lock()
	clear(s.tokens)
	s.tokMu.Unlock()
	s.statsMu.Lock()
	s.stats.TokenInvalidations++
	s.statsMu.Unlock()
}

// jitter draws a delay in [0, max) from the seeded generator.
func (s *Server) jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	return time.Duration(s.rng.Int63n(int64(max)))
}

// chance draws from the seeded fault generator.
func (s *Server) chance(p float64) bool {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	return s.rng.Float64() < p
}

// Stats returns a copy of the call counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := Stats{Calls: map[string]int64{}, ByCode: map[int]int64{}, TokenInvalidations: s.stats.TokenInvalidations,
		TokensIssued: s.stats.TokensIssued}
	for k, v := range s.stats.Calls {
		out.Calls[k] = v
	}
	for k, v := range s.stats.ByCode {
		out.ByCode[k] = v
	}
	return out
}

// Close stops the flush, writes every accepted change and closes the file
// (removing it when it was a temp file). Running batch jobs are saved as
// they stand. Close is idempotent.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.stop)
	s.wg.Wait()
	err := s.Flush()
	if cerr := s.db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("wecomsim: close state: %w", cerr)
	}
	if s.tmpPath != "" {
		os.Remove(s.tmpPath)
	}
	return err
}

// Start serves s on addr ("" means 127.0.0.1:0, a free loopback port) and
// returns its base URL (for wecom.Config.BaseURL) and a stop function that
// shuts the listener down (it does not Close the Server).
func (s *Server) Start(addr string) (baseURL string, stop func() error, err error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("wecomsim: listen %s: %w", addr, err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(ctx)
	}, nil
}

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) count(api string, code int) {
	s.statsMu.Lock()
	s.stats.Calls[api]++
	s.stats.ByCode[code]++
	s.statsMu.Unlock()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	data, _ := json.Marshal(v)
	w.Write(data)
}

func (s *Server) writeErr(w http.ResponseWriter, api string, e *apiErr) {
	s.count(api, e.code)
	writeJSON(w, map[string]any{"errcode": e.code,
		"errmsg": fmt.Sprintf("%s, hint: [%d_%s], more info at https://open.work.weixin.qq.com/devtool/query?e=%d",
			e.msg, time.Now().Unix(), randomID(4), e.code)})
}

// ServeHTTP answers one API call under /cgi-bin/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api, ok := strings.CutPrefix(r.URL.Path, "/cgi-bin/")
	rt, known := s.routes[api]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	k := s.Knobs()
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	in := s.apiInflight(api)
	n := in.Add(1)
	defer in.Add(-1)
	if r.Method != rt.method {
		if rt.method == http.MethodGet {
			s.writeErr(w, api, fail(43001, "require GET method"))
		} else {
			s.writeErr(w, api, fail(43002, "require POST method"))
		}
		return
	}
	if k.MaxConcurrent > 0 && int(n) > k.MaxConcurrent {
		s.writeErr(w, api, fail(45033, "api concurrent out of limit"))
		return
	}
	if d := k.Latency + s.jitter(k.LatencyJitter); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if e := s.admit(api, k); e != nil {
		s.writeErr(w, api, e)
		return
	}
	if api != "gettoken" {
		if k.TokenInvalidateEvery > 0 && s.calls.Add(1)%int64(k.TokenInvalidateEvery) == 0 ||
			k.TokenInvalidateRate > 0 && s.chance(k.TokenInvalidateRate) {
			s.InvalidateTokens()
		}
		if e := s.checkToken(r.URL.Query().Get("access_token")); e != nil {
			s.writeErr(w, api, e)
			return
		}
		if len(k.TrustedIPs) > 0 && !trusted(r.RemoteAddr, k.TrustedIPs) {
			s.writeErr(w, api, fail(60020, "not allow to access from your ip, from ip: %s", hostOf(r.RemoteAddr)))
			return
		}
	}
	out, e := rt.h(r)
	if e != nil {
		s.writeErr(w, api, e)
		return
	}
	s.count(api, 0)
	writeJSON(w, out)
}

func (s *Server) apiInflight(api string) *atomic.Int64 {
	s.apiMu.Lock()
	defer s.apiMu.Unlock()
	c := s.apiIn[api]
	if c == nil {
		c = new(atomic.Int64)
		s.apiIn[api] = c
	}
	return c
}

// CodeDeleteRefused is the errcode the rehearsal answers to user/delete,
// user/batchdelete and department/delete: WeCom's 48002 "api forbidden".
const CodeDeleteRefused = 48002

func refuseDelete(r *http.Request) (any, *apiErr) {
	return nil, fail(CodeDeleteRefused, "api forbidden: the rehearsal WeCom never deletes (an upgrade must not delete members or departments)")
}

// refuseReplace answers batch/replaceuser and batch/replaceparty with
// WeCom's 45026, the guard against deleting what the file lacks.
func refuseReplace(r *http.Request) (any, *apiErr) {
	return nil, fail(45026, "trigger delete user protection: the rehearsal WeCom refuses replace jobs")
}

// admit applies the per-API frequency limit and the random busy fault.
func (s *Server) admit(api string, k Knobs) *apiErr {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	if k.FaultRate > 0 && s.rng.Float64() < k.FaultRate {
		return fail(-1, "system busy")
	}
	if k.RateLimit <= 0 {
		return nil
	}
	now := s.opts.Clock()
	idx := int64(now.Sub(s.epoch) / k.RateWindow) // fixed windows, like a per-minute counter
	wd := s.rates[api]
	if wd == nil {
		wd = &window{idx: idx}
		s.rates[api] = wd
	}
	if now.Before(wd.blockedUntil) {
		return fail(45009, "api freq out of limit")
	}
	if wd.idx != idx {
		wd.idx, wd.count = idx, 0
	}
	if wd.count >= k.RateLimit {
		wd.blockedUntil = now.Add(k.BlockFor)
		return fail(45009, "api freq out of limit")
	}
	wd.count++
	return nil
}

func (s *Server) checkToken(tok string) *apiErr {
	if tok == "" {
		return fail(41001, "access_token missing")
	}
	s.tokMu.Lock()
	exp, ok := s.tokens[tok]
	s.tokMu.Unlock()
	if !ok {
		return fail(40014, "invalid access_token")
	}
	if s.opts.Clock().After(exp) {
		return fail(42001, "access_token expired")
	}
	return nil
}

func hostOf(remote string) string {
	h, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return h
}

func trusted(remote string, ips []string) bool {
	h := hostOf(remote)
	for _, ip := range ips {
		if ip == h {
			return true
		}
	}
	return false
}

func (s *Server) getToken(r *http.Request) (any, *apiErr) {
	q := r.URL.Query()
	if q.Get("corpid") != s.opts.CorpID {
		return nil, fail(40013, "invalid corpid")
	}
	if q.Get("corpsecret") != s.opts.Secret {
		return nil, fail(40001, "invalid credential")
	}
	life := s.Knobs().TokenLifetime
	tok := randomID(32)
	s.tokMu.Lock()
	now := s.opts.Clock()
	for t, exp := range s.tokens { // forget long-expired tokens
		if now.Sub(exp) > time.Hour {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = now.Add(life)
	s.tokMu.Unlock()
	s.statsMu.Lock()
	s.stats.TokensIssued++
	s.statsMu.Unlock()
	secs := int(life / time.Second)
	if secs < 1 {
		secs = 1
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": secs}, nil
}

// decodeBody reads a JSON request body into v (47001 when it is not JSON).
func decodeBody(r *http.Request, v any) *apiErr {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		return fail(47001, "data format error")
	}
	return nil
}

// afterWrite waits for the commit when SyncWrites is set.
func (s *Server) afterWrite() *apiErr {
	if s.opts.SyncWrites {
		if err := s.Flush(); err != nil {
			return fail(-1, "system busy: %v", err)
		}
	}
	return nil
}

func (s *Server) departmentCreate(r *http.Request) (any, *apiErr) {
	var in struct {
		Name     string `json:"name"`
		NameEn   string `json:"name_en"`
		ParentID int    `json:"parentid"`
		Order    int    `json:"order"`
		ID       int    `json:"id"`
	}
	if e := decodeBody(r, &in); e != nil {
		return nil, e
	}
	accept := s.Knobs().AcceptDuplicateCreates
	s.mu.Lock()
	id, e := s.t.createDept(in.Name, in.NameEn, in.ParentID, in.Order, in.ID)
	if e != nil && e.code == 60008 && accept {
		if old, ok := s.t.children[in.ParentID][in.Name]; ok {
			id, e = old, nil
		}
	}
	if e == nil {
		s.creates.Departments[DeptKey{Parent: in.ParentID, Name: in.Name}]++
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if e := s.afterWrite(); e != nil {
		return nil, e
	}
	return map[string]any{"errcode": 0, "errmsg": "created", "id": id}, nil
}

func queryID(r *http.Request) (int, *apiErr) {
	v := r.URL.Query().Get("id")
	if v == "" {
		return rootID, nil
	}
	id, err := strconv.Atoi(v)
	if err != nil || id < 1 {
		return 0, fail(40058, "invalid id")
	}
	return id, nil
}

func (s *Server) departmentSimpleList(r *http.Request) (any, *apiErr) {
	id, e := queryID(r)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.t.depts[id]; !ok {
		return nil, fail(60003, "department not found")
	}
	type item struct {
		ID       int `json:"id"`
		ParentID int `json:"parentid"`
		Order    int `json:"order"`
	}
	var out []item
	for _, d := range s.t.subtree(id) {
		out = append(out, item{d.ID, d.ParentID, d.Order})
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "department_id": out}, nil
}

func (s *Server) departmentList(r *http.Request) (any, *apiErr) {
	if s.Knobs().DenyDetails {
		return nil, fail(48009, "api forbidden for contact sync secret from this ip")
	}
	id, e := queryID(r)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.t.depts[id]; !ok {
		return nil, fail(60003, "department not found")
	}
	type item struct {
		ID       int      `json:"id"`
		Name     string   `json:"name"`
		NameEn   string   `json:"name_en,omitempty"`
		Leader   []string `json:"department_leader"`
		ParentID int      `json:"parentid"`
		Order    int      `json:"order"`
	}
	var out []item
	for _, d := range s.t.subtree(id) {
		out = append(out, item{d.ID, d.Name, d.NameEn, []string{}, d.ParentID, d.Order})
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "department": out}, nil
}

func (s *Server) userCreate(r *http.Request) (any, *apiErr) {
	var in userIn
	if e := decodeBody(r, &in); e != nil {
		return nil, e
	}
	accept := s.Knobs().AcceptDuplicateCreates
	s.mu.Lock()
	var old *User
	if accept && in.UserID != nil {
		old = s.t.users[strings.ToLower(*in.UserID)]
	}
	_, e := s.t.applyUser(&in, old)
	if e == nil {
		s.creates.Users[strings.ToLower(*in.UserID)]++
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if e := s.afterWrite(); e != nil {
		return nil, e
	}
	return map[string]any{"errcode": 0, "errmsg": "created"}, nil
}

func (s *Server) userUpdate(r *http.Request) (any, *apiErr) {
	var in userIn
	if e := decodeBody(r, &in); e != nil {
		return nil, e
	}
	if in.UserID == nil || *in.UserID == "" {
		return nil, fail(41009, "missing userid")
	}
	s.mu.Lock()
	old, ok := s.t.users[strings.ToLower(*in.UserID)]
	var e *apiErr
	if !ok {
		e = fail(60111, "userid not found")
	} else {
		_, e = s.t.applyUser(&in, old)
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if e := s.afterWrite(); e != nil {
		return nil, e
	}
	return map[string]any{"errcode": 0, "errmsg": "updated"}, nil
}

func (s *Server) userListID(r *http.Request) (any, *apiErr) {
	var in struct {
		Cursor string `json:"cursor"`
		Limit  int    `json:"limit"`
	}
	if e := decodeBody(r, &in); e != nil {
		return nil, e
	}
	if in.Limit == 0 {
		in.Limit = listIDMaxLimit
	}
	if in.Limit < 1 || in.Limit > listIDMaxLimit {
		return nil, fail(40058, "invalid limit")
	}
	afterKey, afterDept := "", 0
	if in.Cursor != "" {
		raw, err := hex.DecodeString(in.Cursor)
		k, d, ok := strings.Cut(string(raw), "\x00")
		n, aerr := strconv.Atoi(d)
		if err != nil || !ok || aerr != nil {
			return nil, fail(40058, "invalid cursor")
		}
		afterKey, afterDept = k, n
	}
	type item struct {
		UserID     string `json:"userid"`
		Department int    `json:"department"`
	}
	out := make([]item, 0, min(in.Limit, 1024))
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.t.sortedKeys()
	i := 0
	if in.Cursor != "" {
		lo, hi := 0, len(keys)
		for lo < hi {
			m := (lo + hi) / 2
			if keys[m] < afterKey {
				lo = m + 1
			} else {
				hi = m
			}
		}
		i = lo
	}
	next := ""
	for ; i < len(keys); i++ {
		u := s.t.users[keys[i]]
		depts := u.Department
		if len(depts) > 1 { // the cursor orders a member's pairs by department ID
			depts = append([]int(nil), depts...)
			sort.Ints(depts)
		}
		for _, d := range depts {
			if keys[i] == afterKey && d <= afterDept {
				continue
			}
			if len(out) == in.Limit {
				last := out[len(out)-1]
				next = hex.EncodeToString([]byte(strings.ToLower(last.UserID) + "\x00" + strconv.Itoa(last.Department)))
				return map[string]any{"errcode": 0, "errmsg": "ok", "next_cursor": next, "dept_user": out}, nil
			}
			out = append(out, item{u.UserID, d})
		}
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "next_cursor": "", "dept_user": out}, nil
}

func (s *Server) mediaUpload(r *http.Request) (any, *apiErr) {
	if r.URL.Query().Get("type") != "file" {
		return nil, fail(40004, "invalid media type")
	}
	r.Body = http.MaxBytesReader(nil, r.Body, mediaMaxBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fail(41005, "media data missing")
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, fail(41005, "media data missing")
		}
		if p.FormName() != "media" {
			continue
		}
		buf := make([]byte, 0, 4096)
		tmp := make([]byte, 32*1024)
		for {
			n, rerr := p.Read(tmp)
			buf = append(buf, tmp[:n]...)
			if len(buf) > mediaMaxBytes {
				return nil, fail(40006, "invalid media size")
			}
			if rerr != nil {
				if !errors.Is(rerr, io.EOF) {
					return nil, fail(41005, "media data missing")
				}
				break
			}
		}
		if len(buf) < mediaMinBytes {
			return nil, fail(40006, "invalid media size")
		}
		id := "3" + randomID(24)
		s.mu.Lock()
		s.media[id] = buf
		s.mu.Unlock()
		return map[string]any{"errcode": 0, "errmsg": "ok", "type": "file", "media_id": id,
			"created_at": strconv.FormatInt(time.Now().Unix(), 10)}, nil
	}
}
