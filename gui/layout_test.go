package gui

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// maxWindow is the largest minimum size a screen may ask of the window: a
// 1366×768 laptop with a task bar and window frame leaves about this.
var maxWindow = fyne.NewSize(1000, 600)

// Every screen, in both languages, fits maxWindow: the window never has to
// grow past it, whatever is opened on the screen (the plan's expander).
func TestEveryScreenFitsSmallWindow(t *testing.T) {
	steps := []string{"projects", "notice", "method", "target", "qr", "contacts", "plan", "migrate", "done"}
	for _, l := range []string{i18n.Chinese, i18n.English} {
		for _, step := range steps {
			t.Run(l+"/"+step, func(t *testing.T) {
				a := test.NewTempApp(t)
				ui := New(a, Options{StatePath: filepath.Join(t.TempDir(), "state.db"), Language: l, DemoStep: step, queueUpdates: true})
				defer ui.Close()
				ui.Win.Resize(maxWindow)
				if wz := ui.wizardForTest; wz != nil && step == "plan" {
					waitFor(t, ui, "the plan", func() bool { return wz.plan != nil && !wz.plan.loading })
				}
				if wz := ui.wizardForTest; wz != nil && step == "done" {
					waitFor(t, ui, "the outcome", func() bool { return wz.resultRead })
				}
				ui.Pump()
				checkFits(t, ui, step)
				// Open every expander on the screen: the window must not grow.
				walk(ui.Win.Content(), func(o fyne.CanvasObject) {
					if acc, ok := o.(*widget.Accordion); ok {
						acc.OpenAll()
					}
				})
				checkFits(t, ui, step+" (expanders open)")
			})
		}
	}
}

func checkFits(t *testing.T, ui *UI, what string) {
	t.Helper()
	min := ui.Win.Content().MinSize()
	if min.Width > maxWindow.Width || min.Height > maxWindow.Height {
		t.Errorf("%s asks for %.0f×%.0f, more than %.0f×%.0f", what, min.Width, min.Height, maxWindow.Width, maxWindow.Height)
	}
}

// A click on a method card's text picks the method, as a click on its box.
func TestMethodCardClickAnywhere(t *testing.T) {
	ui := newTestUI(t)
	openAt(t, ui, upgrade.StageNoticeAcknowledged)
	var areas []*tapArea
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if a, ok := o.(*tapArea); ok {
			areas = append(areas, a)
		}
	})
	if len(areas) != 2 {
		t.Fatalf("%d method cards, want 2", len(areas))
	}
	next := findButton(t, ui.Win.Content(), "下一步")
	if !next.Disabled() {
		t.Fatal("Next enabled before a method is picked")
	}
	test.TapAt(areas[1], fyne.NewPos(areas[1].Size().Width/2, areas[1].Size().Height-20))
	if next.Disabled() {
		t.Fatal("a click on the second card's text did not pick it")
	}
	test.Tap(next)
	if m := ui.wizardForTest.up.State().Method; m != upgrade.MethodBind {
		t.Fatalf("method %q after clicking the bind card", m)
	}
}

// The file names the app suggests are valid on Windows, whatever the
// company's name holds, and the save dialog speaks the app's language.
func TestSuggestedFileNamesValid(t *testing.T) {
	ui := newTestUI(t)
	p, err := ui.Store.CreateProject("示例: A/B*公司（演练 12-01 20:34:07）")
	must(t, err)
	ui.exportProject(p)
	top := ui.Win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no save dialog")
	}
	var name string
	walk(top, func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && strings.HasSuffix(e.Text, ".exup") {
			name = e.Text
		}
	})
	if name == "" {
		t.Fatalf("no suggested .exup name in the dialog:\n%s", labels(top))
	}
	if strings.ContainsAny(name, `:/\*?"<>|`) {
		t.Fatalf("suggested name %q is not valid on Windows", name)
	}
	if l := labels(top); !strings.Contains(l, "保存文件") {
		t.Fatalf("save dialog not titled in Chinese:\n%s", l)
	}
}

// Where no window can open, the app says so in one line and returns an
// exit code, instead of the graphics driver's panic trace.
func TestNoDisplayOneLine(t *testing.T) {
	noEnv := func(string) string { return "" }
	var out strings.Builder
	if code := run(test.NewTempApp(t), Options{StatePath: filepath.Join(t.TempDir(), "s.db")}, &out, noEnv, "linux"); code != ExitNoWindow {
		t.Fatalf("exit code %d, want %d", code, ExitNoWindow)
	}
	if s := out.String(); strings.Count(s, "\n") != 1 || !strings.Contains(s, "DISPLAY") {
		t.Fatalf("message %q, want one line naming DISPLAY", s)
	}
	// A display that does not answer: the driver panics while creating the
	// window; that too becomes one line.
	out.Reset()
	a := &noWindowApp{App: test.NewTempApp(t)}
	env := func(k string) string { return map[string]string{"DISPLAY": ":77"}[k] }
	if code := run(a, Options{StatePath: filepath.Join(t.TempDir(), "s.db")}, &out, env, "linux"); code != ExitNoWindow {
		t.Fatalf("exit code %d with a dead display, want %d", code, ExitNoWindow)
	}
	if s := out.String(); strings.Count(s, "\n") != 1 || !strings.Contains(s, "GLFW") {
		t.Fatalf("message %q, want one line", s)
	}
}

// noWindowApp fails to create windows the way the GL driver does when its
// display does not answer.
type noWindowApp struct{ fyne.App }

func (a *noWindowApp) NewWindow(string) fyne.Window {
	panic("NotInitialized: The GLFW library is not initialized")
}

// shownURL is the confirmation URL on the QR screen.
func shownURL(ui *UI) string {
	var u string
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, "http://") {
			u = l.Text
		}
	})
	return u
}

// Switching language on the QR step keeps its URL and token: a phone that
// opened the link before the switch still gets the page.
func TestQRKeepsSessionAcrossLanguageSwitch(t *testing.T) {
	ui := newTestUI(t)
	must(t, ui.openDemo("qr"))
	before := shownURL(ui)
	if before == "" {
		t.Fatal("no URL on the QR screen")
	}
	ui.SetLanguage(i18n.English)
	ui.Pump()
	if after := shownURL(ui); after != before {
		t.Fatalf("URL changed with the language: %s → %s", before, after)
	}
	if !strings.Contains(labels(ui.Win.Content()), "Waiting") && !strings.Contains(labels(ui.Win.Content()), "waiting") {
		t.Fatalf("status not in English after the switch:\n%s", labels(ui.Win.Content()))
	}
	resp, err := http.Get(before)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the first link answers %d after the switch", resp.StatusCode)
	}
	ui.SetLanguage(i18n.Chinese)
}

// The target step says why Next waits; the rehearsal's plan does not
// claim a secret it does not have.
func TestTargetAndPlanSayWhatIsTrue(t *testing.T) {
	ui := newTestUI(t)
	openAt(t, ui, upgrade.StageMethodChosen)
	if l := labels(ui.Win.Content()); !strings.Contains(l, "先点「检查连接」") {
		t.Fatalf("target step does not say why Next is disabled:\n%s", l)
	}
	must(t, ui.openDemo("plan"))
	wz := ui.wizardForTest
	waitFor(t, ui, "the plan", func() bool { return wz.plan != nil && !wz.plan.loading })
	if l := labels(ui.Win.Content()); strings.Contains(strings.ToLower(l), "secret有效") {
		t.Fatalf("the rehearsal's plan says the secret works:\n%s", l)
	}
}
