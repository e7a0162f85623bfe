package session

import (
	"testing"

	"exmail-upgrade/core/text"
	"exmail-upgrade/core/upgrade"
)

// TestTextsInBothLanguages fails when something core says to a person
// exists in one language only: the errors a front end shows, every stage
// and method name (built from run-time values), every notice point.
func TestTextsInBothLanguages(t *testing.T) {
	check := func(what string, x text.T) {
		t.Helper()
		if !x.Complete() || x.Zh == x.En {
			t.Errorf("%s: %+v exists in one language only", what, x)
		}
	}
	for name, err := range map[string]error{"ErrNeedSecret": ErrNeedSecret, "ErrNotCorrectable": ErrNotCorrectable,
		"ErrNothingChanged": ErrNothingChanged, "ErrLocked": upgrade.ErrLocked, "ErrIllegalTransition": upgrade.ErrIllegalTransition,
		"ErrNoticeIncomplete": upgrade.ErrNoticeIncomplete, "ErrContactsHaveErrors": upgrade.ErrContactsHaveErrors,
		"ErrNameMismatch": upgrade.ErrNameMismatch, "ErrPlanMismatch": upgrade.ErrPlanMismatch, "ErrInvalidInput": upgrade.ErrInvalidInput} {
		check(name, text.Of(err))
	}
	for _, s := range upgrade.Stages {
		check("stage "+string(s), s.Text())
		check("refusal at "+string(s), text.Of(&upgrade.TransitionError{Action: "X", From: s, To: upgrade.StageDone, Err: upgrade.ErrLocked}))
	}
	for _, m := range []upgrade.Method{upgrade.MethodNew, upgrade.MethodBind} {
		check("method "+string(m), m.Text())
	}
	for _, p := range upgrade.NoticePoints() {
		check("notice "+p.Key, p.Text)
	}
	if _, err := ParseCount("x"); true {
		check("ParseCount", text.Of(err))
	}
	check("CanStart", text.Of(CanStart(nil, nil)))
	// A refusal shows in one language without cutting inside its own 「」/.
	te := text.Of(&upgrade.TransitionError{Action: "ConfirmPlan", From: upgrade.StageContactsReady, To: upgrade.StagePlanConfirmed, Err: upgrade.ErrNameMismatch})
	if te.En != "ConfirmPlan: cannot go from contacts_ready to plan_confirmed: the typed company name does not match" {
		t.Errorf("English refusal %q", te.En)
	}
}
