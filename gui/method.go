package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// showMethod lets the creator pick method 1 (open a new WeCom) or method 2
// (bind an existing WeCom), each with who should pick it.
func (wz *wizard) showMethod() {
	wz.ui.show(func() fyne.CanvasObject {
		chosen := wz.up.State().Method
		next := widget.NewButton(i18n.T("common.next"), nil)
		next.Importance = widget.HighImportance
		card := func(m upgrade.Method, title, who, steps string) (*widget.Check, fyne.CanvasObject) {
			pick := widget.NewCheck(i18n.T(title), nil)
			pick.Checked = chosen == m
			whoL := widget.NewLabel(i18n.T(who))
			whoL.Wrapping = wrapMode()
			stepsL := widget.NewLabel(i18n.T(steps))
			stepsL.Wrapping = wrapMode()
			// A click anywhere on the card picks its method, not only on the box.
			return pick, newTapArea(widget.NewCard("", "", container.NewVBox(pick, whoL, stepsL)), func() { pick.SetChecked(true) })
		}
		c1, card1 := card(upgrade.MethodNew, "method.new", "method.new_who", "method.new_steps")
		c2, card2 := card(upgrade.MethodBind, "method.bind", "method.bind_who", "method.bind_steps")
		sync := func() {
			if chosen == "" {
				next.Disable()
			} else {
				next.Enable()
			}
		}
		c1.OnChanged = func(on bool) {
			if on {
				chosen = upgrade.MethodNew
				c2.SetChecked(false)
			} else if chosen == upgrade.MethodNew {
				chosen = ""
			}
			sync()
		}
		c2.OnChanged = func(on bool) {
			if on {
				chosen = upgrade.MethodBind
				c1.SetChecked(false)
			} else if chosen == upgrade.MethodBind {
				chosen = ""
			}
			sync()
		}
		sync()
		next.OnTapped = func() {
			if err := wz.flow.ChooseMethod(chosen); err != nil {
				wz.ui.showError(err)
				return
			}
			wz.showTarget()
		}
		title := widget.NewLabelWithStyle(i18n.T("method.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		body := container.NewVScroll(container.NewVBox(title, container.NewGridWithColumns(2, card1, card2)))
		return wz.frame(body, next)
	})
}
