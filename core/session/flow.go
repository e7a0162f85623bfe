package session

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/textfold"
	"exmail-upgrade/core/upgrade"
)

// Flow is one project's upgrade as a person walks it, in the words of their
// intents: choose the method, check and confirm the target, freeze the
// contacts, plan, confirm the plan, run, retry, correct or accept. The GUI
// wizard, the CLI and the demo all drive a project through a Flow and never
// call a transition of core/upgrade themselves; each intent takes the state
// machine back to the step that owns the decision when an earlier choice
// changes, so a project started in one front end continues in another.
// Methods are safe for concurrent use.
type Flow struct {
	*Project
	// APIBase is the real WeCom's API base URL used when the target is
	// reopened after a restart (empty: the real service).
	APIBase string

	mu       sync.Mutex
	conn     *Connection
	planOpts plan.ReadOptions
}

// Unknown is the value of a count nobody has told the app (the account
// cap, the accounts created this month): checks that need it are skipped
// and say so, rather than reading it as 0.
const Unknown = -1

// ErrNeedSecret: the real target must be reopened and its contact-sync
// secret is never stored, so the user has to type it again.
var ErrNeedSecret = text.NewError("请重新输入通讯录同步 Secret（Secret 不会保存到磁盘）", "type the contact-sync secret again (it is never saved to disk)")

// OpenFlow opens project id's flow.
func OpenFlow(st *store.Store, id string) (*Flow, error) {
	p, err := Open(st, id)
	if err != nil {
		return nil, err
	}
	return &Flow{Project: p, planOpts: plan.ReadOptions{AccountCap: 0, CreatedThisMonth: Unknown}}, nil
}

// SetActor names who acts in the audit log (default: the OS user).
func (f *Flow) SetActor(name string) { f.Up.SetActor(name) }

// Stage is the project's current stage.
func (f *Flow) Stage() upgrade.Stage { return f.Up.Stage() }

// State is a copy of the project's upgrade state.
func (f *Flow) State() upgrade.State { return f.Up.State() }

// Method is the chosen method ("" before the choice).
func (f *Flow) Method() upgrade.Method { return f.Up.State().Method }

// Started reports whether the migration has started (the project is locked).
func (f *Flow) Started() bool { return upgrade.MigrationStarted(f.Stage()) }

// AcknowledgeNotice records the ticked notice points; a notice already
// acknowledged stays so (it is acknowledged once).
func (f *Flow) AcknowledgeNotice(ticked []string) error {
	if f.Stage() != upgrade.StageNew {
		return nil
	}
	return f.Up.AcknowledgeNotice(ticked)
}

// ChooseMethod sets the method. Choosing the method already chosen keeps
// everything decided after it; another method goes back to the choice and
// forgets the target.
func (f *Flow) ChooseMethod(m upgrade.Method) error {
	s := f.State()
	if s.Stage != upgrade.StageNoticeAcknowledged && s.Method == m && !f.Started() {
		return nil
	}
	if s.Stage != upgrade.StageNoticeAcknowledged && !f.Started() {
		if err := f.Up.Back(upgrade.StageNoticeAcknowledged); err != nil {
			return err
		}
	}
	return f.Up.ChooseMethod(m)
}

// Connect opens the target cfg names, replacing any open connection. A
// rehearsal's tenant always lives at RehearsalTenantPath (cfg.SimPath is
// ignored), and a new bind rehearsal tenant holds the company
// ExistingCompany derives from the working copy, so every front end meets
// the same rehearsal company.
func (f *Flow) Connect(cfg TargetConfig) error {
	if cfg.Kind == upgrade.TargetSim {
		p, err := RehearsalTenantPath(f.Store.Path(), f.ID)
		if err != nil {
			return err
		}
		cfg.SimPath = p
	}
	var dir *contacts.Directory
	if cfg.Kind == upgrade.TargetSim && cfg.Existing == nil && f.Method() == upgrade.MethodBind {
		d, ok, err := f.Store.Contacts(f.ID)
		if err != nil {
			return err
		}
		if !ok {
			if snap, err := f.frozen(); err == nil {
				d = &snap.Directory
			}
		}
		dir = d
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		_ = f.conn.Close()
		f.conn = nil
	}
	c, err := Connect(cfg, f.Method(), dir)
	if err != nil {
		return err
	}
	f.conn = c
	return nil
}

// Connection is the open target (nil before Connect or Reconnect).
func (f *Flow) Connection() *Connection {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conn
}

// Reconnect reopens the recorded target after a restart when no connection
// is open: a rehearsal at once; the real WeCom with secret, or
// ErrNeedSecret when secret is empty.
func (f *Flow) Reconnect(secret string) error {
	if f.Connection() != nil {
		return nil
	}
	t := f.State().Target
	if t == nil {
		return text.NewError("还没有识别目标企业", "no target identified yet")
	}
	if t.Kind == upgrade.TargetSim {
		return f.Connect(TargetConfig{Kind: upgrade.TargetSim})
	}
	if secret == "" {
		return ErrNeedSecret
	}
	return f.Connect(TargetConfig{Kind: upgrade.TargetWeCom, CorpID: t.CorpID, Secret: secret, APIBase: f.APIBase})
}

// CheckTarget connects to cfg's target and identifies it (name "" lets the
// connection name it) without recording anything: the user sees it first.
func (f *Flow) CheckTarget(ctx context.Context, cfg TargetConfig, name string) (upgrade.Target, error) {
	if err := f.Connect(cfg); err != nil {
		return upgrade.Target{}, err
	}
	return f.Connection().Identify(ctx, name)
}

// IdentifyTarget records t as the target. The same target again keeps its
// confirmations; another one goes back to the target step and must be
// confirmed anew.
func (f *Flow) IdentifyTarget(t upgrade.Target) error {
	s := f.State()
	if cur := s.Target; cur != nil && !f.Started() && cur.Kind == t.Kind && cur.CorpID == t.CorpID &&
		cur.Name == strings.TrimSpace(t.Name) && cur.Members == t.Members && cur.Departments == t.Departments {
		return nil
	}
	if s.Stage.Index() > upgrade.StageMethodChosen.Index() && !f.Started() {
		if err := f.Up.Back(upgrade.StageMethodChosen); err != nil {
			return err
		}
	}
	return f.Up.IdentifyTarget(t)
}

// ConfirmTarget records one explicit confirmation of the identified target
// (via says how: "phone", "local", "typed", "cli --confirm") and returns how
// many are still needed (method 2 needs two, method 1 one). Once all are
// given it returns 0 and records nothing more.
func (f *Flow) ConfirmTarget(via string) (remaining int, err error) {
	if f.Stage() == upgrade.StageTargetIdentified {
		if err := f.Up.ConfirmTargetVia(via); err != nil {
			return 0, err
		}
	}
	g, n := f.Up.Confirmations()
	if f.Stage() != upgrade.StageTargetIdentified {
		return 0, nil
	}
	return n - g, nil
}

// Confirmations returns the target confirmations given and needed.
func (f *Flow) Confirmations() (given, needed int) { return f.Up.Confirmations() }

// ContactsEditable reports whether the contacts may be edited now.
func (f *Flow) ContactsEditable() bool { return upgrade.ContactsEditable(f.Stage()) }

// EditContacts goes back to contact editing from a later step (forgetting
// the frozen contacts and any plan); where editing is already allowed it
// does nothing.
func (f *Flow) EditContacts() error {
	switch f.Stage() {
	case upgrade.StageContactsReady, upgrade.StagePlanConfirmed:
		return f.Up.Back(upgrade.StageTargetConfirmed)
	}
	return nil
}

// FreezeContacts declares d ready for planning: the state machine validates
// it with opts and refuses while errors remain. Contacts equal to those
// already frozen keep the plan; others take the flow back to contact
// editing first.
func (f *Flow) FreezeContacts(d *contacts.Directory, opts contacts.Options) (store.Snapshot, error) {
	s := f.State()
	if d != nil && s.SnapshotHash != "" && s.SnapshotHash == d.Hash() &&
		(s.Stage == upgrade.StageContactsReady || s.Stage == upgrade.StagePlanConfirmed) {
		return f.frozen()
	}
	if s.Stage == upgrade.StagePlanConfirmed {
		if err := f.Up.Back(upgrade.StageTargetConfirmed); err != nil {
			return store.Snapshot{}, err
		}
	}
	return f.Up.FreezeDirectory(d, opts)
}

// PlanOptions is what the user told the planner beyond the API (the
// target's exported sheet, the account cap, the accounts created this
// month); unknown counts are Unknown.
func (f *Flow) PlanOptions() plan.ReadOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.planOpts
}

// SetPlanOptions replaces the plan options; a negative or zero account cap
// and a negative month count are unknown.
func (f *Flow) SetPlanOptions(o plan.ReadOptions) {
	if o.AccountCap < 0 {
		o.AccountCap = 0
	}
	if o.CreatedThisMonth < 0 {
		o.CreatedThisMonth = Unknown
	}
	f.mu.Lock()
	f.planOpts = o
	f.mu.Unlock()
}

// ParseCount reads a count a person typed: empty is Unknown, otherwise a
// whole number ≥ 0.
func ParseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Unknown, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, text.Errorf("“%s” 不是有效的数量", "%q is not a valid count", s)
	}
	return n, nil
}

// Plan reads the target through the open connection (reopening a
// rehearsal), checks it and builds the plan of the frozen contacts. A plan
// identical to the one already confirmed stays confirmed; a different one
// takes the flow back to the plan step. A nil plan means the target could
// not be read: the checks say why.
func (f *Flow) Plan(ctx context.Context) (*plan.Plan, []plan.Check, error) {
	if err := f.Reconnect(""); err != nil {
		return nil, nil, err
	}
	conn := f.Connection()
	if f.Stage() == upgrade.StagePlanConfirmed {
		pl, checks, err := f.Project.build(ctx, conn, f.PlanOptions())
		if err != nil || pl == nil {
			return pl, checks, err
		}
		if h := pl.Hash(); h == f.State().PlanHash {
			f.keep(pl, h)
			return pl, checks, nil
		}
		if err := f.Up.Back(upgrade.StageContactsReady); err != nil {
			return nil, checks, err
		}
	}
	return f.Project.planAndStore(ctx, conn, f.PlanOptions())
}

// CanStart is the one answer to "may this plan start?": no blocking
// conflict and no pre-flight check that is known to fail. The error says
// why not.
func CanStart(pl *plan.Plan, checks []plan.Check) error {
	if pl == nil {
		return text.NewError("还没有迁移计划", "there is no migration plan yet")
	}
	if pl.Blocked() {
		return text.Errorf("计划有 %d 个冲突，不能开始", "the plan has %d conflicts and cannot start", len(pl.Conflicts))
	}
	for _, c := range checks {
		if c.Known && !c.OK {
			return &text.Error{Text: text.New("检查未通过："+c.Msg.ZH, "a check failed: "+c.Msg.EN)}
		}
	}
	return nil
}

// ConfirmPlan is the typed confirmation of pl (checks are the pre-flight
// checks it was shown with). The plan already confirmed is kept.
func (f *Flow) ConfirmPlan(pl *plan.Plan, checks []plan.Check, typedName string) error {
	if err := CanStart(pl, checks); err != nil {
		return err
	}
	// The name typed matches once folded (（ = (, full-width digits,
	// spaces); the state machine records the project's own name.
	if !textfold.Equal(typedName, f.Name) {
		return upgrade.ErrNameMismatch
	}
	if f.Stage() == upgrade.StagePlanConfirmed && f.State().PlanHash == pl.Hash() {
		return nil
	}
	return f.Project.confirmPlan(pl, f.Name)
}

// Run starts or resumes the migration on the open connection (reopening a
// rehearsal). It returns migrate.ErrInterrupted with the partial result when
// ctx ends first; running again resumes. started receives the engine (for
// pause and resume) before it runs.
func (f *Flow) Run(ctx context.Context, opt migrate.Options, started func(*migrate.Engine)) (*migrate.Result, error) {
	if err := f.Reconnect(""); err != nil {
		return nil, refusal{err}
	}
	return f.Project.run(ctx, f.Connection(), opt, false, started)
}

// RetryFailed runs the items that failed for good once more (after a
// correction, with the corrected values).
func (f *Flow) RetryFailed(ctx context.Context, opt migrate.Options, started func(*migrate.Engine)) (*migrate.Result, error) {
	if err := f.Reconnect(""); err != nil {
		return nil, refusal{err}
	}
	return f.Project.run(ctx, f.Connection(), opt, true, started)
}

// OtherMailboxes counts the confirmed plan's other mailboxes (其他邮箱: kept
// as mailboxes, not created as members), for the done screen. It reads the
// plan kept in memory, or decodes the stored one (seconds for 100k rows).
func (f *Flow) OtherMailboxes() (int, error) {
	pl, _, err := f.Project.confirmedPlan()
	if err != nil {
		return 0, err
	}
	return len(pl.OtherMailboxes), nil
}

// AcceptFailures closes the upgrade with its failed items left for the
// user to handle by hand (note goes into the audit log).
func (f *Flow) AcceptFailures(note string) error { return f.Up.AcceptFailures(note) }

// Continue checks, for a migration that already started, that d and m are
// what it started from, and returns the corrections d brings. Contacts
// equal to the frozen ones (or to them as corrected) continue as they are.
// After a run with failed items, contacts that differ only in the
// correctable fields of the failed members are applied as a correction of
// those members (see OpenCorrection), so the next run retries them with the
// new values. Any other difference is refused with
// migrate.ErrContactsChanged.
func (f *Flow) Continue(d *contacts.Directory, m upgrade.Method) ([]FieldChange, error) {
	p, err := f.StoredPlan()
	if err != nil {
		return nil, text.Wrap(text.New("迁移已开始但找不到计划", "migration started but no plan is stored"), err)
	}
	if string(p.Method) != string(m) {
		return nil, text.Errorf("迁移已按方式 %s 开始", "the migration started with method %s", p.Method)
	}
	h := d.Hash()
	if h == p.ContactsHash {
		return nil, nil
	}
	cur, err := f.correctedContacts()
	if err != nil {
		return nil, err
	}
	if h == cur.Hash() {
		return nil, nil
	}
	if f.Stage() != upgrade.StageFailedItems || len(d.Members) != len(cur.Members) {
		return nil, migrate.ErrContactsChanged
	}
	c, err := f.OpenCorrection()
	if err != nil {
		return nil, err
	}
	for i := range d.Members {
		now, was := &d.Members[i], &cur.Members[i]
		for _, fl := range contacts.Fields {
			if now.Get(fl) == was.Get(fl) {
				continue
			}
			if _, err := c.Set(was.Row, fl, now.Get(fl)); err != nil {
				return nil, migrate.ErrContactsChanged // a change outside what a correction may touch
			}
		}
		if now.Disabled != was.Disabled {
			return nil, migrate.ErrContactsChanged
		}
	}
	changes := c.Changes()
	if err := c.Apply(); err != nil {
		return nil, err
	}
	return changes, nil
}

// Close closes the open connection (stopping a rehearsal's simulator).
func (f *Flow) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.conn.Close()
	f.conn = nil
	return err
}
