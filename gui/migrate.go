package gui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// maxLogLines bounds the live log kept on screen.
const maxLogLines = 500

// migrateView is the migration screen: progress, live log and the
// pause/resume/cancel controls of the running engine.
type migrateView struct {
	wz       *wizard
	bar      *widget.ProgressBar
	counts   *widget.Label
	rate     *widget.Label
	current  *widget.Label
	log      []string
	logList  *widget.List
	pauseBtn *widget.Button
	startBtn *widget.Button
	stopBtn  *widget.Button
	state    *widget.Label // running, paused or interrupted, said plainly
	cancel   context.CancelFunc
	// engineMu guards engine: the run's goroutine sets it, the UI reads it.
	engineMu sync.Mutex
	engine   *migrate.Engine
	// holdPaused pauses the engine as soon as it exists (closing was
	// asked before the run got its engine).
	holdPaused bool
	running    bool
	done       chan struct{} // closed when the run ends

	lastPhase  string
	lastFailed int
	lastPaused bool
}

// showMigrate shows the migration screen; autostart begins (or resumes) at
// once, otherwise the user presses Start/Resume.
func (wz *wizard) showMigrate(resumeOnly bool) {
	mv := &migrateView{wz: wz}
	wz.migrate = mv
	wz.ui.show(mv.build)
	if !resumeOnly {
		mv.start(false)
	}
}

func (mv *migrateView) build() fyne.CanvasObject {
	wz := mv.wz
	title := widget.NewLabelWithStyle(i18n.T("migrate.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	warn := widgetWrapped(i18n.T("migrate.no_edits"))
	warn.Importance = widget.WarningImportance
	mv.bar = widget.NewProgressBar()
	mv.counts = widget.NewLabel("")
	mv.rate = widget.NewLabel("")
	mv.current = widget.NewLabel("")
	mv.current.Truncation = fyne.TextTruncateEllipsis
	mv.logList = widget.NewList(func() int { return len(mv.log) },
		func() fyne.CanvasObject { l := widget.NewLabel(""); l.Truncation = fyne.TextTruncateEllipsis; return l },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(mv.log) {
				o.(*widget.Label).SetText(mv.log[i])
			}
		})
	mv.pauseBtn = widget.NewButton(i18n.T("migrate.pause"), mv.togglePause)
	mv.stopBtn = widget.NewButton(i18n.T("migrate.stop"), mv.stop)
	mv.startBtn = widget.NewButton(i18n.T("migrate.resume"), func() { mv.start(false) })
	mv.startBtn.Importance = widget.HighImportance
	mv.state = widget.NewLabel("")
	mv.state.Wrapping = wrapMode()
	mv.syncButtons()
	// Show what the journal already holds (after a restart); reading it
	// for 100k rows takes a moment, so off the UI thread.
	if !mv.running {
		mv.counts.SetText(i18n.T("migrate.reading_journal"))
		wz.ui.background(func() {
			res, err := wz.flow.Status()
			wz.ui.do(func() {
				if err == nil && res != nil && !mv.running {
					mv.showCounts(res.Done, res.Failed, res.Total-res.Done-res.Failed)
				} else if !mv.running {
					mv.counts.SetText("")
				}
			})
		})
	}
	wz.ui.OnClose = mv.confirmClose
	wz.ui.leaving = func() { wz.ui.OnClose = nil }
	top := container.NewVBox(title, warn, mv.state, mv.bar, mv.counts, mv.rate, mv.current,
		widget.NewLabelWithStyle(i18n.T("migrate.log"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	return wz.frame(container.NewBorder(top, nil, nil, nil, mv.logList), mv.pauseBtn, mv.stopBtn, mv.startBtn)
}

// getEngine returns the running engine, nil before it started or after.
func (mv *migrateView) getEngine() *migrate.Engine {
	mv.engineMu.Lock()
	defer mv.engineMu.Unlock()
	return mv.engine
}

func (mv *migrateView) setEngine(e *migrate.Engine) {
	mv.engineMu.Lock()
	mv.engine = e
	if e != nil && mv.holdPaused {
		e.Pause()
	}
	mv.engineMu.Unlock()
}

// holdPause pauses the run now, or as soon as its engine exists, and
// returns whether it was paused already.
func (mv *migrateView) holdPause() bool {
	mv.engineMu.Lock()
	defer mv.engineMu.Unlock()
	was := mv.holdPaused || mv.engine != nil && mv.engine.Paused()
	mv.holdPaused = true
	if mv.engine != nil {
		mv.engine.Pause()
	}
	return was
}

// releasePause undoes holdPause.
func (mv *migrateView) releasePause() {
	mv.engineMu.Lock()
	defer mv.engineMu.Unlock()
	mv.holdPaused = false
	if mv.engine != nil {
		mv.engine.Resume()
	}
}

// syncButtons shows the truth: which buttons can act, and in words whether
// the migration runs, is paused, or was interrupted and waits to continue.
func (mv *migrateView) syncButtons() {
	mv.engineMu.Lock()
	paused := mv.holdPaused || mv.engine != nil && mv.engine.Paused()
	mv.engineMu.Unlock()
	switch {
	case mv.running && paused:
		mv.state.SetText(i18n.T("migrate.state_paused"))
		mv.state.Importance = widget.WarningImportance
		mv.pauseBtn.SetText(i18n.T("migrate.continue"))
	case mv.running:
		mv.state.SetText(i18n.T("migrate.state_running"))
		mv.state.Importance = widget.MediumImportance
		mv.pauseBtn.SetText(i18n.T("migrate.pause"))
	case mv.wz.up.Stage() == upgrade.StageMigrating:
		mv.state.SetText(i18n.T("migrate.state_interrupted"))
		mv.state.Importance = widget.WarningImportance
	default:
		mv.state.SetText(i18n.T("migrate.state_ready"))
		mv.state.Importance = widget.MediumImportance
	}
	mv.state.Refresh()
	if mv.running {
		mv.startBtn.Disable()
		mv.pauseBtn.Enable()
		mv.stopBtn.Enable()
	} else {
		mv.startBtn.Enable()
		mv.pauseBtn.Disable()
		mv.stopBtn.Disable()
	}
	if mv.wz.up.Stage() == upgrade.StageMigrating {
		mv.startBtn.SetText(i18n.T("migrate.resume_interrupted"))
	} else {
		mv.startBtn.SetText(i18n.T("migrate.resume"))
	}
}

func (mv *migrateView) showCounts(done, failed, remaining int) {
	total := done + failed + remaining
	if total > 0 {
		mv.bar.SetValue(float64(done+failed) / float64(total))
	}
	mv.counts.SetText(i18n.Tf("migrate.counts", done, failed, remaining, total))
}

func (mv *migrateView) addLog(s string) {
	mv.log = append(mv.log, time.Now().Format("15:04:05 ")+s)
	if len(mv.log) > maxLogLines {
		mv.log = mv.log[len(mv.log)-maxLogLines:]
	}
	mv.logList.Refresh()
	mv.logList.ScrollToBottom()
}

// phaseText names the phase of p, with its step while preparing.
func phaseText(p migrate.Progress) string {
	s := i18n.T(phaseKey(p.Phase))
	if p.Phase == migrate.PhasePrepare && p.Step != "" {
		s += "：" + i18n.T(stepKey(p.Step))
		if i18n.Language() == i18n.English {
			s = i18n.T(phaseKey(p.Phase)) + ": " + i18n.T(stepKey(p.Step))
		}
	}
	return s
}

// onProgress runs on the engine's goroutine; the UI is updated through fyne.Do.
func (mv *migrateView) onProgress(p migrate.Progress) {
	mv.wz.ui.do(func() {
		mv.showCounts(p.Done, p.Failed, p.Remaining)
		eta := "—"
		if p.ETA > 0 {
			eta = p.ETA.Round(time.Second).String()
		}
		phase := phaseText(p)
		mv.rate.SetText(i18n.Tf("migrate.rate", p.Rate, eta, phase))
		if p.Current != "" {
			mv.current.SetText(i18n.Tf("migrate.current", p.Current))
		}
		switch {
		case p.Paused && !mv.lastPaused:
			mv.addLog(i18n.T("migrate.paused"))
		case phase != mv.lastPhase && p.Phase == migrate.PhasePrepare:
			mv.addLog(phase + "……")
		case phase != mv.lastPhase:
			mv.addLog(fmt.Sprintf("%s %d/%d", phase, p.Done, p.Total))
		case p.Failed > mv.lastFailed:
			mv.addLog(i18n.Tf("migrate.failed_more", p.Failed-mv.lastFailed, p.Current))
		}
		if p.Paused != mv.lastPaused {
			mv.syncButtons()
		}
		mv.lastPhase, mv.lastFailed, mv.lastPaused = phase, p.Failed, p.Paused
	})
}

// start runs (or resumes, or retries) the migration off the UI thread.
func (mv *migrateView) start(retryFailed bool) {
	wz := mv.wz
	if mv.running {
		return
	}
	if err := wz.ensureConn(); err != nil {
		if errors.Is(err, session.ErrNeedSecret) {
			wz.askSecret(func() { mv.start(retryFailed) })
			return
		}
		wz.ui.showError(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	mv.cancel, mv.running, mv.done = cancel, true, make(chan struct{})
	mv.syncButtons()
	mv.addLog(i18n.T("migrate.started"))
	opt := migrate.Options{OnProgress: mv.onProgress, ProgressEvery: 250 * time.Millisecond}
	done := mv.done
	run := wz.flow.Run
	if retryFailed {
		run = wz.flow.RetryFailed
	}
	wz.ui.background(func() {
		defer close(done)
		res, err := run(ctx, opt, func(e *migrate.Engine) { mv.setEngine(e) })
		wz.ui.do(func() {
			mv.running = false
			mv.setEngine(nil)
			if errors.Is(err, migrate.ErrInterrupted) {
				mv.addLog(i18n.T("migrate.interrupted"))
				mv.syncButtons()
				return
			}
			if err != nil {
				mv.addLog("✗ " + explain(err))
				mv.syncButtons()
				wz.ui.showError(err)
				return
			}
			wz.result = res
			wz.ui.OnClose = nil
			wz.showDone()
		})
	})
}

func (mv *migrateView) togglePause() {
	e := mv.getEngine()
	if e == nil {
		return
	}
	if e.Paused() {
		mv.releasePause()
		mv.addLog(i18n.T("migrate.resumed"))
	} else {
		mv.holdPause()
	}
	mv.syncButtons()
}

// stop interrupts the run safely: operations in flight finish, the journal
// is flushed, and Resume (now or after a restart) continues.
func (mv *migrateView) stop() {
	if mv.cancel != nil && mv.running {
		mv.cancel()
	}
}

// confirmClose pauses a running migration at once, then asks whether to
// close: nothing more is sent while the question is open. Closing stops
// the run safely; not closing resumes it (unless it was paused before).
func (mv *migrateView) confirmClose() bool {
	if !mv.running {
		return true
	}
	wasPaused := mv.holdPause()
	mv.syncButtons()
	dialog.ShowCustomConfirm(i18n.T("migrate.close_title"), i18n.T("migrate.close_now"), i18n.T("migrate.keep_running"),
		widgetWrapped(i18n.T("migrate.close_msg")), func(ok bool) {
			if !ok {
				if !wasPaused {
					mv.releasePause()
				}
				mv.syncButtons()
				return
			}
			mv.stop()
			done := mv.done
			go func() {
				<-done
				mv.wz.ui.do(func() {
					mv.wz.ui.OnClose = nil
					mv.wz.ui.Win.Close()
				})
			}()
		}, mv.wz.ui.Win)
	return false
}

// phaseKey is the catalogue key of a migration phase's name.
func phaseKey(phase string) string { return "migrate.phase_" + phase }

// stepKey is the catalogue key of a preparation step's name.
func stepKey(step string) string { return "migrate.step_" + step }
