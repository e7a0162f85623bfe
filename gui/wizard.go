package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// wizard is one open project: its flow (core/session), which decides which
// screen may come next and holds the target connection, and the project
// record.
type wizard struct {
	ui      *UI
	project store.Project
	flow    *session.Flow
	up      *upgrade.Upgrade // flow.Up, read for the stage and state only
	// contacts is the open contacts editor, if any (tests drive it).
	contacts *contactsView
	// plan is the last built plan screen (tests read it).
	plan *planView
	// building is the plan screen whose plan is being built, if any.
	building *planView
	// migrate is the migration screen, result the last run's outcome.
	migrate *migrateView
	result  *migrate.Result
	// resultRead is set once the journal was read for the done screen.
	resultRead bool
	// otherMailboxes counts the plan's other mailboxes for the done screen
	// (-1: not read yet).
	otherMailboxes int
	// correction is the open correction of failed members (tests drive it).
	correction *session.Correction
}

// OpenProject opens project id at the screen of its current stage.
func (ui *UI) OpenProject(id string) {
	p, err := ui.Store.GetProject(id)
	if err != nil {
		ui.showError(err)
		return
	}
	f, err := session.OpenFlow(ui.Store, id)
	if err != nil {
		ui.showError(err)
		return
	}
	ui.openFlow(p, f)
}

// openFlow shows project p driven by f (closing the previous project's
// connection).
func (ui *UI) openFlow(p store.Project, f *session.Flow) {
	if old := ui.wizardForTest; old != nil && old.flow != f {
		_ = old.flow.Close()
	}
	f.APIBase = ui.Opt.APIBase
	wz := &wizard{ui: ui, project: p, flow: f, up: f.Up, otherMailboxes: -1}
	ui.wizardForTest = wz
	wz.showStage()
}

// showStage shows the screen that belongs to the project's stage.
func (wz *wizard) showStage() {
	switch wz.up.Stage() {
	case upgrade.StageNew:
		wz.showNotice()
	case upgrade.StageNoticeAcknowledged:
		wz.showMethod()
	case upgrade.StageMethodChosen:
		wz.showTarget()
	case upgrade.StageTargetIdentified:
		if wz.up.State().Method == upgrade.MethodBind {
			wz.showQR()
		} else {
			wz.showTarget()
		}
	case upgrade.StageTargetConfirmed:
		wz.showContacts()
	case upgrade.StageContactsReady:
		wz.showPlan()
	case upgrade.StagePlanConfirmed, upgrade.StageMigrating:
		wz.showMigrate(true)
	case upgrade.StageFailedItems, upgrade.StageDone:
		wz.showDone()
	}
}

// steps are the wizard's steps as the progress strip shows them.
var steps = []string{"step.notice", "step.method", "step.target", "step.contacts", "step.plan", "step.migrate", "step.done"}

// stepIndex maps a stage to the step the user is on.
func stepIndex(s upgrade.Stage) int {
	switch s {
	case upgrade.StageNew:
		return 0
	case upgrade.StageNoticeAcknowledged:
		return 1
	case upgrade.StageMethodChosen, upgrade.StageTargetIdentified:
		return 2
	case upgrade.StageTargetConfirmed:
		return 3
	case upgrade.StageContactsReady:
		return 4
	case upgrade.StagePlanConfirmed, upgrade.StageMigrating, upgrade.StageFailedItems:
		return 5
	default:
		return 6
	}
}

// frame wraps a wizard screen: the project name, the step strip, the body
// and a bottom bar of buttons.
func (wz *wizard) frame(body fyne.CanvasObject, buttons ...fyne.CanvasObject) fyne.CanvasObject {
	back := widget.NewButtonWithIcon(i18n.T("wizard.projects"), theme.NavigateBackIcon(), func() {
		if pv := wz.building; pv != nil {
			pv.leave() // a plan being built stops reading the target
		}
		wz.ui.ShowProjects()
	})
	name := widget.NewLabelWithStyle(wz.project.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	cur := stepIndex(wz.up.Stage())
	strip := container.NewHBox()
	for i, k := range steps {
		l := widget.NewLabel(i18n.T(k))
		switch {
		case i < cur:
			l.Importance = widget.SuccessImportance
			l.SetText("✓ " + i18n.T(k))
		case i == cur:
			l.TextStyle = fyne.TextStyle{Bold: true}
			l.Importance = widget.HighImportance
		default:
			l.Importance = widget.LowImportance
		}
		strip.Add(l)
		if i < len(steps)-1 {
			strip.Add(widget.NewLabel("›"))
		}
	}
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, name), strip, widget.NewSeparator())
	bar := container.NewHBox(layoutSpacer())
	for _, b := range buttons {
		bar.Add(b)
	}
	return container.NewPadded(container.NewBorder(top, bar, nil, nil, body))
}
