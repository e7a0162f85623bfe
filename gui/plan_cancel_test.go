package gui

import (
	"context"
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"exmail-upgrade/core/wecomsim"
)

// Leaving the plan's loading screen (「返回修改通讯录」) cancels the context
// of Flow.Plan: the slow target reads stop at once, the contacts step is
// shown, and no plan built from a half-read target is shown or stored.
func TestPlanLoadingBackCancelsTheReads(t *testing.T) {
	ui := newTestUI(t)
	must(t, ui.openDemo("plan"))
	wz := ui.wizardForTest
	waitFor(t, ui, "the first plan", func() bool { return wz.plan != nil && !wz.plan.loading })
	before, err := wz.flow.StoredPlan()
	must(t, err)

	// Every target call now takes 1 s: the plan takes seconds.
	wz.flow.Connection().Sim.SetKnobs(wecomsim.Knobs{Latency: time.Second})
	wz.plan = nil
	wz.showPlan()
	pv := wz.building
	if pv == nil || !pv.loading {
		t.Fatal("the plan is not loading")
	}
	time.Sleep(150 * time.Millisecond) // inside the first slow call
	tapped := time.Now()
	test.Tap(findButton(t, ui.Win.Content(), "返回修改通讯录"))
	select {
	case <-pv.done:
	case <-time.After(800 * time.Millisecond):
		t.Fatal("Flow.Plan still reads the target 0.8 s after leaving: the context was not cancelled")
	}
	took := time.Since(tapped)
	if !errors.Is(pv.planErr, context.Canceled) && pv.planErr != nil {
		t.Fatalf("Flow.Plan returned %v, not a cancellation", pv.planErr)
	}
	t.Logf("Flow.Plan returned %v after leaving (err %v)", took, pv.planErr)
	// The contacts step, and it stays: the late plan is not shown.
	for i := 0; i < 5; i++ {
		ui.Pump()
		time.Sleep(20 * time.Millisecond)
	}
	if wz.plan != nil {
		t.Fatal("a plan screen came up after leaving it")
	}
	if wz.contacts == nil || !wz.flow.ContactsEditable() {
		t.Fatalf("not back on the contacts step (stage %s)", wz.flow.Stage())
	}
	findButton(t, ui.Win.Content(), "通讯录已就绪，下一步")
	// No plan from the half-read target was stored.
	if after, err := wz.flow.StoredPlan(); err == nil && after.Hash() != before.Hash() {
		t.Fatal("a plan built during the cancelled read was stored")
	}
}
