package gui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/upgrade"
)

// TestWalkBindCorrectFailedMembers: a method-2 rehearsal whose target owns
// some of our mobiles unseen by the plan fails those members with 60104;
// the done screen says how many did not arrive and lists them first; the
// user corrects just those rows, confirms what changes, and the retry
// finishes with 0 failures — without "accept and finish".
func TestWalkBindCorrectFailedMembers(t *testing.T) {
	ui := newTestUI(t)
	wz := startBindRehearsal(t, ui)
	confirmPlanAndRun(t, ui, wz)
	if wz.up.Stage() != upgrade.StageFailedItems || wz.result == nil || wz.result.Failed == 0 {
		t.Fatalf("want failed members: stage %s result %+v", wz.up.Stage(), wz.result)
	}
	failed := wz.result.Failures
	text := labels(ui.Win.Content())
	want := fmt.Sprintf("完成，%d 项未迁移", wz.result.Failed)
	if !strings.Contains(text, want) || strings.Contains(text, "升级迁移完成") {
		t.Fatalf("done screen should say %q:\n%s", want, text)
	}
	if strings.Index(text, failed[0].Key) > strings.Index(text, "部门") && strings.Contains(text, "部门") {
		t.Fatalf("failures are not listed first:\n%s", text)
	}
	test.Tap(findButton(t, ui.Win.Content(), "修正失败成员"))
	c := wz.correction
	if c == nil || len(c.Rows()) != len(failed) {
		t.Fatalf("correction of %d failures: %+v", len(failed), c)
	}
	top := ui.Win.Canvas().Overlays().Top()
	// Each failed row's mobile entry holds its mobile: give it a new one.
	mobiles := map[string]bool{}
	for _, r := range c.Rows() {
		mobiles[c.Member(r).Mobile] = true
	}
	i := 0
	walk(top, func(o fyne.CanvasObject) {
		if e, ok := o.(*widget.Entry); ok && mobiles[e.Text] {
			i++
			e.SetText("")
			test.Type(e, fmt.Sprintf("1766666%04d", i))
		}
	})
	if i != len(failed) {
		t.Fatalf("%d mobile entries for %d failures:\n%s", i, len(failed), labels(top))
	}
	if n := c.Errors(); n != 0 {
		t.Fatalf("%d errors after the correction", n)
	}
	test.Tap(findButton(t, top, "查看修改并重试"))
	if txt := labels(ui.Win.Canvas().Overlays().Top()); !strings.Contains(txt, "1766666") || !strings.Contains(txt, failed[0].Key) {
		t.Fatalf("changes not shown:\n%s", txt)
	}
	tapDialog(t, ui, "Yes", "是")
	mv := wz.migrate
	if mv == nil || !mv.running {
		t.Fatal("the retry did not start")
	}
	waitFor(t, ui, "the retry", func() bool { return !mv.running }) // set with the result, on the UI thread
	if wz.up.Stage() != upgrade.StageDone || wz.result.Failed != 0 {
		t.Fatalf("after the correction: stage %s, failures %+v", wz.up.Stage(), wz.result.Failures)
	}
	waitFor(t, ui, "the done screen", func() bool { return labelsHave(ui, "升级迁移完成") })
	hist, err := wz.up.History()
	must(t, err)
	for _, e := range hist {
		if e.Action == "AcceptFailures" {
			t.Fatal("finished by accepting failures")
		}
	}
}

func labelsHave(ui *UI, s string) bool { return strings.Contains(labels(ui.Win.Content()), s) }
