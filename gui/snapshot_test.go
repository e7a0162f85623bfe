package gui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// Rendering snapshots of the screens whose content is fixed (golden markup
// in testdata/; on a difference the test driver writes the new rendering to
// testdata/failed/ for review).
func TestScreenSnapshots(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, ui *UI)
	}{
		{"projects_empty", func(t *testing.T, ui *UI) {}},
		{"notice", func(t *testing.T, ui *UI) { openAt(t, ui, upgrade.StageNew) }},
		{"method", func(t *testing.T, ui *UI) { openAt(t, ui, upgrade.StageNoticeAcknowledged) }},
		{"target", func(t *testing.T, ui *UI) { openAt(t, ui, upgrade.StageMethodChosen) }},
		{"contacts", func(t *testing.T, ui *UI) { projectAtContacts(t, ui, twoRows()) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := test.NewTempApp(t)
			ui := New(a, Options{StatePath: filepath.Join(t.TempDir(), "state.db"), Language: i18n.Chinese, queueUpdates: true})
			defer ui.Close()
			ui.Win.Resize(fyne.NewSize(1100, 720))
			c.setup(t, ui)
			test.AssertRendersToMarkup(t, "screen_"+c.name+".xml", ui.Win.Canvas())
		})
	}
}

// openAt creates a project named 测试公司 at stage s (method new) and opens it.
func openAt(t *testing.T, ui *UI, s upgrade.Stage) {
	t.Helper()
	p, err := ui.Store.CreateProject("测试公司")
	must(t, err)
	up, err := upgrade.Load(ui.Store, p.ID)
	must(t, err)
	if s.Index() > upgrade.StageNew.Index() {
		must(t, up.AcknowledgeNotice(upgrade.NoticeKeys()))
	}
	if s.Index() > upgrade.StageNoticeAcknowledged.Index() {
		must(t, up.ChooseMethod(upgrade.MethodNew))
	}
	ui.OpenProject(p.ID)
}

// A second instance on the same state file says so instead of hanging.
func TestSecondInstanceSaysAlreadyOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	first, err := store.Open(path, store.Options{})
	must(t, err)
	defer first.Close()
	a := test.NewTempApp(t)
	start := time.Now()
	ui := New(a, Options{StatePath: path, Language: i18n.Chinese, queueUpdates: true})
	defer ui.Close()
	if time.Since(start) > 20*time.Second {
		t.Fatal("the second instance waited too long")
	}
	if got := labels(ui.Win.Content()); !strings.Contains(got, "已在另一个窗口中打开") {
		t.Fatalf("no already-open message:\n%s", got)
	}
	findButton(t, ui.Win.Content(), "退出")
	// The message reads in lines, not one or two words a line.
	ui.Win.Resize(fyne.NewSize(1000, 600))
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, "已在另一个窗口中打开") {
			if w := l.Size().Width; w < 400 {
				t.Fatalf("the message is %.0f px wide: it wraps every word or two", w)
			}
		}
	})
}
