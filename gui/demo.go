package gui

import (
	"path/filepath"
	"time"

	"exmail-upgrade/core/session"
	"exmail-upgrade/core/wecomsim"
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
	simPath := filepath.Join(filepath.Dir(ui.Store.Path()), "rehearsal", p.ID+".db")
	conn, err := session.AdvanceRehearsal(ui.Store, p.ID, simPath, step)
	if err != nil {
		return err
	}
	ui.OpenProject(p.ID)
	wz := ui.wizardForTest
	if wz == nil {
		return nil
	}
	wz.conn = conn
	if step == "migrate" && conn != nil && conn.Sim != nil {
		conn.Sim.SetKnobs(wecomsim.Knobs{Latency: 200 * time.Millisecond})
		if wz.migrate != nil {
			wz.migrate.start(false)
		}
	}
	if step == "plan" || step == "qr" {
		wz.showStage() // rebuild with the connection in place
	}
	return nil
}
