package gui

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"exmail-upgrade/core/upgrade"
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
