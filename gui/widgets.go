package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/gui/i18n"
)

// Small constructors the screens share.

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

func containerVBox(objs ...fyne.CanvasObject) *fyne.Container { return container.NewVBox(objs...) }

// widgetWrapped is a label that wraps at word boundaries.
func widgetWrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = wrapMode()
	return l
}

// tapArea shows content and calls onTap when a click lands on it outside
// any widget of its own (a card's text, its margins).
type tapArea struct {
	widget.BaseWidget
	content fyne.CanvasObject
	onTap   func()
}

func newTapArea(content fyne.CanvasObject, onTap func()) *tapArea {
	t := &tapArea{content: content, onTap: onTap}
	t.ExtendBaseWidget(t)
	return t
}

// CreateRenderer shows the content.
func (t *tapArea) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.content) }

// Tapped calls onTap.
func (t *tapArea) Tapped(*fyne.PointEvent) { t.onTap() }

// Cursor shows that the area can be clicked.
func (t *tapArea) Cursor() desktop.Cursor { return desktop.PointerCursor }

// newFileSave is Fyne's save dialog with its title and buttons in the
// app's language ("保存文件", not Fyne's "保存 文件").
func newFileSave(cb func(fyne.URIWriteCloser, error), w fyne.Window) *dialog.FileDialog {
	d := dialog.NewFileSave(cb, w)
	d.SetTitleText(i18n.T("file.save_title"))
	d.SetConfirmText(i18n.T("file.save"))
	d.SetDismissText(i18n.T("common.cancel"))
	return d
}

// newFileOpen is Fyne's open dialog with its title and buttons in the
// app's language.
func newFileOpen(cb func(fyne.URIReadCloser, error), w fyne.Window) *dialog.FileDialog {
	d := dialog.NewFileOpen(cb, w)
	d.SetTitleText(i18n.T("file.open_title"))
	d.SetConfirmText(i18n.T("file.open"))
	d.SetDismissText(i18n.T("common.cancel"))
	return d
}

// wrapMode is how long texts wrap in the current language. Chinese has no
// spaces between words, so word wrapping kept a whole clause together and
// broke lines after a lone Latin word ("…；RTX" then the rest); Chinese
// text breaks between any two characters instead, as Chinese is set.
func wrapMode() fyne.TextWrap {
	if i18n.Language() == i18n.Chinese {
		return fyne.TextWrapBreak
	}
	return fyne.TextWrapWord
}

// topThenRest lays out two objects, a scroll over top and the rest below
// it: the scroll is as tall as top needs but at most share of the height,
// the rest gets what remains (at least restMin). Neither asks the window
// to grow: a scroll in a border's top would get no height at all, and top
// itself in a box would push the window taller when it grows.
type topThenRest struct {
	top     fyne.CanvasObject
	share   float32
	restMin float32
}

func (l *topThenRest) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 2 {
		return
	}
	th := min(l.top.MinSize().Height, size.Height*l.share, max(size.Height-l.restMin, 0))
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, th))
	pad := theme.Padding()
	objs[1].Move(fyne.NewPos(0, th+pad))
	objs[1].Resize(fyne.NewSize(size.Width, max(size.Height-th-pad, 0)))
}

func (l *topThenRest) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w := float32(0)
	for _, o := range objs {
		w = max(w, o.MinSize().Width)
	}
	return fyne.NewSize(w, l.restMin+theme.Padding()+min(l.top.MinSize().Height, 80))
}
