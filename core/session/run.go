package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/upgrade"
)

// Project is one open project: its state file, its upgrade state machine
// and its identity.
type Project struct {
	Store *store.Store
	Up    *upgrade.Upgrade
	ID    string
	Name  string // company name (what the creator types to confirm)

	// The plan last built, confirmed or read, and its hash: Start uses it
	// when it is still the stored plan, so a 100,000-member plan is not
	// decoded again on the way to the first call (after a restart it is
	// read from the store once). Never handed to code that changes it.
	keptMu   sync.Mutex
	kept     *plan.Plan
	keptHash string
}

// Open loads project id.
func Open(st *store.Store, id string) (*Project, error) {
	p, err := st.GetProject(id)
	if err != nil {
		return nil, err
	}
	up, err := upgrade.Load(st, id)
	if err != nil {
		return nil, err
	}
	return &Project{Store: st, Up: up, ID: id, Name: p.Name}, nil
}

// frozen returns the contacts snapshot frozen at contacts_ready.
func (p *Project) frozen() (store.Snapshot, error) {
	h := p.Up.State().SnapshotHash
	if h == "" {
		return store.Snapshot{}, text.NewError("通讯录尚未确认就绪", "the contacts are not marked ready yet")
	}
	snap, ok, err := p.Store.SnapshotByHash(p.ID, h)
	if err != nil {
		return store.Snapshot{}, err
	}
	if !ok {
		return store.Snapshot{}, text.NewError("找不到已冻结的通讯录", "the frozen contacts snapshot is missing")
	}
	return snap, nil
}

// frozenHash returns the hash of the snapshot frozen at contacts_ready,
// checking that it is stored without decoding it.
func (p *Project) frozenHash() (string, error) {
	h := p.Up.State().SnapshotHash
	if h == "" {
		return "", text.NewError("通讯录尚未确认就绪", "the contacts are not marked ready yet")
	}
	ok, err := p.Store.HasSnapshot(p.ID, h)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", text.NewError("找不到已冻结的通讯录", "the frozen contacts snapshot is missing")
	}
	return h, nil
}

// encodePlan returns pl as stored and its hash, encoding it once:
// pl.Hash() is the SHA-256 of exactly these bytes.
func encodePlan(pl *plan.Plan) (data []byte, hash string, err error) {
	data, err = pl.Marshal()
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:]), nil
}

// keep remembers pl, whose hash is hash, as the plan Start may use.
func (p *Project) keep(pl *plan.Plan, hash string) {
	p.keptMu.Lock()
	p.kept, p.keptHash = pl, hash
	p.keptMu.Unlock()
}

// confirmedPlan returns the stored plan and its hash: the plan kept in
// memory when its hash is the stored one, else the stored plan decoded
// (and kept). Callers must not change it (StoredPlan returns a copy that
// may be changed).
func (p *Project) confirmedPlan() (*plan.Plan, string, error) {
	head, ok, err := p.Store.PlanHeader(p.ID)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", text.NewError("还没有迁移计划", "there is no migration plan yet")
	}
	p.keptMu.Lock()
	pl, h := p.kept, p.keptHash
	p.keptMu.Unlock()
	if pl != nil && h == head.Hash {
		return pl, h, nil
	}
	pl, err = p.StoredPlan()
	if err != nil {
		return nil, "", err
	}
	p.keep(pl, head.Hash)
	return pl, head.Hash, nil
}

// planAndStore reads the target through conn, runs the pre-flight checks and builds
// the plan of the frozen contacts, and stores it (unconfirmed). A plan is
// nil when the target could not be read; the checks then say why. Counts
// in opt that nobody knows must be Unknown (plan.ReadOptions).
func (p *Project) planAndStore(ctx context.Context, conn *Connection, opt plan.ReadOptions) (*plan.Plan, []plan.Check, error) {
	pl, checks, err := p.build(ctx, conn, opt)
	if err != nil || pl == nil {
		return pl, checks, err
	}
	data, h, err := encodePlan(pl)
	if err != nil {
		return nil, checks, err
	}
	if err := p.Store.SavePlan(p.ID, store.StoredPlan{Hash: h, SnapshotHash: pl.ContactsHash, Data: data}); err != nil {
		return nil, checks, err
	}
	p.keep(pl, h)
	return pl, checks, nil
}

// build is planAndStore without storing the plan.
func (p *Project) build(ctx context.Context, conn *Connection, opt plan.ReadOptions) (*plan.Plan, []plan.Check, error) {
	snap, err := p.frozen()
	if err != nil {
		return nil, nil, err
	}
	in := plan.Input{Method: p.Up.State().Method, Company: p.Name, Contacts: &snap.Directory}
	return plan.Prepare(ctx, conn.target(), opt, in)
}

// StoredPlan returns the plan kept for the project, decoded from the store
// (the caller may change it).
func (p *Project) StoredPlan() (*plan.Plan, error) {
	sp, ok, err := p.Store.Plan(p.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, text.NewError("还没有迁移计划", "there is no migration plan yet")
	}
	return plan.Unmarshal(sp.Data)
}

// confirmPlan is the creator's typed confirmation of pl: it stores pl as
// the project's plan (stamped with who confirmed it), and the state machine
// then confirms it against the frozen contacts.
func (p *Project) confirmPlan(pl *plan.Plan, typedName string) error {
	if pl.Blocked() {
		return text.NewError("计划存在冲突，不能开始", "the plan has conflicts and cannot start")
	}
	data, h, err := encodePlan(pl)
	if err != nil {
		return err
	}
	if err := p.Store.SavePlan(p.ID, store.StoredPlan{Hash: h, SnapshotHash: pl.ContactsHash,
		ConfirmedBy: store.CurrentUser(), Data: data}); err != nil {
		return err
	}
	if err := p.Up.ConfirmPlan(h, typedName); err != nil {
		return err
	}
	p.keep(pl, h)
	return nil
}

// refusal marks an error Run returned before the engine started: nothing
// was sent to the target. Its message is the wrapped error's.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }

// Refused reports whether a run returned err before the migration started
// (no plan, wrong stage, an engine that could not be set up).
func Refused(err error) bool {
	var r refusal
	return errors.As(err, &r)
}

// run starts, resumes or retries the migration of the confirmed plan on
// conn and records its outcome in the upgrade state. It returns
// migrate.ErrInterrupted (with the partial result) when ctx ends first: the
// journal is flushed and running again resumes. retryFailed runs only the
// items that failed for good (from failed_items). Errors before the engine
// starts satisfy Refused.
func (p *Project) run(ctx context.Context, conn *Connection, opt migrate.Options, retryFailed bool, started func(*migrate.Engine)) (*migrate.Result, error) {
	eng, hash, err := p.begin(ctx, conn, opt, retryFailed)
	if errors.Is(err, errPrepareCancelled) {
		// Stopped while preparing: nothing was sent and the stage is as
		// it was (or migrating, resumable); running again goes on.
		return &migrate.Result{}, migrate.ErrInterrupted
	}
	if err != nil {
		return nil, refusal{err}
	}
	if started != nil {
		started(eng)
	}
	run := eng.Run
	if retryFailed {
		run = eng.RetryFailed
	}
	res, err := run(ctx, hash)
	if cerr := eng.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return res, err
	}
	failed := res.Failed
	if failed == 0 && !res.OK() {
		failed = max(1, res.Pending) // verification found something missing
	}
	if ferr := p.Up.FinishMigration(failed); ferr != nil {
		return res, ferr
	}
	return res, nil
}

// begin moves the state machine to migrating (start, resume or retry) and
// sets up the engine; it returns the engine and the frozen contacts' hash.
// Neither the plan (kept in memory since it was confirmed) nor the
// snapshot (only its hash is needed) is decoded on the way.
//
// A ctx that ends between the preparing steps (before the state machine
// moves) returns errPrepareCancelled: the project stays where it was.
func (p *Project) begin(ctx context.Context, conn *Connection, opt migrate.Options, retryFailed bool) (*migrate.Engine, string, error) {
	// A 100,000-member plan and snapshot take a while to read: say so.
	step := func(s string) {
		if opt.OnProgress != nil {
			opt.OnProgress(migrate.Progress{Phase: migrate.PhasePrepare, Step: s})
		}
	}
	step(migrate.StepPlan)
	pl, planHash, err := p.confirmedPlan()
	if err != nil {
		return nil, "", err
	}
	if ctx.Err() != nil {
		return nil, "", errPrepareCancelled
	}
	step(migrate.StepFreeze)
	snapHash, err := p.frozenHash()
	if err != nil {
		return nil, "", err
	}
	if ctx.Err() != nil {
		return nil, "", errPrepareCancelled
	}
	switch p.Up.Stage() {
	case upgrade.StagePlanConfirmed:
		err = p.Up.StartMigration()
	case upgrade.StageMigrating:
		err = p.Up.ResumeMigration()
	case upgrade.StageFailedItems:
		if !retryFailed {
			return nil, "", text.NewError("迁移已结束，部分失败；请修正或重试失败项", "the migration ended with failures; correct or retry the failed items")
		}
		err = p.Up.RetryFailed()
	default:
		return nil, "", fmt.Errorf("%w: %s", upgrade.ErrIllegalTransition, p.Up.Stage())
	}
	if err != nil {
		return nil, "", err
	}
	opt.PlanHash = planHash
	eng, err := migrate.New(p.Store.DB(), p.ID, pl, conn.target(), opt)
	if err != nil {
		return nil, "", err
	}
	return eng, snapHash, nil
}

// errPrepareCancelled: the run's context ended while it prepared (reading
// the plan and the frozen contacts), before anything was sent.
var errPrepareCancelled = errors.New("migration stopped while preparing")

// Status reads the migration's progress from its journal (no target call).
func (p *Project) Status() (*migrate.Result, error) {
	pl, _, err := p.confirmedPlan()
	if err != nil {
		return nil, err
	}
	res, _, err := migrate.Status(p.Store.DB(), p.ID, pl)
	return res, err
}
