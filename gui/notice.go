package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// showNotice shows the upgrade notice (升级须知): every point must be ticked
// before Next is enabled.
func (wz *wizard) showNotice() {
	wz.ui.show(func() fyne.CanvasObject {
		points := upgrade.NoticePoints()
		checks := make([]*widget.Check, len(points))
		next := widget.NewButton(i18n.T("common.next"), nil)
		next.Importance = widget.HighImportance
		update := func() {
			for _, c := range checks {
				if !c.Checked {
					next.Disable()
					return
				}
			}
			next.Enable()
		}
		box := container.NewVBox()
		for i, p := range points {
			// The text wraps beside the box: a long point must not widen the window.
			checks[i] = widget.NewCheck("", func(bool) { update() })
			box.Add(container.NewBorder(nil, nil, checks[i], nil, widgetWrapped(i18n.Pick(p.Text.Zh, p.Text.En))))
		}
		update()
		next.OnTapped = func() {
			var ticked []string
			for i, c := range checks {
				if c.Checked {
					ticked = append(ticked, points[i].Key)
				}
			}
			if err := wz.flow.AcknowledgeNotice(ticked); err != nil {
				wz.ui.showError(err)
				return
			}
			wz.showStage()
		}
		title := widget.NewLabelWithStyle(i18n.T("notice.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		intro := widget.NewLabel(i18n.T("notice.intro"))
		intro.Wrapping = wrapMode()
		changes := widget.NewLabel(i18n.T("notice.changes"))
		changes.Wrapping = wrapMode()
		acc := widget.NewAccordion(widget.NewAccordionItem(i18n.T("notice.changes_title"), changes))
		body := container.NewVScroll(container.NewVBox(title, intro, widget.NewSeparator(), box, acc))
		return wz.frame(body, next)
	})
}
