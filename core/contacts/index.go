package contacts

import (
	"fmt"
	"sort"
	"strings"
)

// dupKind enumerates the fields that must be unique in a company.
type dupKind int

const (
	dupAccount dupKind = iota
	dupMobile
	dupEmail
	dupBizMail
	nDup
)

var dupFields = [nDup]Field{FieldAccount, FieldMobile, FieldEmail, FieldBizMail}
var dupCodes = [nDup]Code{CodeAccountDuplicate, CodeMobileDuplicate, CodeEmailDuplicate, CodeBizMailDuplicate}

// maxRelated caps the rows listed in Problem.Related for huge duplicate groups.
const maxRelated = 20

type slot struct {
	raw     Member // as the user typed it
	fixed   Member // with the safe fixes applied
	probs   []Problem
	keys    [nDup]string // normalised unique keys; "" when empty or invalid
	deleted bool
}

// Index holds a directory with its problems and keeps both up to date under
// edits: changing a cell revalidates only that row and the duplicate groups
// it leaves and joins, so an editor on 100k rows stays instant. Rows are
// identified by their spreadsheet row number, which stays stable: deleting
// a row does not renumber the others, adding one gives it the next number.
// An Index is not safe for concurrent use.
type Index struct {
	opts      Options
	slots     []slot
	byRow     map[int]int
	groups    [nDup]map[string][]int // key → slots, in slot order
	single    []int                  // backing of singleton groups (see join)
	counts    Counts                 // of the per-row problems
	dupErrors int                    // rows currently in a duplicate group, per kind summed
	live      int
	maxRow    int
}

// Change is the new, complete problem list of a row an edit affected
// (empty when the row is now clean or was deleted).
type Change struct {
	Row      int
	Problems []Problem
}

// NewIndex validates d and builds its index. d is copied: later edits go
// through the Index and do not touch d. Members without a row number (or
// with one already used) get the next free number.
func NewIndex(d *Directory, opts Options) *Index {
	x := &Index{opts: opts, byRow: make(map[int]int, len(d.Members))}
	for k := range x.groups {
		x.groups[k] = make(map[string][]int, len(d.Members))
	}
	for i := range d.Members {
		if r := d.Members[i].Row; r > x.maxRow {
			x.maxRow = r
		}
	}
	x.slots = make([]slot, 0, len(d.Members))
	x.single = make([]int, len(d.Members))
	for i := range d.Members {
		m := d.Members[i]
		if _, used := x.byRow[m.Row]; m.Row <= 0 || used {
			x.maxRow++
			m.Row = x.maxRow
		}
		x.insert(m)
	}
	return x
}

// insert appends a member as a new slot (its row must be free).
func (x *Index) insert(m Member) int {
	s := len(x.slots)
	x.slots = append(x.slots, slot{raw: m})
	x.byRow[m.Row] = s
	x.live++
	x.evaluate(s)
	x.join(s)
	return s
}

// evaluate recomputes the per-row problems and keys of slot s.
func (x *Index) evaluate(s int) {
	sl := &x.slots[s]
	x.countProbs(sl.probs, -1)
	sl.fixed, sl.probs = CheckMember(&sl.raw, &x.opts)
	x.countProbs(sl.probs, 1)
	f := &sl.fixed
	var invalid [nDup]bool // invalid values are not compared
	for i := range sl.probs {
		if sl.probs[i].Severity == SeverityError {
			for k := dupKind(0); k < nDup; k++ {
				if dupFields[k] == sl.probs[i].Field {
					invalid[k] = true
				}
			}
		}
	}
	for k, v := range [nDup]string{f.Account, f.Mobile, f.Email, f.BizMail} {
		switch {
		case invalid[k]:
			sl.keys[k] = ""
		case dupKind(k) == dupMobile:
			sl.keys[k] = mobileKey(v)
		default:
			sl.keys[k] = strings.ToLower(v)
		}
	}
}

func (x *Index) countProbs(ps []Problem, n int) {
	for i := range ps {
		x.counts.add(ps[i].Severity, n)
	}
}

// join adds slot s to the duplicate groups of its keys.
func (x *Index) join(s int) {
	for k := dupKind(0); k < nDup; k++ {
		key := x.slots[s].keys[k]
		if key == "" {
			continue
		}
		g := x.groups[k][key]
		switch len(g) {
		case 0:
		case 1:
			x.dupErrors += 2
		default:
			x.dupErrors++
		}
		if len(g) == 0 && s < len(x.single) {
			// a singleton group: a one-element window of a shared array,
			// capacity 1 so that a second member reallocates
			x.single[s] = s
			x.groups[k][key] = x.single[s : s+1 : s+1]
			continue
		}
		// keep slot order so Related lists read top to bottom
		i := sort.SearchInts(g, s)
		g = append(g, 0)
		copy(g[i+1:], g[i:])
		g[i] = s
		x.groups[k][key] = g
	}
}

// leave removes slot s from the duplicate groups of its keys.
func (x *Index) leave(s int) {
	for k := dupKind(0); k < nDup; k++ {
		key := x.slots[s].keys[k]
		if key == "" {
			continue
		}
		g := x.groups[k][key]
		i := sort.SearchInts(g, s)
		if i >= len(g) || g[i] != s {
			continue
		}
		if len(g) == 1 {
			delete(x.groups[k], key)
			continue
		}
		g = append(g[:i:i], g[i+1:]...) // a fresh array when i == 0 keeps shared windows intact
		switch len(g) {
		case 0:
			delete(x.groups[k], key)
			continue
		case 1:
			x.dupErrors -= 2
		default:
			x.dupErrors--
		}
		x.groups[k][key] = g
	}
}

// groupSlots returns the slots sharing any key with slot s (including s).
func (x *Index) groupSlots(s int, into map[int]bool) {
	into[s] = true
	for k := dupKind(0); k < nDup; k++ {
		if key := x.slots[s].keys[k]; key != "" {
			for _, o := range x.groups[k][key] {
				into[o] = true
			}
		}
	}
}

// rowProblems returns the full problem list of slot s: its own problems
// plus one per duplicate group it belongs to.
func (x *Index) rowProblems(s int) []Problem {
	sl := &x.slots[s]
	if sl.deleted {
		return nil
	}
	out := append([]Problem(nil), sl.probs...)
	for k := dupKind(0); k < nDup; k++ {
		key := sl.keys[k]
		if key == "" {
			continue
		}
		g := x.groups[k][key]
		if len(g) < 2 {
			continue
		}
		n := len(g) - 1
		others := make([]int, 0, min(n, maxRelated))
		for _, o := range g {
			if len(others) == maxRelated {
				break
			}
			if o != s {
				others = append(others, x.slots[o].raw.Row)
			}
		}
		m := relatedMessage(dupCodes[k], others, n)
		out = append(out, Problem{Row: sl.raw.Row, Column: x.opts.column(dupFields[k]), Field: dupFields[k],
			Code: dupCodes[k], Severity: SeverityError, Message: m, Value: Quote(sl.raw.Get(dupFields[k])), Related: others})
	}
	SortProblems(out)
	return out
}

// Problems returns the current problems of one row (nil for an unknown row).
func (x *Index) Problems(row int) []Problem {
	s, ok := x.byRow[row]
	if !ok {
		return nil
	}
	return x.rowProblems(s)
}

// All returns every problem, ordered by row.
func (x *Index) All() []Problem {
	var out []Problem
	for s := range x.slots {
		if !x.slots[s].deleted {
			out = append(out, x.rowProblems(s)...)
		}
	}
	SortProblems(out)
	return out
}

// Counts returns the number of errors, warnings and fixes, in O(1).
func (x *Index) Counts() Counts {
	c := x.counts
	c.Error += x.dupErrors
	return c
}

// Len returns the number of (not deleted) members.
func (x *Index) Len() int { return x.live }

// Rows returns the row numbers of the members, in sheet order.
func (x *Index) Rows() []int {
	out := make([]int, 0, x.live)
	for s := range x.slots {
		if !x.slots[s].deleted {
			out = append(out, x.slots[s].raw.Row)
		}
	}
	return out
}

// Member returns a row's member as typed (raw) and with the safe fixes applied.
func (x *Index) Member(row int) (raw, fixed Member, ok bool) {
	s, ok := x.byRow[row]
	if !ok {
		return Member{}, Member{}, false
	}
	return x.slots[s].raw, x.slots[s].fixed, true
}

// Options returns the validation options of the index.
func (x *Index) Options() Options { return x.opts }

// Directory returns the members as typed, in sheet order.
func (x *Index) Directory() *Directory { return x.dir(false) }

// Fixed returns the members with every safe fix applied, in sheet order.
func (x *Index) Fixed() *Directory { return x.dir(true) }

func (x *Index) dir(fixed bool) *Directory {
	d := &Directory{Members: make([]Member, 0, x.live)}
	for s := range x.slots {
		sl := &x.slots[s]
		if sl.deleted {
			continue
		}
		if fixed {
			d.Members = append(d.Members, sl.fixed)
		} else {
			d.Members = append(d.Members, sl.raw)
		}
	}
	return d
}

// changes collects the problem lists of the given slots.
func (x *Index) changes(set map[int]bool) []Change {
	out := make([]Change, 0, len(set))
	for s := range set {
		out = append(out, Change{Row: x.slots[s].raw.Row, Problems: x.rowProblems(s)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Row < out[j].Row })
	return out
}

func knownField(f Field) bool {
	if f == FieldDisabled {
		return true
	}
	for _, g := range Fields {
		if g == f {
			return true
		}
	}
	return false
}

// Set changes one cell and returns the rows whose problems changed (the
// edited row always included) with their new problem lists.
func (x *Index) Set(row int, f Field, value string) ([]Change, error) {
	if !knownField(f) {
		return nil, fmt.Errorf("set %q of row %d: unknown field", f, row)
	}
	s, ok := x.byRow[row]
	if !ok {
		return nil, fmt.Errorf("set %s of row %d: no such row", f, row)
	}
	affected := map[int]bool{}
	x.groupSlots(s, affected)
	x.leave(s)
	x.slots[s].raw.Set(f, value)
	x.evaluate(s)
	x.join(s)
	x.groupSlots(s, affected)
	return x.changes(affected), nil
}

// SetMember replaces a whole row (its Row field is ignored).
func (x *Index) SetMember(row int, m Member) ([]Change, error) {
	s, ok := x.byRow[row]
	if !ok {
		return nil, fmt.Errorf("replace row %d: no such row", row)
	}
	affected := map[int]bool{}
	x.groupSlots(s, affected)
	x.leave(s)
	m.Row = row
	x.slots[s].raw = m
	x.evaluate(s)
	x.join(s)
	x.groupSlots(s, affected)
	return x.changes(affected), nil
}

// Add appends a member as a new row numbered after the last one and
// returns that row with the changed problem lists.
func (x *Index) Add(m Member) (int, []Change) {
	x.maxRow++
	m.Row = x.maxRow
	s := x.insert(m)
	affected := map[int]bool{}
	x.groupSlots(s, affected)
	return m.Row, x.changes(affected)
}

// Delete removes a row and returns the rows whose problems changed (the
// deleted row with an empty list included).
func (x *Index) Delete(row int) ([]Change, error) {
	s, ok := x.byRow[row]
	if !ok {
		return nil, fmt.Errorf("delete row %d: no such row", row)
	}
	affected := map[int]bool{}
	x.groupSlots(s, affected)
	x.leave(s)
	sl := &x.slots[s]
	x.countProbs(sl.probs, -1)
	sl.probs, sl.keys, sl.deleted = nil, [nDup]string{}, true
	delete(x.byRow, row)
	x.live--
	return x.changes(affected), nil
}

// Validate checks a whole directory (without changing it) and returns every
// problem, the safe fixes it would apply included as severity fixed.
func Validate(d *Directory, opts Options) []Problem {
	return NewIndex(d, opts).All()
}

// Fix applies every safe fix to d in place and returns all problems: the
// fixes (severity fixed) and what remains to resolve.
func Fix(d *Directory, opts Options) []Problem {
	x := NewIndex(d, opts)
	for i := range d.Members {
		row := d.Members[i].Row
		d.Members[i] = x.slots[i].fixed
		d.Members[i].Row = row
	}
	return x.All()
}
