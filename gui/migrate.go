package gui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/session"
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
	cancel   context.CancelFunc
	engine   *migrate.Engine
	running  bool
	done     chan struct{} // closed when the run ends

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
	mv.pauseBtn.Disable()
	cancelBtn := widget.NewButton(i18n.T("migrate.stop"), mv.stop)
	mv.startBtn = widget.NewButton(i18n.T("migrate.resume"), func() { mv.start(false) })
	mv.startBtn.Importance = widget.HighImportance
	if mv.running {
		mv.startBtn.Disable()
		mv.pauseBtn.Enable()
	}
	// Show what the journal already holds (after a restart).
	if res, err := wz.flow.Status(); err == nil && res != nil {
		mv.showCounts(res.Done, res.Failed, res.Total-res.Done-res.Failed)
	}
	wz.ui.OnClose = mv.confirmClose
	wz.ui.leaving = func() { wz.ui.OnClose = nil }
	top := container.NewVBox(title, warn, mv.bar, mv.counts, mv.rate, mv.current,
		widget.NewLabelWithStyle(i18n.T("migrate.log"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	return wz.frame(container.NewBorder(top, nil, nil, nil, mv.logList), mv.pauseBtn, cancelBtn, mv.startBtn)
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

// onProgress runs on the engine's goroutine; the UI is updated through fyne.Do.
func (mv *migrateView) onProgress(p migrate.Progress) {
	mv.wz.ui.do(func() {
		mv.showCounts(p.Done, p.Failed, p.Remaining)
		eta := "—"
		if p.ETA > 0 {
			eta = p.ETA.Round(time.Second).String()
		}
		mv.rate.SetText(i18n.Tf("migrate.rate", p.Rate, eta, i18n.T("migrate.phase_"+p.Phase)))
		if p.Current != "" {
			mv.current.SetText(i18n.Tf("migrate.current", p.Current))
		}
		switch {
		case p.Paused && !mv.lastPaused:
			mv.addLog(i18n.T("migrate.paused"))
		case p.Phase != mv.lastPhase:
			mv.addLog(fmt.Sprintf("%s %d/%d", i18n.T("migrate.phase_"+p.Phase), p.Done, p.Total))
		case p.Failed > mv.lastFailed:
			mv.addLog(i18n.Tf("migrate.failed_more", p.Failed-mv.lastFailed, p.Current))
		}
		mv.lastPhase, mv.lastFailed, mv.lastPaused = p.Phase, p.Failed, p.Paused
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
	mv.startBtn.Disable()
	mv.pauseBtn.Enable()
	mv.addLog(i18n.T("migrate.started"))
	opt := migrate.Options{OnProgress: mv.onProgress, ProgressEvery: 250 * time.Millisecond}
	done := mv.done
	run := wz.flow.Run
	if retryFailed {
		run = wz.flow.RetryFailed
	}
	wz.ui.background(func() {
		defer close(done)
		// The engine is handed to the UI thread, which alone reads mv.engine.
		res, err := run(ctx, opt, func(e *migrate.Engine) { wz.ui.do(func() { mv.engine = e }) })
		wz.ui.do(func() {
			mv.running = false
			mv.engine = nil
			if errors.Is(err, migrate.ErrInterrupted) {
				mv.addLog(i18n.T("migrate.interrupted"))
				mv.startBtn.Enable()
				mv.pauseBtn.Disable()
				return
			}
			if err != nil {
				mv.addLog("✗ " + explain(err))
				mv.startBtn.Enable()
				mv.pauseBtn.Disable()
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
	e := mv.engine
	if e == nil {
		return
	}
	if e.Paused() {
		e.Resume()
		mv.pauseBtn.SetText(i18n.T("migrate.pause"))
		mv.addLog(i18n.T("migrate.resumed"))
	} else {
		e.Pause()
		mv.pauseBtn.SetText(i18n.T("migrate.continue"))
	}
}

// stop interrupts the run safely: operations in flight finish, the journal
// is flushed, and Resume (now or after a restart) continues.
func (mv *migrateView) stop() {
	if mv.cancel != nil && mv.running {
		mv.cancel()
	}
}

// confirmClose asks before the window closes during a migration; closing
// stops the run safely first.
func (mv *migrateView) confirmClose() bool {
	if !mv.running {
		return true
	}
	dialog.ShowConfirm(i18n.T("migrate.close_title"), i18n.T("migrate.close_msg"), func(ok bool) {
		if !ok {
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
