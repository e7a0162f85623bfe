package gui

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/session"
	"exmail-upgrade/core/store"
	"exmail-upgrade/gui/i18n"
)

// Options are the app's start-up settings from the command line.
type Options struct {
	StatePath string // bbolt state file; empty: the user's config folder
	Language  string // "zh", "en" or empty for the system default
	APIBase   string // WeCom API base URL for real targets; empty: the real service
	// DemoStep opens a new rehearsal project at this wizard step
	// (session.DemoSteps, or "projects"); for walk-throughs and screenshots.
	DemoStep string

	// queueUpdates makes UI updates from background work wait in a queue
	// that the caller runs (Pump) on its own goroutine, as the real driver
	// runs them on the main thread; the test driver would run them at once
	// on the background goroutine, racing the test.
	queueUpdates bool
}

// UI is the running app: its window, its state file and the screen shown.
type UI struct {
	App    fyne.App
	Win    fyne.Window
	Opt    Options
	Store  *store.Store // nil when the state file could not be opened
	screen func() fyne.CanvasObject
	// OnClose, when set, decides whether the window may close (the migration
	// screen asks first and pauses safely).
	OnClose func() bool
	// leaving, when set, is called once before the next screen replaces the
	// current one (a screen that holds a listener or a goroutine stops it).
	leaving func()
	// wizardForTest is the last opened project's wizard (tests drive it).
	wizardForTest *wizard
	// bg counts background work (target checks, plans, migrations) that
	// Close waits for before releasing the state file.
	bg sync.WaitGroup
	// updates holds UI updates when Options.queueUpdates is set.
	updates chan func()
}

// do runs fn on the UI thread: through fyne.Do, or queued for Pump.
func (ui *UI) do(fn func()) {
	if ui.updates != nil {
		ui.updates <- fn
		return
	}
	fyne.Do(fn)
}

// Pump runs the queued UI updates (Options.queueUpdates) and reports
// whether it ran any.
func (ui *UI) Pump() bool {
	ran := false
	for {
		select {
		case fn := <-ui.updates:
			fn()
			ran = true
		default:
			return ran
		}
	}
}

// background runs fn off the UI thread; Close waits for it.
func (ui *UI) background(fn func()) {
	ui.bg.Add(1)
	go func() {
		defer ui.bg.Done()
		fn()
	}()
}

// Run builds the main window on a and runs the app until it closes.
func Run(a fyne.App, opt Options) {
	ui := New(a, opt)
	ui.Win.ShowAndRun()
	ui.Close()
}

// New creates the UI and its main window (projects list first) without
// showing it, so tests can drive it with the test driver.
func New(a fyne.App, opt Options) *UI {
	a.Settings().SetTheme(Theme{})
	a.SetIcon(IconResource)
	l := opt.Language
	if l == "" {
		l = a.Preferences().StringWithFallback("language", i18n.SystemDefault())
	}
	i18n.SetLanguage(l)
	ui := &UI{App: a, Opt: opt}
	if opt.queueUpdates {
		ui.updates = make(chan func(), 4096)
	}
	ui.Win = a.NewWindow(i18n.T("app.title"))
	ui.Win.SetIcon(IconResource)
	ui.Win.Resize(fyne.NewSize(1100, 720))
	ui.Win.SetCloseIntercept(func() {
		if ui.OnClose == nil || ui.OnClose() {
			ui.Win.Close()
		}
	})
	if err := ui.openStore(); err != nil {
		ui.showFatal(err)
		return ui
	}
	ui.ShowProjects()
	if opt.DemoStep != "" {
		if err := ui.openDemo(opt.DemoStep); err != nil {
			ui.showError(err)
		}
	}
	return ui
}

func (ui *UI) openStore() error {
	path, err := session.StatePath(ui.Opt.StatePath) // the same rule as the CLI's --state
	if err != nil {
		return err
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return err
	}
	ui.Store = st
	return nil
}

// Close stops a running migration safely, waits (a bounded time) for
// background work, closes the target and releases the state file.
func (ui *UI) Close() {
	if wz := ui.wizardForTest; wz != nil {
		if wz.migrate != nil {
			wz.migrate.stop()
		}
		if wz.contacts != nil {
			wz.contacts.flush() // edits typed in the last seconds
		}
	}
	idle := make(chan struct{})
	go func() { ui.bg.Wait(); close(idle) }()
	deadline := time.After(30 * time.Second)
wait:
	for {
		select {
		case <-idle:
			break wait
		case <-deadline:
			break wait
		case fn := <-ui.updates: // a nil channel (no queue) is never ready
			fn()
		}
	}
	ui.Pump()
	if wz := ui.wizardForTest; wz != nil {
		_ = wz.flow.Close()
	}
	if ui.Store != nil {
		_ = ui.Store.Close()
		ui.Store = nil
	}
}

// showFatal replaces the window's content with an error the app cannot go
// past (the state file is held by another instance, or unreadable).
func (ui *UI) showFatal(err error) {
	msg := err.Error()
	if errors.Is(err, store.ErrLocked) {
		msg = i18n.T("app.already_open")
	}
	title := widget.NewLabelWithStyle(i18n.T("app.cannot_start"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	body := widget.NewLabelWithStyle(msg, fyne.TextAlignCenter, fyne.TextStyle{})
	body.Wrapping = fyne.TextWrapWord
	quit := widget.NewButton(i18n.T("app.quit"), func() { ui.Win.Close() })
	ui.Win.SetContent(container.NewCenter(container.NewVBox(title, body, container.NewCenter(quit))))
}

// show sets the screen built by build under the app's header bar; build is
// kept so a language switch can rebuild the same screen.
func (ui *UI) show(build func() fyne.CanvasObject) {
	if ui.leaving != nil {
		l := ui.leaving
		ui.leaving = nil
		l()
	}
	ui.screen = build
	ui.Win.SetTitle(i18n.T("app.title"))
	ui.Win.SetContent(container.NewBorder(ui.header(), nil, nil, nil, build()))
}

// header is the bar on top of every screen: title and the language switch.
func (ui *UI) header() fyne.CanvasObject {
	title := widget.NewLabelWithStyle(i18n.T("app.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	langSel := widget.NewSelect([]string{"中文", "English"}, nil)
	if i18n.Language() == i18n.Chinese {
		langSel.SetSelected("中文")
	} else {
		langSel.SetSelected("English")
	}
	langSel.OnChanged = func(s string) {
		l := i18n.English
		if s == "中文" {
			l = i18n.Chinese
		}
		if l == i18n.Language() {
			return
		}
		ui.SetLanguage(l)
	}
	return container.NewVBox(container.NewBorder(nil, nil, title, langSel), widget.NewSeparator())
}

// SetLanguage switches the UI language, remembers it and rebuilds the
// current screen.
func (ui *UI) SetLanguage(l string) {
	i18n.SetLanguage(l)
	ui.App.Preferences().SetString("language", i18n.Language())
	if ui.screen != nil {
		ui.show(ui.screen)
	}
}

// showError shows err in a dialog; core errors carry their own Chinese and
// English text.
func (ui *UI) showError(err error) {
	if err == nil {
		return
	}
	dialog.ShowError(fmt.Errorf("%s", explain(err)), ui.Win) // in the current language only
}
