package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/store"
	"exmail-upgrade/gui/i18n"
)

// showRecovery is the screen shown instead of the projects list when the
// state file is damaged (de): it says what happened and offers each good
// last-good copy (newest first) and starting empty. Either way the damaged
// file is kept beside the state file (store.Restore, store.MoveAside), and
// the app goes on to the projects list.
func (ui *UI) showRecovery(de *store.DamagedError) {
	ui.show(func() fyne.CanvasObject { return ui.recoveryScreen(de) })
}

func (ui *UI) recoveryScreen(de *store.DamagedError) fyne.CanvasObject {
	title := widget.NewLabelWithStyle(i18n.T("recovery.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	body := widget.NewLabel(i18n.Tf("recovery.body", de.Path))
	body.Wrapping = wrapMode()
	detail := widget.NewLabelWithStyle(i18n.Tf("recovery.detail", de.Reason), fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	detail.Wrapping = wrapMode()
	items := []fyne.CanvasObject{title, body, detail}
	for i, b := range de.Backups {
		key := "recovery.restore_newest"
		if i > 0 {
			key = "recovery.restore_older"
		}
		btn := widget.NewButtonWithIcon(i18n.Tf(key, b.SavedAt.Local().Format("2006-01-02 15:04")), theme.HistoryIcon(), func() {
			aside, err := store.Restore(de.Path, b.Path)
			ui.recovered(aside, err)
		})
		if i == 0 {
			btn.Importance = widget.HighImportance
		}
		items = append(items, btn)
	}
	if len(de.Backups) == 0 {
		none := widget.NewLabel(i18n.T("recovery.no_backup"))
		none.Wrapping = wrapMode()
		items = append(items, none)
	}
	items = append(items,
		widget.NewButtonWithIcon(i18n.T("recovery.move_aside"), theme.ContentClearIcon(), func() {
			aside, err := store.MoveAside(de.Path)
			ui.recovered(aside, err)
		}),
		widget.NewButton(i18n.T("app.quit"), func() { ui.Win.Close() }))
	col := container.New(&fixedWidth{width: 600}, container.NewVBox(items...))
	return container.NewCenter(col)
}

// recovered opens the state after a restore or move aside (err: how that
// went) and goes on to the projects list, saying where the damaged file is.
func (ui *UI) recovered(aside string, err error) {
	if err != nil {
		ui.showError(err)
		return
	}
	if err := ui.openStore(); err != nil {
		ui.startFailed(err)
		return
	}
	ui.ShowProjects()
	if aside != "" {
		dialog.ShowInformation(i18n.T("recovery.title"), i18n.Tf("recovery.kept", aside), ui.Win)
	}
}
