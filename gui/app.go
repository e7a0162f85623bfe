package gui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
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
	// root is the window's content: the header bar, built once, over the
	// current screen's body. Keeping the header means a click queued while
	// a screen changes lands on a widget already on the canvas (a select
	// built in the same frame has no canvas yet, and its pop-up panics).
	root      *fyne.Container
	hdr       fyne.CanvasObject
	hdrTitle  *widget.Label
	langSel   *safeSelect
	hasScreen bool // root holds a screen body
	// waitForTest is the wait dialog shown, if any (tests read it).
	waitForTest dialog.Dialog
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

// ExitNoWindow is Run's exit code when no window can be opened.
const ExitNoWindow = 2

// Run builds the main window on a and runs the app until it closes, and
// returns the process exit code. Where no window can be opened (no
// display), it says so in one line on stderr instead of a driver panic.
func Run(a fyne.App, opt Options) int { return run(a, opt, os.Stderr, os.Getenv, runtime.GOOS) }

func run(a fyne.App, opt Options, stderr io.Writer, getenv func(string) string, goos string) int {
	if err := displayMissing(getenv, goos); err != nil {
		fmt.Fprintln(stderr, err)
		return ExitNoWindow
	}
	ui, err := newWindowed(a, opt)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitNoWindow
	}
	ui.Win.ShowAndRun()
	ui.Close()
	return 0
}

// errNoWindow starts the one-line message of a window that cannot open.
const errNoWindow = "无法打开窗口 / cannot open a window"

// displayMissing reports a Unix desktop session without any display to
// open a window on (an SSH login, a service, a container).
func displayMissing(getenv func(string) string, goos string) error {
	switch goos {
	case "windows", "darwin", "android", "ios", "js":
		return nil
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return fmt.Errorf("%s: 没有图形显示（DISPLAY 与 WAYLAND_DISPLAY 均未设置）；命令行用法见 --help / no display (neither DISPLAY nor WAYLAND_DISPLAY is set); see --help for the command line", errNoWindow)
	}
	return nil
}

// newWindowed is New, turning the graphics driver's panic when it cannot
// start (a display that does not answer) into an error. Other panics are
// bugs and go on.
func newWindowed(a fyne.App, opt Options) (ui *UI, err error) {
	defer func() {
		if r := recover(); r != nil {
			s := fmt.Sprint(r)
			if !strings.Contains(s, "GLFW") && !strings.Contains(s, "PlatformError") {
				panic(r)
			}
			ui, err = nil, fmt.Errorf("%s: %s", errNoWindow, strings.Join(strings.Fields(s), " "))
		}
	}()
	return New(a, opt), nil
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
	ui.Win.SetCloseIntercept(ui.requestClose)
	// Ctrl+Q and Cmd+Q close through the same safe path as the window's
	// close button (a running migration pauses and asks first).
	for _, m := range []fyne.KeyModifier{fyne.KeyModifierControl, fyne.KeyModifierSuper} {
		ui.Win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: m}, func(fyne.Shortcut) { ui.requestClose() })
	}
	if err := ui.openStore(); err != nil {
		ui.startFailed(err)
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

// requestClose closes the window unless the screen shown (a running
// migration) asks first.
func (ui *UI) requestClose() {
	if ui.OnClose == nil || ui.OnClose() {
		ui.Win.Close()
	}
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

// startFailed shows why the state file could not be opened: the recovery
// screen for a damaged file, else an error the app cannot go past.
func (ui *UI) startFailed(err error) {
	var de *store.DamagedError
	if errors.As(err, &de) {
		ui.showRecovery(de)
		return
	}
	ui.showFatal(err)
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
	body.Wrapping = wrapMode()
	quit := widget.NewButton(i18n.T("app.quit"), func() { ui.Win.Close() })
	// A wrapping label gets its width from its container: inside a centre
	// layout alone it would get its minimum, one word, and wrap on every
	// word. A fixed-width column holds it to readable lines.
	col := container.New(&fixedWidth{width: 560}, container.NewVBox(title, body, container.NewCenter(quit)))
	ui.hasScreen = false
	ui.Win.SetContent(container.NewCenter(col))
}

// fixedWidth lays its objects out stacked at one width (or the space
// given, when less), as tall as they need at that width.
type fixedWidth struct{ width float32 }

func (f *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (f *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		o.Resize(fyne.NewSize(f.width, o.MinSize().Height)) // wrapping labels measure at this width
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(f.width, h)
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
	ui.setBody(build())
}

// setBody puts body under the header, which stays the same object across
// screens.
func (ui *UI) setBody(body fyne.CanvasObject) {
	ui.Win.SetTitle(i18n.T("app.title"))
	if ui.hdr == nil {
		ui.hdr = ui.header()
	}
	if !ui.hasScreen {
		ui.root = container.NewBorder(ui.hdr, nil, nil, nil, body)
		ui.hasScreen = true
		ui.Win.SetContent(ui.root)
		return
	}
	ui.root.Objects = []fyne.CanvasObject{body, ui.hdr}
	ui.root.Refresh()
}

// header is the bar on top of every screen: title and the language switch.
func (ui *UI) header() fyne.CanvasObject {
	ui.hdrTitle = widget.NewLabelWithStyle(i18n.T("app.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ui.langSel = newSafeSelect([]string{"中文", "English"}, nil)
	ui.syncHeader()
	ui.langSel.OnChanged = func(s string) {
		l := i18n.English
		if s == "中文" {
			l = i18n.Chinese
		}
		if l == i18n.Language() {
			return
		}
		ui.SetLanguage(l)
	}
	return container.NewVBox(container.NewBorder(nil, nil, ui.hdrTitle, ui.langSel), widget.NewSeparator())
}

// syncHeader shows the current language in the header.
func (ui *UI) syncHeader() {
	ui.hdrTitle.SetText(i18n.T("app.title"))
	if i18n.Language() == i18n.Chinese {
		ui.langSel.SetSelected("中文")
	} else {
		ui.langSel.SetSelected("English")
	}
}

// SetLanguage switches the UI language, remembers it and rebuilds the
// current screen in place: the screen is not left, so what it holds (a
// QR session, an editor's autosave) carries on.
func (ui *UI) SetLanguage(l string) {
	i18n.SetLanguage(l)
	ui.App.Preferences().SetString("language", i18n.Language())
	if ui.hdr != nil {
		ui.syncHeader()
	}
	if ui.screen != nil && ui.hasScreen {
		ui.setBody(ui.screen())
	}
}

// safeSelect is a select that ignores a tap arriving before it is on a
// canvas (a click queued while the screen changed): the plain select would
// open its pop-up on no canvas and panic.
type safeSelect struct{ widget.Select }

func newSafeSelect(options []string, changed func(string)) *safeSelect {
	s := &safeSelect{}
	s.Options, s.OnChanged = options, changed
	s.PlaceHolder = i18n.T("common.choose")
	s.ExtendBaseWidget(s)
	return s
}

// onCanvas tells whether the select is on a canvas a pop-up can open on.
func (s *safeSelect) onCanvas() bool {
	return fyne.CurrentApp().Driver().CanvasForObject(s) != nil
}

// Tapped opens the options, once the select is on a canvas.
func (s *safeSelect) Tapped(e *fyne.PointEvent) {
	if s.onCanvas() {
		s.Select.Tapped(e)
	}
}

// TypedKey opens the options on Space or Enter, once on a canvas.
func (s *safeSelect) TypedKey(k *fyne.KeyEvent) {
	if s.onCanvas() {
		s.Select.TypedKey(k)
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
