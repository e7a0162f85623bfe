package wecom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"

	"exmail-upgrade/core/text"
)

// WeCom error codes the client and its callers act on. The list follows
// ../shared/reference/wecom-api.md and the error table of contacts-rules.md.
const (
	CodeOK                 = 0
	CodeBusy               = -1     // system busy: retry up to 3 times with back-off
	CodeBadSecret          = 40001  // invalid secret (gettoken)
	CodeInvalidUserID      = 40003  // invalid userid
	CodeInvalidCorpID      = 40013  // invalid corpid
	CodeInvalidToken       = 40014  // access_token invalid (maybe replaced early): refetch and retry
	CodeInvalidParam       = 40058  // invalid parameter
	CodeMissingToken       = 41001  // access_token missing
	CodeMissingSecret      = 41004  // corpsecret missing (gettoken)
	CodeSecretInvalid      = 40091  // secret malformed (gettoken)
	CodeMissingUserID      = 41009  // userid missing
	CodeTokenExpired       = 42001  // access_token expired: refetch and retry
	CodeRateLimit          = 45009  // frequency limit (a minute block lasts 60 s)
	CodeAccountCap         = 45024  // account cap reached
	CodeConcurrency        = 45033  // too many concurrent calls
	CodeBadJSON            = 47001  // request body is not valid JSON
	CodeNoPermission       = 48009  // contact-sync secret may not read details from this IP
	CodeUntrustedIP        = 60020  // caller's IP is not a trusted IP of the company
	CodeDeptNameLength     = 60001  // department name length
	CodeDeptTooDeep        = 60002  // department deeper than 15 levels
	CodeDeptNotFound       = 60003  // department not found
	CodeParentNotFound     = 60004  // parent department not found
	CodeTooManyDepts       = 60006  // company has too many departments
	CodeDeptExists         = 60008  // department exists (same name under the parent, or same id)
	CodeDeptNameChars      = 60009  // department name holds forbidden characters
	CodeUserIDExists       = 60102  // userid exists
	CodeMobileInvalid      = 60103  // mobile invalid
	CodeMobileExists       = 60104  // mobile exists
	CodeEmailInvalid       = 60105  // email invalid
	CodeEmailExists        = 60106  // email exists
	CodeMemberTooManyDepts = 60110  // member in too many departments
	CodeUserNotFound       = 60111  // userid not found
	CodeNameInvalid        = 60112  // member name invalid
	CodeGenderInvalid      = 60114  // gender invalid
	CodeDeptNameInvalid    = 60125  // department name invalid
	CodeContactMissing     = 60129  // mobile and email both empty
	CodeLeaderLength       = 60132  // is_leader_in_dept length differs from department
	CodeBizMailInvalid     = 60143  // biz mail invalid
	CodeBizMailFixed       = 60144  // biz mail can no longer be changed
	CodeBizMailExists      = 60145  // biz mail exists
	CodePositionTooLong    = 301012 // position too long
	CodeTelephoneInvalid   = 301013 // telephone invalid

	// Client-side codes (negative, never sent by WeCom) for failures that
	// carry no errcode.
	CodeTransport   = -1001 // network failure or timeout: the call may or may not have been applied
	CodeHTTPStatus  = -1002 // the server answered with an HTTP status other than 200
	CodeBadResponse = -1003 // the answer was not the JSON the API documents
)

// Error is every failure the client returns: a WeCom errcode or one of the
// client-side codes above. Its text never holds the secret or the token.
type Error struct {
	API        string // API path below /cgi-bin/, e.g. "user/create"
	Code       int    // WeCom errcode, or CodeTransport/CodeHTTPStatus/CodeBadResponse
	Msg        string // errmsg from WeCom, or a redacted description
	HTTPStatus int    // HTTP status when Code is CodeHTTPStatus
	Item       string // the item concerned (userid, department name) when known
	Err        error  // underlying cause (redacted) for client-side failures
	// MaybeApplied is set on a network failure, timeout or 5xx of a write
	// (create): the request may have reached WeCom and been applied
	// without an answer, so the caller must check before re-sending.
	MaybeApplied bool
	// Attempts is how many HTTP attempts the client made for the call.
	Attempts int

	timeout bool // a per-attempt timeout (not the caller's context)
}

func isTimeout(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.timeout
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("wecom ")
	b.WriteString(e.API)
	if e.Item != "" {
		fmt.Fprintf(&b, " %q", e.Item)
	}
	switch e.Code {
	case CodeTransport:
		b.WriteString(": network error: ")
	case CodeHTTPStatus:
		fmt.Fprintf(&b, ": HTTP %d: ", e.HTTPStatus)
	case CodeBadResponse:
		b.WriteString(": bad response: ")
	default:
		fmt.Fprintf(&b, ": errcode %d: ", e.Code)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause (context.Canceled, a net error, ...).
func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, &Error{Code: N}) match any *Error with code N.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.API == "" && t.Msg == ""
}

// CodeOf returns the WeCom (or client-side) code of err, 0 when err is nil
// and CodeTransport when err is not an *Error.
func CodeOf(err error) int {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeTransport
}

// Transient reports whether err is not a final answer for the item: the
// same call may succeed later without any change to the item. True for
// token replacement (40014, 42001), busy (-1), rate and concurrency limits
// (45009, 45033), network failures and timeouts (also raw net errors and
// io.ErrUnexpectedEOF), the caller's own cancellation (the call got no
// answer at all), and HTTP 5xx/429. False for nil and for every answer
// about the item itself (60102, 60104, 60103, …) and for wrong connection
// settings (40001, 40013, 60020, 48009), which need a change first.
//
// The client has retried a transient failure as far as its bounds allow
// when it returns one; a later pass may retry again. After a transient
// failure of a write (Error.MaybeApplied) the write may have been applied,
// so a retry may answer "exists" (60102, 60008) for the caller's own item.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if !errors.As(err, &e) {
		var ne net.Error
		return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
			isContextErr(err) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
	}
	switch e.Code {
	case CodeInvalidToken, CodeTokenExpired, CodeBusy, CodeRateLimit, CodeConcurrency, CodeTransport:
		return true
	case CodeHTTPStatus:
		return e.HTTPStatus >= 500 || e.HTTPStatus == http.StatusTooManyRequests
	}
	return false
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// explanations maps codes to plain words telling the user what to do.
var explanations = map[int]text.T{
	CodeBusy:          {Zh: "企业微信系统繁忙，已自动重试仍未成功，请稍后再试。", En: "WeCom is busy; the call was retried and still failed. Try again later."},
	CodeBadSecret:     {Zh: "Secret 不正确：请在企业微信管理后台 →「管理工具 → 通讯录同步」中查看并复制通讯录同步 Secret，注意不要多复制空格。多次使用错误的 Secret 会使本网络的 IP 被封禁一小时。", En: "The secret is wrong: copy the contact-sync secret from the WeCom admin console (Management Tools → Contact Sync) without extra spaces. Repeated wrong secrets block this network's IP for an hour."},
	CodeSecretInvalid: {Zh: "Secret 格式不正确：请在企业微信管理后台 →「管理工具 → 通讯录同步」中复制完整的通讯录同步 Secret。", En: "The secret is malformed: copy the whole contact-sync secret from the WeCom admin console (Management Tools → Contact Sync)."},
	CodeMissingSecret: {Zh: "缺少 Secret：请填写通讯录同步 Secret。", En: "The secret is missing: enter the contact-sync secret."},
	CodeInvalidCorpID: {Zh: "企业 ID（CorpID） 不正确：请在企业微信管理后台「我的企业 → 企业信息」页面底部复制企业 ID。", En: "The corp ID is wrong: copy it from the WeCom admin console (My Company → Company Info, at the bottom)."},
	CodeInvalidToken:  {Zh: "访问凭证（access token） 在调用途中被企业微信更换（企业微信可能提前作废凭证）。这是暂时现象：程序会自动重新获取凭证并重试，稍后继续即可，无需修改企业 ID 或 Secret（只有完全无法获取凭证时才需要检查它们）。", En: "The access token was replaced by WeCom while calls were in flight (WeCom may invalidate tokens early). This is transient: the tool fetches a new token and retries by itself; continue later — the corp ID and secret need checking only when no token can be fetched at all."},
	CodeTokenExpired:  {Zh: "访问凭证（access token） 已过期。这是暂时现象：程序会自动重新获取凭证并重试，稍后继续即可；若反复出现，请检查本机时间是否准确。", En: "The access token expired. This is transient: the tool fetches a new token and retries by itself; continue later. If it keeps happening, check this computer's clock."},
	CodeMissingToken:  {Zh: "请求缺少访问凭证，这是程序错误，请联系技术支持。", En: "The request lacked an access token: a program error, please contact support."},
	CodeRateLimit:     {Zh: "调用频率超过企业微信限制（每分钟 10,000 次 / 每小时 150,000 次），已按限制等待并重试仍未成功；请降低速度或稍后继续，迁移可以续传。", En: "WeCom's call frequency limit was exceeded (10,000/min, 150,000/h) even after waiting out the block; lower the rate or continue later — the migration resumes where it stopped."},
	CodeConcurrency:   {Zh: "同时进行的调用过多，已退避重试仍未成功；请减少并发数后继续。", En: "Too many concurrent calls even after backing off; lower the number of workers and continue."},
	CodeAccountCap:    {Zh: "企业成员数已达到帐号上限（或本月新增帐号已达上限）：请在企业微信管理后台扩容或联系企业微信客服提升上限，然后继续迁移。", En: "The company reached its account cap (or this month's new-account limit): raise the cap in the WeCom admin console or with WeCom support, then continue."},
	CodeNoPermission:  {Zh: "当前网络无权读取部门和成员的详细信息（2022 年 8 月起，通讯录同步 Secret 从新 IP 调用详情接口会被拒绝）。本工具改用只含 ID 的列表（部门 ID 列表、成员 UserID 列表）；如需名称，请使用自建应用的 Secret 并设置可信 IP。", En: "This network may not read department and member details (since 2022-08 the contact-sync secret is refused for detail APIs from a new IP). The tool uses ID-only lists instead; to read names, use a self-built app's secret with a trusted IP."},
	CodeUntrustedIP:   {Zh: "本网络的公网 IP 不在企业可信 IP 中：请在企业微信管理后台「管理工具 → 通讯录同步 → 企业可信IP」中填入本网络的公网 IP（可在浏览器搜索“我的IP”查看），保存后几分钟生效，再重试。", En: "This network's public IP is not a trusted IP of the company: in the WeCom admin console (Management Tools → Contact Sync → Trusted IP) add this network's public IP (search \"my IP\" in a browser), wait a few minutes, then retry."},
	CodeBadJSON:       {Zh: "请求格式错误，这是程序错误，请联系技术支持。", En: "The request was malformed: a program error, please contact support."},
	CodeInvalidParam:  {Zh: "参数不合法，请检查该条数据。", En: "An invalid parameter; check this item."},
	CodeInvalidUserID: {Zh: "帐号（UserID） 不合法：只能使用字母、数字和 _ - @ .，以字母或数字开头，最长 64 字节。", En: "The account (userid) is invalid: letters, digits and _ - @ . only, starting with a letter or digit, at most 64 bytes."},
	CodeMissingUserID: {Zh: "缺少帐号 (UserID)。", En: "The account (userid) is missing."},

	CodeDeptNameLength:  {Zh: "部门名称长度不符合要求（1–64 个字符）。", En: "The department name must be 1–64 characters."},
	CodeDeptTooDeep:     {Zh: "部门层级超过 15 层，请减少层级。", En: "Departments may be at most 15 levels deep; flatten the structure."},
	CodeDeptNotFound:    {Zh: "部门不存在：请确认部门已创建（先建上级再建下级）。", En: "The department does not exist: create it first (parents before children)."},
	CodeParentNotFound:  {Zh: "上级部门不存在：请先创建上级部门。", En: "The parent department does not exist: create it first."},
	CodeTooManyDepts:    {Zh: "部门数量超过上限（30，000 个）。", En: "The company has too many departments (limit 30,000)."},
	CodeDeptExists:      {Zh: "同一上级下已有同名部门（或部门 ID 已被占用）：可直接使用已有部门。", En: "A department with this name already exists under the parent (or the ID is taken): use the existing one."},
	CodeDeptNameChars:   {Zh: "部门名称含有不允许的字符 \\ : * ? \" < > |，请修改。", En: "The department name holds a forbidden character (\\ : * ? \" < > |); rename it."},
	CodeDeptNameInvalid: {Zh: "部门名称不合法，请修改。", En: "The department name is invalid; rename it."},

	CodeUserIDExists:       {Zh: "帐号（UserID） 已存在（不区分大小写）：该成员可能已在企业微信中，请改为更新或换一个帐号。", En: "The account (userid) already exists (ignoring case): the member may already be in WeCom; update it or pick another account."},
	CodeMobileInvalid:      {Zh: "手机号不合法：大陆手机号为 11 位数字，其他地区以 + 和国家码开头。", En: "The mobile is invalid: mainland numbers have 11 digits, others start with + and a country code."},
	CodeMobileExists:       {Zh: "手机号已被企业内其他成员使用：请核对后修改其中一人的手机号。", En: "The mobile is used by another member of the company: correct one of them."},
	CodeEmailInvalid:       {Zh: "邮箱不合法，请检查格式。", En: "The email is invalid; check its format."},
	CodeEmailExists:        {Zh: "邮箱已被企业内其他成员使用，请修改。", En: "The email is used by another member of the company; change it."},
	CodeMemberTooManyDepts: {Zh: "成员所属部门过多，请减少。", En: "The member belongs to too many departments; reduce them."},
	CodeUserNotFound:       {Zh: "成员不存在（UserID 未找到），无法更新。", En: "The member does not exist (userid not found), so it cannot be updated."},
	CodeNameInvalid:        {Zh: "姓名不合法：必填，1–64 个字符。", En: "The name is invalid: required, 1–64 characters."},
	CodeGenderInvalid:      {Zh: "性别不合法：只能为空、男或女。", En: "The gender is invalid: empty, male or female only."},
	CodeContactMissing:     {Zh: "手机号和邮箱不能同时为空，请至少填写一项。", En: "Mobile and email cannot both be empty; fill in at least one."},
	CodeLeaderLength:       {Zh: "“是否部门内领导”的个数必须与部门个数一致。", En: "is_leader_in_dept must have as many entries as department."},
	CodeBizMailInvalid:     {Zh: "企业邮箱地址不合法，或域名不是本企业的邮箱域名。", En: "The business mail address is invalid or its domain is not one of the company's mail domains."},
	CodeBizMailFixed:       {Zh: "企业邮箱已设置，不能再修改。", En: "The business mail address was already set and can no longer be changed."},
	CodeBizMailExists:      {Zh: "企业邮箱地址已被其他成员使用，请修改。", En: "The business mail address is used by another member; change it."},
	CodePositionTooLong:    {Zh: "职务过长（最多 128 个字符）。", En: "The position is too long (at most 128 characters)."},
	CodeTelephoneInvalid:   {Zh: "座机号码不合法：只能包含数字、-、+ 和逗号，最多 32 个字符。", En: "The telephone is invalid: digits, -, + and commas only, at most 32 characters."},

	CodeTransport:   {Zh: "网络连接失败或超时：请检查本机网络后重试（写入操作可能已生效，重试时若提示“已存在”属正常）。", En: "The network failed or timed out: check this computer's network and retry (a write may already have been applied; \"already exists\" on retry is expected)."},
	CodeHTTPStatus:  {Zh: "企业微信服务器返回异常状态，请稍后重试。", En: "The WeCom server answered with an error status; retry later."},
	CodeBadResponse: {Zh: "企业微信服务器返回了无法识别的内容，请检查 API 地址设置后重试。", En: "The WeCom server's answer could not be read; check the API address setting and retry."},
}

// summaries are one-line names of the codes, for lists and report columns
// (Explain gives the full advice).
var summaries = map[int]text.T{
	CodeBusy:               {Zh: "企业微信繁忙（暂时）", En: "WeCom busy (transient)"},
	CodeBadSecret:          {Zh: "Secret 不正确", En: "wrong secret"},
	CodeInvalidUserID:      {Zh: "帐号不合法", En: "invalid account (userid)"},
	CodeSecretInvalid:      {Zh: "Secret 格式不正确", En: "malformed secret"},
	CodeMissingSecret:      {Zh: "缺少 Secret", En: "secret missing"},
	CodeInvalidCorpID:      {Zh: "企业 ID 不正确", En: "wrong corp ID"},
	CodeInvalidToken:       {Zh: "访问凭证被更换（暂时，自动重试）", En: "access token replaced (transient, retried)"},
	CodeInvalidParam:       {Zh: "参数不合法", En: "invalid parameter"},
	CodeMissingToken:       {Zh: "缺少访问凭证（程序错误）", En: "access token missing (program error)"},
	CodeMissingUserID:      {Zh: "缺少帐号", En: "account (userid) missing"},
	CodeTokenExpired:       {Zh: "访问凭证过期（暂时，自动重试）", En: "access token expired (transient, retried)"},
	CodeRateLimit:          {Zh: "超过调用频率（暂时）", En: "call frequency limit (transient)"},
	CodeAccountCap:         {Zh: "帐号数已达上限", En: "account cap reached"},
	CodeConcurrency:        {Zh: "并发调用过多（暂时）", En: "too many concurrent calls (transient)"},
	CodeBadJSON:            {Zh: "请求格式错误（程序错误）", En: "malformed request (program error)"},
	CodeNoPermission:       {Zh: "本网络无权读取详情", En: "details not readable from this network"},
	CodeUntrustedIP:        {Zh: "本网络 IP 不是企业可信 IP", En: "this IP is not a trusted IP"},
	CodeDeptNameLength:     {Zh: "部门名称长度不符", En: "department name length"},
	CodeDeptTooDeep:        {Zh: "部门层级超过 15 层", En: "departments deeper than 15 levels"},
	CodeDeptNotFound:       {Zh: "部门不存在", En: "department not found"},
	CodeParentNotFound:     {Zh: "上级部门不存在", En: "parent department not found"},
	CodeTooManyDepts:       {Zh: "部门数量超过上限", En: "too many departments"},
	CodeDeptExists:         {Zh: "部门已存在", En: "department exists"},
	CodeDeptNameChars:      {Zh: "部门名称含非法字符", En: "forbidden character in department name"},
	CodeUserIDExists:       {Zh: "帐号已存在", En: "account (userid) exists"},
	CodeMobileInvalid:      {Zh: "手机号不合法", En: "invalid mobile"},
	CodeMobileExists:       {Zh: "手机号已被其他成员使用", En: "mobile used by another member"},
	CodeEmailInvalid:       {Zh: "邮箱不合法", En: "invalid email"},
	CodeEmailExists:        {Zh: "邮箱已被其他成员使用", En: "email used by another member"},
	CodeMemberTooManyDepts: {Zh: "所属部门过多", En: "too many departments for the member"},
	CodeUserNotFound:       {Zh: "成员不存在", En: "member not found"},
	CodeNameInvalid:        {Zh: "姓名不合法", En: "invalid name"},
	CodeGenderInvalid:      {Zh: "性别不合法", En: "invalid gender"},
	CodeDeptNameInvalid:    {Zh: "部门名称不合法", En: "invalid department name"},
	CodeContactMissing:     {Zh: "手机号和邮箱均为空", En: "mobile and email both empty"},
	CodeLeaderLength:       {Zh: "部门领导标记个数不符", En: "is_leader_in_dept length differs"},
	CodeBizMailInvalid:     {Zh: "企业邮箱不合法或域名不符", En: "invalid business mail or foreign domain"},
	CodeBizMailFixed:       {Zh: "企业邮箱不能再修改", En: "business mail can no longer change"},
	CodeBizMailExists:      {Zh: "企业邮箱已被其他成员使用", En: "business mail used by another member"},
	CodePositionTooLong:    {Zh: "职务过长", En: "position too long"},
	CodeTelephoneInvalid:   {Zh: "座机号码不合法", En: "invalid telephone"},
	CodeTransport:          {Zh: "网络失败或超时（暂时）", En: "network failure or timeout (transient)"},
	CodeHTTPStatus:         {Zh: "服务器状态异常", En: "server error status"},
	CodeBadResponse:        {Zh: "无法识别的回答", En: "unreadable answer"},
}

// Summary returns a one-line name of a WeCom or client-side code
// ("错误码 N" / "errcode N" for codes not listed).
func Summary(code int) text.T {
	if s, ok := summaries[code]; ok {
		return s
	}
	return text.Sprintf("错误码 %d", "errcode %d", code)
}

// Explain says what went wrong and what the user should do.
func (e *Error) Explain() text.T {
	if s, ok := explanations[e.Code]; ok {
		return s
	}
	return text.Sprintf("企业微信返回错误 %d（%s），请根据错误码查阅企业微信文档或联系技术支持。",
		"WeCom answered error %d (%s); look the code up in WeCom's documentation or contact support.", e.Code, e.Msg)
}

// Explain returns the explanation of err when it is an *Error, else what
// err says (text.Of).
func Explain(err error) text.T {
	var e *Error
	if errors.As(err, &e) {
		return e.Explain()
	}
	return text.Of(err)
}

var secretParam = regexp.MustCompile(`(?i)(access_token|corpsecret)=[^&\s"']*`)

// redactURL strips credentials from URL query strings inside s.
func redactURL(s string) string {
	return secretParam.ReplaceAllString(s, "$1=REDACTED")
}
