package gui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecomsim"
	"exmail-upgrade/gui/i18n"
)

// TestMigrationPauseStopCloseAndReopen drives the migration screen as a
// user would, with background work handing every result to the UI thread
// (run under -race): pause and continue, stop (resumable), start again and
// close the window mid-run (confirmed, paused safely), then reopen the app
// on the same state and resume to the end.
func TestMigrationPauseStopCloseAndReopen(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	a := test.NewTempApp(t)
	ui := New(a, Options{StatePath: state, Language: i18n.Chinese, queueUpdates: true})
	ui.Win.Resize(fyne.NewSize(1100, 720))
	closed := false
	defer func() {
		if !closed {
			ui.Close()
		}
	}()
	if err := ui.openDemo("migrate"); err != nil { // slow rehearsal answers: the run can be watched
		t.Fatal(err)
	}
	wz := ui.wizardForTest
	mv := wz.migrate
	waitFor(t, ui, "the engine", func() bool { return mv.getEngine() != nil })

	// Pause, then continue.
	test.Tap(mv.pauseBtn)
	if !mv.getEngine().Paused() {
		t.Fatal("not paused")
	}
	test.Tap(mv.pauseBtn)
	if mv.getEngine().Paused() {
		t.Fatal("still paused")
	}

	// Stop: operations in flight finish, the journal is kept, Resume is offered.
	test.Tap(mv.stopBtn)
	waitFor(t, ui, "the stop", func() bool { return !mv.running && mv.getEngine() == nil })
	if s := wz.up.Stage(); s != upgrade.StageMigrating {
		t.Fatalf("stage after stop %s", s)
	}
	resume := mv.startBtn
	if resume.Disabled() {
		t.Fatal("resume disabled after stop")
	}

	// Start again and close the window during the run: asked first, then paused safely.
	test.Tap(resume)
	waitFor(t, ui, "the engine again", func() bool { return mv.getEngine() != nil })
	if ui.OnClose == nil || ui.OnClose() {
		t.Fatal("the window would close without asking during a migration")
	}
	tapDialog(t, ui, i18n.T("migrate.close_now"))
	waitFor(t, ui, "the safe stop", func() bool { return !mv.running })
	ui.Pump()
	res, err := wz.flow.Status()
	if err != nil || res.Done == res.Total || !res.Interrupted {
		t.Fatalf("status after close: %+v %v", res, err)
	}
	ui.Close()
	closed = true

	// Reopen the app on the same state: the project resumes where it stopped.
	a2 := test.NewTempApp(t)
	ui2 := New(a2, Options{StatePath: state, Language: i18n.Chinese, queueUpdates: true})
	defer ui2.Close()
	ui2.OpenProject(wz.project.ID)
	wz2 := ui2.wizardForTest
	if wz2.migrate == nil {
		t.Fatalf("reopened at %s, not on the migration screen", wz2.up.Stage())
	}
	test.Tap(wz2.migrate.startBtn)
	waitFor(t, ui2, "the end of the resumed run", func() bool { return wz2.up.Stage() == upgrade.StageDone })
	waitFor(t, ui2, "the done screen", func() bool { return labelsHave(ui2, "升级迁移完成") })
	if wz2.result == nil || !wz2.result.OK() || wz2.result.Done != res.Total {
		t.Fatalf("resumed result %+v", wz2.result)
	}
}

// 停止 pressed right after Start, while the run prepares (plan, frozen
// contacts, journal), cancels the run's context: it ends interrupted, the
// project stays resumable, and Start again takes it to the end.
func TestStopWhilePreparingLeavesProjectResumable(t *testing.T) {
	ui := newTestUI(t)
	must(t, ui.openDemo("plan"))
	wz := ui.wizardForTest
	waitFor(t, ui, "the plan", func() bool { return wz.plan != nil && !wz.plan.loading && wz.plan.plan != nil })
	wz.flow.Connection().Sim.SetKnobs(wecomsim.Knobs{Latency: 20 * time.Millisecond})
	var typed *widget.Entry
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && e.PlaceHolder == wz.project.Name {
			typed = e
		}
	})
	if typed == nil {
		t.Fatal("no entry for the company name")
	}
	test.Type(typed, wz.project.Name)
	test.Tap(findButton(t, ui.Win.Content(), "确认计划并开始迁移"))
	waitFor(t, ui, "the migration screen", func() bool { return wz.migrate != nil })
	mv := wz.migrate
	if !mv.running || mv.stopBtn.Disabled() {
		t.Fatal("停止 is not offered while the run prepares")
	}
	test.Tap(mv.stopBtn) // the run has only just been started: it prepares
	waitFor(t, ui, "the run to stop", func() bool { return !mv.running })
	if wz.result != nil || wz.up.Stage() == upgrade.StageDone {
		t.Fatal("the run went on to the end after 停止")
	}
	total := len(wz.plan.plan.Create)
	if n := len(wz.flow.Connection().Sim.State().Users); n >= total {
		t.Fatalf("all %d members were created although 停止 was pressed while preparing", n)
	}
	if s := wz.up.Stage(); s != upgrade.StagePlanConfirmed && s != upgrade.StageMigrating {
		t.Fatalf("stage after a stop while preparing: %s", s)
	}
	t.Logf("stopped at stage %s with %d of %d members created", wz.up.Stage(), len(wz.flow.Connection().Sim.State().Users), total)
	if !strings.Contains(strings.Join(mv.log, "\n"), i18n.T("migrate.interrupted")) || mv.startBtn.Disabled() {
		t.Fatalf("the screen does not offer to go on (start disabled %v):\n%s", mv.startBtn.Disabled(), strings.Join(mv.log, "\n"))
	}
	// Start again: the migration runs to the end.
	wz.flow.Connection().Sim.SetKnobs(wecomsim.Knobs{})
	test.Tap(mv.startBtn)
	waitFor(t, ui, "the resumed run to finish", func() bool { return wz.result != nil })
	if s := wz.up.Stage(); s != upgrade.StageDone && s != upgrade.StageFailedItems {
		t.Fatalf("resumed run ended at %s", s)
	}
	if n := len(wz.flow.Connection().Sim.State().Users); n < total {
		t.Fatalf("after resuming the target holds %d of %d members", n, total)
	}
}
