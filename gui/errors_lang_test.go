package gui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// An English user reads a refused step in English only — the whole
// sentence, not the half a cut at " / " used to leave of TransitionError
// (whose Chinese holds 「」 and its own "/").
func TestErrorsShowInTheCurrentLanguageOnly(t *testing.T) {
	for _, lang := range []string{i18n.English, i18n.Chinese} {
		a := test.NewTempApp(t)
		ui := New(a, Options{StatePath: filepath.Join(t.TempDir(), "state.db"), Language: lang, queueUpdates: true})
		err := &upgrade.TransitionError{Action: "ConfirmPlan", From: upgrade.StageContactsReady, To: upgrade.StagePlanConfirmed,
			Err: upgrade.ErrNameMismatch}
		ui.showError(err)
		got := labels(ui.Win.Canvas().Overlays().Top())
		want := "ConfirmPlan: cannot go from contacts_ready to plan_confirmed: the typed company name does not match"
		if lang == i18n.Chinese {
			want = "ConfirmPlan：不能从「通讯录已就绪」到「迁移计划已确认」：输入的公司名与项目不一致"
		}
		if !strings.Contains(got, want) || strings.Contains(got, " / ") {
			t.Errorf("%s: dialog shows\n%s\nwant %q", lang, got, want)
		}
		ui.Close()
	}
}
