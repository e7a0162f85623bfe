package gui

import (
	"fmt"
	"image/color"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/editor"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// autosaveEvery is how often the working copy is written while edits come in.
const autosaveEvery = 2 * time.Second

// Cell highlight colours by severity.
var (
	errorFill   = color.NRGBA{R: 0xE5, G: 0x39, B: 0x35, A: 0x55}
	warningFill = color.NRGBA{R: 0xFB, G: 0x8C, B: 0x00, A: 0x48}
	fixedFill   = color.NRGBA{R: 0x43, G: 0xA0, B: 0x47, A: 0x30}
	selectFill  = color.NRGBA{R: 0x1E, G: 0x6F, B: 0xD9, A: 0x50}
)

// contactsView is the contacts editor of one project.
type contactsView struct {
	wz       *wizard
	model    *editor.Model
	table    *sheetTable
	wheel    *wheelScroller // takes the wheel over the table
	issues   *widget.List
	issueSet []contacts.Problem
	counts   *widget.Label
	bar      *cellEntry // the selected cell's value ("formula bar")
	barLabel *widget.Label
	cellNote *widget.Label // the selected cell's problem, in full
	status   *widget.Label // what the last action did, or what to do first
	search   *widget.Entry
	onlyBad  *widget.Check
	next     *widget.Button
	undoBtn  *widget.Button
	redoBtn  *widget.Button
	typeBtn  *widget.Button     // one-click 成员邮箱 ⇄ 其他邮箱 (mailboxes.go)
	sel      widget.TableCellID // selected cell in view coordinates; Row -1: none
	selRow   int                // sheet row of the selection (sel.Row can point elsewhere after a change)
	saveMu   sync.Mutex
	stopSave chan struct{}
	// loadingRest is the full row count while only the first rows are
	// shown (a large sheet loading in the background); 0 once loaded.
	loadingRest int
	// importing is the file import under way (contacts_io.go), nil when none.
	importing *importRun
}

// busy reports whether the sheet shown is not yet the whole sheet (a large
// working copy loading, a file being imported): nothing may leave the
// editor with it then.
func (cv *contactsView) busy() bool { return cv.loadingRest > 0 || cv.importing != nil }

// progressiveRows is the size above which the editor opens with the first
// rows at once and loads the rest in the background.
const progressiveRows = 5000

// showContacts opens the contacts editor on the project's working copy.
func (wz *wizard) showContacts() {
	st, id := wz.ui.Store, wz.project.ID
	ro := !upgrade.ContactsEditable(wz.up.Stage())
	cv := &contactsView{wz: wz, sel: widget.TableCellID{Row: -1}}
	wz.contacts = cv
	domains, err := session.MailDomains(st, id)
	if err != nil {
		wz.ui.showError(err)
	}
	opts := contacts.Options{Domains: domains}
	if head, ok, err := session.LoadHead(st, id); err == nil && ok && head.Total > progressiveRows {
		cv.model = editor.New(&contacts.Directory{Members: head.Members}, opts)
		cv.model.SetReadOnly(true)
		cv.loadingRest = head.Total
		wz.ui.show(cv.build)
		wz.ui.background(func() {
			dir, _, err := st.Contacts(id)
			var m *editor.Model
			if err == nil && dir != nil {
				m = editor.New(dir, opts)
				m.SetReadOnly(ro)
			}
			wz.ui.do(func() {
				if err != nil {
					wz.ui.showError(err)
					return
				}
				if wz.contacts != cv {
					return // the user left meanwhile
				}
				cv.saveMu.Lock() // the autosaver reads both
				cv.loadingRest = 0
				cv.model = m
				cv.saveMu.Unlock()
				wz.ui.show(cv.build)
			})
		})
		return
	}
	dir, _, err := st.Contacts(id)
	if err != nil {
		wz.ui.showError(err)
		return
	}
	if dir == nil {
		dir = &contacts.Directory{}
	}
	cv.model = editor.New(dir, opts)
	cv.model.SetReadOnly(ro)
	wz.ui.show(cv.build)
}

func (cv *contactsView) build() fyne.CanvasObject {
	cv.startAutosave()
	cv.wz.ui.leaving = cv.leave
	ro := cv.model.ReadOnly()

	cv.table = newSheetTable(cv,
		func() (int, int) {
			// Fyne lays out every row of a table that has no size yet, and
			// makes a divider for each: 100,000 of them on a large sheet,
			// seconds of work and 140 MB kept each time the screen is built.
			if cv.table == nil || cv.table.Size().Height <= 0 {
				return 0, len(contacts.Fields)
			}
			return len(cv.model.View()), len(contacts.Fields)
		},
		func() fyne.CanvasObject {
			bg := canvas.NewRectangle(color.Transparent)
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return container.NewStack(bg, l)
		},
		cv.updateCell)
	cv.table.CreateHeader = func() fyne.CanvasObject {
		l := widget.NewLabel("100000") // sizes the row-number column
		l.TextStyle = fyne.TextStyle{Bold: true}
		return l
	}
	cv.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Row < 0 {
			l.SetText(contacts.Fields[id.Col].Header())
			return
		}
		if view := cv.model.View(); id.Row < len(view) {
			l.SetText(fmt.Sprint(view[id.Row]))
		}
	}
	widths := map[contacts.Field]float32{contacts.FieldName: 90, contacts.FieldAccount: 130, contacts.FieldDepartments: 200,
		contacts.FieldGender: 56, contacts.FieldMobile: 130, contacts.FieldEmail: 180, contacts.FieldBizMail: 200,
		contacts.FieldAddress: 160, contacts.FieldPosition: 110, contacts.FieldAlias: 80, contacts.FieldTelephone: 120,
		contacts.FieldMailboxType: 90}
	for i, f := range contacts.Fields {
		cv.table.SetColumnWidth(i, widths[f])
	}
	cv.table.OnSelected = cv.selectCell

	cv.bar = newCellEntry(cv)
	cv.bar.OnSubmitted = func(s string) { cv.commitMove(1, 0) }
	cv.barLabel = widget.NewLabel(i18n.T("contacts.no_cell"))
	saveCell := widget.NewButtonWithIcon("", theme.ConfirmIcon(), func() { cv.commitMove(0, 0) })
	if ro {
		cv.bar.Disable()
		saveCell.Disable()
	}
	cv.cellNote = widget.NewLabel("")
	cv.cellNote.Wrapping = wrapMode()
	cv.cellNote.Importance = widget.DangerImportance
	cv.cellNote.Hide()
	cv.status = widget.NewLabel("")
	cv.status.Wrapping = wrapMode()
	cv.status.Importance = widget.LowImportance
	cv.status.Hide()
	cv.typeBtn = cv.newTypeButton()
	barRow := container.NewVBox(container.NewBorder(nil, nil, cv.barLabel, container.NewHBox(cv.typeBtn, saveCell), cv.bar), cv.cellNote, cv.status)

	cv.search = widget.NewEntry()
	cv.search.SetPlaceHolder(i18n.T("contacts.search"))
	cv.search.OnChanged = func(string) { cv.applyFilter() }
	cv.onlyBad = widget.NewCheck(i18n.T("contacts.only_problems"), func(bool) { cv.applyFilter() })

	cv.issues = widget.NewList(
		func() int { return len(cv.issueSet) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis // the whole text shows in the value bar
			return container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), nil, l)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(cv.issueSet) {
				return
			}
			p := cv.issueSet[i]
			c := o.(*fyne.Container)
			c.Objects[0].(*widget.Label).SetText(problemText(p))
			icon := c.Objects[1].(*widget.Icon)
			if p.Severity == contacts.SeverityError {
				icon.SetResource(theme.ErrorIcon())
			} else {
				icon.SetResource(theme.WarningIcon())
			}
		})
	cv.issues.OnSelected = func(i widget.ListItemID) {
		if i < len(cv.issueSet) {
			cv.jumpTo(cv.issueSet[i])
		}
		cv.issues.UnselectAll()
	}

	cv.counts = widget.NewLabel("")
	cv.undoBtn = widget.NewButtonWithIcon(i18n.T("contacts.undo"), theme.ContentUndoIcon(), cv.undo)
	cv.redoBtn = widget.NewButtonWithIcon(i18n.T("contacts.redo"), theme.ContentRedoIcon(), cv.redo)
	addBtn := widget.NewButtonWithIcon(i18n.T("contacts.add_row"), theme.ContentAddIcon(), cv.addRow)
	delBtn := widget.NewButtonWithIcon(i18n.T("contacts.delete_row"), theme.ContentRemoveIcon(), cv.deleteRow)
	fixBtn := widget.NewButtonWithIcon(i18n.T("contacts.safe_fixes"), theme.ViewRefreshIcon(), cv.safeFixes)
	importBtn := widget.NewButtonWithIcon(i18n.T("contacts.import"), theme.FolderOpenIcon(), cv.importDialog)
	exportBtn := widget.NewButtonWithIcon(i18n.T("contacts.export"), theme.DocumentSaveIcon(), cv.exportMenu)
	domainBtn := widget.NewButtonWithIcon(i18n.T("contacts.domains"), theme.MailComposeIcon(), cv.domainsDialog)
	if ro {
		for _, b := range []*widget.Button{cv.undoBtn, cv.redoBtn, addBtn, delBtn, fixBtn, importBtn, domainBtn} {
			b.Disable()
		}
	}
	tools := container.NewHBox(importBtn, exportBtn, domainBtn, widget.NewSeparator(), fixBtn, cv.undoBtn, cv.redoBtn, addBtn, delBtn)
	filter := container.NewBorder(nil, nil, nil, cv.onlyBad, cv.search)
	// The tools and the filter on rows of their own keep the editor within
	// a laptop's width in both languages; the tools scroll sideways when
	// the window is narrower still.
	top := container.NewVBox(container.NewHScroll(tools), filter, barRow)
	if cv.busy() {
		exportBtn.Disable() // the sheet shown is not all of it yet
	}
	if cv.importing != nil {
		top.Add(cv.importBar(cv.importing))
	} else if cv.loadingRest > 0 {
		note := widget.NewLabel(i18n.Tf("contacts.loading_rest", cv.model.Index().Len(), cv.loadingRest))
		note.Importance = widget.WarningImportance
		top.Add(container.NewBorder(nil, nil, nil, widget.NewProgressBarInfinite(), note))
	} else if ro {
		note := widget.NewLabel(i18n.T("contacts.read_only"))
		note.Importance = widget.WarningImportance
		top.Add(note)
	}
	issuesBox := container.NewBorder(widget.NewLabelWithStyle(i18n.T("contacts.problems"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, cv.issues)
	cv.wheel = newWheelScroller(&cv.table.Table, cv.table.CreateCell().MinSize().Height)
	split := container.NewHSplit(container.NewStack(cv.table, cv.wheel), issuesBox)
	split.Offset = 0.72

	cv.next = widget.NewButton(i18n.T("contacts.ready"), cv.ready)
	cv.next.Importance = widget.HighImportance
	back := widget.NewButton(i18n.T("common.back"), cv.wz.showTarget) // leaving saves the edits
	if ro {
		back.Disable()
	}
	cv.installShortcuts()
	cv.refresh()
	body := container.NewBorder(top, nil, nil, nil, split)
	return cv.wz.frame(body, cv.counts, back, cv.next)
}

// problemText is one line of the problems list.
func problemText(p contacts.Problem) string {
	s := i18n.Tf("contacts.problem_line", p.Row, p.Column, i18n.Text(p.Text()))
	if p.Value != "" {
		s += " «" + p.Value + "»"
	}
	if len(p.Related) > 0 && !strings.Contains(p.Message, "另见") && !strings.Contains(p.Message, "also row") {
		var rows []string
		for _, r := range p.Related {
			rows = append(rows, fmt.Sprint(r))
		}
		s += " " + i18n.Tf("contacts.also_rows", strings.Join(rows, ", "))
	}
	return s
}

// updateCell fills one visible cell: its value, and a fill by the most
// severe problem of that cell.
func (cv *contactsView) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	c := o.(*fyne.Container)
	bg := c.Objects[0].(*canvas.Rectangle)
	l := c.Objects[1].(*widget.Label)
	view := cv.model.View()
	if id.Row >= len(view) || id.Col >= len(contacts.Fields) {
		l.SetText("")
		return
	}
	row, f := view[id.Row], contacts.Fields[id.Col]
	raw, _, _ := cv.model.Index().Member(row)
	l.SetText(raw.Get(f))
	fill := color.Color(color.Transparent)
	if p, ok := cv.model.CellProblem(row, f); ok {
		switch p.Severity {
		case contacts.SeverityError:
			fill = errorFill
		case contacts.SeverityWarning:
			fill = warningFill
		default:
			fill = fixedFill
		}
	}
	if id == cv.sel {
		fill = selectFill
	}
	if bg.FillColor != fill {
		bg.FillColor = fill
		bg.Refresh()
	}
}

// selectCell shows the selected cell in the value bar.
func (cv *contactsView) selectCell(id widget.TableCellID) {
	view := cv.model.View()
	if id.Row < 0 || id.Row >= len(view) || id.Col < 0 {
		return
	}
	cv.sel = id
	row, f := view[id.Row], contacts.Fields[id.Col]
	cv.selRow = row
	raw, _, _ := cv.model.Index().Member(row)
	cv.barLabel.SetText(i18n.Tf("contacts.cell", row, f.Header()))
	cv.bar.SetText(raw.Get(f))
	cv.showCellNote(row, f)
	cv.updateTypeButton(row)
	if !cv.model.ReadOnly() {
		cv.wz.ui.Win.Canvas().Focus(cv.bar)
	}
	cv.table.Refresh()
}

// showCellNote shows the full problem of the selected cell under the bar.
func (cv *contactsView) showCellNote(row int, f contacts.Field) {
	p, ok := cv.model.CellProblem(row, f)
	if !ok {
		cv.cellNote.Hide()
		return
	}
	cv.cellNote.SetText(problemText(p))
	if p.Severity == contacts.SeverityError {
		cv.cellNote.Importance = widget.DangerImportance
	} else {
		cv.cellNote.Importance = widget.WarningImportance
	}
	cv.cellNote.Show()
	cv.cellNote.Refresh()
}

// commitMove writes the value bar into the selected cell (when it changed)
// and moves the selection by dRow, dCol, staying inside the table.
func (cv *contactsView) commitMove(dRow, dCol int) {
	view := cv.model.View()
	if cv.sel.Row < 0 || cv.sel.Row >= len(view) {
		return
	}
	row, f := view[cv.sel.Row], contacts.Fields[cv.sel.Col]
	if raw, _, _ := cv.model.Index().Member(row); raw.Get(f) != cv.bar.Text && !cv.model.ReadOnly() {
		if _, err := cv.model.Set(row, f, cv.bar.Text); err != nil {
			cv.wz.ui.showError(err)
			return
		}
		cv.refresh()
	}
	cv.moveFrom(row, dRow, dCol)
}

// moveFrom moves the selection dRow rows and dCol columns from sheet row
// row, staying inside the table. When a filter hid row after an edit (its
// problem fixed under 「只看有问题的行」), the next row still shown counts
// as one step down.
func (cv *contactsView) moveFrom(row, dRow, dCol int) {
	view := cv.model.View()
	if len(view) == 0 || cv.sel.Col < 0 {
		return
	}
	idx := indexOf(view, row)
	if idx < 0 {
		idx = lowerBound(view, row) // where row was: the next row shown
		if dRow > 0 {
			dRow--
		}
	}
	next := widget.TableCellID{Row: min(max(idx+dRow, 0), len(view)-1), Col: min(max(cv.sel.Col+dCol, 0), len(contacts.Fields)-1)}
	if next == cv.sel && view[next.Row] == row {
		return
	}
	cv.table.Select(next)
	cv.showRow(next)
}

// moveTo selects the cell at view index r (clamped), same column.
func (cv *contactsView) moveTo(r int) {
	view := cv.model.View()
	if len(view) == 0 {
		return
	}
	col := max(cv.sel.Col, 0)
	next := widget.TableCellID{Row: min(max(r, 0), len(view)-1), Col: col}
	cv.commitBar()
	cv.table.Select(next)
	cv.showRow(next)
}

// commitBar writes the value bar into the selected cell when it changed.
func (cv *contactsView) commitBar() {
	view := cv.model.View()
	if cv.sel.Row < 0 || cv.sel.Row >= len(view) || cv.model.ReadOnly() {
		return
	}
	row, f := view[cv.sel.Row], contacts.Fields[cv.sel.Col]
	if raw, _, _ := cv.model.Index().Member(row); raw.Get(f) != cv.bar.Text {
		if _, err := cv.model.Set(row, f, cv.bar.Text); err != nil {
			cv.wz.ui.showError(err)
			return
		}
		cv.refresh()
	}
}

// pageRows is how many rows Page Up and Page Down move.
func (cv *contactsView) pageRows() int {
	h := cv.table.Size().Height
	return max(int(h/36)-2, 5)
}

// showRow scrolls id into view with the row above it too, so the sticky
// header never covers it.
func (cv *contactsView) showRow(id widget.TableCellID) {
	cv.table.ScrollTo(id)
	if id.Row > 0 {
		cv.table.ScrollTo(widget.TableCellID{Row: id.Row - 1, Col: id.Col})
	}
}

// lowerBound is the first index of rows holding a row number ≥ row.
func lowerBound(rows []int, row int) int {
	for i, r := range rows {
		if r >= row {
			return i
		}
	}
	return len(rows)
}

// cellEntry is the value bar: Enter and ↓ commit and go down, ↑ up, Tab
// right, Shift+Tab left, Esc puts the cell's value back — so a sheet can be
// corrected from the keyboard alone.
type cellEntry struct {
	widget.Entry
	cv *contactsView
}

func newCellEntry(cv *contactsView) *cellEntry {
	e := &cellEntry{cv: cv}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey handles the navigation keys and leaves the rest to the entry.
func (e *cellEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyDown:
		e.cv.commitMove(1, 0)
	case fyne.KeyUp:
		e.cv.commitMove(-1, 0)
	case fyne.KeyPageDown:
		e.cv.commitMove(e.cv.pageRows(), 0)
	case fyne.KeyPageUp:
		e.cv.commitMove(-e.cv.pageRows(), 0)
	case fyne.KeyTab:
		if d, ok := fyne.CurrentApp().Driver().(desktop.Driver); ok && d.CurrentKeyModifiers()&fyne.KeyModifierShift != 0 {
			e.cv.commitMove(0, -1)
		} else {
			e.cv.commitMove(0, 1)
		}
	case fyne.KeyEscape:
		e.cv.revertBar()
	default:
		e.Entry.TypedKey(k)
	}
}

// AcceptsTab keeps Tab in the bar (it moves to the next cell).
func (e *cellEntry) AcceptsTab() bool { return true }

// TypedShortcut takes Ctrl+Home and Ctrl+End (first and last row, as in a
// spreadsheet) and leaves the rest to the entry.
func (e *cellEntry) TypedShortcut(s fyne.Shortcut) {
	if e.cv.sheetShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// sheetShortcut handles Ctrl+Home and Ctrl+End (Cmd on macOS).
func (cv *contactsView) sheetShortcut(s fyne.Shortcut) bool {
	c, ok := s.(*desktop.CustomShortcut)
	if !ok || c.Modifier&(fyne.KeyModifierControl|fyne.KeyModifierSuper) == 0 {
		return false
	}
	switch c.KeyName {
	case fyne.KeyHome:
		cv.moveTo(0)
	case fyne.KeyEnd:
		cv.moveTo(len(cv.model.View()) - 1)
	default:
		return false
	}
	return true
}

// sheetTable is the editor's table: the keys that move a spreadsheet's
// selection move the selection (and the value bar with it), not only a
// focus box, also when the contacts are read-only and the bar is off.
type sheetTable struct {
	widget.Table
	cv *contactsView
}

func newSheetTable(cv *contactsView, length func() (int, int), create func() fyne.CanvasObject, update func(widget.TableCellID, fyne.CanvasObject)) *sheetTable {
	t := &sheetTable{cv: cv}
	t.Length, t.CreateCell, t.UpdateCell = length, create, update
	t.ShowHeaderRow, t.ShowHeaderColumn = true, true
	t.ExtendBaseWidget(t)
	return t
}

// TypedKey moves the selection with the arrows and Page Up/Down.
func (t *sheetTable) TypedKey(k *fyne.KeyEvent) {
	cv := t.cv
	if cv.sel.Row < 0 {
		if len(cv.model.View()) > 0 && (k.Name == fyne.KeyDown || k.Name == fyne.KeyPageDown) {
			cv.table.Select(widget.TableCellID{Row: 0, Col: 0})
			return
		}
		t.Table.TypedKey(k)
		return
	}
	switch k.Name {
	case fyne.KeyDown:
		cv.moveTo(cv.sel.Row + 1)
	case fyne.KeyUp:
		cv.moveTo(cv.sel.Row - 1)
	case fyne.KeyPageDown:
		cv.moveTo(cv.sel.Row + cv.pageRows())
	case fyne.KeyPageUp:
		cv.moveTo(cv.sel.Row - cv.pageRows())
	case fyne.KeyLeft, fyne.KeyRight:
		d := 1
		if k.Name == fyne.KeyLeft {
			d = -1
		}
		cv.moveFrom(cv.model.View()[cv.sel.Row], 0, d)
	default:
		t.Table.TypedKey(k)
	}
}

// TypedShortcut takes Ctrl+Home and Ctrl+End.
func (t *sheetTable) TypedShortcut(s fyne.Shortcut) { t.cv.sheetShortcut(s) }

// revertBar puts the selected cell's stored value back into the bar.
func (cv *contactsView) revertBar() {
	view := cv.model.View()
	if cv.sel.Row < 0 || cv.sel.Row >= len(view) {
		return
	}
	raw, _, _ := cv.model.Index().Member(view[cv.sel.Row])
	cv.bar.SetText(raw.Get(contacts.Fields[cv.sel.Col]))
}

// refresh redraws the visible cells and updates the problems list, the
// counts and the buttons.
func (cv *contactsView) refresh() {
	cv.issueSet = cv.model.Issues()
	c := cv.model.Index().Counts()
	cv.counts.SetText(i18n.Tf("contacts.counts", c.Error, c.Warning, c.Fixed, cv.model.Index().Len()))
	if c.Error > 0 {
		cv.counts.Importance = widget.DangerImportance
	} else {
		cv.counts.Importance = widget.SuccessImportance
	}
	cv.counts.Refresh()
	// The button says what it will do, or what is missing first.
	switch {
	case cv.busy():
		cv.next.SetText(i18n.T("contacts.ready_wait_load"))
		cv.next.Disable()
	case cv.model.Index().Len() == 0:
		cv.next.SetText(i18n.T("contacts.ready_need_rows"))
		cv.next.Disable()
		if !cv.model.ReadOnly() {
			cv.status.SetText(i18n.T("contacts.empty_hint"))
			cv.status.Show()
		}
	case c.Error > 0:
		cv.next.SetText(i18n.Tf("contacts.ready_need_fixes", c.Error))
		cv.next.Disable()
	default:
		cv.next.SetText(i18n.T("contacts.ready"))
		cv.next.Enable()
	}
	if cv.model.Index().Len() > 0 && cv.status.Text == i18n.T("contacts.empty_hint") {
		cv.status.Hide()
	}
	if cv.model.CanUndo() && !cv.model.ReadOnly() {
		cv.undoBtn.Enable()
	} else {
		cv.undoBtn.Disable()
	}
	if cv.model.CanRedo() && !cv.model.ReadOnly() {
		cv.redoBtn.Enable()
	} else {
		cv.redoBtn.Disable()
	}
	cv.syncSelection()
	cv.table.Refresh()
	cv.issues.Refresh()
}

// syncSelection makes the selection, the value bar and the note under it
// follow the model after any change (delete, undo, re-import, filter):
// the selected sheet row keeps its selection where it moved, and a row
// that is gone clears the bar instead of showing what it held.
func (cv *contactsView) syncSelection() {
	view := cv.model.View()
	idx := -1
	if cv.sel.Row >= 0 {
		idx = indexOf(view, cv.selRow)
	}
	if idx < 0 || cv.sel.Col < 0 || cv.sel.Col >= len(contacts.Fields) {
		if cv.sel.Row >= 0 {
			cv.sel = widget.TableCellID{Row: -1}
			cv.table.UnselectAll()
		}
		cv.barLabel.SetText(i18n.T("contacts.no_cell"))
		cv.bar.SetText("")
		cv.cellNote.Hide()
		return
	}
	cv.sel.Row = idx
	f := contacts.Fields[cv.sel.Col]
	raw, _, _ := cv.model.Index().Member(cv.selRow)
	cv.barLabel.SetText(i18n.Tf("contacts.cell", cv.selRow, f.Header()))
	if cv.bar.Text != raw.Get(f) {
		cv.bar.SetText(raw.Get(f))
	}
	cv.showCellNote(cv.selRow, f)
}

func (cv *contactsView) applyFilter() {
	cv.model.SetFilter(cv.onlyBad.Checked, cv.search.Text)
	cv.table.ScrollToTop()
	cv.refresh() // the selection stays on its row if the filter shows it
	if cv.sel.Row >= 0 {
		cv.showRow(cv.sel)
	}
}

// jumpTo selects the cell of a problem, clearing a filter that hides it.
func (cv *contactsView) jumpTo(p contacts.Problem) {
	idx := indexOf(cv.model.View(), p.Row)
	if idx < 0 {
		cv.search.SetText("")
		cv.onlyBad.SetChecked(false)
		cv.model.SetFilter(false, "")
		idx = indexOf(cv.model.View(), p.Row)
	}
	if idx < 0 {
		return
	}
	col := 0
	for i, f := range contacts.Fields {
		if f == p.Field {
			col = i
		}
	}
	id := widget.TableCellID{Row: idx, Col: col}
	cv.table.Select(id)
	cv.showRow(id)
	// The list cuts long entries; the note under the value bar shows the
	// one clicked in full.
	cv.cellNote.SetText(problemText(p))
	cv.cellNote.Show()
}

func indexOf(rows []int, row int) int {
	lo, hi := 0, len(rows)
	for lo < hi { // rows are in sheet order, which is ascending row numbers
		mid := (lo + hi) / 2
		if rows[mid] < row {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(rows) && rows[lo] == row {
		return lo
	}
	for i, r := range rows { // restored rows may break the order
		if r == row {
			return i
		}
	}
	return -1
}

func (cv *contactsView) undo() {
	if _, err := cv.model.Undo(); err != nil {
		cv.wz.ui.showError(err)
	}
	cv.refresh()
}

func (cv *contactsView) redo() {
	if _, err := cv.model.Redo(); err != nil {
		cv.wz.ui.showError(err)
	}
	cv.refresh()
}

func (cv *contactsView) addRow() {
	row, _, err := cv.model.Add(contacts.Member{})
	if err != nil {
		cv.wz.ui.showError(err)
		return
	}
	cv.refresh()
	if idx := indexOf(cv.model.View(), row); idx >= 0 {
		id := widget.TableCellID{Row: idx, Col: 0}
		cv.table.Select(id)
		cv.showRow(id)
	}
}

func (cv *contactsView) deleteRow() {
	view := cv.model.View()
	if cv.sel.Row < 0 || cv.sel.Row >= len(view) {
		dialog.ShowInformation(i18n.T("contacts.delete_row"), i18n.T("contacts.select_first"), cv.wz.ui.Win)
		return
	}
	row := view[cv.sel.Row]
	raw, _, _ := cv.model.Index().Member(row)
	if _, err := cv.model.Delete(row); err != nil {
		cv.wz.ui.showError(err)
		return
	}
	cv.refresh() // the deleted row's selection and value bar clear
	cv.status.SetText(i18n.Tf("contacts.deleted_row", row, raw.Name))
	cv.status.Show()
}

func (cv *contactsView) safeFixes() {
	n, err := cv.model.ApplySafeFixes()
	if err != nil {
		cv.wz.ui.showError(err)
		return
	}
	cv.refresh()
	dialog.ShowInformation(i18n.T("contacts.safe_fixes"), i18n.Tf("contacts.fixed_rows", n), cv.wz.ui.Win)
}

// ready freezes the contacts (safe fixes applied) and moves to the plan.
func (cv *contactsView) ready() {
	if c := cv.model.Index().Counts(); c.Error > 0 || cv.busy() {
		return
	}
	cv.flush()
	// with the mail groups and department order (mailboxes.go)
	if _, err := cv.wz.flow.FreezeContacts(cv.model.Fixed(), cv.model.Index().Options()); err != nil {
		cv.wz.ui.showError(err)
		return
	}
	cv.wz.showStage()
}

// installShortcuts binds Ctrl+F (search), Ctrl+Z (undo), Ctrl+Y and
// Ctrl+Shift+Z (redo) and Ctrl+S (export the upload-ready sheet).
func (cv *contactsView) installShortcuts() {
	c := cv.wz.ui.Win.Canvas()
	mod := fyne.KeyModifierShortcutDefault
	bind := func(k fyne.KeyName, m fyne.KeyModifier, fn func()) {
		sc := &desktop.CustomShortcut{KeyName: k, Modifier: m}
		c.RemoveShortcut(sc)
		c.AddShortcut(sc, func(fyne.Shortcut) { fn() })
	}
	bind(fyne.KeyF, mod, func() { c.Focus(cv.search) })
	bind(fyne.KeyZ, mod, cv.undo)
	bind(fyne.KeyY, mod, cv.redo)
	bind(fyne.KeyZ, mod|fyne.KeyModifierShift, cv.redo)
	bind(fyne.KeyS, mod, cv.exportUpload)
}

func (cv *contactsView) removeShortcuts() {
	c := cv.wz.ui.Win.Canvas()
	mod := fyne.KeyModifierShortcutDefault
	for _, sc := range []*desktop.CustomShortcut{{KeyName: fyne.KeyF, Modifier: mod}, {KeyName: fyne.KeyZ, Modifier: mod},
		{KeyName: fyne.KeyY, Modifier: mod}, {KeyName: fyne.KeyZ, Modifier: mod | fyne.KeyModifierShift}, {KeyName: fyne.KeyS, Modifier: mod}} {
		c.RemoveShortcut(sc)
	}
}

// startAutosave writes the working copy to the project every few seconds
// while there are unsaved edits, so nothing typed is ever lost.
func (cv *contactsView) startAutosave() {
	if cv.stopSave != nil {
		return
	}
	stop := make(chan struct{})
	cv.stopSave = stop
	go func() {
		wait := autosaveEvery
		for {
			select {
			case <-stop:
				return
			case <-time.After(wait):
				start := time.Now()
				cv.flush()
				// A large sheet takes seconds to write: keep saving from
				// taking more than a quarter of the time.
				wait = max(autosaveEvery, 3*time.Since(start))
			}
		}
	}()
}

// flush saves the working copy now if it has unsaved edits.
func (cv *contactsView) flush() {
	cv.saveMu.Lock()
	defer cv.saveMu.Unlock()
	if dirty, _ := cv.model.Dirty(); !dirty || cv.model.ReadOnly() || cv.loadingRest > 0 {
		return
	}
	d, v := cv.model.Snapshot()
	if err := session.SaveWorkingCopy(cv.wz.ui.Store, cv.wz.project.ID, d); err != nil {
		fyne.LogError("autosave contacts", err)
		return
	}
	cv.model.Saved(v)
}

// leave stops an import (the previous sheet stays), then the autosaver
// after a last save, and unbinds the shortcuts.
func (cv *contactsView) leave() {
	if run := cv.importing; run != nil {
		run.cancel()
		cv.importing = nil
		run.prev.SetReadOnly(false)
		cv.setModel(run.prev)
	}
	if cv.stopSave != nil {
		close(cv.stopSave)
		cv.stopSave = nil
	}
	cv.flush()
	cv.removeShortcuts()
}

// domainsDialog sets the company's mail domains: business mail in another
// domain becomes an error (bizmail_domain). The sheet's own domains are
// offered when none are set.
func (cv *contactsView) domainsDialog() {
	cur := cv.model.Index().Options().Domains
	entry := widget.NewEntry()
	if len(cur) > 0 {
		entry.SetText(strings.Join(cur, ", "))
	} else {
		entry.SetText(strings.Join(session.SuggestDomains(cv.model.Index().Directory()), ", "))
	}
	items := []*widget.FormItem{widget.NewFormItem(i18n.T("contacts.domains"), entry)}
	d := dialog.NewForm(i18n.T("contacts.domains"), i18n.T("common.ok"), i18n.T("common.cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		if err := cv.setDomains(entry.Text); err != nil {
			cv.wz.ui.showError(err)
		}
	}, cv.wz.ui.Win)
	d.Resize(fyne.NewSize(520, 220))
	d.Show()
}

// setDomains stores the domains and revalidates every row with them.
func (cv *contactsView) setDomains(text string) error {
	domains, err := session.ParseDomains(text)
	if err != nil {
		return err
	}
	if err := session.SetMailDomains(cv.wz.ui.Store, cv.wz.project.ID, domains); err != nil {
		return err
	}
	cv.flush()
	opts := cv.model.Index().Options()
	opts.Domains = domains
	cv.saveMu.Lock()
	d, _ := cv.model.Snapshot()
	cv.model = editor.New(d, opts)
	cv.saveMu.Unlock()
	cv.refresh()
	return nil
}
