package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

// withContacts makes ReadContacts return dirs by file name.
func withContacts(t *testing.T, files map[string]*contacts.Directory) {
	old := ReadContacts
	ReadContacts = func(path string) (*contacts.Directory, []contacts.Problem, error) {
		d, ok := files[path]
		if !ok {
			return nil, nil, os.ErrNotExist
		}
		c := *d
		c.Members = append([]contacts.Member(nil), d.Members...)
		return &c, contacts.Validate(&c, contacts.Options{}), nil
	}
	t.Cleanup(func() { ReadContacts = old })
}

func TestDemo(t *testing.T) {
	state := t.TempDir()
	code, out, errs := runCLI(t, nil, "demo", "--members", "300", "--state", state)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"[members]", "300/300 members present", "migration complete", "report.xlsx"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "report.xlsx")); err != nil {
		t.Error(err)
	}
	// The project is locked: running again is refused.
	if code, _, errs := runCLI(t, nil, "demo", "--members", "300", "--state", state); code != ExitUsage || !strings.Contains(errs, "locked") {
		t.Errorf("second demo: exit %d %s", code, errs)
	}
	code, out, _ = runCLI(t, nil, "status", "--state", state, "--format", "json")
	var st struct {
		Projects []struct {
			Stage  string `json:"stage"`
			Locked bool   `json:"locked"`
			Done   int    `json:"done"`
			Total  int    `json:"total"`
		} `json:"projects"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != ExitOK || len(st.Projects) != 1 {
		t.Fatalf("status %d %v %s", code, err, out)
	}
	if p := st.Projects[0]; p.Stage != "done" || !p.Locked || p.Done != p.Total || p.Total < 300 {
		t.Errorf("status %+v", p)
	}
}

func TestMigrateUsage(t *testing.T) {
	dir := sample.Company(20, 3)
	withContacts(t, map[string]*contacts.Directory{"c.xlsx": dir})
	state := t.TempDir()
	base := []string{"migrate", "--contacts", "c.xlsx", "--state", state}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"confirm differs", []string{"--method", "new", "--target", "sim", "--company", "甲公司", "--confirm", "乙公司"}, "--confirm"},
		{"bad method", []string{"--method", "merge", "--target", "sim", "--company", "甲", "--confirm", "甲"}, "--method"},
		{"bad target", []string{"--method", "new", "--target", "prod", "--company", "甲", "--confirm", "甲"}, "--target"},
		{"bad batch", []string{"--method", "new", "--target", "sim", "--company", "甲", "--confirm", "甲", "--batch", "sometimes"}, "--batch"},
		{"wecom without secret", []string{"--method", "new", "--target", "wecom", "--corp-id", "ww1", "--company", "甲", "--confirm", "甲"}, "secret"},
		{"unreadable contacts", []string{"--method", "new", "--target", "sim", "--company", "甲", "--confirm", "甲", "--contacts", "missing.xlsx"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, nil, append(append([]string{}, base...), tc.args...)...)
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %s", code, errs)
			}
		})
	}
	// Contacts with errors are refused.
	bad := sample.Company(5, 4)
	bad.Members[1].Mobile = bad.Members[0].Mobile
	withContacts(t, map[string]*contacts.Directory{"bad.xlsx": bad})
	code, _, errs := runCLI(t, nil, "migrate", "--contacts", "bad.xlsx", "--state", state, "--method", "new", "--target", "sim", "--company", "甲", "--confirm", "甲")
	if code != ExitUsage || !strings.Contains(errs, "mobile_duplicate") {
		t.Errorf("bad contacts: exit %d %s", code, errs)
	}
}

// TestMigrateBind runs method bind against the simulator's generated
// existing company (with conflicts): some items fail for good (exit 1);
// running again retries only them; changed contacts are refused.
func TestMigrateBind(t *testing.T) {
	dir := sample.Company(150, 5)
	changed := sample.Company(150, 5)
	changed.Members[0].Position = "新职务"
	withContacts(t, map[string]*contacts.Directory{"c.xlsx": dir, "changed.xlsx": changed})
	state := t.TempDir()
	args := []string{"migrate", "--contacts", "c.xlsx", "--state", state, "--method", "bind", "--target", "sim", "--company", "乙公司", "--confirm", "乙公司"}
	code, out, errs := runCLI(t, nil, args...)
	if code != ExitProblems || !strings.Contains(out, "60104") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, nil, args...)
	if code != ExitProblems || !strings.Contains(out, "resuming") {
		t.Fatalf("retry: exit %d\n%s\n%s", code, out, errs)
	}
	args[2] = "changed.xlsx"
	if code, _, errs := runCLI(t, nil, args...); code != ExitUsage || !strings.Contains(errs, "contacts changed") {
		t.Errorf("changed contacts: exit %d %s", code, errs)
	}
	report := filepath.Join(t.TempDir(), "r.xlsx")
	if code, out, errs := runCLI(t, nil, "report", "--state", state, "-o", report); code != ExitOK || !strings.Contains(out, "failed") {
		t.Errorf("report: %d %s %s", code, out, errs)
	}
	if _, err := os.Stat(report); err != nil {
		t.Error(err)
	}
	// The way forward on the command line: the same sheet with the failed
	// members' mobiles corrected is applied as a correction, and the run
	// retries just them to the end.
	_, out, _ = runCLI(t, nil, "status", "--state", state, "--format", "json")
	var st struct {
		Projects []struct {
			Failures []struct {
				Key string `json:"key"`
				Row int    `json:"row"`
			} `json:"failures"`
		} `json:"projects"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Projects) != 1 || len(st.Projects[0].Failures) == 0 {
		t.Fatalf("status %v %s", err, out)
	}
	corrected := sample.Company(150, 5)
	for i, fl := range st.Projects[0].Failures {
		for j := range corrected.Members {
			if corrected.Members[j].Row == fl.Row {
				corrected.Members[j].Mobile = fmt.Sprintf("1755555%04d", i+1)
			}
		}
	}
	withContacts(t, map[string]*contacts.Directory{"corrected.xlsx": corrected})
	args[2] = "corrected.xlsx"
	code, out, errs = runCLI(t, nil, args...)
	if code != ExitOK || !strings.Contains(out, "corrected "+st.Projects[0].Failures[0].Key) || !strings.Contains(out, "migration complete") {
		t.Fatalf("corrected run: exit %d\n%s\n%s", code, out, errs)
	}
}

// TestMigrateFromCSV reads a real contacts file (WeCom admin-import layout)
// through core/sheet and migrates it into a new company on the simulator.
func TestMigrateFromCSV(t *testing.T) {
	d := sample.Company(60, 8)
	var b strings.Builder
	b.WriteString("姓名,账号,别名,职务,部门,性别,手机,座机,邮箱,地址,企业邮箱\n")
	for _, m := range d.Members {
		b.WriteString(strings.Join([]string{m.Name, m.Account, m.Alias, m.Position, strings.Join(m.Departments, "；"),
			m.Gender, m.Mobile, m.Telephone, m.Email, m.Address, m.BizMail}, ",") + "\n")
	}
	file := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	code, out, errs := runCLI(t, nil, "migrate", "--contacts", file, "--state", state, "--method", "new", "--target", "sim",
		"--company", "丙公司", "--confirm", "丙公司", "--batch", "never", "--workers", "3")
	if code != ExitOK || !strings.Contains(out, "60/60 members present") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMigrateInterrupt sends SIGINT during a (rate-limited) migration: it
// pauses cleanly with exit 3, and running again resumes and finishes.
func TestMigrateInterrupt(t *testing.T) {
	dir := sample.Company(400, 12)
	withContacts(t, map[string]*contacts.Directory{"c.xlsx": dir})
	state := t.TempDir()
	args := []string{"migrate", "--contacts", "c.xlsx", "--state", state, "--method", "new", "--target", "sim",
		"--company", "丁公司", "--confirm", "丁公司", "--rate", "3000", "--workers", "2"}
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(args, &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "[members]") {
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %s %s", out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != ExitInterrupted || !strings.Contains(out.String(), "paused") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	code, o, e := runCLI(t, nil, args[:len(args)-4]...) // without the rate limit
	if code != ExitOK || !strings.Contains(o, "resuming") || !strings.Contains(o, "400/400 members present") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, o, e)
	}
}

// TestMigrateBindTargetSheet: the simulator holds the company given by
// --target-contacts, and the planner reads it too, so the mobile conflict
// blocks the plan before anything is written (exit 2).
func TestMigrateBindTargetSheet(t *testing.T) {
	dir := sample.Company(80, 13)
	existing := &contacts.Directory{Members: append([]contacts.Member(nil), dir.Members[:20]...)}
	other := dir.Members[50]
	other.Account, other.BizMail, other.Email = "legacy.one", "", ""
	existing.Members = append(existing.Members, other)
	withContacts(t, map[string]*contacts.Directory{"c.xlsx": dir, "target.xlsx": existing})
	state := t.TempDir()
	code, out, errs := runCLI(t, nil, "migrate", "--contacts", "c.xlsx", "--target-contacts", "target.xlsx", "--state", state,
		"--method", "bind", "--target", "sim", "--company", "戊公司", "--confirm", "戊公司")
	if code != ExitUsage || !strings.Contains(out, "legacy.one") || !strings.Contains(out, "conflicts") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCLI(t, nil, "status", "--state", state)
	if code != ExitOK || !strings.Contains(out, "contacts_ready") {
		t.Errorf("status after a blocked plan: %s", out)
	}
}
