package contacts

import "fmt"

// Restore brings a deleted row back under its own number and at its own
// place in sheet order (undo of Delete), with m as its content, and returns
// the rows whose problems changed.
func (x *Index) Restore(m Member) ([]Change, error) {
	if _, live := x.byRow[m.Row]; live {
		return nil, fmt.Errorf("restore row %d: row exists", m.Row)
	}
	for s := range x.slots {
		sl := &x.slots[s]
		if !sl.deleted || sl.raw.Row != m.Row {
			continue
		}
		sl.raw, sl.deleted = m, false
		x.byRow[m.Row] = s
		x.live++
		x.evaluate(s)
		x.join(s)
		affected := map[int]bool{}
		x.groupSlots(s, affected)
		return x.changes(affected), nil
	}
	return nil, fmt.Errorf("restore row %d: never deleted", m.Row)
}
