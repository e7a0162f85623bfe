package gui

import (
	"image/color"
	"reflect"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// wheelRows is how many rows one click of a mouse wheel scrolls the
// contacts table, as in a spreadsheet.
const wheelRows = 3

// driverScrollStep is how far the desktop driver moves per wheel click
// (Fyne's GL driver: 25 px, 10 on macOS, where deltas come from a touchpad
// in fine steps already).
func driverScrollStep() float32 {
	if runtime.GOOS == "darwin" {
		return 10
	}
	return 25
}

// wheelScroller lies over the contacts table and takes its wheel and
// touchpad scrolling: Fyne moves 25 px per click, less than one row, so 30
// clicks crossed 19 rows of 100,000. Taps, hovers and drags go through to
// the table (the scroller is only Scrollable).
type wheelScroller struct {
	widget.BaseWidget
	table *widget.Table
	rowH  float32
	// off is the offset last set here, used if the table's own cannot be
	// read.
	off fyne.Position
}

func newWheelScroller(t *widget.Table, rowHeight float32) *wheelScroller {
	w := &wheelScroller{table: t, rowH: rowHeight}
	w.ExtendBaseWidget(w)
	return w
}

// CreateRenderer draws nothing.
func (w *wheelScroller) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

// Scrolled scrolls the table wheelRows rows per wheel click.
func (w *wheelScroller) Scrolled(ev *fyne.ScrollEvent) {
	f := wheelRows * w.rowH / driverScrollStep()
	off := w.offset()
	next := fyne.NewPos(max(0, off.X-ev.Scrolled.DX*f), max(0, off.Y-ev.Scrolled.DY*f))
	w.table.ScrollToOffset(next)
	w.off = w.offset()
}

// offset is the table's scroll offset. Fyne keeps it unexported (there is
// ScrollToOffset but no getter); reading it keeps the wheel in step with
// scroll bars and ScrollTo.
func (w *wheelScroller) offset() fyne.Position {
	v := reflect.ValueOf(w.table).Elem().FieldByName("offset")
	if !v.IsValid() || v.NumField() != 2 || v.Field(0).Kind() != reflect.Float32 {
		return w.off
	}
	return fyne.NewPos(float32(v.Field(0).Float()), float32(v.Field(1).Float()))
}
