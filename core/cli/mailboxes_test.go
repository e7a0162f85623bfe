package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/report"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/wecomsim"
)

// typedCSV is a small company sheet with two other mailboxes (one typed
// with a synonym) and a shared-looking member row.
const typedCSV = "姓名,账号,部门,手机,邮箱,企业邮箱,邮箱类型\n" +
	"张伟,zhangwei,研发部,13800000000,,zhangwei@example.com,成员邮箱\n" +
	"李娜,lina,研发部/后端组,13800000001,,lina@example.com,\n" +
	"客服中心,service,,,,service@example.com,其他邮箱\n" +
	"人事部,hr,,,,hr@example.com,shared\n" +
	"招聘,jobs,人力资源部,,jobs@163.com,jobs@example.com,\n"

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMailboxesContract: the mailboxes command of the CLI contract — exit
// codes as check (0 written, 1 errors remain and nothing written, 2 bad
// usage, unreadable input or an output equal to the input) and the list's
// columns.
func TestMailboxesContract(t *testing.T) {
	in := writeFile(t, "通讯录.csv", typedCSV)
	out := filepath.Join(t.TempDir(), "邮箱名单.xlsx")

	for name, args := range map[string][]string{
		"no file":       {"mailboxes", "-o", out},
		"no output":     {"mailboxes", in},
		"two files":     {"mailboxes", in, in, "-o", out},
		"unreadable":    {"mailboxes", filepath.Join(t.TempDir(), "missing.xlsx"), "-o", out},
		"output=input":  {"mailboxes", in, "-o", in},
		"same, spelled": {"mailboxes", in, "-o", filepath.Join(filepath.Dir(in), ".", filepath.Base(in))},
		"bad flag":      {"mailboxes", in, "-o", out, "--nope"},
	} {
		t.Run(name, func(t *testing.T) {
			if code, _, _ := runContactsCLI(t, args...); code != ExitUsage {
				t.Fatalf("exit %d, want %d", code, ExitUsage)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("output written on bad usage")
			}
			if b, _ := os.ReadFile(in); string(b) != typedCSV {
				t.Fatal("input changed")
			}
		})
	}

	code, stdout, stderr := runContactsCLI(t, "mailboxes", in, "-o", out, "--domain", "example.com", "--lang", "zh")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "成员邮箱 3 · 其他邮箱 2") || !strings.Contains(stdout, "mailbox_maybe_shared") {
		t.Fatalf("stdout %s", stdout)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet.SheetMailboxList)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		sheet.MailboxListHeaders,
		{"zhangwei@example.com", "成员邮箱", "张伟", "zhangwei", "研发部", "2"},
		{"lina@example.com", "成员邮箱", "李娜", "lina", "研发部/后端组", "3"},
		{"service@example.com", "其他邮箱", "客服中心", "", "", "4"},
		{"hr@example.com", "其他邮箱", "人事部", "", "", "5"},
		{"jobs@example.com", "成员邮箱", "招聘", "jobs", "人力资源部", "6"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("mailbox list\n got %q\nwant %q", rows, want)
	}

	// fix: the upload-ready sheet holds the members, and says where the others went
	up := filepath.Join(t.TempDir(), "上传.xlsx")
	if code, stdout, _ := runContactsCLI(t, "fix", in, "-o", up, "--lang", "zh"); code != ExitOK || !strings.Contains(stdout, "其他邮箱 2 个不在成员表中") {
		t.Fatalf("fix: exit %d %s", code, stdout)
	}

	// errors remain: nothing written, exit 1
	bad := writeFile(t, "bad.csv", typedCSV+"赵六,zhaoliu,研发部,13800000009,,zhaoliu@example.com,部门邮箱\n")
	out2 := filepath.Join(t.TempDir(), "x.xlsx")
	code, stdout, _ = runContactsCLI(t, "mailboxes", bad, "-o", out2)
	if code != ExitProblems || !strings.Contains(stdout, "mailbox_type_invalid") {
		t.Fatalf("exit %d %s", code, stdout)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Fatal("a list with errors was written")
	}
}

// fakeExmail serves the legacy Exmail API on loopback with the given
// mailboxes (full addresses) and one mail group.
func fakeExmail(t *testing.T, secret string, mailboxes ...string) string {
	var users []string
	for _, a := range mailboxes {
		users = append(users, fmt.Sprintf(`{"userid":%q,"name":"x","department":[1]}`, a))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			if q.Get("corpsecret") != secret {
				fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
				return
			}
			fmt.Fprint(w, `{"errcode":0,"access_token":"tk"}`)
		case "/cgi-bin/department/list":
			fmt.Fprint(w, `{"errcode":0,"department":[{"id":1,"name":"公司","parentid":0}]}`)
		case "/cgi-bin/user/list":
			fmt.Fprintf(w, `{"errcode":0,"userlist":[%s]}`, strings.Join(users, ","))
		case "/cgi-bin/group/search":
			fmt.Fprint(w, `{"errcode":0,"groups":[{"groupid":"all@example.com","groupname":"全员"}]}`)
		case "/cgi-bin/group/get":
			fmt.Fprint(w, `{"errcode":0,"groupid":"all@example.com","groupname":"全员","userlist":["zhangwei@example.com"]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCheckAgainstLiveExmail: with the Exmail flags, check reports an
// address the live Exmail lacks and an Exmail mailbox the sheet lacks
// (mailbox_missing); the secret never shows.
func TestCheckAgainstLiveExmail(t *testing.T) {
	const secret = "exmail-secret-cli-42"
	base := fakeExmail(t, secret, "zhangwei@example.com", "lina@example.com", "service@example.com",
		"hr@example.com", "jobs@example.com", "finance@example.com")
	in := writeFile(t, "c.csv", strings.Replace(typedCSV, "lina@example.com", "lina2@example.com", 1))
	env := map[string]string{"EXMAIL_SECRET": secret}
	code, out, errs := runCLI(t, env, "check", in, "--format", "json", "--exmail-corp-id", "wm1", "--exmail-api-base", base)
	if code != ExitProblems {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{`"code": "mailbox_missing"`, `"value": "finance@example.com"`, `"value": "lina@example.com"`,
		`"code": "mailbox_not_in_exmail"`, `"value": "lina2@example.com"`, `"row": 3`} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out+errs, secret) {
		t.Fatal("secret leaked")
	}
	// a sheet naming every Exmail mailbox, and only those: clean of both codes
	code, out, _ = runCLI(t, env, "check", writeFile(t, "ok.csv", typedCSV+"财务,finance,,,,finance@example.com,其他邮箱\n"),
		"--exmail-corp-id", "wm1", "--exmail-api-base", base)
	if code != ExitOK || strings.Contains(out, "mailbox_") && !strings.Contains(out, "mailbox_maybe_shared") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// the secret's variable empty, or a wrong secret: exit 2, explained
	if code, _, errs := runCLI(t, nil, "check", in, "--exmail-corp-id", "wm1", "--exmail-api-base", base); code != ExitUsage || !strings.Contains(errs, "EXMAIL_SECRET") {
		t.Fatalf("no secret: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, map[string]string{"EXMAIL_SECRET": "bad-secret-value-7"}, "check", in, "--exmail-corp-id", "wm1", "--exmail-api-base", base); code != ExitUsage || !strings.Contains(errs, "40001") || strings.Contains(errs, "bad-secret-value-7") {
		t.Fatalf("wrong secret: exit %d %s", code, errs)
	}
	// without the flags nothing is compared
	if _, out, _ := runCLI(t, nil, "check", in); strings.Contains(out, "mailbox_missing") {
		t.Fatal("compared without the Exmail flags")
	}
	// mailboxes with the live Exmail carries its mail groups
	ok := writeFile(t, "ok2.csv", typedCSV+"财务,finance,,,,finance@example.com,其他邮箱\n")
	list := filepath.Join(t.TempDir(), "list.xlsx")
	if code, out, errs := runCLI(t, env, "mailboxes", ok, "-o", list, "--exmail-corp-id", "wm1", "--exmail-api-base", base); code != ExitOK || !strings.Contains(out, "mail groups 1") {
		t.Fatalf("mailboxes: exit %d %s %s", code, out, errs)
	}
	f, err := excelize.OpenFile(list)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if g, _ := f.GetRows(sheet.SheetMailGroups); len(g) != 2 || g[1][2] != "T-全员" {
		t.Fatalf("groups %v", g)
	}
}

// TestMigrateSkipsOtherMailboxes: a sheet with rows marked 其他邮箱 migrates
// into the rehearsal WeCom with those rows not created as members (asserted
// on the simulator's tenant) and listed as other mailboxes in the plan
// output and the report.
func TestMigrateSkipsOtherMailboxes(t *testing.T) {
	in := writeFile(t, "c.csv", typedCSV)
	state := t.TempDir()
	code, out, errs := runCLI(t, nil, "migrate", "--contacts", in, "--state", state, "--method", "new", "--target", "sim",
		"--company", "丁公司", "--confirm", "丁公司", "--advanced-seats", "5")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"kept as mailboxes, not created as members: 2", "service@example.com", "hr@example.com",
		"other mailboxes 2 (5 advanced-feature seats)", "member accounts 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	sims, _ := filepath.Glob(filepath.Join(state, "rehearsal", "*.db"))
	if len(sims) != 1 {
		t.Fatalf("simulator tenants %v", sims)
	}
	sim, err := wecomsim.New(wecomsim.Options{DBPath: sims[0]})
	if err != nil {
		t.Fatal(err)
	}
	st := sim.State()
	sim.Close()
	if len(st.Users) != 3 {
		t.Errorf("tenant has %d members, want the 3 people", len(st.Users))
	}
	for _, u := range st.Users {
		if u.UserID == "service" || u.UserID == "hr" || strings.HasPrefix(u.BizMail, "service@") || strings.HasPrefix(u.BizMail, "hr@") {
			t.Errorf("other mailbox created as member %+v", u)
		}
	}
	rep := filepath.Join(t.TempDir(), "报告.xlsx")
	if code, _, errs := runCLI(t, nil, "report", "--state", state, "-o", rep); code != ExitOK {
		t.Fatalf("report: %d %s", code, errs)
	}
	f, err := excelize.OpenFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetMailboxes)
	if err != nil || len(rows) != 3 || rows[1][1] != "service@example.com" || rows[2][1] != "hr@example.com" {
		t.Fatalf("report mailboxes %v %v", rows, err)
	}
}
