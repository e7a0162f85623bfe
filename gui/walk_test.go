package gui

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecomsim"
	"exmail-upgrade/gui/i18n"
)

// waitFor runs the UI updates background work queued (on this goroutine,
// as the real driver runs them on the main thread) until cond holds.
func waitFor(t *testing.T, ui *UI, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for ui.Pump(); !cond(); ui.Pump() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tapDialog taps the button with one of texts on the top dialog.
func tapDialog(t *testing.T, ui *UI, texts ...string) {
	t.Helper()
	top := ui.Win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog open")
	}
	var hit *widget.Button
	walk(top, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok {
			for _, s := range texts {
				if b.Text == s {
					hit = b
				}
			}
		}
	})
	if hit == nil {
		t.Fatalf("no button %v on the dialog:\n%s", texts, labels(top))
	}
	test.Tap(hit)
}

func tickNotice(t *testing.T, ui *UI) {
	t.Helper()
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if ch, ok := o.(*widget.Check); ok && !ch.Checked {
			tapCheck(ch)
		}
	})
	test.Tap(findButton(t, ui.Win.Content(), "下一步"))
}

func chooseMethod(t *testing.T, ui *UI, title string) {
	t.Helper()
	var c *widget.Check
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if ch, ok := o.(*widget.Check); ok && ch.Text == title {
			c = ch
		}
	})
	if c == nil {
		t.Fatalf("no method %q", title)
	}
	tapCheck(c)
	test.Tap(findButton(t, ui.Win.Content(), "下一步"))
}

// checkRehearsalTarget taps "check connection" on the target screen with
// the rehearsal selected and waits for Next.
func checkRehearsalTarget(t *testing.T, ui *UI) {
	t.Helper()
	if !strings.Contains(labels(ui.Win.Content()), "目标企业微信") {
		t.Fatalf("not on the target screen:\n%s", labels(ui.Win.Content()))
	}
	test.Tap(findButton(t, ui.Win.Content(), "检查连接"))
	next := findButton(t, ui.Win.Content(), "下一步")
	waitFor(t, ui, "the connection check", func() bool {
		if strings.Contains(labels(ui.Win.Content()), "✗ ") {
			t.Fatalf("connection check failed:\n%s", labels(ui.Win.Content()))
		}
		return !next.Disabled()
	})
	if !strings.Contains(labels(ui.Win.Content()), "已连接") {
		t.Fatalf("no connection status:\n%s", labels(ui.Win.Content()))
	}
	test.Tap(next)
}

// clearErrors deletes every row with an error through the editor's
// filter, selection and delete button, then marks the contacts ready.
func clearErrors(t *testing.T, ui *UI, wz *wizard) {
	t.Helper()
	cv := wz.contacts
	if cv == nil {
		t.Fatalf("not in the editor:\n%s", labels(ui.Win.Content()))
	}
	test.Tap(cv.onlyBad)
	for i := 0; cv.model.Index().Counts().Error > 0; i++ {
		if i > 500 {
			t.Fatal("errors do not go away")
		}
		// The first visible row with an error.
		for idx, row := range cv.model.View() {
			if contacts.HasErrors(cv.model.Index().Problems(row)) {
				cv.table.Select(widget.TableCellID{Row: idx, Col: 0})
				break
			}
		}
		test.Tap(findButton(t, ui.Win.Content(), "删除行"))
	}
	test.Tap(findButton(t, ui.Win.Content(), "通讯录已就绪，下一步"))
}

// confirmPlanAndRun waits for the plan, types the company name and starts,
// then waits for the end of the migration.
func confirmPlanAndRun(t *testing.T, ui *UI, wz *wizard) {
	t.Helper()
	waitFor(t, ui, "the plan", func() bool { return wz.plan != nil && !wz.plan.loading })
	if wz.plan.plan == nil || wz.plan.plan.Blocked() {
		t.Fatalf("plan not usable: err %v, plan %+v", wz.plan.err, wz.plan.plan)
	}
	waitFor(t, ui, "the start button", func() bool { return hasButton(ui.Win.Content(), "确认计划并开始迁移") })
	start := findButton(t, ui.Win.Content(), "确认计划并开始迁移")
	if !start.Disabled() {
		t.Fatal("Start enabled before the company name is typed")
	}
	var typed *widget.Entry
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.PlaceHolder == wz.project.Name {
			typed = e
		}
	})
	if typed == nil {
		t.Fatal("no entry for the company name")
	}
	test.Type(typed, "错误的名字")
	if !start.Disabled() {
		t.Fatal("Start enabled with a wrong name")
	}
	typed.SetText("")
	test.Type(typed, wz.project.Name)
	if start.Disabled() {
		t.Fatal("Start disabled with the right name")
	}
	test.Tap(start)
	waitFor(t, ui, "the migration", func() bool {
		s := wz.up.Stage()
		return s == upgrade.StageDone || s == upgrade.StageFailedItems
	})
	waitFor(t, ui, "the done screen", func() bool {
		l := labels(ui.Win.Content())
		return strings.Contains(l, "升级迁移完成") || strings.Contains(l, "项未迁移")
	})
}

// finishDone expects the migration to have ended: done, or failed_items
// whose failures are explained and then accepted.
func finishDone(t *testing.T, ui *UI, wz *wizard) {
	t.Helper()
	if wz.up.Stage() == upgrade.StageFailedItems {
		text := labels(ui.Win.Content())
		if !strings.Contains(text, "失败项及处理建议") || wz.result == nil || len(wz.result.Failures) == 0 ||
			wz.result.Failures[0].Explain.IsZero() {
			t.Fatalf("failed items not explained:\n%s", text)
		}
		findButton(t, ui.Win.Content(), "重试失败项")
		test.Tap(findButton(t, ui.Win.Content(), "接受现状并完成"))
		tapDialog(t, ui, "Yes", "是")
	}
	if wz.up.Stage() != upgrade.StageDone {
		t.Fatalf("migration ended at %s: %+v\n%s", wz.up.Stage(), wz.result, labels(ui.Win.Content()))
	}
}

func TestWalkMethodNewToDone(t *testing.T) {
	ui := newTestUI(t)
	test.Tap(findButton(t, ui.Win.Content(), "开始演练（示例企业）"))
	wz := ui.wizardForTest
	tickNotice(t, ui)
	chooseMethod(t, ui, "方式一：开通新的企业微信")
	checkRehearsalTarget(t, ui)
	tapDialog(t, ui, "Yes", "是")
	clearErrors(t, ui, wz)
	confirmPlanAndRun(t, ui, wz)
	finishDone(t, ui, wz)
	text := labels(ui.Win.Content())
	for _, want := range []string{"✓ 回读核验", "项目已锁定"} {
		if !strings.Contains(text, want) {
			t.Fatalf("done screen lacks %q:\n%s", want, text)
		}
	}
	// every person is a member of the target; the rehearsal's other
	// mailboxes (info@, hr@, service@) are not
	people, others := 0, map[string]bool{}
	for _, m := range wz.contacts.model.Fixed().Members {
		if m.IsOther() {
			others[m.BizMail] = true
		} else {
			people++
		}
	}
	n := len(wz.flow.Connection().Sim.State().Users)
	if n != people || len(others) == 0 {
		t.Fatalf("target holds %d members, contacts %d people and %d other mailboxes", n, people, len(others))
	}
	for _, u := range wz.flow.Connection().Sim.State().Users {
		if others[u.BizMail] {
			t.Fatalf("other mailbox %s created as a member", u.BizMail)
		}
	}
	// The done screen counts the other mailboxes kept as mailboxes.
	kept := fmt.Sprintf("其他邮箱：%d 个保留为邮箱，不创建为成员。", len(others))
	if !strings.Contains(text, kept) {
		t.Fatalf("done screen lacks %q:\n%s", kept, text)
	}
	// Reopening the project shows Done; the projects list says so.
	test.Tap(findButton(t, ui.Win.Content(), "项目列表"))
	if !strings.Contains(labels(ui.Win.Content()), "已完成（已锁定）") {
		t.Fatalf("projects list:\n%s", labels(ui.Win.Content()))
	}
	// Reopened (the plan and outcome read back from the store), in English.
	ui.SetLanguage(i18n.English)
	defer ui.SetLanguage(i18n.Chinese)
	ui.OpenProject(wz.project.ID)
	wz2 := ui.wizardForTest
	waitFor(t, ui, "the outcome read back", func() bool { return wz2.resultRead })
	keptEN := fmt.Sprintf("Other mailboxes: %d kept as mailboxes, not created as members.", len(others))
	if text := labels(ui.Win.Content()); !strings.Contains(text, keptEN) {
		t.Fatalf("reopened done screen lacks %q:\n%s", keptEN, text)
	}
}

// phoneConfirm plays the target creator's phone: open the page, then post
// its form.
func phoneConfirm(t *testing.T, pageURL string) {
	t.Helper()
	resp, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "不可撤销") {
		t.Fatalf("phone page %d:\n%s", resp.StatusCode, body)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"`).FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], m[2])
	}
	action := pageURL
	if m := regexp.MustCompile(`<form[^>]*action="([^"]+)"`).FindStringSubmatch(string(body)); m != nil {
		u, _ := url.Parse(pageURL)
		a, _ := u.Parse(m[1])
		action = a.String()
	}
	req, _ := http.NewRequest("POST", action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(pageURL)
	req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("confirm POST: %d", resp.StatusCode)
	}
}

// startBindRehearsal walks a new method-2 rehearsal through the phone
// confirmation to clean contacts (the plan is being built).
func startBindRehearsal(t *testing.T, ui *UI) *wizard {
	t.Helper()
	test.Tap(findButton(t, ui.Win.Content(), "开始演练（示例企业）"))
	wz := ui.wizardForTest
	tickNotice(t, ui)
	chooseMethod(t, ui, "方式二：绑定已有企业微信")
	checkRehearsalTarget(t, ui)
	// The QR step: the phone opens the page and confirms.
	if !strings.Contains(labels(ui.Win.Content()), "扫码确认") {
		t.Fatalf("not on the QR screen:\n%s", labels(ui.Win.Content()))
	}
	var pageURL string
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, "http://") {
			pageURL = l.Text
		}
	})
	if pageURL == "" {
		t.Fatal("no confirmation URL shown")
	}
	phoneConfirm(t, pageURL)
	// The second confirmation, on this computer, names the target.
	waitFor(t, ui, "the second confirmation", func() bool { return ui.Win.Canvas().Overlays().Top() != nil })
	if txt := labels(ui.Win.Canvas().Overlays().Top()); !strings.Contains(txt, "第 2 次确认") {
		t.Fatalf("second confirmation dialog:\n%s", txt)
	}
	tapDialog(t, ui, "Yes", "是")
	if g, n := wz.up.Confirmations(); g != 2 || n != 2 {
		t.Fatalf("confirmations %d/%d", g, n)
	}
	clearErrors(t, ui, wz)
	return wz
}

func TestWalkMethodBindToDone(t *testing.T) {
	ui := newTestUI(t)
	wz := startBindRehearsal(t, ui)
	// The bind rehearsal's target owns some of our mobiles: the plan blocks.
	waitFor(t, ui, "the plan", func() bool { return wz.plan != nil && !wz.plan.loading })
	if wz.plan.plan == nil {
		t.Fatalf("no plan: %v", wz.plan.err)
	}
	// Give the planner the target's own exported contacts (what the admin
	// downloads from WeCom): the mobiles its members own now show as
	// conflicts before anything is written.
	o := wz.flow.PlanOptions()
	o.TargetSheet = wz.flow.Connection().Sim.State().Directory()
	wz.flow.SetPlanOptions(o)
	var acc *widget.Accordion
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if a, ok := o.(*widget.Accordion); ok {
			acc = a
		}
	})
	if acc == nil {
		t.Fatal("no advanced section on the plan screen")
	}
	acc.Open(0)
	wz.plan = nil
	test.Tap(findButton(t, ui.Win.Content(), "重新生成计划"))
	waitFor(t, ui, "the plan with the target sheet", func() bool { return wz.plan != nil && !wz.plan.loading })
	pl := wz.plan.plan
	if pl == nil || !pl.Blocked() {
		t.Fatalf("the target's mobile owners should block the plan: %+v", pl)
	}
	if pl.Blocked() {
		if !strings.Contains(labels(ui.Win.Content()), "不能开始迁移") {
			t.Fatalf("blocked plan not explained:\n%s", labels(ui.Win.Content()))
		}
		// Resolve: back to the contacts, give each conflicting row a new mobile.
		test.Tap(findButton(t, ui.Win.Content(), "返回修改通讯录"))
		cv := wz.contacts
		for i, it := range pl.Conflicts {
			if it.Row == 0 {
				t.Fatalf("conflict without a row: %+v", it)
			}
			cv.jumpTo(contacts.Problem{Row: it.Row, Field: contacts.FieldMobile})
			cv.bar.SetText("")
			test.Type(cv.bar, "1777777000"+string(rune('0'+i)))
			cv.bar.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		}
		wz.plan = nil
		clearErrors(t, ui, wz)
	}
	confirmPlanAndRun(t, ui, wz)
	finishDone(t, ui, wz)
	// The conflicts were resolved before migrating: nothing failed.
	if wz.result.Failed != 0 {
		t.Fatalf("failures after resolving the conflicts: %+v", wz.result.Failures)
	}
	// Existing members were merged (updated, or left as the target has them),
	// never duplicated or deleted.
	if pl := wz.plan.plan; len(pl.Update)+len(pl.Untouched) == 0 {
		t.Fatalf("bind merged nobody: %+v", pl)
	}
	if v := wz.result.Verification; v == nil || len(v.DuplicateMembers) > 0 {
		t.Fatalf("verification %+v", v)
	}
	// The rehearsal company's shared boxes and mail group: the plan keeps
	// the boxes as mailboxes and shows the group's tag; none is a member of
	// the target afterwards.
	pl = wz.plan.plan
	if len(pl.OtherMailboxes) != 3 || len(pl.MailGroups) != 1 || pl.MailGroups[0].Tag != "T-全体员工" {
		t.Fatalf("plan mailboxes %+v groups %+v", pl.OtherMailboxes, pl.MailGroups)
	}
	for _, u := range wz.flow.Connection().Sim.State().Users {
		if pl.IsOtherMailbox(u.BizMail) {
			t.Fatalf("other mailbox %s is a member of the target", u.BizMail)
		}
	}
}

// hasButton reports whether a visible button with text is on screen.
func hasButton(o fyne.CanvasObject, text string) bool {
	found := false
	walk(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			found = true
		}
	})
	return found
}

// The real-WeCom target form: corp ID, secret in a password field, API base
// under "advanced"; the connection check explains 60020 and 40001 in plain
// words. A local rehearsal server stands in for Tencent through the API base.
func TestTargetCheckExplainsErrors(t *testing.T) {
	sim, err := wecomsim.New(wecomsim.Options{DBPath: filepath.Join(t.TempDir(), "sim.db"),
		Knobs: wecomsim.Knobs{TrustedIPs: []string{"203.0.113.9"}}})
	must(t, err)
	defer sim.Close()
	base, stop, err := sim.Start("127.0.0.1:0")
	must(t, err)
	defer stop()

	ui := newTestUI(t)
	openAt(t, ui, upgrade.StageMethodChosen)
	var radio *widget.RadioGroup
	var entries []*widget.Entry
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.RadioGroup:
			radio = w
		case *widget.Entry:
			entries = append(entries, w)
		}
	})
	radio.SetSelected(radio.Options[1])
	var corp, secret, apiBase *widget.Entry
	for _, e := range entries {
		switch {
		case e.Password:
			secret = e
		case e.PlaceHolder == "ww0123456789abcdef":
			corp = e
		case strings.HasPrefix(e.PlaceHolder, "https://"):
			apiBase = e
		}
	}
	if corp == nil || secret == nil || apiBase == nil {
		t.Fatal("target form incomplete")
	}
	test.Type(corp, sim.CorpID())
	apiBase.SetText(base)
	check := func(secretText, want string) {
		t.Helper()
		secret.SetText("")
		test.Type(secret, secretText)
		test.Tap(findButton(t, ui.Win.Content(), "检查连接"))
		waitFor(t, ui, "the check", func() bool { return strings.Contains(labels(ui.Win.Content()), "✗ ") })
		if got := labels(ui.Win.Content()); !strings.Contains(got, want) || strings.Contains(got, secretText) {
			t.Fatalf("want %q (and no secret) in:\n%s", want, got)
		}
		if !findButton(t, ui.Win.Content(), "下一步").Disabled() {
			t.Fatal("Next enabled after a failed check")
		}
	}
	check(sim.Secret(), "可信IP")
	check("wrong-secret-123", "Secret")
}
