package confirm

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"exmail-upgrade/core/upgrade"
)

// endedReplaced is the page state of a link whose code Renew replaced (not
// a session status: the session goes on under the new code).
const endedReplaced Status = "replaced"

type pageData struct {
	Lang        string // first language: "zh" or "en"
	Info        Info
	FormToken   string
	Expires     time.Time
	SecondsLeft int    // until expiry: the open page covers itself then, without a script
	Done        bool   // confirmation accepted
	Ended       Status // session over, or endedReplaced (410 page)
}

// texts holds every text of the page: Chinese, English.
var texts = map[string][2]string{
	"title":         {"确认升级", "Confirm the upgrade"},
	"company":       {"公司", "Company"},
	"method":        {"升级方式", "Method"},
	"target":        {"目标企业微信", "Target WeCom"},
	"target_has":    {"目标现有", "Target now has"},
	"to_migrate":    {"将迁移", "To migrate"},
	"button":        {"确认升级，不可撤销", "Confirm — this cannot be undone"},
	"confirmed":     {"已确认", "Confirmed"},
	"confirmed_msg": {"已确认升级，请回到电脑继续。", "The upgrade is confirmed. Go back to the computer to continue."},
	"ended_title":   {"此确认链接已失效", "This link no longer works"},
	"expired":       {"此链接已过期。请在电脑上重新生成二维码并再次扫描。", "This link has expired. Make a new QR code on the computer and scan it again."},
	"replaced":      {"电脑上已生成新的二维码，此链接已作废。请扫描电脑上显示的新二维码。", "A new QR code was made on the computer, which replaced this link. Scan the new code shown there."},
	"already":       {"升级已确认，无需再次操作。", "The upgrade is already confirmed: nothing more to do here."},
	"cancelled":     {"电脑上已关闭此确认步骤。如需确认，请在电脑上重新打开并扫描新的二维码。", "The confirmation step was closed on the computer. To confirm, open it there again and scan the new QR code."},
	"gone_hint":     {"若点击后页面无法打开，说明此确认步骤已结束（已确认、已过期或已换新码），请查看电脑。", "If nothing loads after tapping, the step has ended (confirmed, expired or replaced by a new code): look at the computer."},
}

// pair is a text in the page's first and second language.
type pair struct{ First, Second string }

func (d pageData) order(zh, en string) pair {
	if d.Lang == "en" {
		return pair{en, zh}
	}
	return pair{zh, en}
}

// T is the text key in both languages, the page's first language first.
func (d pageData) T(key string) pair {
	t := texts[key]
	return d.order(t[0], t[1])
}

// Counts is "120 名成员 · 14 个部门" in both languages.
func (d pageData) Counts(members, departments int) pair {
	return d.order(itoa(members)+" 名成员 · "+itoa(departments)+" 个部门",
		itoa(members)+" members · "+itoa(departments)+" departments")
}

func itoa(n int) string { return strconv.Itoa(n) }

// MethodLabel is the method in both languages.
func (d pageData) MethodLabel() pair {
	zh, en, _ := strings.Cut(d.Info.Method.Label(), " / ")
	return d.order(zh, en)
}

// WarningLines is the irreversibility warning, one paragraph a line; the
// default warning is ordered by the page's language.
func (d pageData) WarningLines() []string {
	w := d.Info.Warning
	if w == "" {
		zh, en := defaultWarning(d.Info.Method)
		p := d.order(zh, en)
		w = p.First + "\n" + p.Second
	}
	var out []string
	for _, l := range strings.Split(w, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// EndedText says what happened to the link.
func (d pageData) EndedText() pair {
	switch d.Ended {
	case StatusExpired:
		return d.T("expired")
	case StatusConfirmed:
		return d.T("already")
	case endedReplaced:
		return d.T("replaced")
	}
	return d.T("cancelled")
}

// HTMLLang is the page's lang attribute.
func (d pageData) HTMLLang() string {
	if d.Lang == "en" {
		return "en"
	}
	return "zh-CN"
}

func defaultWarning(m upgrade.Method) (zh, en string) {
	zh = "升级只能进行一次，开始后不可撤销、不可回退；升级后无法再登录原企业邮箱管理后台。迁移期间请勿修改通讯录。"
	en = "The upgrade can be done only once and cannot be undone once started; the old Exmail admin console will no longer be available. Do not edit the contacts during migration."
	if m == upgrade.MethodBind {
		zh += "绑定后，目标企业微信原有的邮箱数据将被永久删除，请确认已备份。"
		en += " Binding permanently deletes the target WeCom's previous mailbox data: make sure it is backed up."
	}
	return zh, en
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.HTMLLang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{with .T "title"}}{{.First}} / {{.Second}}{{end}}</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;padding:16px;background:#f4f5f7;color:#1d2129;line-height:1.5}
main{max-width:480px;margin:0 auto;background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:20px;margin:0 0 12px}
.en{color:#6b7280;font-size:13px}
dl{margin:0 0 16px}dt{color:#6b7280;font-size:13px;margin-top:10px}dd{margin:0;font-size:17px;font-weight:600;word-break:break-all}
.warn{background:#fff1f0;border:1px solid #ffccc7;border-radius:8px;padding:12px;margin:16px 0;color:#a8071a}
.warn p{margin:4px 0}
button{width:100%;font-size:18px;padding:14px;border:0;border-radius:8px;background:#d4380d;color:#fff}
.ok{color:#237804;font-size:18px;font-weight:600}
{{if .FormToken}}#expired{position:fixed;inset:0;background:#f4f5f7;padding:16px;visibility:hidden;animation:expire 1ms step-end {{.SecondsLeft}}s forwards}
@keyframes expire{to{visibility:visible}}{{end}}
</style></head><body><main>
{{if .Done}}
{{with .T "confirmed"}}<h1>{{.First}} <span class="en">/ {{.Second}}</span></h1>{{end}}
{{with .T "confirmed_msg"}}<p class="ok">{{.First}}</p>
<p class="en">{{.Second}}</p>{{end}}
{{else if .Ended}}
{{with .T "ended_title"}}<h1>{{.First}} <span class="en">/ {{.Second}}</span></h1>{{end}}
{{with .EndedText}}<p>{{.First}}</p>
<p class="en">{{.Second}}</p>{{end}}
{{else}}
{{with .T "title"}}<h1>{{.First}} <span class="en">/ {{.Second}}</span></h1>{{end}}
<dl>
<dt>{{with .T "company"}}{{.First}} / {{.Second}}{{end}}</dt><dd>{{.Info.Company}}</dd>
<dt>{{with .T "method"}}{{.First}} / {{.Second}}{{end}}</dt><dd>{{with .MethodLabel}}{{.First}} <span class="en">/ {{.Second}}</span>{{end}}</dd>
{{if .Info.TargetName}}<dt>{{with .T "target"}}{{.First}} / {{.Second}}{{end}}</dt><dd>{{.Info.TargetName}}</dd>
<dt>{{with .T "target_has"}}{{.First}} / {{.Second}}{{end}}</dt><dd>{{with .Counts .Info.TargetMembers .Info.TargetDepartments}}{{.First}} <span class="en">/ {{.Second}}</span>{{end}}</dd>{{end}}
<dt>{{with .T "to_migrate"}}{{.First}} / {{.Second}}{{end}}</dt><dd>{{with .Counts .Info.Members .Info.Departments}}{{.First}} <span class="en">/ {{.Second}}</span>{{end}}</dd>
</dl>
<div class="warn">{{range .WarningLines}}<p>{{.}}</p>{{end}}</div>
<form method="post">
<input type="hidden" name="form_token" value="{{.FormToken}}">
<button type="submit">{{with .T "button"}}{{.First}}<br><span style="font-size:13px">{{.Second}}</span>{{end}}</button>
</form>
<p class="en">{{if eq .Lang "en"}}This link expires at {{.Expires.Format "15:04"}} / 此链接在 {{.Expires.Format "15:04"}} 失效{{else}}此链接在 {{.Expires.Format "15:04"}} 失效 / This link expires at {{.Expires.Format "15:04"}}{{end}}.</p>
{{with .T "gone_hint"}}<p class="en">{{.First}} / {{.Second}}</p>{{end}}
<div id="expired">{{with .T "ended_title"}}<h1>{{.First}} <span class="en">/ {{.Second}}</span></h1>{{end}}
{{with .T "expired"}}<p>{{.First}}</p>
<p class="en">{{.Second}}</p>{{end}}</div>
{{end}}
</main></body></html>
`))

func render(w http.ResponseWriter, code int, d pageData) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}
