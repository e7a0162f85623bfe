// Package exmail reads a legacy Tencent Exmail (腾讯企业邮) company's
// directory through the Exmail open API — gettoken, department/list,
// user/list with fetch_child=1 and, where offered, the mail groups
// (group/search, group/get) — and returns it as a *contacts.Directory with
// full department paths, ready for the rule checks and the plan.
//
// Legacy facts: Exmail department IDs are 64-bit and never reused as WeCom
// IDs (the planner assigns its own); every mailbox is listed, and its type
// is pre-filled as 成员邮箱 where a person is behind it (a mobile, or a name
// that is not role-like); the others are left blank for the rules to flag
// as mailbox_maybe_shared candidates — never typed 其他邮箱 silently (the
// API has no shared-box flag).
//
// Mapping: the Exmail userid is the member's mail address; it becomes
// BizMail, and its local part becomes Account (the WeCom userid). Exmail's
// tel → Telephone, gender "1"/"2" → 男/女, enable 0 → Disabled. Mail
// aliases (slaves) and extid have no WeCom field and are dropped. A "/"
// inside a department name would split the path, so it is written as the
// full-width "／".
package exmail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"exmail-upgrade/core/contacts"
)

// DefaultBaseURL is the real Exmail API service.
const DefaultBaseURL = "https://api.exmail.qq.com"

// rootID is the company's top department in Exmail.
const rootID = 1

// Config configures a reader. CorpID and Secret (the 通讯录管理 secret of
// the Exmail admin console) are required.
type Config struct {
	BaseURL    string // default DefaultBaseURL
	CorpID     string
	Secret     string
	HTTPClient *http.Client  // default http.DefaultClient
	Timeout    time.Duration // per HTTP attempt, default 30 s
	// RetryBackoff is the first wait before retrying a busy (-1) answer or a
	// network failure; it doubles each time (3 retries). Default 500 ms.
	RetryBackoff time.Duration
}

// Error is a failure of one Exmail API call. Its text never holds the
// secret or the token.
type Error struct {
	API  string // path below /cgi-bin/
	Code int    // Exmail errcode; -1001 network failure, -1002 HTTP status, -1003 bad answer
	Msg  string
}

// Client-side codes of Error.Code.
const (
	CodeTransport   = -1001
	CodeHTTPStatus  = -1002
	CodeBadResponse = -1003
)

func (e *Error) Error() string {
	return fmt.Sprintf("exmail %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// Explain returns plain Chinese and English text saying what to do.
func (e *Error) Explain() string {
	switch e.Code {
	case 40001:
		return "Secret 不正确：请在腾讯企业邮管理后台「工具箱 → 通讯录同步/API 接口」中复制通讯录管理 Secret。 / The secret is wrong: copy the directory secret from the Exmail admin console (Toolbox → directory sync / API)."
	case 40013:
		return "企业 ID (CorpID) 不正确，请在腾讯企业邮管理后台复制。 / The corp ID is wrong; copy it from the Exmail admin console."
	case -1:
		return "腾讯企业邮系统繁忙，请稍后再试。 / Exmail is busy; try again later."
	case CodeTransport:
		return "无法连接腾讯企业邮接口，请检查网络后重试。 / Cannot reach the Exmail API; check the network and retry."
	}
	return fmt.Sprintf("腾讯企业邮返回错误 %d（%s）。 / Exmail answered error %d (%s).", e.Code, e.Msg, e.Code, e.Msg)
}

var credParam = regexp.MustCompile(`(?i)(access_token|corpsecret)=[^&\s"']*`)

type reader struct {
	cfg   Config
	base  string
	token string
}

func (r *reader) redact(s string) string {
	s = credParam.ReplaceAllString(s, "$1=REDACTED")
	if r.cfg.Secret != "" {
		s = strings.ReplaceAll(s, r.cfg.Secret, "REDACTED")
	}
	if r.token != "" {
		s = strings.ReplaceAll(s, r.token, "REDACTED")
	}
	return s
}

// get calls api with q (plus the token) and decodes the answer into out,
// retrying -1 and network failures up to 3 times (all calls are reads).
func (r *reader) get(ctx context.Context, api string, q url.Values, out any) error {
	var last error
	wait := r.cfg.RetryBackoff
	for attempt := 0; attempt <= 3; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return &Error{API: api, Code: CodeTransport, Msg: ctx.Err().Error()}
			case <-t.C:
			}
			wait *= 2
		}
		var retry bool
		last, retry = r.once(ctx, api, q, out)
		if last == nil || !retry || ctx.Err() != nil {
			return last
		}
	}
	return last
}

func (r *reader) once(ctx context.Context, api string, q url.Values, out any) (error, bool) {
	qq := url.Values{}
	for k, v := range q {
		qq[k] = v
	}
	if r.token != "" {
		qq.Set("access_token", r.token)
	}
	actx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, r.base+"/cgi-bin/"+api+"?"+qq.Encode(), nil)
	if err != nil {
		return &Error{API: api, Code: CodeTransport, Msg: r.redact(err.Error())}, false
	}
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		return &Error{API: api, Code: CodeTransport, Msg: r.redact(err.Error())}, true
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &Error{API: api, Code: CodeTransport, Msg: r.redact(err.Error())}, true
	}
	if resp.StatusCode != http.StatusOK {
		return &Error{API: api, Code: CodeHTTPStatus, Msg: "HTTP " + strconv.Itoa(resp.StatusCode)}, resp.StatusCode >= 500
	}
	var st struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.ErrCode == nil {
		return &Error{API: api, Code: CodeBadResponse, Msg: "answer is not the documented JSON"}, false
	}
	if *st.ErrCode != 0 {
		return &Error{API: api, Code: *st.ErrCode, Msg: r.redact(st.ErrMsg)}, *st.ErrCode == -1
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{API: api, Code: CodeBadResponse, Msg: r.redact(err.Error())}, false
	}
	return nil, false
}

type department struct {
	ID       int64  `json:"id"` // 64-bit in Exmail
	Name     string `json:"name"`
	ParentID int64  `json:"parentid"`
	Order    int64  `json:"order"` // Exmail sorts smallest first (WeCom: largest first)
}

type user struct {
	UserID     string   `json:"userid"`
	Name       string   `json:"name"`
	Department []int64  `json:"department"`
	Position   string   `json:"position"`
	Mobile     string   `json:"mobile"`
	Tel        string   `json:"tel"`
	Gender     string   `json:"gender"`
	Enable     *int     `json:"enable"`
	Slaves     []string `json:"slaves"`
}

// ReadDirectory reads the whole Exmail directory: every department (as a
// full path below the company root) and every member.
func ReadDirectory(ctx context.Context, cfg Config) (*contacts.Directory, error) {
	if cfg.CorpID == "" || cfg.Secret == "" {
		return nil, errors.New("exmail: 企业 ID 或 Secret 为空 / corp ID or secret is empty")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 500 * time.Millisecond
	}
	r := &reader{cfg: cfg, base: base}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := r.get(ctx, "gettoken", url.Values{"corpid": {cfg.CorpID}, "corpsecret": {cfg.Secret}}, &tok); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, &Error{API: "gettoken", Code: CodeBadResponse, Msg: "no access_token in answer"}
	}
	r.token = tok.AccessToken

	var dl struct {
		Department []department `json:"department"`
	}
	if err := r.get(ctx, "department/list", url.Values{"id": {strconv.Itoa(rootID)}}, &dl); err != nil {
		return nil, err
	}
	paths, err := departmentPaths(dl.Department)
	if err != nil {
		return nil, err
	}
	var ul struct {
		UserList []user `json:"userlist"`
	}
	q := url.Values{"department_id": {strconv.Itoa(rootID)}, "fetch_child": {"1"}}
	if err := r.get(ctx, "user/list", q, &ul); err != nil {
		return nil, err
	}
	d := &contacts.Directory{DeptOrder: weComOrder(dl.Department, paths)}
	for _, dep := range dl.Department {
		if p := paths[dep.ID]; p != "" {
			d.Departments = append(d.Departments, p)
		}
	}
	for _, u := range ul.UserList {
		m := contacts.Member{Name: u.Name, BizMail: u.UserID, Position: u.Position, Mobile: u.Mobile,
			Telephone: u.Tel, Gender: map[string]string{"1": "男", "2": "女"}[u.Gender],
			Disabled: u.Enable != nil && *u.Enable == 0}
		m.Account = u.UserID
		if at := strings.LastIndex(u.UserID, "@"); at > 0 {
			m.Account = u.UserID[:at]
		}
		if !contacts.LooksShared(&m) {
			m.Mailbox = string(contacts.MailboxMember) // a person is behind it
		}
		seen := map[string]bool{}
		for _, id := range u.Department {
			p, ok := paths[id]
			if !ok {
				return nil, fmt.Errorf("exmail: member %s is in unknown department %d", u.UserID, id)
			}
			if p != "" && !seen[p] {
				seen[p] = true
				m.Departments = append(m.Departments, p)
			}
		}
		d.Members = append(d.Members, m)
	}
	groups, err := r.groups(ctx, paths)
	if err != nil {
		return nil, err
	}
	d.MailGroups = groups
	return d, nil
}

// departmentPaths maps every department ID to its path below the root
// ("" for the root itself).
func departmentPaths(list []department) (map[int64]string, error) {
	byID := map[int64]department{}
	for _, d := range list {
		byID[d.ID] = d
	}
	paths := map[int64]string{rootID: ""}
	var resolve func(id int64, depth int) (string, error)
	resolve = func(id int64, depth int) (string, error) {
		if p, ok := paths[id]; ok {
			return p, nil
		}
		d, ok := byID[id]
		if !ok {
			return "", fmt.Errorf("exmail: department %d not in department list", id)
		}
		if depth > len(list) {
			return "", fmt.Errorf("exmail: department %d: parent cycle", id)
		}
		parent, err := resolve(d.ParentID, depth+1)
		if err != nil {
			return "", err
		}
		name := strings.ReplaceAll(strings.TrimSpace(d.Name), contacts.PathSep, "／")
		if name == "" {
			return "", fmt.Errorf("exmail: department %d has an empty name", id)
		}
		p := name
		if parent != "" {
			p = parent + contacts.PathSep + name
		}
		paths[id] = p
		return p, nil
	}
	for _, d := range list {
		if d.ID == rootID {
			continue
		}
		if _, err := resolve(d.ID, 0); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// weComOrder converts Exmail's department order (smallest first among
// siblings) to WeCom's (largest first): the siblings are ranked as Exmail
// shows them (order, then id) and the first gets the largest value. Keyed
// by path; the root is left out.
func weComOrder(list []department, paths map[int64]string) map[string]int {
	siblings := map[int64][]department{}
	for _, d := range list {
		if d.ID != rootID && paths[d.ID] != "" {
			siblings[d.ParentID] = append(siblings[d.ParentID], d)
		}
	}
	out := make(map[string]int, len(list))
	for _, sib := range siblings {
		sort.Slice(sib, func(i, j int) bool {
			if sib[i].Order != sib[j].Order {
				return sib[i].Order < sib[j].Order
			}
			return sib[i].ID < sib[j].ID
		})
		for rank, d := range sib {
			out[paths[d.ID]] = len(sib) - rank
		}
	}
	return out
}
