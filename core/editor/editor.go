// Package editor is the contacts editor's model, kept out of the GUI so tests
// can drive it: the validated index, undo/redo, the visible rows under a
// filter and a search, and the bookkeeping that says when the working copy
// needs saving.
package editor

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"exmail-upgrade/core/contacts"
)

// ErrReadOnly is returned by every edit while the contacts are frozen (a
// migration is running or done).
var ErrReadOnly = errors.New("迁移期间及完成后通讯录不可修改 / the contacts cannot be edited during or after migration")

// edit is one undoable step: the rows as they were before and after.
type edit struct {
	before []rowState
	after  []rowState
}

// rowState is a row's member, or its absence (Deleted).
type rowState struct {
	Row     int
	Member  contacts.Member
	Deleted bool
}

// Model is an editable contacts sheet. It is safe for use from one
// goroutine at a time plus Dirty/Snapshot from another (the autosaver).
type Model struct {
	mu       sync.Mutex
	ix       *contacts.Index
	undo     []edit
	redo     []edit
	version  uint64 // bumped by every change
	saved    uint64 // version last saved
	readOnly bool

	onlyProblems bool
	query        string
	view         []int // visible rows, in sheet order
	viewValid    bool

	// issueRows holds the errors and warnings of every row that has any,
	// kept current from the changes each edit returns, so the problems list
	// never needs a scan of the whole sheet.
	issueRows   map[int][]contacts.Problem
	issues      []contacts.Problem
	issuesValid bool

	groups    []contacts.MailGroup // the live Exmail's mail groups, kept with the sheet (mailboxes.go)
	deptOrder map[string]int       // the live Exmail's department order, converted to WeCom's
}

// MaxUndo bounds the undo history.
const MaxUndo = 1000

// New builds a model over d.
func New(d *contacts.Directory, opts contacts.Options) *Model {
	m := &Model{ix: contacts.NewIndex(d, opts), issueRows: map[int][]contacts.Problem{}, groups: d.MailGroups, deptOrder: d.DeptOrder}
	for _, p := range m.ix.All() {
		if p.Severity != contacts.SeverityFixed && p.Row > 0 {
			m.issueRows[p.Row] = append(m.issueRows[p.Row], p)
		}
	}
	return m
}

// track records the new problem lists of the rows an edit affected.
func (m *Model) track(changes []contacts.Change) {
	for _, c := range changes {
		var keep []contacts.Problem
		for _, p := range c.Problems {
			if p.Severity != contacts.SeverityFixed {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			m.issueRows[c.Row] = keep
		} else {
			delete(m.issueRows, c.Row)
		}
		m.issuesValid = false
	}
}

// Index gives read access to the validated rows and their problems.
func (m *Model) Index() *contacts.Index { return m.ix }

// SetReadOnly freezes or unfreezes editing.
func (m *Model) SetReadOnly(ro bool) { m.mu.Lock(); m.readOnly = ro; m.mu.Unlock() }

// ReadOnly reports whether edits are refused.
func (m *Model) ReadOnly() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.readOnly }

func (m *Model) state(row int) rowState {
	raw, _, ok := m.ix.Member(row)
	if !ok {
		return rowState{Row: row, Deleted: true}
	}
	return rowState{Row: row, Member: raw}
}

// apply puts rows into the states given and returns the changes.
func (m *Model) apply(states []rowState) ([]contacts.Change, error) {
	var all []contacts.Change
	for _, s := range states {
		_, _, exists := m.ix.Member(s.Row)
		var ch []contacts.Change
		var err error
		switch {
		case s.Deleted && exists:
			ch, err = m.ix.Delete(s.Row)
		case s.Deleted:
		case exists:
			ch, err = m.ix.SetMember(s.Row, s.Member)
		default:
			ch, err = m.restore(s)
		}
		m.track(ch)
		if err != nil {
			return all, err
		}
		all = append(all, ch...)
	}
	m.changed(true)
	return all, nil
}

// restore brings back a deleted row under its own number.
func (m *Model) restore(s rowState) ([]contacts.Change, error) {
	mem := s.Member
	mem.Row = s.Row
	return m.ix.Restore(mem)
}

// changed records a change; structural changes (rows added or deleted)
// always invalidate the view, cell edits only when a filter is on (the
// unfiltered view is the row list, which a cell edit does not change).
func (m *Model) changed(structural bool) {
	m.version++
	if structural || m.onlyProblems || m.query != "" {
		m.viewValid = false
	}
}

func (m *Model) record(e edit) {
	m.undo = append(m.undo, e)
	if len(m.undo) > MaxUndo {
		m.undo = m.undo[len(m.undo)-MaxUndo:]
	}
	m.redo = nil
}

// Set changes one cell, revalidating only what it affects.
func (m *Model) Set(row int, f contacts.Field, value string) ([]contacts.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readOnly {
		return nil, ErrReadOnly
	}
	before := m.state(row)
	if before.Deleted {
		return nil, fmt.Errorf("row %d does not exist", row)
	}
	if before.Member.Get(f) == value {
		return nil, nil
	}
	ch, err := m.ix.Set(row, f, value)
	if err != nil {
		return nil, err
	}
	m.track(ch)
	m.changed(false)
	m.record(edit{before: []rowState{before}, after: []rowState{m.state(row)}})
	return ch, nil
}

// Add appends an empty row (or mem) and returns its row number.
func (m *Model) Add(mem contacts.Member) (int, []contacts.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readOnly {
		return 0, nil, ErrReadOnly
	}
	row, ch := m.ix.Add(mem)
	m.track(ch)
	m.changed(true)
	m.record(edit{before: []rowState{{Row: row, Deleted: true}}, after: []rowState{m.state(row)}})
	return row, ch, nil
}

// Delete removes rows.
func (m *Model) Delete(rows ...int) ([]contacts.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readOnly {
		return nil, ErrReadOnly
	}
	var e edit
	var all []contacts.Change
	for _, r := range rows {
		before := m.state(r)
		if before.Deleted {
			continue
		}
		ch, err := m.ix.Delete(r)
		if err != nil {
			return all, err
		}
		m.track(ch)
		all = append(all, ch...)
		e.before = append(e.before, before)
		e.after = append(e.after, rowState{Row: r, Deleted: true})
	}
	if len(e.before) > 0 {
		m.changed(true)
		m.record(e)
	}
	return all, nil
}

// ApplySafeFixes writes every safe fix into the rows (as one undoable step)
// and returns how many rows changed.
func (m *Model) ApplySafeFixes() (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readOnly {
		return 0, ErrReadOnly
	}
	var e edit
	for _, r := range m.ix.Rows() {
		raw, fixed, ok := m.ix.Member(r)
		if !ok || sameMember(raw, fixed) {
			continue
		}
		e.before = append(e.before, rowState{Row: r, Member: raw})
		ch, err := m.ix.SetMember(r, fixed)
		if err != nil {
			return 0, err
		}
		m.track(ch)
		e.after = append(e.after, m.state(r))
	}
	if len(e.before) > 0 {
		m.changed(false)
		m.record(e)
	}
	return len(e.before), nil
}

func sameMember(a, b contacts.Member) bool {
	for _, f := range contacts.Fields {
		if a.Get(f) != b.Get(f) {
			return false
		}
	}
	return a.Disabled == b.Disabled
}

// CanUndo and CanRedo tell whether there is a step to take.
func (m *Model) CanUndo() bool { m.mu.Lock(); defer m.mu.Unlock(); return len(m.undo) > 0 }

// CanRedo tells whether an undone step can be redone.
func (m *Model) CanRedo() bool { m.mu.Lock(); defer m.mu.Unlock(); return len(m.redo) > 0 }

// Undo reverts the last step.
func (m *Model) Undo() ([]contacts.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readOnly {
		return nil, ErrReadOnly
	}
	if len(m.undo) == 0 {
		return nil, nil
	}
	e := m.undo[len(m.undo)-1]
	m.undo = m.undo[:len(m.undo)-1]
	ch, err := m.apply(e.before)
	m.redo = append(m.redo, e)
	return ch, err
}

// Redo re-applies the last undone step.
func (m *Model) Redo() ([]contacts.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readOnly {
		return nil, ErrReadOnly
	}
	if len(m.redo) == 0 {
		return nil, nil
	}
	e := m.redo[len(m.redo)-1]
	m.redo = m.redo[:len(m.redo)-1]
	ch, err := m.apply(e.after)
	m.undo = append(m.undo, e)
	return ch, err
}

// SetFilter shows only rows with problems (errors or warnings) when
// onlyProblems, and only rows containing query in any cell (case-folded)
// when query is not empty.
func (m *Model) SetFilter(onlyProblems bool, query string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := strings.ToLower(strings.TrimSpace(query))
	if onlyProblems != m.onlyProblems || q != m.query {
		m.onlyProblems, m.query = onlyProblems, q
		m.viewValid = false
	}
}

// View returns the visible rows in sheet order. The slice is shared: do not
// modify it. It is recomputed only after a change or a new filter.
func (m *Model) View() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.viewValid {
		return m.view
	}
	rows := m.ix.Rows()
	if !m.onlyProblems && m.query == "" {
		m.view = rows
		m.viewValid = true
		return rows
	}
	out := make([]int, 0, 64)
	for _, r := range rows {
		if m.onlyProblems && !hasIssue(m.ix.Problems(r)) {
			continue
		}
		if m.query != "" && !m.matches(r) {
			continue
		}
		out = append(out, r)
	}
	m.view = out
	m.viewValid = true
	return out
}

func hasIssue(ps []contacts.Problem) bool {
	for _, p := range ps {
		if p.Severity != contacts.SeverityFixed {
			return true
		}
	}
	return false
}

func (m *Model) matches(row int) bool {
	raw, _, ok := m.ix.Member(row)
	if !ok {
		return false
	}
	for _, f := range contacts.Fields {
		if strings.Contains(strings.ToLower(raw.Get(f)), m.query) {
			return true
		}
	}
	return false
}

// Issues returns the errors and warnings (fixes left out), errors first,
// then by row: the problems list of the editor. The slice is shared: do not
// modify it.
func (m *Model) Issues() []contacts.Problem {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.issuesValid {
		return m.issues
	}
	rows := make([]int, 0, len(m.issueRows))
	for r := range m.issueRows {
		rows = append(rows, r)
	}
	sort.Ints(rows)
	out := make([]contacts.Problem, 0, len(rows))
	for _, r := range rows {
		out = append(out, m.issueRows[r]...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Severity == contacts.SeverityError) != (out[j].Severity == contacts.SeverityError) {
			return out[i].Severity == contacts.SeverityError
		}
		return out[i].Row < out[j].Row
	})
	m.issues, m.issuesValid = out, true
	return out
}

// CellProblem returns the most severe problem of one cell, if any.
func (m *Model) CellProblem(row int, f contacts.Field) (contacts.Problem, bool) {
	var best contacts.Problem
	found := false
	for _, p := range m.ix.Problems(row) {
		if p.Field != f {
			continue
		}
		if !found || rank(p.Severity) > rank(best.Severity) {
			best, found = p, true
		}
	}
	return best, found
}

func rank(s contacts.Severity) int {
	switch s {
	case contacts.SeverityError:
		return 3
	case contacts.SeverityWarning:
		return 2
	}
	return 1
}

// Dirty reports whether there are changes not yet saved, and the version to
// pass to Saved once they are.
func (m *Model) Dirty() (bool, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version != m.saved, m.version
}

// Saved records that version v was written.
func (m *Model) Saved(v uint64) {
	m.mu.Lock()
	if v > m.saved {
		m.saved = v
	}
	m.mu.Unlock()
}

// Snapshot returns a copy of the directory as typed, with the version it
// reflects, for saving off the UI thread.
func (m *Model) Snapshot() (*contacts.Directory, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.ix.Directory()
	d.MailGroups, d.DeptOrder = m.groups, m.deptOrder
	return d, m.version
}
