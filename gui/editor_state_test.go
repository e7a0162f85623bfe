package gui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/editor"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/sheet"
)

// rowsMissingAccount is n rows whose mobile is unusable (an error each).
func rowsMissingAccount(n int) *contacts.Directory {
	d := &contacts.Directory{}
	for i := 0; i < n; i++ {
		d.Members = append(d.Members, contacts.Member{Row: i + 2, Name: fmt.Sprintf("成员%d", i), Mobile: "12345", Account: fmt.Sprintf("m%d", i),
			Departments: []string{"研发部"}, BizMail: fmt.Sprintf("m%d@example.com", i)})
	}
	return d
}

func col(f contacts.Field) int {
	for i, g := range contacts.Fields {
		if g == f {
			return i
		}
	}
	return -1
}

// The value bar, its note and the selection follow delete, undo, replace
// and fixes: nothing shown belongs to a row that is gone or changed.
func TestEditorNeverShowsStaleState(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, rowsMissingAccount(3))
	cv := wz.contacts
	acc := col(contacts.FieldMobile)
	cv.table.Select(widget.TableCellID{Row: 0, Col: acc})
	if !cv.cellNote.Visible() {
		t.Fatal("no note for the selected cell's error")
	}
	if !strings.Contains(cv.next.Text, "3") || !cv.next.Disabled() {
		t.Fatalf("next button %q (disabled %v) does not say 3 errors remain", cv.next.Text, cv.next.Disabled())
	}
	// Fix it with the bar's save button: the note goes, the bar stays.
	cv.bar.SetText("13800000000")
	cv.commitMove(0, 0)
	if cv.cellNote.Visible() {
		t.Fatalf("note %q stays after the problem was fixed", cv.cellNote.Text)
	}
	// Delete the selected row: the bar no longer shows it, and says so.
	cv.table.Select(widget.TableCellID{Row: 1, Col: col(contacts.FieldName)})
	if cv.bar.Text != "成员1" {
		t.Fatalf("bar %q", cv.bar.Text)
	}
	cv.deleteRow()
	if cv.bar.Text == "成员1" || cv.sel.Row >= 0 {
		t.Fatalf("bar %q, selection %+v after deleting the row", cv.bar.Text, cv.sel)
	}
	if !cv.status.Visible() || !strings.Contains(cv.status.Text, "撤销") {
		t.Fatalf("delete said %q", cv.status.Text)
	}
	// Undo a fix while its cell is selected: the bar shows the value back.
	cv.table.Select(widget.TableCellID{Row: 0, Col: acc})
	cv.undo() // the delete
	cv.undo() // the fix of row 2
	if cv.bar.Text != "12345" || !cv.cellNote.Visible() {
		t.Fatalf("after undoing the fix the bar shows %q, note visible %v", cv.bar.Text, cv.cellNote.Visible())
	}
	// Replace the sheet: nothing of the old sheet stays in the bar.
	cv.table.Select(widget.TableCellID{Row: 2, Col: col(contacts.FieldName)})
	d := twoRows()
	cv.replace(editor.New(d, cv.model.Index().Options()), d)
	if cv.sel.Row >= 0 || cv.bar.Text != "" {
		t.Fatalf("after replace: selection %+v, bar %q", cv.sel, cv.bar.Text)
	}
	var shown string
	walk(cv.table, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.Text == "张三" {
			shown = l.Text
		}
	})
	if shown == "" {
		t.Fatal("the new sheet's first row is not drawn after replace")
	}
}

// With 「只看有问题的行」 on, Enter after a fix goes to the next row still
// shown (the fixed row leaves the view; it used to skip one).
func TestEditorFilterEnterGoesToNextShownRow(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, rowsMissingAccount(4))
	cv := wz.contacts
	cv.onlyBad.SetChecked(true)
	acc := col(contacts.FieldMobile)
	cv.table.Select(widget.TableCellID{Row: 0, Col: acc}) // sheet row 2
	cv.bar.SetText("13800000000")
	cv.bar.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if cv.selRow != 3 {
		t.Fatalf("Enter went to sheet row %d, want 3 (the next row still shown)", cv.selRow)
	}
}

// Page Down, Ctrl+End, Ctrl+Home and the arrows on the table move the
// selection and the value bar with it, as in a spreadsheet.
func TestEditorSpreadsheetKeys(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, rowsMissingAccount(60))
	cv := wz.contacts
	name := col(contacts.FieldName)
	cv.table.Select(widget.TableCellID{Row: 0, Col: name})
	cv.bar.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	if cv.sel.Row < 5 || cv.bar.Text != fmt.Sprintf("成员%d", cv.sel.Row) {
		t.Fatalf("Page Down: selection %+v, bar %q", cv.sel, cv.bar.Text)
	}
	cv.bar.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyEnd, Modifier: fyne.KeyModifierControl})
	if cv.sel.Row != 59 || cv.bar.Text != "成员59" {
		t.Fatalf("Ctrl+End: selection %+v, bar %q", cv.sel, cv.bar.Text)
	}
	cv.table.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyHome, Modifier: fyne.KeyModifierControl})
	if cv.sel.Row != 0 || cv.bar.Text != "成员0" {
		t.Fatalf("Ctrl+Home: selection %+v, bar %q", cv.sel, cv.bar.Text)
	}
	cv.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	cv.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if cv.sel != (widget.TableCellID{Row: 1, Col: name + 1}) {
		t.Fatalf("arrows on the table: selection %+v", cv.sel)
	}
	cv.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	if cv.bar.Text != "成员1" {
		t.Fatalf("arrows on the table left the bar at %q", cv.bar.Text)
	}
}

// A new project's empty editor says to import.
func TestEditorEmptySaysImport(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, &contacts.Directory{})
	cv := wz.contacts
	if !cv.status.Visible() || !strings.Contains(cv.status.Text, "导入") {
		t.Fatalf("empty editor says %q", cv.status.Text)
	}
	if !strings.Contains(cv.next.Text, "导入") {
		t.Fatalf("next button says %q", cv.next.Text)
	}
}

// stepUntil runs the queued UI updates one at a time until cond holds,
// so a test sees each state the screen goes through.
func stepUntil(t *testing.T, ui *UI, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case fn := <-ui.updates:
			fn()
		case <-time.After(time.Until(deadline)):
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// An import shows the sheet's first rows while the rest is read and
// checked, with a bar that counts the rows; meanwhile nothing can leave
// the editor with the partial sheet; then the whole sheet replaces the
// previous one (after asking) and can be edited.
func TestImportShowsFirstRowsThenAll(t *testing.T) {
	const n = 20000
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, twoRows())
	cv := wz.contacts
	path := filepath.Join(t.TempDir(), "新表.xlsx")
	must(t, sheet.WriteUploadFile(path, sample.Company(n, 1), contacts.Options{}))
	prev := cv.model
	cv.importFile(path)
	run := cv.importing
	if run == nil || !prev.ReadOnly() || !strings.Contains(labels(ui.Win.Content()), "正在导入「新表.xlsx」") {
		t.Fatalf("no import bar, or the previous sheet editable during the import:\n%s", labels(ui.Win.Content()))
	}
	stepUntil(t, ui, "the first rows", func() bool { return run.shown > 0 })
	if cv.importing != run || cv.model.Index().Len() != sheet.DefaultFirstRows || !cv.model.ReadOnly() {
		t.Fatalf("first rows: importing %v, %d rows, read-only %v", cv.importing != nil, cv.model.Index().Len(), cv.model.ReadOnly())
	}
	if !strings.Contains(labels(ui.Win.Content()), fmt.Sprintf("已显示前 %d 行", sheet.DefaultFirstRows)) {
		t.Fatalf("the bar does not say the first rows are shown:\n%s", labels(ui.Win.Content()))
	}
	// Clicks meanwhile go nowhere: next, export and import are off.
	for _, text := range []string{cv.next.Text, "导出", "导入通讯录"} {
		if b := findButton(t, ui.Win.Content(), text); !b.Disabled() {
			t.Fatalf("%q can be clicked while the sheet is read", text)
		}
	}
	cv.ready() // as Enter or a queued click would
	if wz.contacts != cv || cv.importing != run {
		t.Fatal("the partial sheet left the editor")
	}
	// The rows read are counted as they come.
	stepUntil(t, ui, "a count of rows", func() bool {
		_, done, _, _ := run.prog.read()
		return done > 0 && strings.Contains(run.detail.Text, "行")
	})
	waitFor(t, ui, "the replace question", func() bool {
		top := ui.Win.Canvas().Overlays().Top()
		return top != nil && strings.Contains(labels(top), fmt.Sprint(n))
	})
	tapDialog(t, ui, "是", "Yes")
	if cv.importing != nil || cv.model.Index().Len() != n || cv.model.ReadOnly() || findButton(t, ui.Win.Content(), "导入通讯录").Disabled() {
		t.Fatalf("after the import: %d rows, read-only %v", cv.model.Index().Len(), cv.model.ReadOnly())
	}
	if !strings.Contains(cv.status.Text, fmt.Sprint(n)) {
		t.Fatalf("status %q", cv.status.Text)
	}
}

// Cancel stops the read itself and puts the previous sheet back as it was,
// editable; so does leaving the screen; a sheet refused keeps it too.
func TestImportCancels(t *testing.T) {
	const n = 100000
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, twoRows())
	cv := wz.contacts
	path := filepath.Join(t.TempDir(), "新表.csv")
	must(t, sheet.WriteCSVFile(path, sample.Company(n, 1)))
	prev := cv.model
	must(t, errOf(prev.Set(2, contacts.FieldPosition, "未保存的修改")))
	assertPrev := func(when string) {
		t.Helper()
		if cv.model != prev || prev.ReadOnly() || cv.importing != nil || prev.Index().Len() != 2 {
			t.Fatalf("%s: %d rows, read-only %v, importing %v", when, cv.model.Index().Len(), cv.model.ReadOnly(), cv.importing != nil)
		}
		if raw, _, _ := prev.Index().Member(2); raw.Position != "未保存的修改" {
			t.Fatalf("%s: the edit is gone: %+v", when, raw)
		}
	}
	// Cancelled once the first rows show, with the Cancel on the bar.
	cv.importFile(path)
	run := cv.importing
	stepUntil(t, ui, "the first rows", func() bool { return run.shown > 0 })
	test.Tap(findButton(t, ui.Win.Content(), "取消导入"))
	assertPrev("cancelled")
	if !strings.Contains(cv.status.Text, "已取消导入") || strings.Contains(labels(ui.Win.Content()), "正在导入") {
		t.Fatalf("after cancelling: status %q\n%s", cv.status.Text, labels(ui.Win.Content()))
	}
	waitFor(t, ui, "the read to stop", func() bool { ui.bg.Wait(); return true })
	ui.Pump()
	assertPrev("after the read stopped")
	phase, done, _, _ := run.prog.read()
	if done >= n || strings.Contains(phase, "检查") {
		t.Fatalf("the read went on after Cancel: %q, %d rows", phase, done)
	}
	if top := ui.Win.Canvas().Overlays().Top(); top != nil {
		t.Fatalf("a dialog is open after cancelling:\n%s", labels(top))
	}
	// Leaving the screen cancels too; the working copy keeps the edit.
	cv.importFile(path)
	run = cv.importing
	wz.ui.ShowProjects()
	waitFor(t, ui, "the read to stop", func() bool { ui.bg.Wait(); return true })
	ui.Pump()
	if _, done, _, _ := run.prog.read(); done >= n || cv.importing != nil {
		t.Fatalf("leaving the screen did not stop the import (%d rows read)", done)
	}
	d, _, err := ui.Store.Contacts(wz.project.ID)
	must(t, err)
	if len(d.Members) != 2 || d.Members[0].Position != "未保存的修改" {
		t.Fatalf("working copy after leaving mid-import: %d rows %+v", len(d.Members), d.Members)
	}
}

// A file that is not a contacts sheet is refused with the reason, and the
// previous sheet stays.
func TestImportRefusedKeepsSheet(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, twoRows())
	cv := wz.contacts
	prev := cv.model
	path := filepath.Join(t.TempDir(), "无表头.csv")
	must(t, os.WriteFile(path, []byte("a,b\n1,2\n"), 0o600))
	cv.importFile(path)
	waitFor(t, ui, "the refusal", func() bool { return cv.importing == nil && ui.Win.Canvas().Overlays().Top() != nil })
	if !strings.Contains(labels(ui.Win.Canvas().Overlays().Top()), "表头") || cv.model != prev || prev.ReadOnly() {
		t.Fatalf("refused import: read-only %v\n%s", prev.ReadOnly(), labels(ui.Win.Canvas().Overlays().Top()))
	}
}

func errOf(_ any, err error) error { return err }

// 30 wheel clicks move 90 rows (3 a click), not 19 as Fyne's 25 px a click.
func TestWheelScrollsRowsAtSpreadsheetSpeed(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, rowsMissingAccount(500))
	cv := wz.contacts
	// The driver gives the wheel to the last scrollable object under the
	// mouse in drawing order: the scroller over the table, not the table's
	// own scroll container.
	var order []fyne.CanvasObject
	walk(ui.Win.Content(), func(o fyne.CanvasObject) {
		if _, ok := o.(fyne.Scrollable); ok {
			order = append(order, o)
		}
	})
	wheelAt, tableScrollAt := -1, -1
	for i, o := range order {
		if o == fyne.CanvasObject(cv.wheel) {
			wheelAt = i
		}
	}
	walk(cv.table, func(o fyne.CanvasObject) {
		if _, ok := o.(fyne.Scrollable); ok && tableScrollAt < 0 {
			for i, p := range order {
				if p == o {
					tableScrollAt = i
				}
			}
		}
	})
	if wheelAt < 0 || tableScrollAt < 0 || wheelAt < tableScrollAt {
		t.Fatalf("the wheel scroller (at %d) is not drawn over the table's scroller (at %d)", wheelAt, tableScrollAt)
	}
	for i := 0; i < 30; i++ {
		cv.wheel.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -driverScrollStep())})
	}
	rows := cv.wheel.offset().Y / cv.wheel.rowH
	if rows < 85 || rows > 95 {
		t.Fatalf("30 wheel clicks moved %.1f rows, want about 90", rows)
	}
	for i := 0; i < 10; i++ {
		cv.wheel.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, driverScrollStep())})
	}
	if back := cv.wheel.offset().Y / cv.wheel.rowH; back < rows-32 || back > rows-28 {
		t.Fatalf("10 clicks back went from %.1f to %.1f rows", rows, back)
	}
	// The table's own scrolling (a jump) and the wheel agree.
	cv.table.ScrollToTop()
	cv.wheel.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, -driverScrollStep())})
	if r := cv.wheel.offset().Y / cv.wheel.rowH; r < 2.5 || r > 3.5 {
		t.Fatalf("one click after going to the top: %.1f rows", r)
	}
}

// A problem cut short in the list reads in full under the value bar once
// clicked, with its row shown.
func TestProblemReadsInFullWhenClicked(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, rowsMissingAccount(40))
	cv := wz.contacts
	last := len(cv.issueSet) - 1
	cv.issues.Select(last)
	p := cv.issueSet[last]
	if cv.selRow != p.Row {
		t.Fatalf("jumped to row %d, want %d", cv.selRow, p.Row)
	}
	if !cv.cellNote.Visible() || cv.cellNote.Text != problemText(p) {
		t.Fatalf("note %q, want the problem in full %q", cv.cellNote.Text, problemText(p))
	}
}
