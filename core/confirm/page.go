package confirm

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"time"
)

type pageData struct {
	Info      Info
	FormToken string
	Expires   time.Time
	Done      bool   // confirmation accepted
	Ended     Status // session over (410 page)
}

func (d pageData) WarningLines() []string {
	var out []string
	for _, l := range strings.Split(d.Info.Warning, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (d pageData) MethodLabel() string { return d.Info.Method.Label() }

func (d pageData) EndedLabel() string { return d.Ended.Label() }

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>确认升级 / Confirm the upgrade</title>
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
</style></head><body><main>
{{if .Done}}
<h1>已确认 <span class="en">/ Confirmed</span></h1>
<p class="ok">已确认升级，请回到电脑继续。</p>
<p class="en">The upgrade is confirmed. Go back to the computer to continue.</p>
{{else if .Ended}}
<h1>此确认链接已失效 <span class="en">/ This link no longer works</span></h1>
<p>{{.EndedLabel}}</p>
{{else}}
<h1>确认升级 <span class="en">/ Confirm the upgrade</span></h1>
<dl>
<dt>公司 / Company</dt><dd>{{.Info.Company}}</dd>
<dt>升级方式 / Method</dt><dd>{{.MethodLabel}}</dd>
{{if .Info.TargetName}}<dt>目标企业微信 / Target WeCom</dt><dd>{{.Info.TargetName}}</dd>
<dt>目标现有 / Target now has</dt><dd>{{.Info.TargetMembers}} 名成员 · {{.Info.TargetDepartments}} 个部门 <span class="en">/ {{.Info.TargetMembers}} members · {{.Info.TargetDepartments}} departments</span></dd>{{end}}
<dt>将迁移 / To migrate</dt><dd>{{.Info.Members}} 名成员 · {{.Info.Departments}} 个部门 <span class="en">/ {{.Info.Members}} members · {{.Info.Departments}} departments</span></dd>
</dl>
<div class="warn">{{range .WarningLines}}<p>{{.}}</p>{{end}}</div>
<form method="post">
<input type="hidden" name="form_token" value="{{.FormToken}}">
<button type="submit">确认升级，不可撤销<br><span style="font-size:13px">Confirm — this cannot be undone</span></button>
</form>
<p class="en">此链接在 {{.Expires.Format "15:04"}} 失效 / This link expires at {{.Expires.Format "15:04"}}.</p>
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
