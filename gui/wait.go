package gui

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/gui/i18n"
)

// waitProgress is what background work tells the wait dialog: the phase it
// is in and how far it got. Its methods may be called from any goroutine.
type waitProgress struct {
	mu          sync.Mutex
	phase       string
	done, total int
	pct         float64 // share of a file read, -1: not known
}

// Phase names what the work does now (a translated text).
func (p *waitProgress) Phase(s string) {
	p.mu.Lock()
	p.phase, p.done, p.total, p.pct = s, 0, 0, -1
	p.mu.Unlock()
}

// Fraction says how much of a file was read (0…1), when rows cannot be
// counted yet.
func (p *waitProgress) Fraction(f float64) {
	p.mu.Lock()
	p.pct = min(max(f, 0), 1)
	p.mu.Unlock()
}

// Count says how far the current phase got: done of total (total 0: unknown).
func (p *waitProgress) Count(done, total int) {
	p.mu.Lock()
	p.done, p.total = done, total
	p.mu.Unlock()
}

func (p *waitProgress) read() (phase string, done, total int, pct float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.phase, p.done, p.total, p.pct
}

// waitTick is how often the wait dialog shows the work's progress.
const waitTick = 200 * time.Millisecond

// wait runs work off the UI thread behind a modal dialog that says what is
// happening (title, the work's phase, rows done of total, seconds so far)
// and offers Cancel, which cancels ctx and drops the result. The modal
// takes the clicks made meanwhile, so none is queued into the next screen.
// then runs on the UI thread with work's error, unless cancelled.
func (ui *UI) wait(title string, work func(ctx context.Context, p *waitProgress) error, then func(error)) {
	ui.waitWith(title, true, work, then)
}

// waitWith is wait; without cancellable the dialog has no Cancel (a file
// being written is finished rather than left half-written).
func (ui *UI) waitWith(title string, cancellable bool, work func(ctx context.Context, p *waitProgress) error, then func(error)) {
	ctx, cancel := context.WithCancel(context.Background())
	prog := &waitProgress{pct: -1}
	phaseL := widget.NewLabel(i18n.T("wait.starting"))
	phaseL.Wrapping = wrapMode()
	countL := widget.NewLabel("")
	bar := widget.NewProgressBar()
	bar.Hide()
	busy := widget.NewProgressBarInfinite()
	var d dialog.Dialog
	cancelled := false
	cancelBtn := widget.NewButton(i18n.T("common.cancel"), func() {
		cancelled = true
		cancel()
		d.Hide()
	})
	if !cancellable {
		cancelBtn.Hide()
	}
	content := container.New(&fixedWidth{width: 420}, container.NewVBox(phaseL, bar, busy, countL, container.NewCenter(cancelBtn)))
	d = dialog.NewCustomWithoutButtons(title, content, ui.Win)
	d.Show()
	ui.waitForTest = d
	start := time.Now()
	show := func() {
		phase, done, total, pct := prog.read()
		if phase != "" {
			phaseL.SetText(phase)
		}
		secs := int(time.Since(start).Seconds())
		switch {
		case total == 0 && pct >= 0:
			busy.Hide()
			bar.Show()
			bar.SetValue(pct)
			countL.SetText(i18n.Tf("wait.read_share", int(pct*100), secs))
		case total > 0:
			busy.Hide()
			bar.Show()
			bar.SetValue(float64(done) / float64(total))
			countL.SetText(i18n.Tf("wait.count", done, total, secs))
		case done > 0:
			countL.SetText(i18n.Tf("wait.count_open", done, secs))
		default:
			countL.SetText(i18n.Tf("wait.seconds", secs))
		}
	}
	finished := make(chan struct{})
	ui.tick(finished, show) // the seconds count on even when the work says nothing
	ui.background(func() {
		err := work(ctx, prog)
		close(finished)
		ui.do(func() {
			defer cancel()
			if cancelled {
				return
			}
			d.Hide()
			if ui.waitForTest == d {
				ui.waitForTest = nil
			}
			then(err)
		})
	})
}

// tick runs show on the UI thread every waitTick until finished is closed.
func (ui *UI) tick(finished <-chan struct{}, show func()) {
	ui.background(func() {
		t := time.NewTicker(waitTick)
		defer t.Stop()
		for {
			select {
			case <-finished:
				return
			case <-t.C:
				ui.do(show)
			}
		}
	})
}
