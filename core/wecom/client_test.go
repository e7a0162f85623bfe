package wecom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"exmail-upgrade/core/text"
)

const testSecret = "S3CR3T-never-show-me-0123456789"
const testToken = "TOKEN-abcdefghijklmnop-987654"

// fakeTime is a clock whose Sleep advances it instantly and records waits.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeTime() *fakeTime { return &fakeTime{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return nil
}

func (f *fakeTime) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// script is an httptest server answering gettoken with testToken and every
// other API with handle(n, w, r), n counting that API's calls from 1.
type script struct {
	srv      *httptest.Server
	mu       sync.Mutex
	calls    map[string]int
	handle   func(api string, n int, w http.ResponseWriter, r *http.Request)
	tokens   atomic.Int32
	tokenGen atomic.Int32
}

func newScript(t *testing.T, handle func(api string, n int, w http.ResponseWriter, r *http.Request)) *script {
	s := &script{calls: map[string]int{}, handle: handle}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := strings.TrimPrefix(r.URL.Path, "/cgi-bin/")
		if api == "gettoken" {
			s.tokens.Add(1)
			if r.URL.Query().Get("corpsecret") != testSecret {
				fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
				return
			}
			fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","access_token":"%s%d","expires_in":7200}`, testToken, s.tokenGen.Add(1))
			return
		}
		io.Copy(io.Discard, r.Body) // lets the server notice a client hang-up
		s.mu.Lock()
		s.calls[api]++
		n := s.calls[api]
		s.mu.Unlock()
		s.handle(api, n, w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *script) Calls(api string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[api]
}

// logSink collects client log lines.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) Logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newTestClient(t *testing.T, base string, ft *fakeTime, logs *logSink, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: base, CorpID: "wwtest", Secret: testSecret, RatePerMinute: -1,
		Timeout: 2 * time.Second, Now: ft.Now, Sleep: ft.Sleep, Logf: logs.Logf}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func answer(code int) func(string, int, http.ResponseWriter, *http.Request) {
	return func(_ string, _ int, w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"errcode":%d,"errmsg":"scripted"}`, code)
	}
}

// failThenOK answers code for the first k calls, then success.
func failThenOK(code, k int) func(string, int, http.ResponseWriter, *http.Request) {
	return func(api string, n int, w http.ResponseWriter, _ *http.Request) {
		if n <= k {
			fmt.Fprintf(w, `{"errcode":%d,"errmsg":"scripted"}`, code)
			return
		}
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","department_id":[{"id":1,"parentid":0,"order":0}]}`)
	}
}

// faultCase is one transport or errcode fault and the client's expected
// reaction; the table drives both the behaviour test and the secret test.
type faultCase struct {
	name     string
	handle   func(api string, n int, w http.ResponseWriter, r *http.Request)
	write    bool // call CreateUser instead of ListDepartmentIDs
	code     int  // final code, 0 for success
	calls    int  // API calls the server must see
	waits    []time.Duration
	retry    bool // Transient of the final error
	cfgTweak func(*Config)
	// maybeApplied is the final error's MaybeApplied.
	maybeApplied bool
}

func hijackCut(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("no hijacker")
	}
	conn, buf, _ := hj.Hijack()
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"errcode\":0,\"err")
	buf.Flush()
	conn.Close()
}

var b = 500 * time.Millisecond // default first back-off

// bo returns the first n back-offs: b, 2b, 4b, … capped at maxBackoff.
func bo(n int) []time.Duration {
	var out []time.Duration
	for i := 0; i < n; i++ {
		out = append(out, min(b<<i, maxBackoff))
	}
	return out
}

func repeat(d time.Duration, n int) []time.Duration {
	var out []time.Duration
	for i := 0; i < n; i++ {
		out = append(out, d)
	}
	return out
}

var faultCases = []faultCase{
	{name: "busy then ok", handle: failThenOK(-1, 3), calls: 4, waits: bo(3)},
	{name: "busy beyond the bound", handle: failThenOK(-1, 100), code: -1, calls: DefaultMaxAttempts, waits: bo(DefaultMaxAttempts - 1), retry: true},
	{name: "busy on write is retried", handle: failThenOK(-1, 1), write: true, calls: 2, waits: []time.Duration{b}},
	{name: "45009 storm then ok", handle: failThenOK(45009, 3), calls: 4, waits: []time.Duration{time.Minute, time.Minute, time.Minute}},
	{name: "45009 forever", handle: failThenOK(45009, 100), code: 45009, calls: 6, retry: true, waits: repeat(time.Minute, 5)},
	{name: "45033 then ok", handle: failThenOK(45033, 2), calls: 3, waits: []time.Duration{b, 2 * b}},
	{name: "45033 beyond the bound", handle: failThenOK(45033, 100), code: 45033, calls: DefaultMaxAttempts, retry: true, waits: bo(DefaultMaxAttempts - 1)},
	{name: "token expired once", handle: failThenOK(42001, 1), calls: 2},
	{name: "token invalid several times", handle: failThenOK(40014, 4), calls: 5},
	{name: "token invalid beyond the bound", handle: failThenOK(40014, 100), code: 40014, calls: DefaultMaxAttempts, retry: true},
	{name: "token invalid on write is retried", handle: failThenOK(40014, 2), write: true, calls: 3},
	{name: "final answer not retried", handle: answer(60102), write: true, code: 60102, calls: 1},
	{name: "untrusted ip", handle: answer(60020), code: 60020, calls: 1},
	{name: "malformed JSON", handle: func(_ string, _ int, w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"errcode":0,"department_id":[{"id":`)
	}, code: CodeBadResponse, calls: 1},
	{name: "no errcode", handle: func(_ string, _ int, w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `<html>proxy login</html>`)
	}, code: CodeBadResponse, calls: 1},
	{name: "HTTP 502 read retried", handle: func(_ string, _ int, w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway "+r.URL.String(), http.StatusBadGateway)
	}, code: CodeHTTPStatus, calls: DefaultMaxAttempts, retry: true, waits: bo(DefaultMaxAttempts - 1)},
	{name: "HTTP 502 write not re-sent", handle: func(_ string, _ int, w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway "+r.URL.String(), http.StatusBadGateway)
	}, write: true, code: CodeHTTPStatus, calls: 1, retry: true, maybeApplied: true},
	{name: "HTTP 503 write retried (refused before any effect)", handle: func(_ string, n int, w http.ResponseWriter, r *http.Request) {
		if n <= 2 {
			http.Error(w, "unavailable "+r.URL.String(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{"errcode":0,"errmsg":"created"}`)
	}, write: true, calls: 3, waits: bo(2)},
	{name: "HTTP 404", handle: func(_ string, _ int, w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	}, code: CodeHTTPStatus, calls: 1},
	{name: "connection cut mid-response", handle: func(_ string, _ int, w http.ResponseWriter, _ *http.Request) {
		hijackCut(w)
	}, code: CodeTransport, calls: DefaultMaxAttempts, retry: true, waits: bo(DefaultMaxAttempts - 1)},
	{name: "connection cut on write", handle: func(_ string, _ int, w http.ResponseWriter, _ *http.Request) {
		hijackCut(w)
	}, write: true, code: CodeTransport, calls: 1, retry: true, maybeApplied: true},
	{name: "slow server times out", handle: func(_ string, n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","department_id":[]}`)
	}, calls: 2, waits: []time.Duration{b}, cfgTweak: func(c *Config) { c.Timeout = 400 * time.Millisecond }},
	{name: "slow write times out", handle: func(_ string, _ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}, write: true, code: CodeTransport, calls: 1, retry: true, maybeApplied: true, cfgTweak: func(c *Config) { c.Timeout = 400 * time.Millisecond }},
}

func runFault(t *testing.T, fc faultCase, logs *logSink) (*script, *fakeTime, error) {
	s := newScript(t, fc.handle)
	ft := newFakeTime()
	c := newTestClient(t, s.srv.URL, ft, logs, fc.cfgTweak)
	var err error
	if fc.write {
		err = c.CreateUser(context.Background(), &User{UserID: "zhangsan", Name: "张三", Mobile: "13800000000"})
	} else {
		_, err = c.ListDepartmentIDs(context.Background(), 0)
	}
	return s, ft, err
}

func TestFaults(t *testing.T) {
	for _, fc := range faultCases {
		t.Run(fc.name, func(t *testing.T) {
			s, ft, err := runFault(t, fc, &logSink{})
			api := "department/simplelist"
			if fc.write {
				api = "user/create"
			}
			if got := CodeOf(err); got != fc.code {
				t.Fatalf("code %d, want %d (%v)", got, fc.code, err)
			}
			if got := s.Calls(api); got != fc.calls {
				t.Fatalf("%d calls, want %d", got, fc.calls)
			}
			waits := ft.Waits()
			if fmt.Sprint(waits) != fmt.Sprint(fc.waits) && !(len(waits) == 0 && len(fc.waits) == 0) {
				t.Fatalf("waits %v, want %v", waits, fc.waits)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.API != api {
					t.Fatalf("not a typed error for %s: %#v", api, err)
				}
				if Transient(err) != fc.retry {
					t.Fatalf("Transient %v, want %v", Transient(err), fc.retry)
				}
				if e.MaybeApplied != fc.maybeApplied {
					t.Fatalf("MaybeApplied %v, want %v", e.MaybeApplied, fc.maybeApplied)
				}
				if e.Attempts != fc.calls {
					t.Fatalf("Attempts %d, want %d", e.Attempts, fc.calls)
				}
				if !e.Explain().Complete() {
					t.Fatalf("explanation missing: %q", e.Explain())
				}
			}
		})
	}
}

// TestSecretNeverLeaks runs every fault path (plus a bad secret and a
// wrong base URL) and greps all error texts, explanations and log lines
// for the secret and any token.
func TestSecretNeverLeaks(t *testing.T) {
	logs := &logSink{}
	var texts []string
	for _, fc := range faultCases {
		_, _, err := runFault(t, fc, logs)
		if err != nil {
			texts = append(texts, err.Error(), Explain(err).Joined(), fmt.Sprintf("%+v %#v", err, err))
			if u := errors.Unwrap(err); u != nil {
				texts = append(texts, u.Error())
			}
		}
	}
	// bad secret
	s := newScript(t, answer(0))
	ft := newFakeTime()
	c := newTestClient(t, s.srv.URL, ft, logs, func(c *Config) { c.Secret = testSecret + "x" })
	if err := c.Check(context.Background()); CodeOf(err) != CodeBadSecret {
		t.Fatalf("bad secret: %v", err)
	} else {
		texts = append(texts, err.Error(), Explain(err).Joined())
	}
	// unreachable server: the URL (with corpsecret) appears in net errors
	c = newTestClient(t, "http://127.0.0.1:1", ft, logs, nil)
	err := c.Check(context.Background())
	if CodeOf(err) != CodeTransport {
		t.Fatalf("unreachable: %v", err)
	}
	texts = append(texts, err.Error(), errors.Unwrap(err).Error())
	all := strings.Join(texts, "\n") + logs.String()
	for _, secret := range []string{testSecret, testToken, "corpsecret=S", "access_token=T"} {
		if strings.Contains(all, secret) {
			t.Fatalf("%q leaked:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "REDACTED") {
		t.Fatal("test did not exercise redaction")
	}
}

func TestContextCancel(t *testing.T) {
	s := newScript(t, failThenOK(-1, 100))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := newTestClient(t, s.srv.URL, newFakeTime(), &logSink{}, nil)
	_, err := c.ListDepartmentIDs(ctx, 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
}

func TestRateLimiterSpacing(t *testing.T) {
	s := newScript(t, failThenOK(0, 0))
	ft := newFakeTime()
	c := newTestClient(t, s.srv.URL, ft, &logSink{}, func(c *Config) { c.RatePerMinute = 600 })
	for i := 0; i < 10; i++ {
		if _, err := c.ListDepartmentIDs(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
	}
	// 10 calls of one API spaced 100 ms apart: 9 waits of 100 ms
	// (gettoken is another API with its own allowance).
	var total time.Duration
	for _, w := range ft.Waits() {
		total += w
	}
	if total != 900*time.Millisecond {
		t.Fatalf("waited %v in %v, want 900ms", total, ft.Waits())
	}
}

// TestRateAllAPIs: each API has its own allowance, and all APIs together
// keep to the per-IP one.
func TestRateAllAPIs(t *testing.T) {
	for _, tc := range []struct {
		all  int
		want time.Duration
	}{
		{-1, 1900 * time.Millisecond},  // two APIs at 600/min each: 19 waits of 100 ms each, interleaved
		{600, 3900 * time.Millisecond}, // 600/min for both together: 39 waits of 100 ms
	} {
		s := newScript(t, failThenOK(0, 0))
		ft := newFakeTime()
		c := newTestClient(t, s.srv.URL, ft, &logSink{}, func(c *Config) {
			c.RatePerMinute, c.RateAllPerMinute, c.RateAllPerHour = 600, tc.all, -1
		})
		if err := c.Check(context.Background()); err != nil { // the token first
			t.Fatal(err)
		}
		start := ft.Now()
		for i := 0; i < 20; i++ {
			if _, err := c.ListDepartmentIDs(context.Background(), 0); err != nil {
				t.Fatal(err)
			}
			if err := c.UpdateUser(context.Background(), &User{UserID: "u"}); err != nil {
				t.Fatal(err)
			}
		}
		if got := ft.Now().Sub(start); got < tc.want || got > tc.want+100*time.Millisecond {
			t.Errorf("all APIs at %d/min: 40 calls took %v, want %v", tc.all, got, tc.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{{Secret: "x"}, {CorpID: "x"}, {CorpID: "x", Secret: "y", BaseURL: "ftp://h"},
		{CorpID: "x", Secret: "y", BaseURL: "http://"}} {
		if _, err := New(cfg); err == nil {
			t.Fatalf("accepted %+v", cfg)
		}
	}
	c, err := New(Config{CorpID: "x", Secret: "y"})
	if err != nil || c.base != DefaultBaseURL || c.cfg.RatePerMinute != DefaultRatePerMinute ||
		c.cfg.RatePerHour != DefaultRatePerHour || c.MaxInFlight() != DefaultMaxInFlight {
		t.Fatalf("defaults: %v", err)
	}
}

func TestErrorHelpers(t *testing.T) {
	mk := func(code int) error { return fmt.Errorf("wrapped: %w", &Error{API: "user/create", Code: code}) }
	if !errors.Is(mk(60104), &Error{Code: 60104}) || errors.Is(mk(60104), &Error{Code: 60106}) {
		t.Fatal("errors.Is by code")
	}
	for code, want := range map[int]string{60020: "企业可信IP", 48009: "自建应用", 45024: "帐号上限", 60104: "手机号",
		60145: "企业邮箱", 60106: "邮箱", 60102: "帐号", 40001: "Secret", 99999: "99999"} {
		if ex := Explain(mk(code)); !strings.Contains(ex.Joined(), want) || !ex.Complete() {
			t.Fatalf("Explain(%d) = %q lacks %q", code, ex, want)
		}
	}
	if CodeOf(nil) != 0 || CodeOf(errors.New("x")) != CodeTransport {
		t.Fatal("CodeOf")
	}
}

func TestTransient(t *testing.T) {
	mk := func(code int) error { return fmt.Errorf("wrapped: %w", &Error{API: "user/create", Code: code}) }
	var opErr error = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"40014 token replaced", mk(CodeInvalidToken), true},
		{"42001 token expired", mk(CodeTokenExpired), true},
		{"-1 busy", mk(CodeBusy), true},
		{"45009 rate", mk(CodeRateLimit), true},
		{"45033 concurrency", mk(CodeConcurrency), true},
		{"network", mk(CodeTransport), true},
		{"HTTP 502", &Error{Code: CodeHTTPStatus, HTTPStatus: 502}, true},
		{"HTTP 429", &Error{Code: CodeHTTPStatus, HTTPStatus: 429}, true},
		{"HTTP 404", &Error{Code: CodeHTTPStatus, HTTPStatus: 404}, false},
		{"raw net error", fmt.Errorf("post: %w", opErr), true},
		{"raw unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"60104 mobile owned by another", mk(CodeMobileExists), false},
		{"60102 userid exists", mk(CodeUserIDExists), false},
		{"60103 mobile invalid", mk(CodeMobileInvalid), false},
		{"60111 not found", mk(CodeUserNotFound), false},
		{"40001 bad secret", mk(CodeBadSecret), false},
		{"60020 untrusted IP", mk(CodeUntrustedIP), false},
		{"bad response", mk(CodeBadResponse), false},
		{"plain error", errors.New("row 3: bad"), false},
	}
	for _, tc := range cases {
		if got := Transient(tc.err); got != tc.want {
			t.Errorf("%s: Transient %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSummaryAndExplain(t *testing.T) {
	for code := range explanations {
		if s := Summary(code); !s.Complete() || strings.HasPrefix(s.Zh, "错误码") {
			t.Errorf("Summary(%d) = %q: no short text", code, s)
		}
	}
	if s := Summary(99999); !strings.Contains(s.En, "99999") || !s.Complete() {
		t.Errorf("unknown code summary %q", s)
	}
	// A replaced token is transient, not a settings problem.
	for _, code := range []int{CodeInvalidToken, CodeTokenExpired} {
		if ex := (&Error{Code: code}).Explain(); strings.Contains(ex.Zh, "检查企业 ID 与 Secret 是否匹配") || !strings.Contains(ex.Zh, "自动重新获取") {
			t.Errorf("advice for %d: %q", code, ex)
		}
	}
}

// TestCodeTextsComplete: every code's explanation and summary exist in
// both languages, with no language cut left inside the other, and every
// explained code has a summary (and the reverse).
func TestCodeTextsComplete(t *testing.T) {
	for _, tab := range []map[int]text.T{explanations, summaries} {
		for code, s := range tab {
			if !s.Complete() || strings.Contains(s.En, "。") || strings.HasSuffix(s.Zh, " /") {
				t.Errorf("code %d: %+v", code, s)
			}
		}
	}
	for code := range explanations {
		if _, ok := summaries[code]; !ok {
			t.Errorf("code %d explained but not summarised", code)
		}
	}
	for code := range summaries {
		if _, ok := explanations[code]; !ok {
			t.Errorf("code %d summarised but not explained", code)
		}
	}
}

// FuzzDecodeResponse: any bytes give nil or a typed *Error, never a panic;
// a non-zero errcode is always reported.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"errcode":0,"errmsg":"ok","department_id":[{"id":1,"parentid":0,"order":100}]}`))
	f.Add([]byte(`{"errcode":60102,"errmsg":"userid existed"}`))
	f.Add([]byte(`{"errcode":"0"}`))
	f.Add([]byte(`{"errcode":0,"department_id":{}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"errcode":1e3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out struct {
			DepartmentID []DepartmentID `json:"department_id"`
			NextCursor   string         `json:"next_cursor"`
		}
		err := DecodeResponse("department/simplelist", data, &out)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Code == 0 || e.API != "department/simplelist" {
			t.Fatalf("untyped or zero-code error %#v", err)
		}
		_ = e.Error() + e.Explain().Joined()
	})
}
