package session

import (
	"context"
	"fmt"
	"slices"
	"time"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecomsim"
)

// DemoSteps are the wizard steps a rehearsal can be advanced to for a
// walk-through or a screenshot, in flow order.
var DemoSteps = []string{"notice", "method", "target", "qr", "contacts", "plan", "migrate", "done"}

// DemoLatency is how slowly the rehearsal target answers when a rehearsal
// is advanced to "migrate", so the migration can be watched running.
const DemoLatency = 200 * time.Millisecond

// AdvanceRehearsal takes rehearsal project id to the start of step (one of
// DemoSteps) through its Flow, doing what a user would do before it: tick
// the notice, pick a method (bind for "qr", new otherwise), connect to the
// rehearsal target and confirm it, keep only the valid rows with safe fixes
// applied, plan and confirm, and for "done" run the migration. It returns
// the flow, with its connection open from "qr" on.
func AdvanceRehearsal(st *store.Store, id, step string) (*Flow, error) {
	idx := slices.Index(DemoSteps, step)
	if idx < 0 {
		return nil, fmt.Errorf("unknown step %q (one of %v)", step, DemoSteps)
	}
	f, err := OpenFlow(st, id)
	if err != nil {
		return nil, err
	}
	if err := advance(f, DemoSteps[:idx], step); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// advance walks f through the steps before step (those in past).
func advance(f *Flow, past []string, step string) error {
	at := func(s string) bool { return slices.Contains(past, s) }
	if at("notice") {
		if err := f.AcknowledgeNotice(upgrade.NoticeKeys()); err != nil {
			return err
		}
	}
	method := upgrade.MethodNew
	if step == "qr" {
		method = upgrade.MethodBind
	}
	if at("method") {
		if err := f.ChooseMethod(method); err != nil {
			return err
		}
	}
	if !at("target") {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t, err := f.CheckTarget(ctx, TargetConfig{Kind: upgrade.TargetSim}, "")
	if err != nil {
		return err
	}
	if err := f.IdentifyTarget(t); err != nil {
		return err
	}
	if step == "qr" {
		return nil
	}
	for n := 1; n > 0; {
		if n, err = f.ConfirmTarget("demo"); err != nil {
			return err
		}
	}
	if !at("contacts") {
		return nil
	}
	dir, _, err := f.Store.Contacts(f.ID)
	if err != nil {
		return err
	}
	clean := validRows(dir)
	if err := SaveWorkingCopy(f.Store, f.ID, clean); err != nil {
		return err
	}
	if _, err := f.FreezeContacts(clean, contactsOptions(f)); err != nil {
		return err
	}
	if !at("plan") {
		return nil
	}
	pl, checks, err := f.Plan(ctx)
	if err != nil {
		return err
	}
	if err := f.ConfirmPlan(pl, checks, f.Name); err != nil {
		return err
	}
	if step == "migrate" {
		if c := f.Connection(); c != nil && c.Sim != nil {
			c.Sim.SetKnobs(wecomsim.Knobs{Latency: DemoLatency})
		}
	}
	if !at("migrate") {
		return nil
	}
	_, err = f.Run(ctx, migrate.Options{}, nil)
	return err
}
