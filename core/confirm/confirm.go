// Package confirm is the second-device confirmation of the QR step: for the
// length of the step the app serves one page on the local network at
// http://IP:port/c/<token>; the QR code encodes that URL; the target
// company's creator opens it on a phone, sees the company, the method, the
// counts and the irreversibility warning, and confirms. The desktop learns
// it at once through Options.OnStatus. Where no shared network exists,
// ConfirmLocally is the fallback ("confirm on this computer").
//
// The token is 128 random bits, single use, expires (TTL). Every request,
// whatever its path, first costs one token of its client address's bucket,
// then one of a generous global bucket (the last defence), so a flood from
// one machine never starves the real phone. Wrong tokens are counted per
// address: an address that reaches the limit is blocked, the session goes
// on. A Host header other than the shown address is refused (DNS
// rebinding). The confirm button posts a form token only the served page
// knows. The listener closes the moment the session is confirmed, expires
// or is closed; Renew gives a new code on the same address, and a phone
// holding the old link is told it was replaced. The page shows Chinese and
// English, the phone's language (Accept-Language) first.
package confirm

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"exmail-upgrade/core/upgrade"
)

// Status is the state of a confirmation session.
type Status string

// Session states: waiting → opened → confirmed, or a final expired,
// cancelled or blocked.
const (
	StatusWaiting   Status = "waiting"   // URL shown, not yet opened
	StatusOpened    Status = "opened"    // the page was opened on a device
	StatusConfirmed Status = "confirmed" // confirmed (on the phone or locally)
	StatusExpired   Status = "expired"   // TTL passed before confirmation
	StatusCancelled Status = "cancelled" // Close or context cancellation
)

// Final reports whether no further status can follow.
func (s Status) Final() bool {
	return s == StatusConfirmed || s == StatusExpired || s == StatusCancelled
}

// Label is the bilingual text of the status for the GUI.
func (s Status) Label() string {
	switch s {
	case StatusWaiting:
		return "等待扫码 / waiting for the scan"
	case StatusOpened:
		return "已在手机上打开，等待确认 / opened on the phone, waiting for confirmation"
	case StatusConfirmed:
		return "已确认 / confirmed"
	case StatusExpired:
		return "已过期，请重新生成二维码 / expired, generate a new QR code"
	case StatusCancelled:
		return "已取消 / cancelled"
	}
	return string(s)
}

// Defaults.
const (
	DefaultTTL            = 5 * time.Minute
	DefaultPerIPRate      = 10  // requests per second per client address (also the burst)
	DefaultGlobalRate     = 200 // requests per second in all (the burst is twice that)
	DefaultMaxWrongTokens = 20  // wrong tokens before an address is blocked
	maxClients            = 1024
	maxReplaced           = 16
)

// ErrFinished is returned by ConfirmLocally when the session already ended.
var ErrFinished = errors.New("确认环节已结束 / the confirmation step has ended")

// Info is what the phone page shows.
type Info struct {
	Company           string         // the company name (公司名)
	Method            upgrade.Method // new or bind
	TargetName        string         // the target WeCom's name
	TargetMembers     int            // members already in the target
	TargetDepartments int            // departments already in the target
	Members           int            // members to migrate
	Departments       int            // departments to migrate
	// Warning replaces the default warning for Method when not empty; lines are
	// separated by "\n".
	Warning string
}

// Options configure Start.
type Options struct {
	// Addr is the address to listen on: an IP the user picked among
	// LocalAddresses, optionally with ":port" (default "127.0.0.1", any
	// free port). Unspecified addresses (0.0.0.0) are refused: the URL
	// needs a concrete IP.
	Addr string
	// TTL is how long the URL is valid (DefaultTTL when zero).
	TTL time.Duration
	// Info is shown on the page.
	Info Info
	// OnStatus, when set, is called (from its own goroutine, in order) on
	// every status change.
	OnStatus func(Status)
	// PerIPRate and GlobalRate limit requests per second (defaults above).
	PerIPRate, GlobalRate float64
	// MaxWrongTokens blocks a client address after that many wrong tokens
	// or form tokens from it (DefaultMaxWrongTokens when zero); the session
	// goes on for every other address.
	MaxWrongTokens int
	// Lang is the page's first language ("zh" or "en") for a phone that
	// does not say which it prefers; SetLang changes it later.
	Lang string
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

// Result describes how the session ended.
type Result struct {
	Status Status
	Via    string // "phone" or "local" when confirmed
	Remote string // client IP of the confirming phone
	At     time.Time
}

// Session is one open confirmation step.
type Session struct {
	opts    Options
	host    string // the address in the URL (IP:port); other Host headers are refused
	srv     *http.Server
	ln      net.Listener
	handler http.Handler

	mu        sync.Mutex
	token     string
	formToken string
	url       string
	expiresAt time.Time
	replaced  []string // earlier tokens of this session (Renew), newest last
	lang      string
	status    Status
	result    Result
	clients   map[string]*client
	overflow  *client // shared by addresses beyond maxClients
	global    *bucket
	cb        chan Status
	done      chan struct{}
	timer     *time.Timer
	stopOnce  sync.Once
}

// client is what the session knows about one client address.
type client struct {
	bucket  bucket
	wrong   int
	blocked bool
}

// LocalAddresses lists the addresses the server may listen on: every
// non-loopback IPv4 address of an up interface (sorted), then 127.0.0.1.
func LocalAddresses() ([]string, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return []string{"127.0.0.1"}, fmt.Errorf("list network interfaces: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip4 := ipn.IP.To4()
			if ip4 == nil || ip4.IsLoopback() || ip4.IsLinkLocalUnicast() || ip4.IsUnspecified() {
				continue
			}
			if s := ip4.String(); !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return append(out, "127.0.0.1"), nil
}

func listenAddr(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1"
	}
	host, port := addr, "0"
	if h, p, err := net.SplitHostPort(addr); err == nil {
		host, port = h, p
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return "", fmt.Errorf("地址无效 %q / invalid address %q", addr, addr)
	}
	if ip.To4() == nil {
		return "", fmt.Errorf("请选择 IPv4 地址 / pick an IPv4 address, not %s", host)
	}
	if ip.IsUnspecified() {
		return "", fmt.Errorf("请选择具体的本机地址 / pick a concrete local address, not %s", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("端口无效 %q / invalid port %q", port, port)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return b32.EncodeToString(b), nil
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newSession builds a session without a listener for the URL host host
// (IP:port; used by Start, and by tests through the handler).
func newSession(opts Options, host string) (*Session, error) {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.PerIPRate <= 0 {
		opts.PerIPRate = DefaultPerIPRate
	}
	if opts.GlobalRate <= 0 {
		opts.GlobalRate = DefaultGlobalRate
	}
	if opts.MaxWrongTokens <= 0 {
		opts.MaxWrongTokens = DefaultMaxWrongTokens
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Session{
		opts:     opts,
		host:     host,
		lang:     normLang(opts.Lang),
		status:   StatusWaiting,
		clients:  map[string]*client{},
		overflow: &client{bucket: bucket{rate: opts.PerIPRate, burst: opts.PerIPRate}},
		global:   &bucket{rate: opts.GlobalRate, burst: 2 * opts.GlobalRate},
		cb:       make(chan Status, 8),
		done:     make(chan struct{}),
	}
	if err := s.newTokens(); err != nil {
		return nil, err
	}
	s.result.Status = StatusWaiting
	s.handler = http.HandlerFunc(s.serve)
	if opts.OnStatus != nil {
		go func() {
			for st := range s.cb {
				opts.OnStatus(st)
			}
		}()
	}
	return s, nil
}

// newTokens draws the URL token and the form token and restarts the TTL
// (s.mu held or s not yet shared).
func (s *Session) newTokens() error {
	tok, err := randomToken(16)
	if err != nil {
		return err
	}
	form := make([]byte, 16)
	if _, err := rand.Read(form); err != nil {
		return fmt.Errorf("random form token: %w", err)
	}
	s.token, s.formToken = tok, hex.EncodeToString(form)
	s.expiresAt = s.opts.Now().Add(s.opts.TTL)
	if s.host != "" {
		s.url = "http://" + s.host + "/c/" + s.token
	}
	return nil
}

// Start opens the confirmation step: it listens on opts.Addr and serves the
// page until the session is confirmed, expires (opts.TTL), Close is called
// or ctx is cancelled; then the listener closes at once.
func Start(ctx context.Context, opts Options) (*Session, error) {
	addr, err := listenAddr(opts.Addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("监听 %s 失败 / listen on %s: %w", addr, addr, err)
	}
	s, err := newSession(opts, ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    8 << 10,
	}
	go s.srv.Serve(ln)
	s.mu.Lock()
	s.timer = time.AfterFunc(s.opts.TTL, s.expireFromTimer)
	s.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// URL is the address the QR code encodes: http://IP:port/c/<token>. It
// changes only with Renew.
func (s *Session) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Addr is the listening address (IP:port).
func (s *Session) Addr() string { return s.host }

// ExpiresAt is when the URL stops working.
func (s *Session) ExpiresAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expiresAt
}

// Status is the current status.
func (s *Session) Status() Status {
	s.checkExpiry()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Result is how the session ended (Status waiting/opened while it runs).
func (s *Session) Result() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result
}

// Blocked lists the client addresses blocked for too many wrong attempts.
func (s *Session) Blocked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for ip, c := range s.clients {
		if c.blocked {
			out = append(out, ip)
		}
	}
	sort.Strings(out)
	return out
}

// Done is closed when the session reaches a final status.
func (s *Session) Done() <-chan struct{} { return s.done }

// SetLang sets the page's first language ("zh" or "en") for phones that do
// not state a preference. The URL and token stay the same, so the GUI's
// language switch never needs a new code.
func (s *Session) SetLang(lang string) {
	s.mu.Lock()
	s.lang = normLang(lang)
	s.mu.Unlock()
}

// Renew replaces the code: a new token (and so a new URL, on the same
// address) with a fresh TTL; a phone holding the old link is told that a new
// code replaced it. Blocked addresses stay blocked. It fails with
// ErrFinished once the session is final.
func (s *Session) Renew() (string, error) {
	s.checkExpiry()
	s.mu.Lock()
	if s.status.Final() {
		st := s.status
		s.mu.Unlock()
		return "", fmt.Errorf("renew (%s): %w", st, ErrFinished)
	}
	old := s.token
	if err := s.newTokens(); err != nil {
		s.mu.Unlock()
		return "", err
	}
	if s.replaced = append(s.replaced, old); len(s.replaced) > maxReplaced {
		s.replaced = s.replaced[1:]
	}
	if s.timer != nil {
		s.timer.Reset(s.opts.TTL)
	}
	changed := s.status != StatusWaiting
	s.status, s.result = StatusWaiting, Result{Status: StatusWaiting}
	if changed && s.opts.OnStatus != nil {
		s.cb <- StatusWaiting
	}
	url := s.url
	s.mu.Unlock()
	return url, nil
}

// ConfirmLocally confirms on this computer (the fallback when the phone
// cannot reach the app). It fails with ErrFinished after a final status.
func (s *Session) ConfirmLocally() error {
	s.checkExpiry()
	if !s.finish(StatusConfirmed, "local", "") {
		return fmt.Errorf("confirm locally (%s): %w", s.Status(), ErrFinished)
	}
	return nil
}

// Close ends the step: the listener stops, and a session not yet final
// becomes cancelled. It is safe to call more than once.
func (s *Session) Close() error {
	s.finish(StatusCancelled, "", "")
	return nil
}

// stopServing closes the listener at once (no new connection is accepted)
// and lets requests in flight, such as the confirming POST, finish before
// their connections close.
func (s *Session) stopServing() {
	s.stopOnce.Do(func() {
		if s.ln == nil {
			return
		}
		s.ln.Close()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if s.srv.Shutdown(ctx) != nil {
				s.srv.Close()
			}
		}()
	})
}

// setOpened moves waiting → opened.
func (s *Session) setOpened() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != StatusWaiting {
		return
	}
	s.status = StatusOpened
	s.result.Status = StatusOpened
	if s.opts.OnStatus != nil {
		s.cb <- StatusOpened
	}
}

// finish moves to final status st unless already final, and closes the
// listener; it reports whether it did.
func (s *Session) finish(st Status, via, remote string) bool {
	s.mu.Lock()
	if s.status.Final() {
		s.mu.Unlock()
		return false
	}
	s.status = st
	s.result = Result{Status: st, At: s.opts.Now()}
	if st == StatusConfirmed {
		s.result.Via, s.result.Remote = via, remote
	}
	if s.opts.OnStatus != nil {
		s.cb <- st
	}
	close(s.cb)
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	s.stopServing() // before Done: whoever waits on it finds the listener closed
	close(s.done)
	return true
}

// checkExpiry expires the session when its TTL passed on the session's
// clock.
func (s *Session) checkExpiry() {
	s.mu.Lock()
	over := !s.opts.Now().Before(s.expiresAt)
	s.mu.Unlock()
	if over {
		s.finish(StatusExpired, "", "")
	}
}

// expireFromTimer is the real timer firing; Renew may have moved the
// deadline since it was set, in which case it only re-arms.
func (s *Session) expireFromTimer() {
	s.mu.Lock()
	left := time.Until(s.expiresAt)
	if s.opts.Now().Before(s.expiresAt) && left > 0 && s.timer != nil && !s.status.Final() {
		s.timer.Reset(left)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.finish(StatusExpired, "", "")
}

// tokenMatches compares in constant time.
func tokenMatches(got, want string) bool {
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientFor returns the record of address ip (s.mu held). Beyond
// maxClients addresses, new ones share one record: memory stays bounded and
// no blocked address is ever forgotten.
func (s *Session) clientFor(ip string) *client {
	c := s.clients[ip]
	if c == nil {
		if len(s.clients) >= maxClients {
			return s.overflow
		}
		c = &client{bucket: bucket{rate: s.opts.PerIPRate, burst: s.opts.PerIPRate}}
		s.clients[ip] = c
	}
	return c
}

// admit applies, for every request whatever its path, the address's block,
// then its bucket, then the global bucket: a flood from one address only
// drains its own bucket.
func (s *Session) admit(ip string) (code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	c := s.clientFor(ip)
	switch {
	case c.blocked:
		return http.StatusForbidden
	case !c.bucket.take(now), !s.global.take(now):
		return http.StatusTooManyRequests
	}
	return 0
}

// countWrong records a wrong attempt from ip and blocks the address at the
// limit.
func (s *Session) countWrong(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clientFor(ip)
	if c.wrong++; c.wrong >= s.opts.MaxWrongTokens {
		c.blocked = true
	}
}

// bucket is a token bucket.
type bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
	started     bool
}

func (b *bucket) take(now time.Time) bool {
	if !b.started {
		b.started, b.tokens, b.last = true, b.burst, now
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens += dt * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// linkState tells what token tok is to the session: the current one, one
// replaced by Renew, or unknown.
func (s *Session) linkState(tok string) (current, replaced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tokenMatches(tok, s.token) {
		return true, false
	}
	for _, old := range s.replaced {
		if tokenMatches(tok, old) {
			return false, true
		}
	}
	return false, false
}

// serve is the whole HTTP surface: GET and POST /c/<token>.
func (s *Session) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	ip := clientIP(r)
	switch s.admit(ip) {
	case http.StatusForbidden:
		http.Error(w, "此设备错误尝试过多，已被阻止 / too many wrong attempts from this device: blocked", http.StatusForbidden)
		return
	case http.StatusTooManyRequests:
		h.Set("Retry-After", "1")
		http.Error(w, "请求过于频繁 / too many requests", http.StatusTooManyRequests)
		return
	}
	if s.host != "" && r.Host != s.host {
		http.Error(w, "地址不符 / wrong host", http.StatusMisdirectedRequest)
		return
	}
	tok, ok := strings.CutPrefix(r.URL.Path, "/c/")
	if !ok {
		http.NotFound(w, r) // favicon and friends: not an attempt
		return
	}
	current, replaced := s.linkState(tok)
	lang := s.pageLang(r)
	if replaced {
		s.render(w, http.StatusGone, pageData{Lang: lang, Ended: endedReplaced})
		return
	}
	if !current {
		s.countWrong(ip)
		http.NotFound(w, r)
		return
	}
	s.checkExpiry()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.serveGet(w, lang)
	case http.MethodPost:
		s.servePost(w, r, lang, ip)
	default:
		h.Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Session) serveGet(w http.ResponseWriter, lang string) {
	if st := s.Status(); st.Final() {
		s.renderEnded(w, lang, st)
		return
	}
	s.setOpened()
	if st := s.Status(); st.Final() { // raced with expiry or Close
		s.renderEnded(w, lang, st)
		return
	}
	s.mu.Lock()
	d := pageData{Lang: lang, Info: s.opts.Info, FormToken: s.formToken, Expires: s.expiresAt,
		SecondsLeft: int(s.expiresAt.Sub(s.opts.Now()).Seconds())}
	s.mu.Unlock()
	s.render(w, http.StatusOK, d)
}

func (s *Session) servePost(w http.ResponseWriter, r *http.Request, lang, ip string) {
	if st := s.Status(); st.Final() {
		s.renderEnded(w, lang, st)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && o != "http://"+r.Host {
		s.countWrong(ip)
		http.Error(w, "来源不符 / origin mismatch", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "表单无效 / bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	form := s.formToken
	s.mu.Unlock()
	if !tokenMatches(r.PostForm.Get("form_token"), form) {
		s.countWrong(ip)
		http.Error(w, "表单已失效，请刷新页面 / form expired, reload the page", http.StatusForbidden)
		return
	}
	if !s.finish(StatusConfirmed, "phone", ip) {
		s.renderEnded(w, lang, s.Status())
		return
	}
	s.render(w, http.StatusOK, pageData{Lang: lang, Info: s.opts.Info, Done: true})
}

func (s *Session) renderEnded(w http.ResponseWriter, lang string, st Status) {
	s.render(w, http.StatusGone, pageData{Lang: lang, Info: s.opts.Info, Ended: st})
}

func (s *Session) render(w http.ResponseWriter, code int, d pageData) { render(w, code, d) }

// pageLang is the page's first language: the phone's first preference
// among Chinese and English, else the session's.
func (s *Session) pageLang(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.ReplaceAll(strings.TrimSpace(params), " ", "") == "q=0" {
			continue
		}
		tag = strings.ToLower(strings.TrimSpace(tag))
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			return "zh"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return "en"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lang
}

func normLang(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "en") {
		return "en"
	}
	return "zh"
}
