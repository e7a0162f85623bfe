// Package confirm is the second-device confirmation of the QR step: for the
// length of the step the app serves one page on the local network at
// http://IP:port/c/<token>; the QR code encodes that URL; the target
// company's creator opens it on a phone, sees the company, the method, the
// counts and the irreversibility warning, and confirms. The desktop learns
// it at once through Session.Updates / Options.OnStatus. Where no shared
// network exists, ConfirmLocally is the fallback ("confirm on this
// computer").
//
// The token is 128 random bits, single use, expires (TTL), and the server is
// rate limited per client IP and globally; wrong tokens are counted and too
// many end the session (StatusBlocked). The confirm button posts a form
// token only the served page knows.
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

	qrcode "github.com/skip2/go-qrcode"
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
	StatusBlocked   Status = "blocked"   // too many wrong-token attempts
)

// Final reports whether no further status can follow.
func (s Status) Final() bool {
	return s == StatusConfirmed || s == StatusExpired || s == StatusCancelled || s == StatusBlocked
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
	case StatusBlocked:
		return "错误尝试过多，已停止，请重新生成二维码 / too many wrong attempts, stopped: generate a new QR code"
	}
	return string(s)
}

// Defaults.
const (
	DefaultTTL            = 5 * time.Minute
	DefaultPerIPRate      = 10 // requests per second per client IP (also the burst)
	DefaultGlobalRate     = 50 // requests per second in all (also the burst)
	DefaultMaxWrongTokens = 20 // wrong tokens before the session is blocked
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
	// Warning replaces DefaultWarning(Method) when not empty; lines are
	// separated by "\n".
	Warning string
}

// DefaultWarning is the irreversibility warning for method m, Chinese line
// first, English beneath.
func DefaultWarning(m upgrade.Method) string {
	zh := "升级只能进行一次，开始后不可撤销、不可回退；升级后无法再登录原企业邮箱管理后台。迁移期间请勿修改通讯录。"
	en := "The upgrade can be done only once and cannot be undone once started; the old Exmail admin console will no longer be available. Do not edit the contacts during migration."
	if m == upgrade.MethodBind {
		zh += "绑定后，目标企业微信原有的邮箱数据将被永久删除，请确认已备份。"
		en += " Binding permanently deletes the target WeCom's previous mailbox data: make sure it is backed up."
	}
	return zh + "\n" + en
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
	// MaxWrongTokens ends the session with StatusBlocked after that many
	// wrong tokens (DefaultMaxWrongTokens when zero).
	MaxWrongTokens int
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
	opts      Options
	token     string
	formToken string
	url       string
	expiresAt time.Time
	srv       *http.Server
	ln        net.Listener
	handler   http.Handler

	mu       sync.Mutex
	status   Status
	result   Result
	wrong    int
	perIP    map[string]*bucket
	global   *bucket
	updates  chan Status
	cb       chan Status
	done     chan struct{}
	timer    *time.Timer
	closed   bool
	stopOnce sync.Once
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

// newSession builds a session without a listener (the handler alone; used
// by Start and by tests/fuzzing through Handler).
func newSession(opts Options) (*Session, error) {
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
	if opts.Info.Warning == "" {
		opts.Info.Warning = DefaultWarning(opts.Info.Method)
	}
	tok, err := randomToken(16)
	if err != nil {
		return nil, err
	}
	form := make([]byte, 16)
	if _, err := rand.Read(form); err != nil {
		return nil, fmt.Errorf("random form token: %w", err)
	}
	s := &Session{
		opts:      opts,
		token:     tok,
		formToken: hex.EncodeToString(form),
		expiresAt: opts.Now().Add(opts.TTL),
		status:    StatusWaiting,
		perIP:     map[string]*bucket{},
		global:    &bucket{rate: opts.GlobalRate, burst: opts.GlobalRate},
		updates:   make(chan Status, 4),
		cb:        make(chan Status, 4),
		done:      make(chan struct{}),
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

// Start opens the confirmation step: it listens on opts.Addr and serves the
// page until Close, ctx cancellation or process end. The session expires
// after opts.TTL.
func Start(ctx context.Context, opts Options) (*Session, error) {
	addr, err := listenAddr(opts.Addr)
	if err != nil {
		return nil, err
	}
	s, err := newSession(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		s.finish(StatusCancelled, "", "")
		return nil, fmt.Errorf("监听 %s 失败 / listen on %s: %w", addr, addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String() + "/c/" + s.token
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
	s.timer = time.AfterFunc(s.opts.TTL, func() { s.checkExpiry(true) })
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

// URL is the address the QR code encodes: http://IP:port/c/<token>.
func (s *Session) URL() string { return s.url }

// Addr is the listening address (IP:port).
func (s *Session) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// ExpiresAt is when the URL stops working.
func (s *Session) ExpiresAt() time.Time { return s.expiresAt }

// Status is the current status.
func (s *Session) Status() Status {
	s.checkExpiry(false)
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

// WrongAttempts counts requests with a wrong token or form token.
func (s *Session) WrongAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wrong
}

// Updates delivers every status change (opened, then one final status);
// it is closed after the final one.
func (s *Session) Updates() <-chan Status { return s.updates }

// Done is closed when the session reaches a final status.
func (s *Session) Done() <-chan struct{} { return s.done }

// Wait blocks until a final status or ctx is done.
func (s *Session) Wait(ctx context.Context) (Status, error) {
	select {
	case <-s.done:
		return s.Status(), nil
	case <-ctx.Done():
		return s.Status(), ctx.Err()
	}
}

// ConfirmLocally confirms on this computer (the fallback when the phone
// cannot reach the app). It fails with ErrFinished after a final status.
func (s *Session) ConfirmLocally() error {
	s.checkExpiry(false)
	if !s.finish(StatusConfirmed, "local", "") {
		return fmt.Errorf("confirm locally (%s): %w", s.Status(), ErrFinished)
	}
	return nil
}

// Close ends the step: the listener stops, and a session not yet final
// becomes cancelled. It is safe to call more than once.
func (s *Session) Close() error {
	s.finish(StatusCancelled, "", "")
	var err error
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		if s.timer != nil {
			s.timer.Stop()
		}
		s.mu.Unlock()
		if s.srv != nil {
			err = s.srv.Close()
		}
	})
	return err
}

// setOpened moves waiting → opened.
func (s *Session) setOpened() {
	s.mu.Lock()
	if s.status != StatusWaiting {
		s.mu.Unlock()
		return
	}
	s.status = StatusOpened
	s.result.Status = StatusOpened
	s.updates <- StatusOpened
	if s.opts.OnStatus != nil {
		s.cb <- StatusOpened
	}
	s.mu.Unlock()
}

// finish moves to final status st unless already final; it reports whether
// it did.
func (s *Session) finish(st Status, via, remote string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status.Final() {
		return false
	}
	s.status = st
	s.result = Result{Status: st, At: s.opts.Now()}
	if st == StatusConfirmed {
		s.result.Via, s.result.Remote = via, remote
	}
	s.updates <- st
	close(s.updates)
	if s.opts.OnStatus != nil {
		s.cb <- st
	}
	close(s.cb)
	close(s.done)
	if s.timer != nil {
		s.timer.Stop()
	}
	return true
}

// checkExpiry expires the session when its TTL passed (fromTimer: the real
// timer fired, which is authoritative for the real clock).
func (s *Session) checkExpiry(fromTimer bool) {
	if fromTimer || !s.opts.Now().Before(s.expiresAt) {
		s.finish(StatusExpired, "", "")
	}
}

// tokenMatches compares in constant time.
func tokenMatches(got, want string) bool {
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// countWrong records a wrong attempt and blocks the session at the limit.
func (s *Session) countWrong() {
	s.mu.Lock()
	s.wrong++
	n := s.wrong
	s.mu.Unlock()
	if n >= s.opts.MaxWrongTokens {
		s.finish(StatusBlocked, "", "")
	}
}

// allow applies the global and per-IP rate limits.
func (s *Session) allow(ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	b := s.perIP[ip]
	if b == nil {
		if len(s.perIP) >= 4096 {
			s.perIP = map[string]*bucket{} // bounded memory under a flood
		}
		b = &bucket{rate: s.opts.PerIPRate, burst: s.opts.PerIPRate}
		s.perIP[ip] = b
	}
	if !s.global.take(now) {
		return false
	}
	return b.take(now)
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

// serve is the whole HTTP surface: GET and POST /c/<token>.
func (s *Session) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	if !s.allow(clientIP(r)) {
		h.Set("Retry-After", "1")
		http.Error(w, "请求过于频繁 / too many requests", http.StatusTooManyRequests)
		return
	}
	tok, ok := strings.CutPrefix(r.URL.Path, "/c/")
	if !ok {
		http.NotFound(w, r) // favicon and friends: not an attempt
		return
	}
	if !tokenMatches(tok, s.token) {
		s.countWrong()
		http.NotFound(w, r)
		return
	}
	s.checkExpiry(false)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.serveGet(w, r)
	case http.MethodPost:
		s.servePost(w, r)
	default:
		h.Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Session) serveGet(w http.ResponseWriter, r *http.Request) {
	if st := s.Status(); st.Final() {
		s.renderEnded(w, st)
		return
	}
	s.setOpened()
	if s.Status().Final() { // raced with expiry or Close
		s.renderEnded(w, s.Status())
		return
	}
	render(w, http.StatusOK, pageData{Info: s.opts.Info, FormToken: s.formToken, Expires: s.expiresAt})
}

func (s *Session) servePost(w http.ResponseWriter, r *http.Request) {
	if st := s.Status(); st.Final() {
		s.renderEnded(w, st)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && o != "http://"+r.Host {
		s.countWrong()
		http.Error(w, "来源不符 / origin mismatch", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "表单无效 / bad form", http.StatusBadRequest)
		return
	}
	if !tokenMatches(r.PostForm.Get("form_token"), s.formToken) {
		s.countWrong()
		http.Error(w, "表单已失效，请刷新页面 / form expired, reload the page", http.StatusForbidden)
		return
	}
	if !s.finish(StatusConfirmed, "phone", clientIP(r)) {
		s.renderEnded(w, s.Status())
		return
	}
	render(w, http.StatusOK, pageData{Info: s.opts.Info, Done: true})
}

func (s *Session) renderEnded(w http.ResponseWriter, st Status) {
	render(w, http.StatusGone, pageData{Info: s.opts.Info, Ended: st})
}

// QRCodePNG renders the session URL as a PNG QR code of size×size pixels
// (medium error correction) for the GUI to show.
func (s *Session) QRCodePNG(size int) ([]byte, error) {
	if s.url == "" {
		return nil, errors.New("session has no URL")
	}
	png, err := qrcode.Encode(s.url, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("render QR code: %w", err)
	}
	return png, nil
}
