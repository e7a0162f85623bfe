package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// Small constructors the screens share.

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

func containerVBox(objs ...fyne.CanvasObject) *fyne.Container { return container.NewVBox(objs...) }

// widgetWrapped is a label that wraps at word boundaries.
func widgetWrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}
