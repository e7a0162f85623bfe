package gui

import (
	"time"

	"exmail-upgrade/core/session"
)

// openDemo creates a rehearsal project and opens it at step (one of
// session.DemoSteps, or "projects"), for walk-throughs and the screenshot
// script (--demo-step). At "migrate" the rehearsal target answers slowly so
// the migration can be seen running.
func (ui *UI) openDemo(step string) error {
	if step == "" || step == "projects" {
		_, err := session.NewRehearsal(ui.Store, time.Now())
		if err == nil {
			ui.ShowProjects()
		}
		return err
	}
	p, err := session.NewRehearsal(ui.Store, time.Now())
	if err != nil {
		return err
	}
	f, err := session.AdvanceRehearsal(ui.Store, p.ID, step) // at "migrate" the target answers slowly
	if err != nil {
		return err
	}
	if p, err = ui.Store.GetProject(p.ID); err != nil {
		return err
	}
	ui.openFlow(p, f)
	if wz := ui.wizardForTest; step == "migrate" && wz != nil && wz.migrate != nil {
		wz.migrate.start(false)
	}
	return nil
}
