package confirm

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"exmail-upgrade/core/upgrade"
)

var update = flag.Bool("update", false, "rewrite golden files")

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

var info = Info{Company: "甲公司", Method: upgrade.MethodBind, TargetName: "甲公司企业微信",
	TargetMembers: 3, TargetDepartments: 2, Members: 120, Departments: 14}

func start(t *testing.T, o Options) *Session {
	t.Helper()
	if o.Info.Company == "" {
		o.Info = info
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := httpClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, u, formToken string) (int, string) {
	t.Helper()
	resp, err := httpClient.PostForm(u, url.Values{"form_token": {formToken}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([0-9a-f]+)"`)

func formToken(t *testing.T, page string) string {
	t.Helper()
	m := formTokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token in page:\n%s", page)
	}
	return m[1]
}

func TestConfirmFromPhonePage(t *testing.T) {
	var mu sync.Mutex
	var seen []Status
	gotAll := make(chan struct{})
	s := start(t, Options{OnStatus: func(st Status) {
		mu.Lock()
		seen = append(seen, st)
		if st.Final() {
			close(gotAll)
		}
		mu.Unlock()
	}})
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/c/[a-z2-7]{26}$`).MatchString(s.URL()) {
		t.Fatalf("URL = %q", s.URL())
	}
	if s.Status() != StatusWaiting {
		t.Fatalf("initial status %s", s.Status())
	}
	code, page := get(t, s.URL())
	if code != 200 {
		t.Fatalf("GET = %d", code)
	}
	for _, want := range []string{"甲公司", "绑定已有企业微信", "甲公司企业微信", "120 名成员", "14 个部门", "120 members",
		"不可撤销", "cannot be undone", "永久删除", "permanently deletes", `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "src=\"http") {
		t.Error("page uses scripts or external assets")
	}
	if s.Status() != StatusOpened {
		t.Fatalf("status after GET %s", s.Status())
	}
	code, page = post(t, s.URL(), formToken(t, page))
	if code != 200 || !strings.Contains(page, "已确认") {
		t.Fatalf("POST = %d %s", code, page)
	}
	<-s.Done()
	r := s.Result()
	if r.Status != StatusConfirmed || r.Via != "phone" || r.Remote != "127.0.0.1" {
		t.Fatalf("result %+v", r)
	}
	<-gotAll
	mu.Lock()
	if len(seen) != 2 || seen[0] != StatusOpened || seen[1] != StatusConfirmed {
		t.Fatalf("OnStatus saw %v", seen)
	}
	mu.Unlock()
	if err := s.ConfirmLocally(); !errors.Is(err, ErrFinished) {
		t.Fatalf("ConfirmLocally after confirm: %v", err)
	}
}

// hostOf is the host:port of s's URL.
func hostOf(t *testing.T, s *Session) string {
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func assertClosed(t *testing.T, addr, when string) {
	t.Helper()
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("listener still accepts %s", when)
	}
}

func TestListenerClosesWhenTheSessionEnds(t *testing.T) {
	s := start(t, Options{})
	_, page := get(t, s.URL())
	if code, _ := post(t, s.URL(), formToken(t, page)); code != 200 {
		t.Fatalf("confirm = %d", code)
	}
	<-s.Done()
	assertClosed(t, s.Addr(), "after the phone confirmed")

	s = start(t, Options{})
	s.ConfirmLocally()
	assertClosed(t, s.Addr(), "after the local confirmation")

	s = start(t, Options{TTL: 20 * time.Millisecond})
	<-s.Done()
	if s.Status() != StatusExpired {
		t.Fatalf("status %s", s.Status())
	}
	assertClosed(t, s.Addr(), "after expiry")

	s = start(t, Options{})
	if code, _ := get(t, s.URL()); code != 200 {
		t.Fatal(code)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Status() != StatusCancelled {
		t.Fatalf("status %s", s.Status())
	}
	assertClosed(t, s.Addr(), "after Close")
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// handlerSession is a session without a listener whose URL host is
// 192.168.1.5:8080; do sends it one request from address ip.
func handlerSession(t *testing.T, o Options) *Session {
	t.Helper()
	if o.Info.Company == "" {
		o.Info = info
	}
	s, err := newSession(o, "192.168.1.5:8080")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func do(s *Session, method, path, ip string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://192.168.1.5:8080"+path, body)
	req.RemoteAddr = net.JoinHostPort(ip, "40000")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return rec
}

const phone, attacker = "192.168.1.20", "192.168.1.66"

func TestReplayAfterConfirmRefused(t *testing.T) {
	s := handlerSession(t, Options{Now: newClock().Now})
	page := do(s, "GET", "/c/"+s.token, phone, nil, nil).Body.String()
	ft := url.Values{"form_token": {formToken(t, page)}}
	if rec := do(s, "POST", "/c/"+s.token, phone, ft, nil); rec.Code != 200 {
		t.Fatalf("first POST %d", rec.Code)
	}
	if rec := do(s, "POST", "/c/"+s.token, phone, ft, nil); rec.Code != http.StatusGone || strings.Contains(rec.Body.String(), "form_token") {
		t.Fatalf("replayed POST = %d", rec.Code)
	}
	rec := do(s, "GET", "/c/"+s.token, phone, nil, nil)
	if rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), "已确认，无需再次操作") || !strings.Contains(rec.Body.String(), "already confirmed") {
		t.Fatalf("GET after confirm = %d %s", rec.Code, rec.Body)
	}
	if r := s.Result(); r.Status != StatusConfirmed || r.Via != "phone" || r.Remote != phone {
		t.Fatalf("result changed: %+v", r)
	}
}

// One machine guessing tokens is blocked; the session and the real phone
// are not.
func TestWrongAttemptsBlockOnlyThatAddress(t *testing.T) {
	c := newClock()
	s := handlerSession(t, Options{MaxWrongTokens: 4, Now: c.Now})
	if rec := do(s, "GET", "/favicon.ico", attacker, nil, nil); rec.Code != 404 {
		t.Fatalf("favicon = %d", rec.Code)
	}
	for i := 0; i < 3; i++ {
		if rec := do(s, "GET", "/c/aaaaaaaaaaaaaaaaaaaaaaaaa"+string(rune('a'+i)), attacker, nil, nil); rec.Code != 404 {
			t.Fatalf("wrong token = %d", rec.Code)
		}
	}
	if len(s.Blocked()) != 0 {
		t.Fatalf("blocked after 3 wrong tokens and a favicon: %v", s.Blocked())
	}
	// A forged POST without the page's form token is the fourth wrong attempt.
	if rec := do(s, "POST", "/c/"+s.token, attacker, url.Values{"form_token": {"00"}}, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("forged POST = %d", rec.Code)
	}
	if got := s.Blocked(); len(got) != 1 || got[0] != attacker {
		t.Fatalf("blocked %v", got)
	}
	c.Add(time.Minute) // the block outlives the rate limit
	if rec := do(s, "GET", "/c/"+s.token, attacker, nil, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("blocked address with the right token = %d", rec.Code)
	}
	if s.Status().Final() {
		t.Fatalf("session ended: %s", s.Status())
	}
	rec := do(s, "GET", "/c/"+s.token, phone, nil, nil)
	if rec.Code != 200 {
		t.Fatalf("phone GET = %d", rec.Code)
	}
	ft := url.Values{"form_token": {formToken(t, rec.Body.String())}}
	if rec := do(s, "POST", "/c/"+s.token, phone, ft, nil); rec.Code != 200 {
		t.Fatalf("phone POST = %d", rec.Code)
	}
	if r := s.Result(); r.Status != StatusConfirmed || r.Remote != phone {
		t.Fatalf("result %+v", r)
	}
}

// A flood of uncounted requests from one address drains only its own
// bucket: the global bucket is taken after the per-address one.
func TestFloodDoesNotStarveThePhone(t *testing.T) {
	c := newClock()
	s := handlerSession(t, Options{Now: c.Now, GlobalRate: 10}) // global burst 20
	codes := map[int]int{}
	for i := 0; i < 1000; i++ { // all in the same instant
		codes[do(s, "GET", "/favicon.ico", attacker, nil, nil).Code]++
	}
	if codes[404] != DefaultPerIPRate || codes[http.StatusTooManyRequests] != 1000-DefaultPerIPRate {
		t.Fatalf("flood codes %v", codes)
	}
	if rec := do(s, "GET", "/c/"+s.token, phone, nil, nil); rec.Code != 200 {
		t.Fatalf("phone after the flood = %d", rec.Code)
	}
	// The global bucket is still the last defence against many addresses.
	codes = map[int]int{}
	for i := 0; i < 30; i++ {
		codes[do(s, "GET", "/x", "10.0.0."+strconv.Itoa(i+1), nil, nil).Code]++
	}
	if codes[404] != 20-DefaultPerIPRate-1 || codes[http.StatusTooManyRequests] != 30-(20-DefaultPerIPRate-1) {
		t.Fatalf("many addresses: codes %v", codes)
	}
	c.Add(time.Second)
	if rec := do(s, "GET", "/c/"+s.token, phone, nil, nil); rec.Code != 200 {
		t.Fatalf("phone a second later = %d", rec.Code)
	}
}

func TestRateLimitPerAddress(t *testing.T) {
	c := newClock()
	s := start(t, Options{Now: c.Now})
	for i := 0; i < DefaultPerIPRate; i++ {
		if code, _ := get(t, s.URL()); code != 200 {
			t.Fatalf("request %d = %d", i, code)
		}
	}
	if code, _ := get(t, s.URL()); code != http.StatusTooManyRequests {
		t.Fatalf("request over the limit = %d", code)
	}
	c.Add(time.Second)
	if code, _ := get(t, s.URL()); code != 200 {
		t.Fatalf("after a second = %d", code)
	}
}

func TestHostHeaderMustBeTheShownAddress(t *testing.T) {
	s := handlerSession(t, Options{Now: newClock().Now, MaxWrongTokens: 2})
	for _, host := range []string{"evil.example", "evil.example:8080", "192.168.1.5", "127.0.0.1:8080", ""} {
		if rec := do(s, "GET", "/c/"+s.token, phone, nil, map[string]string{"Host": host}); rec.Code != http.StatusMisdirectedRequest {
			t.Errorf("Host %q = %d", host, rec.Code)
		}
	}
	if len(s.Blocked()) != 0 || s.Status() != StatusWaiting {
		t.Fatalf("a wrong Host counted as an attempt or opened the page: %v %s", s.Blocked(), s.Status())
	}
	if rec := do(s, "GET", "/c/"+s.token, phone, nil, nil); rec.Code != 200 {
		t.Fatalf("right Host = %d", rec.Code)
	}
	// Over the real listener: a client naming another host is refused too.
	ls := start(t, Options{})
	req, _ := http.NewRequest("GET", ls.URL(), nil)
	req.Host = "rebind.example:" + strings.Split(hostOf(t, ls), ":")[1]
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("rebinding Host over TCP = %d", resp.StatusCode)
	}
}

func TestExpiredToken(t *testing.T) {
	c := newClock()
	s := handlerSession(t, Options{TTL: time.Hour, Now: c.Now})
	if !s.ExpiresAt().Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("ExpiresAt %v", s.ExpiresAt())
	}
	page := do(s, "GET", "/c/"+s.token, phone, nil, nil).Body.String()
	ft := url.Values{"form_token": {formToken(t, page)}}
	c.Add(time.Hour)
	rec := do(s, "POST", "/c/"+s.token, phone, ft, nil)
	if rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), "此链接已过期") || !strings.Contains(rec.Body.String(), "has expired") {
		t.Fatalf("POST after expiry = %d %s", rec.Code, rec.Body)
	}
	if s.Status() != StatusExpired {
		t.Fatalf("status %s", s.Status())
	}
	if err := s.ConfirmLocally(); !errors.Is(err, ErrFinished) {
		t.Fatalf("ConfirmLocally after expiry: %v", err)
	}
	if _, err := s.Renew(); !errors.Is(err, ErrFinished) {
		t.Fatalf("Renew after expiry: %v", err)
	}
}

// The open page says "expired" by itself when its time is up (CSS only:
// the listener is closed by then).
func TestOpenPageCoversItselfAtExpiry(t *testing.T) {
	c := newClock()
	s := handlerSession(t, Options{TTL: 5 * time.Minute, Now: c.Now})
	c.Add(90 * time.Second)
	page := do(s, "GET", "/c/"+s.token, phone, nil, nil).Body.String()
	for _, want := range []string{"animation:expire 1ms step-end 210s forwards", `<div id="expired">`, "此链接已过期", "has expired", "若点击后页面无法打开"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestRenewTellsTheOldLinkItWasReplaced(t *testing.T) {
	var mu sync.Mutex
	var seen []Status
	s := start(t, Options{OnStatus: func(st Status) { mu.Lock(); seen = append(seen, st); mu.Unlock() }})
	old := s.URL()
	if code, _ := get(t, old); code != 200 {
		t.Fatal(code)
	}
	nu, err := s.Renew()
	if err != nil {
		t.Fatal(err)
	}
	if nu == old || nu != s.URL() || hostOf(t, s) != strings.TrimPrefix(strings.Split(old, "/c/")[0], "http://") {
		t.Fatalf("renewed URL %q (old %q)", nu, old)
	}
	if s.Status() != StatusWaiting {
		t.Fatalf("status after renew %s", s.Status())
	}
	code, body := get(t, old)
	if code != http.StatusGone || !strings.Contains(body, "已生成新的二维码") || !strings.Contains(body, "replaced this link") {
		t.Fatalf("old link = %d %s", code, body)
	}
	code, body = get(t, nu)
	if code != 200 {
		t.Fatalf("new link = %d", code)
	}
	if code, _ := post(t, nu, formToken(t, body)); code != 200 {
		t.Fatalf("confirm on the new link = %d", code)
	}
	<-s.Done()
	time.Sleep(10 * time.Millisecond) // OnStatus runs on its own goroutine
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seen) != "[opened waiting opened confirmed]" {
		t.Fatalf("OnStatus saw %v", seen)
	}
}

func TestLanguageOfThePage(t *testing.T) {
	s := handlerSession(t, Options{Now: newClock().Now})
	firstEN := func(body string) bool {
		h := body[strings.Index(body, "<h1>"):]
		return strings.Index(h, "Confirm the upgrade") < strings.Index(h, "确认升级")
	}
	u := s.URL()
	cases := []struct {
		session, accept string
		en              bool
	}{
		{"zh", "", false},
		{"en", "", true},
		{"zh", "en-US,en;q=0.9", true},
		{"en", "zh-CN,zh;q=0.9,en;q=0.8", false},
		{"en", "fr-FR, zh-TW;q=0.5", false},
		{"zh", "fr", false},
		{"zh", "zh;q=0, en", true},
	}
	for _, c := range cases {
		s.SetLang(c.session)
		hdr := map[string]string{}
		if c.accept != "" {
			hdr["Accept-Language"] = c.accept
		}
		body := do(s, "GET", "/c/"+s.token, phone, nil, hdr).Body.String()
		if firstEN(body) != c.en || !strings.Contains(body, "确认升级") || !strings.Contains(body, "Confirm the upgrade") {
			t.Errorf("session %s, Accept-Language %q: English first = %v", c.session, c.accept, firstEN(body))
		}
		if s.URL() != u {
			t.Fatal("the language changed the URL")
		}
	}
}

func TestConfirmLocally(t *testing.T) {
	s := start(t, Options{})
	if err := s.ConfirmLocally(); err != nil {
		t.Fatal(err)
	}
	if r := s.Result(); r.Status != StatusConfirmed || r.Via != "local" {
		t.Fatalf("result %+v", r)
	}
	assertClosed(t, s.Addr(), "after the local confirmation")
}

func TestContextCancelCloses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{Info: info})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-s.Done()
	if st := s.Status(); st != StatusCancelled {
		t.Fatalf("status %s", st)
	}
	assertClosed(t, s.Addr(), "after the context was cancelled")
}

func TestCloseKeepsConfirmed(t *testing.T) {
	s := start(t, Options{})
	s.ConfirmLocally()
	s.Close()
	if s.Status() != StatusConfirmed {
		t.Fatalf("Close changed a confirmed session to %s", s.Status())
	}
}

func TestTokensDiffer(t *testing.T) {
	a := start(t, Options{})
	b := start(t, Options{})
	if a.token == b.token || a.formToken == b.formToken || len(a.token) != 26 || len(a.formToken) != 32 {
		t.Fatalf("tokens %q %q / %q %q", a.token, b.token, a.formToken, b.formToken)
	}
}

func TestListenAddr(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "127.0.0.1:0"},
		{"127.0.0.1", "127.0.0.1:0"},
		{"192.168.1.5:8080", "192.168.1.5:8080"},
		{"0.0.0.0", ""},
		{"::1", ""},
		{"localhost", ""},
		{"1.2.3.4:99999", ""},
	}
	for _, c := range cases {
		got, err := listenAddr(c.in)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("listenAddr(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestLocalAddresses(t *testing.T) {
	addrs, err := LocalAddresses()
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) == 0 || addrs[len(addrs)-1] != "127.0.0.1" {
		t.Fatalf("addresses %v", addrs)
	}
	for _, a := range addrs[:len(addrs)-1] {
		ip := net.ParseIP(a)
		if ip == nil || ip.To4() == nil || ip.IsLoopback() {
			t.Errorf("bad address %q", a)
		}
	}
}

func TestPageEscapesAndGolden(t *testing.T) {
	rec := httptest.NewRecorder()
	d := pageData{Info: info, FormToken: "00112233445566778899aabbccddeeff",
		Expires: time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC), SecondsLeft: 300}
	render(rec, 200, d)
	golden := filepath.Join("testdata", "page.golden.html")
	if *update {
		os.WriteFile(golden, rec.Body.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Body.String() != string(want) {
		t.Fatalf("page differs from %s (run with -update to accept)", golden)
	}
	rec = httptest.NewRecorder()
	d.Info.Company = `<script>alert(1)</script>`
	render(rec, 200, d)
	if strings.Contains(rec.Body.String(), "<script>") {
		t.Fatal("company name not escaped")
	}
}

func FuzzServe(f *testing.F) {
	f.Add("GET", "/c/aaaa", "", "")
	f.Add("POST", "/c/", "form_token=00", "http://evil")
	f.Add("PUT", "/x", "", "")
	f.Add("POST", "/c/%00", "form_token=%zz", "null")
	f.Fuzz(func(t *testing.T, method, path, body, origin string) {
		s, err := newSession(Options{Info: info, Now: newClock().Now, MaxWrongTokens: 1 << 30, PerIPRate: 1e9, GlobalRate: 1e9}, "127.0.0.1:1")
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.RemoteAddr = "127.0.0.1:5000"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		if s.Status() == StatusConfirmed {
			t.Fatalf("confirmed without the tokens: %s %q %q", method, path, body)
		}
	})
}
