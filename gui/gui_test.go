package gui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/confirm"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// newTestUI opens the app on a fresh state file with the test driver.
func newTestUI(t *testing.T) *UI {
	t.Helper()
	a := test.NewTempApp(t)
	ui := New(a, Options{StatePath: filepath.Join(t.TempDir(), "state.db"), Language: i18n.Chinese, queueUpdates: true})
	t.Cleanup(func() {
		if ui.leaving != nil {
			ui.leaving()
		}
		ui.Close()
	})
	ui.Win.Resize(fyne.NewSize(1100, 720))
	return ui
}

// findButton returns the visible button whose text is text.
func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walk(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no button %q on screen", text)
	}
	return found
}

// walk visits every object under o, including widgets' rendered children.
func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	fn(o)
	switch v := o.(type) {
	case *fyne.Container:
		for _, c := range v.Objects {
			walk(c, fn)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(v)
		if r == nil {
			return
		}
		for _, c := range r.Objects() {
			walk(c, fn)
		}
	}
}

// labels returns every label text on screen.
func labels(o fyne.CanvasObject) string {
	var b strings.Builder
	walk(o, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text)
			b.WriteByte('\n')
		}
	})
	return b.String()
}

func TestProjectsScreenChineseAndLanguageSwitch(t *testing.T) {
	ui := newTestUI(t)
	c := ui.Win.Content()
	if !strings.Contains(labels(c), "本机上的客户企业") {
		t.Fatalf("projects screen not in Chinese:\n%s", labels(c))
	}
	findButton(t, c, "开始演练（示例企业）")
	ui.SetLanguage(i18n.English)
	defer i18n.SetLanguage(i18n.Chinese)
	c = ui.Win.Content()
	findButton(t, c, "Start a rehearsal (sample company)")
	if got := ui.App.Preferences().String("language"); got != "en" {
		t.Fatalf("language not remembered: %q", got)
	}
}

func TestRehearsalToMethod(t *testing.T) {
	ui := newTestUI(t)
	test.Tap(findButton(t, ui.Win.Content(), "开始演练（示例企业）"))
	c := ui.Win.Content()
	next := findButton(t, c, "下一步")
	if !next.Disabled() {
		t.Fatal("Next enabled before the notice is ticked")
	}
	var checks []*widget.Check
	walk(c, func(o fyne.CanvasObject) {
		if ch, ok := o.(*widget.Check); ok {
			checks = append(checks, ch)
		}
	})
	if len(checks) < 5 {
		t.Fatalf("only %d notice points", len(checks))
	}
	for i, ch := range checks {
		tapCheck(ch)
		if i < len(checks)-1 && !next.Disabled() {
			t.Fatalf("Next enabled with %d of %d points ticked", i+1, len(checks))
		}
	}
	if next.Disabled() {
		t.Fatal("Next still disabled with every point ticked")
	}
	test.Tap(next)
	if !strings.Contains(labels(ui.Win.Content()), "选择升级方式") {
		t.Fatalf("not on the method screen:\n%s", labels(ui.Win.Content()))
	}
	projects, _ := ui.Store.ListProjects()
	if len(projects) != 1 || projects[0].Stage != "notice_acknowledged" {
		t.Fatalf("projects %+v", projects)
	}
}

// runTimeKeys are the catalogue keys the GUI builds at run time
// (stageKey, qrStatusKey, phaseKey, stepKey), for every value they are built from.
func runTimeKeys() []string {
	var keys []string
	for _, s := range upgrade.Stages {
		keys = append(keys, stageKey(s))
	}
	for _, s := range []confirm.Status{confirm.StatusWaiting, confirm.StatusOpened, confirm.StatusConfirmed,
		confirm.StatusExpired, confirm.StatusCancelled} {
		keys = append(keys, qrStatusKey(s))
	}
	for _, p := range migrate.Phases {
		keys = append(keys, phaseKey(p))
	}
	for _, st := range migrate.Steps {
		keys = append(keys, stepKey(st))
	}
	return keys
}

// keyLiterals returns every string literal in the GUI's non-test sources
// that names a catalogue namespace ("plan.title", "common.next"), by file:
// keys passed through variables (method cards, dialog buttons) count too.
func keyLiterals(t *testing.T, namespaces map[string]bool) map[string][]string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("i18n/*.go")
	lit := regexp.MustCompile(`"([a-z][a-z0-9_]*)\.([a-z0-9_.]+)"`)
	out := map[string][]string{}
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(data), -1) {
			if namespaces[m[1]] && !strings.HasSuffix(m[2], "_") { // "qr.status_" is a run-time key's prefix
				out[f] = append(out[f], m[1]+"."+m[2])
			}
		}
	}
	return out
}

// Every key the GUI asks for exists in both languages — literal keys and
// keys built at run time — and every key of the catalogues is used.
func TestEveryUsedKeyIsTranslated(t *testing.T) {
	cats, err := i18n.Catalogues()
	if err != nil {
		t.Fatal(err)
	}
	namespaces := map[string]bool{}
	for _, l := range []string{i18n.Chinese, i18n.English} {
		for k := range cats[l] {
			namespaces[k[:strings.IndexByte(k+".", '.')]] = true
		}
	}
	used := map[string]bool{}
	check := func(where, k string) {
		used[k] = true
		for _, l := range []string{i18n.Chinese, i18n.English} {
			if _, ok := cats[l][k]; !ok {
				t.Errorf("%s: key %q missing in %s", where, k, l)
			}
		}
	}
	for f, keys := range keyLiterals(t, namespaces) {
		for _, k := range keys {
			check(f, k)
		}
	}
	for _, k := range runTimeKeys() {
		check("run time", k)
	}
	for _, l := range []string{i18n.Chinese, i18n.English} {
		for k := range cats[l] {
			if !used[k] {
				t.Errorf("%s key %q is never used", l, k)
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("only %d keys found: the source scan is broken", len(used))
	}
}

// Every wizard step opens in Chinese from --demo-step (what the screenshot
// script shows), with the step's own title.
func TestDemoStepsRender(t *testing.T) {
	titles := map[string]string{"projects": "本机上的客户企业", "notice": "升级须知", "method": "选择升级方式",
		"target": "目标企业微信", "qr": "扫码确认", "contacts": "问题列表", "plan": "迁移计划", "migrate": "正在迁移通讯录",
		"done": "升级迁移完成"}
	for step, title := range titles {
		t.Run(step, func(t *testing.T) {
			a := test.NewTempApp(t)
			ui := New(a, Options{StatePath: filepath.Join(t.TempDir(), "state.db"), Language: i18n.Chinese, DemoStep: step, queueUpdates: true})
			defer ui.Close()
			if wz := ui.wizardForTest; wz != nil && step == "plan" {
				waitFor(t, ui, "the plan", func() bool { return wz.plan != nil && !wz.plan.loading })
			}
			if step == "done" { // the outcome is read from the journal in the background
				waitFor(t, ui, "the outcome", func() bool { return strings.Contains(labels(ui.Win.Content()), title) })
			}
			if !strings.Contains(labels(ui.Win.Content()), title) {
				t.Fatalf("step %s lacks %q:\n%s", step, title, labels(ui.Win.Content()))
			}
		})
	}
}

// tapCheck taps a check box where a person would: on its box, which sits
// centred beside a label that may wrap to several lines.
func tapCheck(ch *widget.Check) {
	test.TapAt(ch, fyne.NewPos(ch.MinSize().Height/2, ch.Size().Height/2))
}
