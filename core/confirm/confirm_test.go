package confirm

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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

var client = &http.Client{Timeout: 10 * time.Second}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, u, formToken string) (int, string) {
	t.Helper()
	resp, err := client.PostForm(u, url.Values{"form_token": {formToken}})
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
	if st := <-s.Updates(); st != StatusOpened {
		t.Fatalf("first update %s", st)
	}
	code, page = post(t, s.URL(), formToken(t, page))
	if code != 200 || !strings.Contains(page, "已确认") {
		t.Fatalf("POST = %d %s", code, page)
	}
	if st := <-s.Updates(); st != StatusConfirmed {
		t.Fatalf("second update %s", st)
	}
	if _, open := <-s.Updates(); open {
		t.Fatal("Updates not closed after the final status")
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

func TestReplayAfterConfirmRefused(t *testing.T) {
	s := start(t, Options{})
	_, page := get(t, s.URL())
	ft := formToken(t, page)
	if code, _ := post(t, s.URL(), ft); code != 200 {
		t.Fatalf("first POST %d", code)
	}
	if code, body := post(t, s.URL(), ft); code != http.StatusGone || strings.Contains(body, "form_token") {
		t.Fatalf("replayed POST = %d", code)
	}
	if code, body := get(t, s.URL()); code != http.StatusGone || !strings.Contains(body, "已失效") {
		t.Fatalf("GET after confirm = %d", code)
	}
	if r := s.Result(); r.Status != StatusConfirmed || r.Via != "phone" {
		t.Fatalf("result changed: %+v", r)
	}
}

func TestWrongTokensCountedAndBlock(t *testing.T) {
	c := newClock()
	s := start(t, Options{MaxWrongTokens: 4, Now: c.Now})
	base := strings.TrimSuffix(s.URL(), s.token)
	if code, _ := get(t, base+"aaaaaaaaaaaaaaaaaaaaaaaaaa"); code != 404 {
		t.Fatalf("wrong token = %d", code)
	}
	if code, _ := get(t, base+s.token[:25]); code != 404 {
		t.Fatalf("short token = %d", code)
	}
	u, _ := url.Parse(s.URL())
	if code, _ := get(t, "http://"+u.Host+"/favicon.ico"); code != 404 {
		t.Fatalf("favicon = %d", code)
	}
	if n := s.WrongAttempts(); n != 2 {
		t.Fatalf("wrong attempts = %d, want 2 (favicon not counted)", n)
	}
	// A forged POST without the page's form token is refused and counted.
	if code, _ := post(t, s.URL(), "00"); code != http.StatusForbidden {
		t.Fatalf("forged POST = %d", code)
	}
	if s.Status().Final() {
		t.Fatalf("final too early: %s", s.Status())
	}
	get(t, base+"bbbbbbbbbbbbbbbbbbbbbbbbbb")
	if s.Status() != StatusBlocked {
		t.Fatalf("status %s after %d wrong attempts", s.Status(), s.WrongAttempts())
	}
	if code, _ := get(t, s.URL()); code != http.StatusGone {
		t.Fatalf("valid token after block = %d", code)
	}
}

func TestExpiredToken(t *testing.T) {
	c := newClock()
	s := start(t, Options{TTL: time.Hour, Now: c.Now})
	if !s.ExpiresAt().Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("ExpiresAt %v", s.ExpiresAt())
	}
	_, page := get(t, s.URL())
	ft := formToken(t, page)
	c.Add(time.Hour)
	if code, _ := post(t, s.URL(), ft); code != http.StatusGone {
		t.Fatalf("POST after expiry = %d", code)
	}
	if s.Status() != StatusExpired {
		t.Fatalf("status %s", s.Status())
	}
	if code, _ := get(t, s.URL()); code != http.StatusGone {
		t.Fatalf("GET after expiry = %d", code)
	}
	if err := s.ConfirmLocally(); !errors.Is(err, ErrFinished) {
		t.Fatalf("ConfirmLocally after expiry: %v", err)
	}
}

func TestRealTimerExpires(t *testing.T) {
	s := start(t, Options{TTL: time.Millisecond})
	<-s.Done() // the real timer fires; no timing assertion
	if s.Status() != StatusExpired {
		t.Fatalf("status %s", s.Status())
	}
}

func TestRateLimit(t *testing.T) {
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

func TestGlobalRateLimit(t *testing.T) {
	c := newClock()
	s, err := newSession(Options{Info: info, Now: c.Now, GlobalRate: 5})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		req := httptest.NewRequest("GET", "/c/"+s.token, nil)
		req.RemoteAddr = net.JoinHostPort("10.0.0."+string(rune('1'+i)), "5000")
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	if codes[200] != 5 || codes[http.StatusTooManyRequests] != 3 {
		t.Fatalf("codes %v, want 5×200 and 3×429", codes)
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
	if code, _ := get(t, s.URL()); code != http.StatusGone {
		t.Fatalf("phone after local confirm = %d", code)
	}
}

func TestCloseStopsListener(t *testing.T) {
	s := start(t, Options{})
	addr := s.Addr()
	if code, _ := get(t, s.URL()); code != 200 {
		t.Fatalf("GET %d", code)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Status() != StatusCancelled {
		t.Fatalf("status %s", s.Status())
	}
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Fatal("listener still accepts after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestContextCancelCloses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{Info: info})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	st, _ := s.Wait(context.Background())
	if st != StatusCancelled {
		t.Fatalf("status %s", st)
	}
	s.Close()
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
		Expires: time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)}
	d.Info.Warning = DefaultWarning(info.Method)
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
		s, err := newSession(Options{Info: info, Now: newClock().Now, MaxWrongTokens: 1 << 30, PerIPRate: 1e9, GlobalRate: 1e9})
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

func TestQRCodePNG(t *testing.T) {
	s := start(t, Options{})
	data, err := s.QRCodePNG(256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Fatalf("QR size %v", b)
	}
}
