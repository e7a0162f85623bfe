package gui

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/wecomsim"
	"exmail-upgrade/gui/i18n"
)

// paintedDriver is the test driver with the real driver's rule for
// pop-ups: an object has a canvas only once a frame showing it was drawn
// (the GL driver records it while painting). The plain test driver gives
// every object a canvas, which hides the crash of a click queued while the
// screen changed.
type paintedDriver struct {
	fyne.Driver
	mu      sync.Mutex
	painted map[fyne.CanvasObject]fyne.Canvas
}

// CanvasForObject returns the canvas o was last painted on, or nil.
func (d *paintedDriver) CanvasForObject(o fyne.CanvasObject) fyne.Canvas {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.painted[o]
}

// paint records what w shows now, as drawing a frame does.
func (d *paintedDriver) paint(w fyne.Window) {
	c := w.Canvas()
	m := map[fyne.CanvasObject]fyne.Canvas{}
	reg := func(o fyne.CanvasObject) { m[o] = c }
	walk(c.Content(), reg)
	for _, o := range c.Overlays().List() {
		walk(o, reg)
	}
	d.mu.Lock()
	for o, cv := range m {
		d.painted[o] = cv
	}
	d.mu.Unlock()
}

type paintedApp struct {
	fyne.App
	drv *paintedDriver
}

func (a *paintedApp) Driver() fyne.Driver { return a.drv }

// newPaintedUI opens the app at a demo step on the painted driver.
func newPaintedUI(t *testing.T, step string) (*UI, *paintedDriver) {
	t.Helper()
	base := test.NewTempApp(t)
	drv := &paintedDriver{Driver: base.Driver(), painted: map[fyne.CanvasObject]fyne.Canvas{}}
	a := &paintedApp{App: base, drv: drv}
	fyne.SetCurrentApp(a)
	ui := New(a, Options{StatePath: filepath.Join(t.TempDir(), "state.db"), Language: i18n.Chinese, DemoStep: step, queueUpdates: true})
	t.Cleanup(func() {
		if ui.leaving != nil {
			ui.leaving()
		}
		ui.Close()
	})
	ui.Win.Resize(fyne.NewSize(1000, 600))
	return ui, drv
}

// selects returns the selects on screen.
func selects(o fyne.CanvasObject) []fyne.Tappable {
	var out []fyne.Tappable
	walk(o, func(o fyne.CanvasObject) {
		switch s := o.(type) {
		case *widget.Select, *safeSelect:
			out = append(out, s.(fyne.Tappable))
		}
	})
	return out
}

// The crash of issue 11: a click on the language selector queued while
// Start replaced the screen reached a selector no frame had shown yet, and
// its pop-up menu had no canvas (nil pointer in overlayRenderer.MinSize).
func TestClickQueuedDuringScreenChangeDoesNotPanic(t *testing.T) {
	ui, drv := newPaintedUI(t, "plan")
	wz := ui.wizardForTest
	waitFor(t, ui, "the plan", func() bool { return wz.plan != nil && !wz.plan.loading && wz.plan.plan != nil })
	drv.paint(ui.Win)
	// Every select of the plan screen opens its menu once painted.
	sels := selects(ui.Win.Content())
	if len(sels) < 2 {
		t.Fatalf("%d selects on the plan screen, want the language and the kind filter", len(sels))
	}
	for i, s := range sels {
		s.Tapped(&fyne.PointEvent{Position: fyne.NewPos(5, 5)})
		top := ui.Win.Canvas().Overlays().Top()
		if !isMenu(top) {
			t.Fatalf("select %d did not open its menu (top overlay %T)", i, top)
		}
		top.Hide()
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
	typed.SetText(wz.project.Name)
	test.Tap(findButton(t, ui.Win.Content(), "确认计划并开始迁移"))
	// The clicks made while the plan is saved go to the wait dialog.
	if ui.waitForTest == nil {
		t.Fatal("no wait dialog while the confirmed plan is saved")
	}
	waitFor(t, ui, "the migration screen", func() bool { return wz.migrate != nil })
	// No frame drawn since the screen changed: tap what is there now.
	for _, s := range selects(ui.Win.Content()) {
		s.Tapped(&fyne.PointEvent{Position: fyne.NewPos(5, 5)})
	}
	drv.paint(ui.Win)
	ui.langSel.Tapped(&fyne.PointEvent{Position: fyne.NewPos(5, 5)})
	if !isMenu(ui.Win.Canvas().Overlays().Top()) {
		t.Fatalf("the language menu did not open once painted (top overlay %T)", ui.Win.Canvas().Overlays().Top())
	}
	ui.Win.Canvas().Overlays().Top().Hide()
	wz.migrate.stop()
	waitFor(t, ui, "the migration to stop", func() bool { return !wz.migrate.running })
}

// Every pop-up of the migration screen opens and closes while the running
// migration updates the screen from its goroutine (run with -race): the
// language menu, pause and resume, and the close question, which pauses
// the engine before it asks.
func TestPopupsWhileMigrationUpdates(t *testing.T) {
	ui, drv := newPaintedUI(t, "migrate")
	wz := ui.wizardForTest
	wz.flow.Connection().Sim.SetKnobs(wecomsim.Knobs{Latency: 20 * time.Millisecond})
	waitFor(t, ui, "the migration to run", func() bool { return wz.migrate != nil && wz.migrate.getEngine() != nil })
	mv := wz.migrate
	for i := 0; i < 6 && mv.running; i++ {
		ui.Pump()
		drv.paint(ui.Win)
		ui.langSel.Tapped(&fyne.PointEvent{Position: fyne.NewPos(5, 5)})
		top := ui.Win.Canvas().Overlays().Top()
		if !isMenu(top) {
			t.Fatalf("round %d: no language menu (top overlay %T)", i, top)
		}
		top.Hide()
		mv.togglePause()
		ui.Pump()
		mv.togglePause()
		// Closing asks, with the engine paused meanwhile.
		ui.requestClose()
		if e := mv.getEngine(); e != nil && !e.Paused() {
			t.Fatalf("round %d: the engine runs on while the close question is open", i)
		}
		if ui.Win.Canvas().Overlays().Top() == nil {
			t.Fatalf("round %d: closing during the migration did not ask", i)
		}
		tapDialog(t, ui, "不关闭，继续迁移")
		if e := mv.getEngine(); e != nil && e.Paused() {
			t.Fatalf("round %d: the engine stayed paused after choosing to go on", i)
		}
		time.Sleep(30 * time.Millisecond)
	}
	mv.stop()
	waitFor(t, ui, "the migration to stop", func() bool { return !mv.running })
}

// isMenu tells whether the overlay o holds a pop-up menu.
func isMenu(o fyne.CanvasObject) bool {
	found := false
	walk(o, func(o fyne.CanvasObject) {
		if _, ok := o.(*widget.PopUpMenu); ok {
			found = true
		}
	})
	return found
}

// A migration interrupted (the window closed mid-run) reopens saying so:
// paused, not running, 「继续迁移」 offered, 停止 and 暂停 off; the projects
// list says it can be continued.
func TestReopenedInterruptedMigrationTellsTheTruth(t *testing.T) {
	ui := newTestUI(t)
	must(t, ui.openDemo("migrate"))
	wz := ui.wizardForTest
	wz.flow.Connection().Sim.SetKnobs(wecomsim.Knobs{Latency: 20 * time.Millisecond})
	waitFor(t, ui, "the migration to run", func() bool { return wz.migrate != nil && wz.migrate.getEngine() != nil })
	wz.migrate.stop()
	waitFor(t, ui, "the migration to stop", func() bool { return !wz.migrate.running })
	id := wz.project.ID
	ui.ShowProjects()
	if l := labels(ui.Win.Content()); !strings.Contains(l, "迁移已中断") {
		t.Fatalf("projects list does not say the migration was interrupted:\n%s", l)
	}
	ui.OpenProject(id)
	mv := ui.wizardForTest.migrate
	if mv == nil || mv.running {
		t.Fatal("reopened project is not on a migration screen that is idle")
	}
	waitFor(t, ui, "the journal's counts", func() bool { return !strings.Contains(mv.counts.Text, "正在读取") })
	if !strings.Contains(mv.state.Text, "中断") {
		t.Fatalf("state says %q", mv.state.Text)
	}
	if mv.startBtn.Text != "继续迁移" || mv.startBtn.Disabled() {
		t.Fatalf("start button %q (disabled %v)", mv.startBtn.Text, mv.startBtn.Disabled())
	}
	if !mv.stopBtn.Disabled() || !mv.pauseBtn.Disabled() {
		t.Fatal("停止 or 暂停 enabled although nothing runs")
	}
	if !strings.Contains(mv.counts.Text, "已完成") {
		t.Fatalf("counts %q do not show the journal", mv.counts.Text)
	}
}

// The editor's dialogs and menus open, and the language menu with them,
// while a large sheet loads in the background and then replaces the
// screen's model (run with -race).
func TestEditorPopupsWhileSheetLoads(t *testing.T) {
	ui, drv := newPaintedUI(t, "projects")
	p, err := ui.Store.CreateProject("大公司")
	must(t, err)
	must(t, session.SaveWorkingCopy(ui.Store, p.ID, sample.Company(progressiveRows+3000, 3)))
	wz := projectAtContacts(t, ui, nil, p.ID)
	cv := wz.contacts
	open := func(what string, fn func()) {
		t.Helper()
		n := len(ui.Win.Canvas().Overlays().List())
		fn()
		if len(ui.Win.Canvas().Overlays().List()) <= n {
			t.Fatalf("%s did not open", what)
		}
		ui.Win.Canvas().Overlays().Top().Hide()
	}
	for round := 0; round < 3; round++ {
		drv.paint(ui.Win)
		open("the language menu", func() { ui.langSel.Tapped(&fyne.PointEvent{}) })
		open("the export menu", cv.exportMenu)
		open("the import dialog", cv.importDialog)
		open("the domains dialog", cv.domainsDialog)
		ui.Pump() // the rest of the sheet may arrive and rebuild the screen
		cv = wz.contacts
	}
	waitFor(t, ui, "the rest of the sheet", func() bool { return wz.contacts.loadingRest == 0 })
	drv.paint(ui.Win)
	open("the language menu after the load", func() { ui.langSel.Tapped(&fyne.PointEvent{}) })
	open("the export menu after the load", wz.contacts.exportMenu)
}
