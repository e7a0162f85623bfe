package session

import (
	"context"
	"fmt"
	"time"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
)

// DemoSteps are the wizard steps a rehearsal can be advanced to for a
// walk-through or a screenshot, in flow order.
var DemoSteps = []string{"notice", "method", "target", "qr", "contacts", "plan", "migrate", "done"}

// AdvanceRehearsal takes rehearsal project id to the start of step (one of
// DemoSteps), doing what a user would do before it: tick the notice, pick a
// method (bind for "qr", new otherwise), connect to the rehearsal target at
// simPath and confirm it, keep only the valid rows with safe fixes applied,
// plan and confirm, and for "done" run the migration. It returns the open
// connection for the steps that need one (nil before "qr").
func AdvanceRehearsal(st *store.Store, id, simPath, step string) (*Connection, error) {
	idx := -1
	for i, s := range DemoSteps {
		if s == step {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("unknown step %q (one of %v)", step, DemoSteps)
	}
	p, err := Open(st, id)
	if err != nil {
		return nil, err
	}
	at := func(s string) bool {
		for i := range DemoSteps[:idx] {
			if DemoSteps[i] == s {
				return true
			}
		}
		return false
	}
	if at("notice") {
		if err := p.Up.AcknowledgeNotice(upgrade.NoticeKeys()); err != nil {
			return nil, err
		}
	}
	method := upgrade.MethodNew
	if step == "qr" {
		method = upgrade.MethodBind
	}
	if at("method") {
		if err := p.Up.ChooseMethod(method); err != nil {
			return nil, err
		}
	}
	if !at("target") {
		return nil, nil
	}
	dir, _, err := st.Contacts(id)
	if err != nil {
		return nil, err
	}
	conn, err := Connect(TargetConfig{Kind: TargetSim, SimPath: simPath}, method, dir)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Connection, error) { conn.Close(); return nil, err }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t, err := conn.Identify(ctx, "")
	if err != nil {
		return fail(err)
	}
	if err := p.Up.IdentifyTarget(t); err != nil {
		return fail(err)
	}
	if step == "qr" {
		return conn, nil
	}
	for g, n := p.Up.Confirmations(); g < n; g, n = p.Up.Confirmations() {
		if err := p.Up.ConfirmTarget(); err != nil {
			return fail(err)
		}
	}
	if !at("contacts") {
		return conn, nil
	}
	clean := validRows(dir)
	if err := SaveWorkingCopy(st, id, clean); err != nil {
		return fail(err)
	}
	if _, err := p.Up.FreezeDirectory(clean, 0); err != nil {
		return fail(err)
	}
	if !at("plan") {
		return conn, nil
	}
	pl, checks, err := p.Plan(ctx, conn, plan.ReadOptions{})
	if err != nil {
		return fail(err)
	}
	if pl == nil {
		return fail(fmt.Errorf("plan: %+v", checks))
	}
	if err := p.ConfirmPlan(pl, p.Name); err != nil {
		return fail(err)
	}
	if !at("migrate") {
		return conn, nil
	}
	if _, err := p.Run(ctx, conn, migrate.Options{}, false, nil); err != nil {
		return fail(err)
	}
	return conn, nil
}
