package gui

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
)

// projectAtContacts creates a project whose target is confirmed (method
// new), holding dir, and opens it: the contacts editor shows.
func projectAtContacts(t testing.TB, ui *UI, dir *contacts.Directory, existing ...string) *wizard {
	t.Helper()
	var id string
	if len(existing) > 0 {
		id = existing[0]
	} else {
		p, err := ui.Store.CreateProject("测试公司")
		if err != nil {
			t.Fatal(err)
		}
		if err := ui.Store.SaveContacts(p.ID, dir); err != nil {
			t.Fatal(err)
		}
		id = p.ID
	}
	up, err := upgrade.Load(ui.Store, id)
	if err != nil {
		t.Fatal(err)
	}
	must(t, up.AcknowledgeNotice(upgrade.NoticeKeys()))
	must(t, up.ChooseMethod(upgrade.MethodNew))
	must(t, up.IdentifyTarget(upgrade.Target{Kind: "sim", CorpID: "wwsim", Name: "演练", Members: 0, Departments: 0}))
	for g, n := up.Confirmations(); g < n; g, n = up.Confirmations() {
		must(t, up.ConfirmTargetVia("test"))
	}
	ui.OpenProject(id)
	return ui.wizardForTest
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func twoRows() *contacts.Directory {
	return &contacts.Directory{Members: []contacts.Member{
		{Row: 2, Name: "张三", Account: "zhangsan", Mobile: "13800000001", Departments: []string{"研发部"}, BizMail: "zhangsan@example.com"},
		{Row: 3, Name: "李四", Account: "lisi", Mobile: "13800000001", Departments: []string{"研发部/后端组"}, BizMail: "lisi@example.com"},
	}}
}

func TestEditorFixDuplicateThenReady(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, twoRows())
	cv := wz.contacts
	if cv == nil {
		t.Fatal("contacts editor not open")
	}
	if c := cv.model.Index().Counts(); c.Error != 2 {
		t.Fatalf("want the duplicate mobile on both rows, counts %+v", c)
	}
	if !cv.next.Disabled() {
		t.Fatal("Next enabled while errors remain")
	}
	if !strings.Contains(cv.counts.Text, "错误 2") {
		t.Fatalf("counts label %q", cv.counts.Text)
	}
	// The problems list names the other row.
	if len(cv.issueSet) == 0 || !strings.Contains(problemText(cv.issueSet[0]), "另见第") {
		t.Fatalf("issues %+v", cv.issueSet)
	}
	// Tap the problem: the mobile cell of row 2 is selected.
	cv.issues.Select(0)
	if cv.sel.Col != 6 || cv.barLabel.Text != "第 2 行 · 手机" {
		t.Fatalf("selection %+v, bar %q", cv.sel, cv.barLabel.Text)
	}
	// Type a new mobile into the value bar and press Enter.
	cv.bar.SetText("")
	test.Type(cv.bar, "13900000002")
	cv.bar.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if c := cv.model.Index().Counts(); c.Error != 0 {
		t.Fatalf("errors remain after the edit: %+v %+v", c, cv.model.Issues())
	}
	if cv.next.Disabled() {
		t.Fatal("Next disabled with no errors")
	}
	// Undo brings the error back, redo removes it again.
	test.Tap(findButton(t, ui.Win.Content(), "撤销"))
	if cv.model.Index().Counts().Error != 2 {
		t.Fatal("undo did not restore the duplicate")
	}
	test.Tap(findButton(t, ui.Win.Content(), "重做"))
	if cv.model.Index().Counts().Error != 0 {
		t.Fatal("redo did not remove the duplicate")
	}
	// Ready: the snapshot is frozen and the stage advances.
	test.Tap(cv.next)
	if st := wz.up.Stage(); st != upgrade.StageContactsReady {
		t.Fatalf("stage %s", st)
	}
	d, _, _ := ui.Store.Contacts(wz.project.ID)
	if d.Members[0].Mobile != "13900000002" {
		t.Fatalf("edit not saved to the working copy: %+v", d.Members[0])
	}
}

func TestEditorFilterSearchAddDelete(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, twoRows())
	cv := wz.contacts
	test.Type(cv.search, "后端")
	if v := cv.model.View(); len(v) != 1 || v[0] != 3 {
		t.Fatalf("search view %v", v)
	}
	cv.search.SetText("")
	test.Tap(findButton(t, ui.Win.Content(), "添加行"))
	if cv.model.Index().Len() != 3 {
		t.Fatal("row not added")
	}
	// The new empty row has errors (name missing, …); filter shows it.
	test.Tap(cv.onlyBad)
	if v := cv.model.View(); len(v) != 3 {
		t.Fatalf("problem rows %v", v)
	}
	cv.onlyBad.SetChecked(false)
	cv.table.Select(widget.TableCellID{Row: 2, Col: 0})
	test.Tap(findButton(t, ui.Win.Content(), "删除行"))
	if cv.model.Index().Len() != 2 {
		t.Fatal("row not deleted")
	}
}

// The editor is read-only once migration has started.
func TestEditorReadOnlyWhenMigrating(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, twoRows())
	wz.contacts.model.SetReadOnly(true)
	if _, err := wz.contacts.model.Set(2, contacts.FieldName, "x"); err == nil {
		t.Fatal("edit accepted while read-only")
	}
}

// A large working copy opens with its first rows at once, read-only, and
// becomes the whole editable sheet when the rest has loaded.
func TestEditorOpensLargeSheetProgressively(t *testing.T) {
	ui := newTestUI(t)
	p, err := ui.Store.CreateProject("大公司")
	must(t, err)
	d := sample.Company(progressiveRows+1000, 3)
	must(t, session.SaveWorkingCopy(ui.Store, p.ID, d))
	wz := projectAtContacts(t, ui, nil, p.ID)
	cv := wz.contacts
	if cv.loadingRest == 0 {
		// The background load may already be done on a fast machine.
		if cv.model.Index().Len() != len(d.Members) {
			t.Fatalf("loaded %d rows", cv.model.Index().Len())
		}
		return
	}
	if cv.model.Index().Len() != session.HeadRows || !cv.model.ReadOnly() {
		t.Fatalf("first view: %d rows, read-only %v", cv.model.Index().Len(), cv.model.ReadOnly())
	}
	if !strings.Contains(labels(ui.Win.Content()), "正在加载其余") {
		t.Fatal("no loading note")
	}
	waitFor(t, ui, "the rest of the sheet", func() bool { return wz.contacts.loadingRest == 0 })
	cv = wz.contacts
	if cv.model.Index().Len() != len(d.Members) || cv.model.ReadOnly() {
		t.Fatalf("after load: %d rows, read-only %v", cv.model.Index().Len(), cv.model.ReadOnly())
	}
}

// An edit typed just before the window closes is saved (the autosaver
// has not run yet).
func TestEditSavedOnClose(t *testing.T) {
	a := test.NewTempApp(t)
	path := filepath.Join(t.TempDir(), "state.db")
	ui := New(a, Options{StatePath: path, Language: "zh", queueUpdates: true})
	wz := projectAtContacts(t, ui, twoRows())
	if _, err := wz.contacts.model.Set(2, contacts.FieldPosition, "总经理"); err != nil {
		t.Fatal(err)
	}
	id := wz.project.ID
	ui.Close()
	st, err := store.Open(path, store.Options{})
	must(t, err)
	defer st.Close()
	d, _, err := st.Contacts(id)
	must(t, err)
	if d.Members[0].Position != "总经理" {
		t.Fatalf("edit lost on close: %+v", d.Members[0])
	}
}

// The company's mail domains make business mail elsewhere an error; they
// are kept with the project and apply when it is opened again.
func TestEditorMailDomains(t *testing.T) {
	ui := newTestUI(t)
	d := twoRows()
	d.Members[1].Mobile = "13800000002"
	d.Members[1].BizMail = "lisi@other.cn"
	wz := projectAtContacts(t, ui, d)
	cv := wz.contacts
	if cv.model.Index().Counts().Error != 0 {
		t.Fatalf("errors before domains: %+v", cv.model.Issues())
	}
	if err := cv.setDomains("bad domain"); err == nil {
		t.Fatal("an invalid domain was accepted")
	}
	must(t, cv.setDomains("Example.com"))
	issues := cv.model.Issues()
	if len(issues) != 1 || issues[0].Code != "bizmail_domain" || issues[0].Row != 3 {
		t.Fatalf("issues %+v", issues)
	}
	ui.OpenProject(wz.project.ID)
	if got := ui.wizardForTest.contacts.model.Index().Options().Domains; len(got) != 1 || got[0] != "example.com" {
		t.Fatalf("domains not kept: %v", got)
	}
}

// The value bar drives the sheet from the keyboard: Enter/↓ commit and go
// down, ↑ up, Tab right, Esc puts the stored value back.
func TestEditorKeyboard(t *testing.T) {
	ui := newTestUI(t)
	wz := projectAtContacts(t, ui, twoRows())
	cv := wz.contacts
	cv.table.Select(widget.TableCellID{Row: 0, Col: 3}) // row 2, 职务
	key := func(k fyne.KeyName) { cv.bar.TypedKey(&fyne.KeyEvent{Name: k}) }
	test.Type(cv.bar, "经理")
	key(fyne.KeyTab)
	if cv.sel != (widget.TableCellID{Row: 0, Col: 4}) {
		t.Fatalf("Tab went to %+v", cv.sel)
	}
	if raw, _, _ := cv.model.Index().Member(2); raw.Position != "经理" {
		t.Fatalf("Tab did not commit: %+v", raw)
	}
	key(fyne.KeyDown)
	if cv.sel != (widget.TableCellID{Row: 1, Col: 4}) {
		t.Fatalf("Down went to %+v", cv.sel)
	}
	test.Type(cv.bar, "/前端组")
	key(fyne.KeyEscape)
	if cv.bar.Text != "研发部/后端组" {
		t.Fatalf("Esc left %q", cv.bar.Text)
	}
	key(fyne.KeyUp)
	if cv.sel != (widget.TableCellID{Row: 0, Col: 4}) {
		t.Fatalf("Up went to %+v", cv.sel)
	}
	if raw, _, _ := cv.model.Index().Member(3); raw.Departments[0] != "研发部/后端组" {
		t.Fatalf("Esc should not have committed: %+v", raw)
	}
	key(fyne.KeyUp) // first row: stays
	if cv.sel.Row != 0 {
		t.Fatalf("moved above the first row: %+v", cv.sel)
	}
}
