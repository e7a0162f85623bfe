// Package wecom is the WeCom (企业微信) contacts API client the upgrade uses:
// a configurable base URL (so rehearsals and tests talk to core/wecomsim or
// httptest servers), one shared access-token cache, a client-side rate
// limiter shared by all goroutines, a bound of calls in flight, a retry
// policy under which transient answers are never final within their bounds
// (-1, 45033 and network failures with back-off, 45009 waited out, 40014/
// 42001 refetch the token whenever the failed token is the cached one) and
// typed errors with Chinese/English explanations. The secret and the
// token never appear in errors or logs.
//
// github.com/silenceper/wechat/v2's work package was considered and not used:
// its URLs are hard-coded constants of https://qyapi.weixin.qq.com, it calls
// package-level HTTP helpers without context or a replaceable transport, and
// it has neither the retry policy nor user/list_id paging and batch jobs.
package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is the real WeCom API service.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// DefaultRatePerMinute keeps below WeCom's documented 10,000 calls/min per API.
const DefaultRatePerMinute = 9000

// DefaultRatePerHour keeps below WeCom's documented 150,000 calls/h per API.
const DefaultRatePerHour = 140000

// DefaultRateAllPerMinute and DefaultRateAllPerHour keep all APIs together
// below WeCom's documented per-IP limits (20,000/min, 600,000/h).
const (
	DefaultRateAllPerMinute = 18000
	DefaultRateAllPerHour   = 540000
)

// DefaultMaxInFlight is the default bound of calls in flight at once.
const DefaultMaxInFlight = 64

// DefaultMaxAttempts is the default bound of HTTP attempts of one call.
const DefaultMaxAttempts = 10

// maxResponse bounds the bytes read from one answer.
const maxResponse = 32 << 20

// Config configures a Client. Only CorpID and Secret are required.
type Config struct {
	BaseURL    string       // default DefaultBaseURL; the caller reads EXMAIL_UPGRADE_API_BASE
	CorpID     string       // 企业 ID
	Secret     string       // contact-sync secret; never logged
	HTTPClient *http.Client // default: a client with keep-alive sized for many workers

	// RatePerMinute bounds the calls per minute of each API path (all
	// goroutines together), as WeCom counts them. 0 means
	// DefaultRatePerMinute; negative means no client-side limit at all
	// (rehearsal against a local server; RatePerHour is then ignored too).
	RatePerMinute int
	// RatePerHour bounds the calls per hour of each API path. 0 means
	// DefaultRatePerHour; negative means no hourly bound.
	RatePerHour int
	// RateAllPerMinute and RateAllPerHour bound the calls of all APIs
	// together, as WeCom counts them per IP. 0 means the defaults above;
	// negative means none. Both are off when RatePerMinute is negative.
	RateAllPerMinute, RateAllPerHour int
	// RateWindows are further per-API windows (e.g. a server's own
	// accounting), applied with the two above; they also apply when
	// RatePerMinute is negative.
	RateWindows []RateWindow
	// MaxInFlight bounds the calls in flight at once, all APIs together
	// (default DefaultMaxInFlight). A caller may simply run up to this many
	// goroutines: the client holds each call until the rate, the server's
	// concurrency and the network allow it.
	MaxInFlight int
	// MaxAttempts bounds the HTTP attempts of one call for token
	// replacement (40014/42001), busy (-1), concurrency (45033) and network
	// failures (default DefaultMaxAttempts); 45009 waits are bounded by
	// RateLimitRetries.
	MaxAttempts int
	// Timeout bounds one HTTP attempt (default 30 s); the caller's context
	// bounds the whole call including retries and waits.
	Timeout time.Duration

	// RetryBackoff is the first back-off for -1, 45033, network failures
	// and 5xx (writes only when they cannot have been applied); it doubles
	// each retry up to 30 s (default 500 ms).
	RetryBackoff time.Duration
	// RateLimitWait is how long every call of an API waits after a 45009
	// (default 60 s: WeCom's minute block). RateLimitRetries is how many
	// times 45009 is waited out for one call (default 5).
	RateLimitWait    time.Duration
	RateLimitRetries int

	// Now and Sleep replace the clock in tests. Sleep must return ctx.Err()
	// when ctx ends first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logf, when set, receives one line per retry and token fetch. Lines
	// hold API names and codes only, never URLs with credentials.
	Logf func(format string, args ...any)
}

// RateWindow is an allowance of calls per window length for each API.
type RateWindow struct {
	Calls int
	Per   time.Duration
}

// Client is a WeCom contacts API client, safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	hc   *http.Client

	paceMu sync.Mutex
	paces  map[string]*pace // by API path
	all    *pace            // windows of all APIs together (per IP); nil: none

	tokMu  sync.RWMutex
	tok    string
	tokExp time.Time
	tokSem chan struct{} // one token fetch at a time

	slots chan struct{} // MaxInFlight: one token per call in flight
}

// MaxInFlight returns the bound of calls in flight (Config.MaxInFlight with
// its default filled in): the number of goroutines worth running.
func (c *Client) MaxInFlight() int { return c.cfg.MaxInFlight }

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.CorpID) == "" {
		return nil, errors.New("wecom: 企业 ID 为空 / corp ID is empty")
	}
	if cfg.Secret == "" {
		return nil, errors.New("wecom: Secret 为空 / secret is empty")
	}
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wecom: API 地址无效 / invalid API base URL %q", redactURL(base))
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = DefaultRatePerMinute
	}
	if cfg.RatePerHour == 0 {
		cfg.RatePerHour = DefaultRatePerHour
	}
	if cfg.RateAllPerMinute == 0 {
		cfg.RateAllPerMinute = DefaultRateAllPerMinute
	}
	if cfg.RateAllPerHour == 0 {
		cfg.RateAllPerHour = DefaultRateAllPerHour
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 500 * time.Millisecond
	}
	if cfg.RateLimitWait <= 0 {
		cfg.RateLimitWait = 60 * time.Second
	}
	if cfg.RateLimitRetries <= 0 {
		cfg.RateLimitRetries = 5
	}
	if cfg.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = max(64, cfg.MaxInFlight)
		cfg.HTTPClient = &http.Client{Transport: tr}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	c := &Client{cfg: cfg, base: base, hc: cfg.HTTPClient, tokSem: make(chan struct{}, 1),
		slots: make(chan struct{}, cfg.MaxInFlight), paces: map[string]*pace{}}
	if cfg.RatePerMinute > 0 && (cfg.RateAllPerMinute > 0 || cfg.RateAllPerHour > 0) {
		all := cfg
		all.RatePerMinute, all.RatePerHour, all.RateWindows = -1, -1, nil
		for _, w := range []RateWindow{{cfg.RateAllPerMinute, time.Minute}, {cfg.RateAllPerHour, time.Hour}} {
			if w.Calls > 0 {
				all.RateWindows = append(all.RateWindows, w)
			}
		}
		c.all = newPace("(all)", &all)
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) logf(format string, args ...any) {
	if c.cfg.Logf != nil {
		c.cfg.Logf(format, args...)
	}
}

// request describes one API call.
type request struct {
	api         string     // path below /cgi-bin/
	method      string     // GET or POST
	query       url.Values // without credentials
	body        []byte
	contentType string
	idempotent  bool // network failures and 5xx may be retried
	noToken     bool // gettoken itself
	item        string
}

// apiStatus is the part every answer shares.
type apiStatus struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// DecodeResponse decodes one API answer: a *Error for a non-zero errcode,
// malformed JSON or a missing errcode, else the answer decoded into out
// (which may be nil).
func DecodeResponse(api string, body []byte, out any) error {
	var st apiStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return &Error{API: api, Code: CodeBadResponse, Msg: "invalid JSON: " + truncate(err.Error(), 200)}
	}
	if st.ErrCode == nil {
		return &Error{API: api, Code: CodeBadResponse, Msg: "no errcode in answer"}
	}
	if *st.ErrCode != 0 {
		return &Error{API: api, Code: *st.ErrCode, Msg: truncate(st.ErrMsg, 500)}
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return &Error{API: api, Code: CodeBadResponse, Msg: "invalid JSON: " + truncate(err.Error(), 200)}
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// maxBackoff caps the doubling back-off of one call.
const maxBackoff = 30 * time.Second

// do runs r with the retry policy and decodes the answer into out.
//
// Transient answers are retried within Config.MaxAttempts: a token error
// refetches the token when the failed token is still the cached one (so
// many calls failing with the same old token cause one fetch, and a call
// whose token was already replaced simply retries with the new one); -1,
// 45033, network failures and 5xx back off, doubling from RetryBackoff;
// 45009 waits RateLimitWait, RateLimitRetries times. A write whose request
// may have been applied (a network failure after sending, a timeout, a
// 5xx) is not re-sent: it returns with MaybeApplied for the caller to check.
func (c *Client) do(ctx context.Context, r request, out any) error {
	var rate, tries, backoffs int
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return c.ctxError(r, err)
		}
		token, err := c.attempt(ctx, r, out)
		if err == nil {
			return nil
		}
		if errors.Is(err, errNoToken) {
			return errors.Unwrap(err) // gettoken's own error, retried there
		}
		var e *Error
		if !errors.As(err, &e) {
			return err
		}
		e.Item, e.Attempts = r.item, attempt
		if e.Code != CodeRateLimit {
			tries++
		}
		var wait time.Duration
		switch e.Code {
		case CodeInvalidToken, CodeTokenExpired:
			if r.noToken || tries >= c.cfg.MaxAttempts {
				return e
			}
			c.invalidate(token)
			c.logf("wecom: %s errcode %d: token replaced, retry with a fresh one", r.api, e.Code)
			continue
		case CodeBusy, CodeConcurrency:
			if tries >= c.cfg.MaxAttempts {
				return e
			}
		case CodeRateLimit:
			if rate >= c.cfg.RateLimitRetries {
				return e
			}
			rate++
			c.logf("wecom: %s errcode %d: every %s call waits %s", r.api, e.Code, r.api, c.cfg.RateLimitWait)
			continue // attempt blocked the API: the next reservation waits it out
		case CodeTransport, CodeHTTPStatus:
			if e.MaybeApplied || tries >= c.cfg.MaxAttempts || ctx.Err() != nil || !Transient(e) {
				return e
			}
		default:
			return e
		}
		if wait == 0 {
			backoffs++
			wait = c.cfg.RetryBackoff << min(backoffs-1, 16)
			if wait > maxBackoff {
				wait = maxBackoff
			}
		}
		c.logf("wecom: %s errcode %d: retry in %s", r.api, e.Code, wait)
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return c.ctxError(r, err)
		}
	}
}

// errNoToken marks an attempt that failed because no token could be got.
var errNoToken = errors.New("no access token")

type noTokenError struct{ err error }

func (e noTokenError) Error() string        { return e.err.Error() }
func (e noTokenError) Unwrap() error        { return e.err }
func (e noTokenError) Is(target error) bool { return target == errNoToken }

// attempt makes one HTTP attempt within the API's adaptive bound, the
// client-wide bound of calls in flight and the API's rate windows, and
// tells the pacing what the answer taught. The token is taken from the
// cache (or fetched) only when the call is about to leave, so waiting in
// the bounds never sends a stale one; attempt returns the token it used.
// gettoken bypasses both bounds: the calls holding them may be the ones
// waiting for the token.
func (c *Client) attempt(ctx context.Context, r request, out any) (string, error) {
	p := c.pace(r.api)
	var o outcome
	if !r.noToken {
		// The API's place first: callers queued for a slow API do not
		// hold the client-wide slots other APIs need.
		sat, err := p.acquire(ctx)
		if err != nil {
			return "", c.ctxError(r, err)
		}
		o.saturated = sat
		defer func() { p.release(o) }()
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			return "", c.ctxError(r, ctx.Err())
		}
		defer func() { <-c.slots }()
	}
	rateBound, err := p.reserve(ctx)
	if err != nil {
		return "", c.ctxError(r, err)
	}
	if c.all != nil {
		allBound, err := c.all.reserve(ctx)
		if err != nil {
			p.done()
			return "", c.ctxError(r, err)
		}
		rateBound = rateBound || allBound
	}
	done := func() {
		p.done()
		if c.all != nil {
			c.all.done()
		}
	}
	o.rateBound = rateBound
	token := ""
	if !r.noToken {
		if token, err = c.token(ctx); err != nil {
			done()
			return "", noTokenError{err}
		}
	}
	start := time.Now()
	err = c.once(ctx, r, token, out)
	done()
	o.sent = true
	switch code := CodeOf(err); {
	case code == CodeConcurrency:
		o.refused = true
	case code == CodeRateLimit:
		p.block(c.cfg.RateLimitWait)
	case code == CodeTransport && isTimeout(err) && ctx.Err() == nil:
		o.timeout = true
	case code != CodeTransport && code != CodeHTTPStatus:
		o.rtt = time.Since(start) // a full answer: a latency sample
	}
	return token, err
}

func (c *Client) ctxError(r request, err error) error {
	return &Error{API: r.api, Code: CodeTransport, Msg: err.Error(), Item: r.item, Err: err}
}

// once performs one HTTP attempt.
func (c *Client) once(ctx context.Context, r request, token string, out any) error {
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	if token != "" {
		q.Set("access_token", token)
	}
	u := c.base + "/cgi-bin/" + r.api
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, u, body)
	if err != nil {
		return &Error{API: r.api, Code: CodeTransport, Msg: c.redact(err.Error())}
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.netError(ctx, r, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return c.netError(ctx, r, err)
	}
	if resp.StatusCode != http.StatusOK {
		// 503 and 429 say the request was refused before any effect.
		maybe := !r.idempotent && resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable
		return &Error{API: r.api, Code: CodeHTTPStatus, HTTPStatus: resp.StatusCode, MaybeApplied: maybe,
			Msg: c.redact(truncate(strings.TrimSpace(string(data)), 200))}
	}
	if err := DecodeResponse(r.api, data, out); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Msg = c.redact(e.Msg)
		}
		return err
	}
	return nil
}

// netError turns a transport failure into a redacted *Error. When the
// caller's context ended, the error wraps its cause so errors.Is works.
func (c *Client) netError(ctx context.Context, r request, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return &Error{API: r.api, Code: CodeTransport, Msg: cerr.Error(), Err: cerr}
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + " " + r.api + ": " + ue.Err.Error()
	}
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	if timeout {
		msg = "timeout: " + msg
	}
	// A failed dial never sent the request; anything later may have.
	var oe *net.OpError
	notSent := errors.As(err, &oe) && oe.Op == "dial"
	return &Error{API: r.api, Code: CodeTransport, Msg: c.redact(msg), Err: errors.New(c.redact(err.Error())),
		MaybeApplied: !r.idempotent && !notSent, timeout: timeout}
}

// redact removes credentials from s: query parameters and, as a last
// safety net, the literal secret and current token.
func (c *Client) redact(s string) string {
	s = redactURL(s)
	if c.cfg.Secret != "" {
		s = strings.ReplaceAll(s, c.cfg.Secret, "REDACTED")
	}
	c.tokMu.RLock()
	t := c.tok
	c.tokMu.RUnlock()
	if t != "" {
		s = strings.ReplaceAll(s, t, "REDACTED")
	}
	return s
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// token returns a valid access token, fetching one when none is cached.
// Only one goroutine fetches at a time; the others wait and reuse it.
func (c *Client) token(ctx context.Context) (string, error) {
	c.tokMu.RLock()
	t, exp := c.tok, c.tokExp
	c.tokMu.RUnlock()
	if t != "" && c.cfg.Now().Before(exp) {
		return t, nil
	}
	select {
	case c.tokSem <- struct{}{}:
	case <-ctx.Done():
		return "", &Error{API: "gettoken", Code: CodeTransport, Msg: ctx.Err().Error(), Err: ctx.Err()}
	}
	defer func() { <-c.tokSem }()
	c.tokMu.RLock()
	t, exp = c.tok, c.tokExp
	c.tokMu.RUnlock()
	if t != "" && c.cfg.Now().Before(exp) {
		return t, nil
	}
	var a tokenAnswer
	err := c.do(ctx, request{api: "gettoken", method: http.MethodGet, idempotent: true, noToken: true,
		query: url.Values{"corpid": {c.cfg.CorpID}, "corpsecret": {c.cfg.Secret}}}, &a)
	if err != nil {
		return "", err
	}
	if a.AccessToken == "" {
		return "", &Error{API: "gettoken", Code: CodeBadResponse, Msg: "no access_token in answer"}
	}
	life := time.Duration(a.ExpiresIn) * time.Second
	if life <= 0 {
		life = 7200 * time.Second
	}
	margin := life / 10
	if margin > 5*time.Minute {
		margin = 5 * time.Minute
	}
	c.tokMu.Lock()
	c.tok, c.tokExp = a.AccessToken, c.cfg.Now().Add(life-margin)
	c.tokMu.Unlock()
	c.logf("wecom: gettoken ok, valid %s", life)
	return a.AccessToken, nil
}

// invalidate forgets the cached token if it is still the one that failed
// (another goroutine may have refetched already).
func (c *Client) invalidate(used string) {
	c.tokMu.Lock()
	if c.tok == used {
		c.tok = ""
	}
	c.tokMu.Unlock()
}

func (c *Client) postJSON(ctx context.Context, api, item string, idempotent bool, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return &Error{API: api, Code: CodeBadJSON, Msg: err.Error(), Item: item}
	}
	return c.do(ctx, request{api: api, method: http.MethodPost, body: body, item: item,
		contentType: "application/json; charset=utf-8", idempotent: idempotent}, out)
}

func (c *Client) get(ctx context.Context, api string, q url.Values, out any) error {
	return c.do(ctx, request{api: api, method: http.MethodGet, query: q, idempotent: true}, out)
}
