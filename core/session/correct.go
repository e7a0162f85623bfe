package session

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/upgrade"
)

// correctionsDoc holds the corrected rows of failed members (row → member
// as corrected), laid over the frozen contacts.
const correctionsDoc = "corrections"

// CorrectableFields are the fields a correction of failed members may
// change: those the target refuses when another member owns them (60104
// mobile, 60106 email, 60145 biz mail) and the member's descriptive fields.
// The account, departments, gender and status stay as planned: changing
// them would change which operation the plan does.
var CorrectableFields = []contacts.Field{contacts.FieldName, contacts.FieldAlias, contacts.FieldPosition,
	contacts.FieldMobile, contacts.FieldTelephone, contacts.FieldEmail, contacts.FieldAddress, contacts.FieldBizMail}

// Errors of a correction.
var (
	ErrNotCorrectable = text.NewError("只能修改迁移失败成员的这些字段", "only these fields of failed members can be corrected")
	ErrNothingChanged = text.NewError("没有修改任何内容", "nothing was changed")
)

// Correction is an open correction of the members that failed for good:
// only their rows are editable (CorrectableFields), each edit is
// revalidated against the whole frozen directory, Changes says what will
// change, and Apply records it and leaves the flow ready to retry them.
type Correction struct {
	f        *Flow
	ix       *contacts.Index
	rows     []int                   // editable rows, in failure order
	failures map[int]migrate.Failure // by row
	before   map[int]contacts.Member // rows as they were when opened
}

// FieldChange is one value a correction changes.
type FieldChange struct {
	Row    int
	UserID string
	Name   string
	Field  contacts.Field
	Old    string
	New    string
}

// OpenCorrection opens a correction of the members whose create or update
// failed for good (at failed_items).
func (f *Flow) OpenCorrection() (*Correction, error) {
	if f.Stage() != upgrade.StageFailedItems {
		return nil, text.NewError("只有迁移结束且有失败项时才能修正", "a correction is possible only after a migration that ended with failed items")
	}
	res, err := f.Status()
	if err != nil {
		return nil, err
	}
	dir, err := f.correctedContacts()
	if err != nil {
		return nil, err
	}
	opts := contactsOptions(f)
	c := &Correction{f: f, ix: contacts.NewIndex(dir, opts), failures: map[int]migrate.Failure{}, before: map[int]contacts.Member{}}
	for _, fl := range res.Failures {
		if fl.Kind == "department" || fl.Row <= 0 {
			continue
		}
		raw, _, ok := c.ix.Member(fl.Row)
		if !ok {
			continue
		}
		c.rows = append(c.rows, fl.Row)
		c.failures[fl.Row] = fl
		c.before[fl.Row] = raw
	}
	if len(c.rows) == 0 {
		return nil, text.NewError("没有可修正的失败成员", "no failed member to correct")
	}
	return c, nil
}

// correctedContacts is the frozen contacts with the corrections made so far.
func (f *Flow) correctedContacts() (*contacts.Directory, error) {
	snap, err := f.frozen()
	if err != nil {
		return nil, err
	}
	d := snap.Directory
	d.Members = append([]contacts.Member(nil), snap.Directory.Members...)
	corr, err := f.corrections()
	if err != nil {
		return nil, err
	}
	for i := range d.Members {
		if m, ok := corr[strconv.Itoa(d.Members[i].Row)]; ok {
			d.Members[i] = m
		}
	}
	return &d, nil
}

func (f *Flow) corrections() (map[string]contacts.Member, error) {
	corr := map[string]contacts.Member{}
	if _, err := f.Store.GetDoc(f.ID, correctionsDoc, &corr); err != nil {
		return nil, err
	}
	return corr, nil
}

// Rows are the editable rows (the failed members), in the order failures
// are listed.
func (c *Correction) Rows() []int { return append([]int(nil), c.rows...) }

// Failure is why row failed.
func (c *Correction) Failure(row int) migrate.Failure { return c.failures[row] }

// Member is row as currently corrected.
func (c *Correction) Member(row int) contacts.Member {
	m, _, _ := c.ix.Member(row)
	return m
}

// Problems are row's problems now.
func (c *Correction) Problems(row int) []contacts.Problem { return c.ix.Problems(row) }

// Set changes one value of a failed member's row and returns its problems
// (revalidated, duplicates across the whole directory included).
func (c *Correction) Set(row int, field contacts.Field, value string) ([]contacts.Problem, error) {
	if _, ok := c.failures[row]; !ok || !correctable(field) {
		return nil, fmt.Errorf("row %d %s: %w", row, field, ErrNotCorrectable)
	}
	if _, err := c.ix.Set(row, field, value); err != nil {
		return nil, err
	}
	return c.ix.Problems(row), nil
}

func correctable(f contacts.Field) bool {
	for _, g := range CorrectableFields {
		if g == f {
			return true
		}
	}
	return false
}

// Errors counts the errors left on the editable rows.
func (c *Correction) Errors() int {
	n := 0
	for _, r := range c.rows {
		for _, p := range c.ix.Problems(r) {
			if p.Severity == contacts.SeverityError {
				n++
			}
		}
	}
	return n
}

// Changes lists every value the correction changes, by row and field.
func (c *Correction) Changes() []FieldChange {
	var out []FieldChange
	for _, r := range c.rows {
		old, now := c.before[r], c.Member(r)
		for _, fl := range CorrectableFields {
			if o, n := old.Get(fl), now.Get(fl); o != n {
				out = append(out, FieldChange{Row: r, UserID: c.failures[r].Key, Name: now.Name, Field: fl, Old: o, New: n})
			}
		}
	}
	return out
}

// Apply records the correction: the plan's operations of the corrected
// members take their new values (safe fixes applied), the journal moves to
// the amended plan, and the audit log lists what changed — all in one
// transaction. The flow stays at failed_items; RetryFailed then runs the
// failed items with the new values. It refuses while errors remain on the
// edited rows or when nothing changed.
func (c *Correction) Apply() error {
	changes := c.Changes()
	if len(changes) == 0 {
		return ErrNothingChanged
	}
	if n := c.Errors(); n > 0 {
		return fmt.Errorf("%w: %s", upgrade.ErrContactsHaveErrors, strconv.Itoa(n))
	}
	f := c.f
	pl, err := f.StoredPlan()
	if err != nil {
		return err
	}
	sp, _, err := f.Store.Plan(f.ID)
	if err != nil {
		return err
	}
	oldHash := pl.Hash()
	corr, err := f.corrections()
	if err != nil {
		return err
	}
	touched := map[int][]contacts.Field{}
	for _, ch := range changes {
		touched[ch.Row] = append(touched[ch.Row], ch.Field)
	}
	for r, fields := range touched {
		raw, fixed, _ := c.ix.Member(r)
		corr[strconv.Itoa(r)] = raw
		if !amendOps(pl, r, c.failures[r].Key, fixed, fields) {
			return fmt.Errorf("row %d (%s): the plan has no operation for it", r, c.failures[r].Key)
		}
	}
	data, err := pl.Marshal()
	if err != nil {
		return err
	}
	newHash := pl.Hash()
	var desc []string
	for _, ch := range changes {
		desc = append(desc, fmt.Sprintf("%s.%s", ch.UserID, ch.Field))
	}
	return f.Up.CorrectFailures(func(tx *bolt.Tx) (string, map[string]string, error) {
		if err := migrate.AmendTx(tx, f.ID, oldHash, newHash); err != nil {
			return "", nil, err
		}
		sp.Hash, sp.Data = newHash, data
		if sp.ConfirmedAt.IsZero() {
			sp.ConfirmedAt = time.Now().UTC()
		}
		if err := store.SavePlanTx(tx, f.ID, sp); err != nil {
			return "", nil, err
		}
		if err := store.PutDocTx(tx, f.ID, correctionsDoc, corr); err != nil {
			return "", nil, err
		}
		return newHash, map[string]string{"rows": strconv.Itoa(len(touched)), "changed": strings.Join(desc, ",")}, nil
	})
}

// amendOps gives the create or update of userid planned for row the
// corrected values of m in fields; it reports whether one was found.
func amendOps(pl *plan.Plan, row int, userid string, m contacts.Member, fields []contacts.Field) bool {
	found := false
	for _, ops := range [][]plan.MemberOp{pl.Create, pl.Update} {
		for i := range ops {
			u := &ops[i].User
			if ops[i].Row != row || !strings.EqualFold(u.UserID, userid) {
				continue
			}
			for _, fl := range fields {
				*userField(u, fl) = m.Get(fl)
			}
			found = true
		}
	}
	return found
}

// userField is the plan's field for a correctable contacts field.
func userField(u *plan.User, f contacts.Field) *string {
	switch f {
	case contacts.FieldName:
		return &u.Name
	case contacts.FieldAlias:
		return &u.Alias
	case contacts.FieldPosition:
		return &u.Position
	case contacts.FieldMobile:
		return &u.Mobile
	case contacts.FieldTelephone:
		return &u.Telephone
	case contacts.FieldEmail:
		return &u.Email
	case contacts.FieldAddress:
		return &u.Address
	}
	return &u.BizMail
}
