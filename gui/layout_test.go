package gui

import (
	"path/filepath"
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
