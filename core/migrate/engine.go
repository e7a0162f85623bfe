// Package migrate executes a confirmed plan against WeCom: departments
// serially in plan order, then members through batch/syncuser jobs or
// per-member calls (as many in flight as the client's limiter allows, which
// paces them to the allowed rate), with a journal record per operation in
// bbolt (written in batched transactions), progress events, pause, resume and
// cancel.
//
// Exactly once: every call is declared "sent" in the journal (a window of
// operations per commit) before it leaves, and a batch job's id is
// journaled as soon as it is known. After a crash or a kill at any instant,
// the next run settles what may have been sent against the target
// (department/simplelist, user/list_id; a job journaled is awaited) before
// sending anything again, and a 60102 "userid exists" is checked against the
// member there: ours is done, someone else's is a failure explained.
//
// Transient is never final: token, busy, rate, concurrency and network
// failures leave the item waiting for final passes (with back-off) at the
// end of the run; only WeCom's final answers for an item fail it. A
// verification pass reads the target back when the run ends.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/wecom"
)

// BatchMode chooses how members are created.
type BatchMode string

// Batch modes (the CLI's --batch).
const (
	BatchAuto   BatchMode = "auto"   // batch jobs above Options.BatchThreshold members
	BatchAlways BatchMode = "always" // batch jobs whenever possible
	BatchNever  BatchMode = "never"  // per-member calls only
)

// ParseBatchMode parses a --batch value.
func ParseBatchMode(s string) (BatchMode, error) {
	switch BatchMode(s) {
	case BatchAuto, BatchAlways, BatchNever:
		return BatchMode(s), nil
	case "":
		return BatchAuto, nil
	}
	return "", text.Errorf("--batch %q: 只能是 auto、always 或 never", "--batch %q: must be auto, always or never", s)
}

// Errors Run returns.
var (
	ErrContactsChanged error = text.NewError("通讯录在计划确认后被修改，请重新生成并确认计划", "the contacts changed since the plan was confirmed; plan and confirm again")
	ErrPlanChanged     error = text.NewError("迁移日志属于另一个计划", "the migration journal belongs to another plan")
	ErrPlanBlocked     error = text.NewError("计划存在阻止迁移的冲突", "the plan has conflicts that block the migration")
	ErrInterrupted     error = text.NewError("迁移已中断，再次运行即可继续", "migration interrupted; run again to resume")
)

// DefaultInFlight is how many calls the engine keeps in flight when neither
// Options.Workers nor the target (MaxInFlight) says: the client's own
// limiter paces them to the allowed rate.
const DefaultInFlight = 64

// Options tune the engine. Zero values take the defaults.
type Options struct {
	// PlanHash is p.Hash() when the caller already knows it (core/session
	// keeps the hash of the plan it confirmed): a 100,000-member plan is
	// then not encoded again only to hash it. Empty: the engine hashes p.
	PlanHash string
	// Workers bounds the per-member calls in flight. Default: the target's
	// MaxInFlight when it has one (core/wecom's adaptive limiter bound),
	// else DefaultInFlight. The client's rate and concurrency limiter paces
	// the calls; this is only the ceiling.
	Workers        int
	Batch          BatchMode     // default BatchAuto
	BatchThreshold int           // auto: batch jobs above this many members (default 500)
	ChunkSize      int           // rows per batch job (default 10000)
	FlushEvery     time.Duration // journal commit interval (default 200 ms)
	FlushOps       int           // journal commit after this many records (default 2000)
	// IntentWindow is how many per-member operations are recorded as "sent"
	// in one journal commit before any of them is sent (default 4096).
	IntentWindow int
	// Transient classifies the errors that may succeed when the same call
	// is made later (token, busy, rate, concurrency, network): the item
	// waits for a final pass instead of failing. Default Transient.
	Transient func(error) bool
	// RetryRounds is how many final passes retry the items that failed
	// transiently (default 5); RetryBackoff is the wait before the first
	// (default 1 s), doubling each pass. Each pass halves the calls in
	// flight.
	RetryRounds  int
	RetryBackoff time.Duration
	// OnProgress receives progress events (at most every ProgressEvery, and
	// at every phase change), one call at a time. It must not block for long.
	OnProgress    func(Progress)
	ProgressEvery time.Duration // default 200 ms
	// Now replaces the clock in tests.
	Now func() time.Time

	// afterCall, in tests, runs after every member or department write
	// returned and before its outcome is recorded.
	afterCall func(key string, err error)
}

// Phases of a run, in order. PhaseRetry is the final passes over the items
// that failed transiently.
const (
	PhasePrepare     = "prepare"
	PhaseReconcile   = "reconcile"
	PhaseDepartments = "departments"
	PhaseMembers     = "members"
	PhaseRetry       = "retry"
	PhaseVerify      = "verify"
	PhaseDone        = "done"
)

// Phases lists every phase, in the order of a run (front ends name each).
var Phases = []string{PhasePrepare, PhaseReconcile, PhaseDepartments, PhaseMembers, PhaseRetry, PhaseVerify, PhaseDone}

// Steps say what a run is busy with while it is not calling the target yet
// (Progress.Step, during PhasePrepare): whatever takes longer than a quarter
// second is named so the progress view never sits silent. StepFreeze and
// StepPlan are emitted by the caller (core/session) before the engine
// exists; the engine emits StepJournal.
const (
	StepFreeze  = "freeze"  // freezing (reading and hashing) the contacts
	StepPlan    = "plan"    // loading the confirmed plan
	StepJournal = "journal" // reading or writing the migration journal
)

// Steps lists every step (front ends name each).
var Steps = []string{StepFreeze, StepPlan, StepJournal}

// Progress is one progress event.
type Progress struct {
	Phase     string        `json:"phase"`
	Step      string        `json:"step,omitempty"`  // during PhasePrepare: StepFreeze, StepPlan or StepJournal
	Total     int           `json:"total"`           // operations in the plan
	Done      int           `json:"done"`            // done, this run and before
	Failed    int           `json:"failed"`          // failed for good
	Remaining int           `json:"remaining"`       // not done yet
	Waiting   int           `json:"waiting"`         // failed transiently, waiting for a final pass
	Round     int           `json:"round,omitempty"` // final pass number during PhaseRetry
	Rate      float64       `json:"rate"`            // operations per second in this run
	ETA       time.Duration `json:"eta"`             // estimate for Remaining at Rate
	Current   string        `json:"current"`         // the item being worked on
	Paused    bool          `json:"paused"`
	Commits   int64         `json:"commits"` // journal transactions so far
}

// Transient reports whether err may succeed when the same call is made
// again later without any change (wecom.Transient: token replacement,
// busy, rate and concurrency limits, network failures and timeouts, HTTP
// 5xx/429), also for errors that only carry a WeCom errcode (ErrCode()).
// Everything else is WeCom's final answer for that item.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if wecom.Transient(err) {
		return true
	}
	var c interface{ ErrCode() int }
	if errors.As(err, &c) {
		return wecom.Transient(&wecom.Error{Code: c.ErrCode()})
	}
	return false
}

// op kinds.
const (
	kindDept   = 'd'
	kindCreate = 'c'
	kindUpdate = 'u'
)

type op struct {
	key  string
	kind byte
	dept plan.Department
	user plan.User
	row  int
}

// Engine runs one plan of one project.
type Engine struct {
	db      *bolt.DB
	project string
	plan    *plan.Plan
	planH   string        // p.Hash(), once hashed is closed
	hashed  chan struct{} // closed when planH is set
	t       Target
	opt     Options
	j       *Journal
	ops     []op
	byKey   map[string]*op

	mu       sync.Mutex
	states   map[string]Record
	done     int
	failed   int
	runDone  int
	waiting  map[string]bool // keys that failed transiently and wait for a final pass
	tried    map[string]bool // keys sent (or declared sent) in this run
	round    int
	started  time.Time
	lastEmit time.Time
	phase    string
	step     string
	current  string
	fatal    error // the journal could not be written: nothing more is sent

	listMu sync.Mutex // one user/list_id at a time for 60102 checks
	listAt time.Time
	listed map[string]plan.TargetUser // lower userid → member, from the last list

	emitMu sync.Mutex // serialises OnProgress calls

	pmu    sync.Mutex
	paused bool
	resume chan struct{}
}

// New prepares an engine for plan p of project (whose journal lives in db).
// A plan with conflicts is refused.
func New(db *bolt.DB, project string, p *plan.Plan, t Target, opt Options) (*Engine, error) {
	if p.Blocked() {
		return nil, ErrPlanBlocked
	}
	if err := checkOtherMailboxes(p); err != nil { // mailboxes.go
		return nil, err
	}
	if opt.Workers <= 0 {
		opt.Workers = DefaultInFlight
		if m, ok := t.(interface{ MaxInFlight() int }); ok && m.MaxInFlight() > 0 {
			opt.Workers = m.MaxInFlight()
		}
	}
	if opt.Batch == "" {
		opt.Batch = BatchAuto
	}
	if opt.BatchThreshold <= 0 {
		opt.BatchThreshold = 500
	}
	if opt.ChunkSize <= 0 {
		opt.ChunkSize = 10000
	}
	if opt.IntentWindow <= 0 {
		opt.IntentWindow = 4096
	}
	if opt.Transient == nil {
		opt.Transient = Transient
	}
	if opt.RetryRounds <= 0 {
		opt.RetryRounds = 5
	}
	if opt.RetryBackoff <= 0 {
		opt.RetryBackoff = time.Second
	}
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = 200 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	e := &Engine{db: db, project: project, plan: p, t: t, opt: opt, hashed: make(chan struct{}),
		j: OpenJournal(db, project, opt.FlushEvery, opt.FlushOps), byKey: map[string]*op{}}
	// The hash of a 100,000-member plan takes a few hundred ms: it is
	// computed while the journal is read, and waited for before anything
	// is written.
	if opt.PlanHash != "" {
		e.planH = opt.PlanHash
		close(e.hashed)
	} else {
		go func() { e.planH = p.Hash(); close(e.hashed) }()
	}
	e.ops = planOps(p)
	for i := range e.ops {
		e.byKey[e.ops[i].key] = &e.ops[i]
	}
	return e, nil
}

// DeptKey is the journal key of the creation of department id.
func DeptKey(id int) string { return fmt.Sprintf("d/%08d", id) }

// CreateKey is the journal key of the creation of member userid.
func CreateKey(userid string) string { return "c/" + strings.ToLower(userid) }

// UpdateKey is the journal key of the update of member userid.
func UpdateKey(userid string) string { return "u/" + strings.ToLower(userid) }

// OpCount returns how many operations (journal records) plan p has.
func OpCount(p *plan.Plan) int { return len(p.Departments) + len(p.Create) + len(p.Update) }

// planOps lists the plan's operations in execution order.
func planOps(p *plan.Plan) []op {
	ops := make([]op, 0, len(p.Departments)+len(p.Create)+len(p.Update))
	for _, d := range p.Departments {
		ops = append(ops, op{key: DeptKey(d.ID), kind: kindDept, dept: d})
	}
	for _, m := range p.Create {
		ops = append(ops, op{key: CreateKey(m.User.UserID), kind: kindCreate, user: m.User, row: m.Row})
	}
	for _, m := range p.Update {
		ops = append(ops, op{key: UpdateKey(m.User.UserID), kind: kindUpdate, user: m.User, row: m.Row})
	}
	return ops
}

// Commits returns the journal transactions (fsyncs) made so far.
func (e *Engine) Commits() int64 { return e.j.Commits() }

// Close flushes and closes the journal.
func (e *Engine) Close() error { return e.j.Close() }

// Pause stops starting new operations (those in flight finish) and flushes
// the journal. Safe from any goroutine.
func (e *Engine) Pause() {
	e.pmu.Lock()
	if !e.paused {
		e.paused = true
		e.resume = make(chan struct{})
	}
	e.pmu.Unlock()
	_ = e.j.Flush()
	e.emit(true)
}

// Resume continues after Pause.
func (e *Engine) Resume() {
	e.pmu.Lock()
	if e.paused {
		e.paused = false
		close(e.resume)
	}
	e.pmu.Unlock()
	e.emit(true)
}

// Paused reports whether the engine is paused.
func (e *Engine) Paused() bool {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	return e.paused
}

// gate blocks while paused; it returns ctx's error when cancelled.
func (e *Engine) gate(ctx context.Context) error {
	for {
		e.pmu.Lock()
		paused, ch := e.paused, e.resume
		e.pmu.Unlock()
		if !paused {
			return ctx.Err()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Run executes the plan (or resumes it). contactsHash is the hash of the
// contacts as they are now: it must equal the plan's. It returns the result
// and ErrInterrupted when ctx was cancelled (the journal is flushed; run
// again to resume).
func (e *Engine) Run(ctx context.Context, contactsHash string) (*Result, error) {
	return e.run(ctx, contactsHash, false)
}

// RetryFailed runs the operations that failed for good once more (and any
// still pending).
func (e *Engine) RetryFailed(ctx context.Context, contactsHash string) (*Result, error) {
	return e.run(ctx, contactsHash, true)
}

// setState records r as key's state (buffered in the journal) and keeps the
// counters. A final state clears the key's wait for a final pass.
func (e *Engine) setState(key string, r Record) {
	r.At = e.opt.Now()
	e.mu.Lock()
	old := e.states[key]
	if old.State != r.State {
		switch old.State {
		case StateDone:
			e.done--
		case StateFailed:
			e.failed--
		}
		switch r.State {
		case StateDone:
			e.done++
			e.runDone++
		case StateFailed:
			e.failed++
		}
	}
	r.Attempts = old.Attempts
	if r.State == StateSent && !e.tried[key] {
		e.tried[key] = true
		r.Attempts++
	}
	if r.State != StateSent {
		delete(e.waiting, key)
	}
	e.states[key] = r
	e.mu.Unlock()
	e.j.Put(key, r)
	e.emit(false)
}

func (e *Engine) state(key string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.states[key].State
}

// open reports whether key still needs work (neither done nor failed).
func (e *Engine) open(key string) bool {
	s := e.state(key)
	return s != StateDone && s != StateFailed
}

// markSent records that key's call may be sent from now on (the intent);
// the caller flushes the journal before sending.
func (e *Engine) markSent(key string) {
	e.mu.Lock()
	r := e.states[key]
	e.mu.Unlock()
	if r.State == StateSent && e.triedKey(key) {
		return
	}
	r.State = StateSent
	e.setState(key, r)
}

func (e *Engine) triedKey(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tried[key]
}

// commitIntent flushes the journal so every markSent before it is durable
// before a call is sent; a journal that cannot be written stops the run.
func (e *Engine) commitIntent() bool {
	if err := e.j.Flush(); err != nil {
		e.mu.Lock()
		if e.fatal == nil {
			e.fatal = err
		}
		e.mu.Unlock()
		return false
	}
	return true
}

func (e *Engine) fatalErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fatal
}

// wait leaves key for a final pass after the transient error err; the item
// stays "sent" (the call may have been applied), with the error recorded.
func (e *Engine) wait(key string, err error) {
	e.mu.Lock()
	r := e.states[key]
	e.mu.Unlock()
	r.State, r.Code, r.Error, r.Explain, r.Note = StateSent, plan.CodeOf(err), err.Error(), wecom.Explain(err), "transient"
	e.setState(key, r)
	e.mu.Lock()
	e.waiting[key] = true
	e.mu.Unlock()
}

func (e *Engine) setPhase(p string) {
	e.mu.Lock()
	e.phase, e.step = p, ""
	e.mu.Unlock()
	e.emit(true)
}

func (e *Engine) setStep(phase, step string) {
	e.mu.Lock()
	e.phase, e.step = phase, step
	e.mu.Unlock()
	e.emit(true)
}

func (e *Engine) setCurrent(s string) {
	e.mu.Lock()
	e.current = s
	e.mu.Unlock()
}

// Snapshot returns the current progress.
func (e *Engine) Snapshot() Progress {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.progressLocked()
}

func (e *Engine) progressLocked() Progress {
	p := Progress{Phase: e.phase, Step: e.step, Total: len(e.ops), Done: e.done, Failed: e.failed, Waiting: len(e.waiting),
		Current: e.current, Commits: e.j.Commits()}
	if e.phase == PhaseRetry {
		p.Round = e.round
	}
	p.Remaining = p.Total - p.Done
	if el := e.opt.Now().Sub(e.started).Seconds(); el > 0 && e.runDone > 0 {
		p.Rate = float64(e.runDone) / el
		p.ETA = time.Duration(float64(p.Remaining-p.Failed) / p.Rate * float64(time.Second))
	}
	p.Paused = e.Paused()
	return p
}

func (e *Engine) emit(force bool) {
	if e.opt.OnProgress == nil {
		return
	}
	e.mu.Lock()
	now := e.opt.Now()
	if !force && now.Sub(e.lastEmit) < e.opt.ProgressEvery {
		e.mu.Unlock()
		return
	}
	e.lastEmit = now
	p := e.progressLocked()
	e.mu.Unlock()
	e.emitMu.Lock()
	defer e.emitMu.Unlock()
	e.opt.OnProgress(p)
}

func (e *Engine) run(ctx context.Context, contactsHash string, retryFailed bool) (res *Result, err error) {
	if contactsHash != e.plan.ContactsHash {
		return nil, ErrContactsChanged
	}
	e.started = e.opt.Now()
	e.mu.Lock()
	e.waiting, e.tried, e.fatal, e.round = map[string]bool{}, map[string]bool{}, nil, 0
	e.mu.Unlock()
	e.setStep(PhasePrepare, StepJournal)
	meta, ok, recs, err := e.j.Load()
	if err != nil {
		return nil, err
	}
	<-e.hashed
	if ok && meta.PlanHash != e.planH {
		return nil, ErrPlanChanged
	}
	// A journal written before intents were recorded has every operation
	// "pending" from the start: any of them may have been sent.
	legacy := ok && !meta.Intent
	if !ok {
		// Nothing is written per operation up front: an absent record is
		// pending (never sent), so the first call leaves at once.
		meta = Meta{PlanHash: e.planH, ContactsHash: e.plan.ContactsHash, StartedAt: e.started, Intent: true}
	}
	meta.Runs++
	meta.Finished = false
	if err := e.j.PutMeta(meta); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.states = make(map[string]Record, len(e.ops))
	e.done, e.failed, e.runDone = 0, 0, 0
	uncertain := false
	for _, o := range e.ops {
		r, ok := recs[o.key]
		if !ok {
			r = Record{State: StatePending}
		}
		if (retryFailed && r.State == StateFailed) || (legacy && r.State == StatePending) {
			r.State = StateSent
		}
		e.states[o.key] = r
		switch r.State {
		case StateDone:
			e.done++
		case StateFailed:
			e.failed++
		case StateSent:
			uncertain = true
		}
	}
	e.mu.Unlock()

	defer func() {
		if ferr := e.j.Flush(); ferr != nil && err == nil {
			err = ferr
		}
		meta.Elapsed += e.opt.Now().Sub(e.started)
		meta.Commits = e.j.Commits() + 1
		if res != nil {
			meta.Finished = res.Pending == 0
			meta.Verification = res.Verification
			if meta.Finished {
				meta.FinishedAt = e.opt.Now()
			}
			res.Commits = meta.Commits
		}
		if merr := e.j.PutMeta(meta); merr != nil && err == nil {
			err = merr
		}
	}()

	jobs, err := e.j.Jobs()
	if err != nil {
		return nil, err
	}
	if uncertain || len(jobs) > 0 {
		e.setPhase(PhaseReconcile)
		if err := e.resumeJobs(ctx, jobs); err != nil {
			if ctx.Err() != nil {
				return e.result(nil, true), ErrInterrupted
			}
			return nil, err
		}
		if err := e.reconcile(ctx); err != nil {
			if ctx.Err() != nil {
				return e.result(nil, true), ErrInterrupted
			}
			return nil, err
		}
	}
	for round := 0; ; round++ {
		if round == 0 {
			e.setPhase(PhaseDepartments)
		} else {
			e.mu.Lock()
			e.round = round
			e.mu.Unlock()
			e.setPhase(PhaseRetry)
			if !e.backoff(ctx, round) {
				break
			}
			// What the failed calls may have applied is read back first, so
			// nothing is sent twice that the target already has.
			_ = e.reconcile(ctx)
		}
		e.departments(ctx)
		if ctx.Err() != nil || e.fatalErr() != nil {
			break
		}
		if round == 0 {
			e.setPhase(PhaseMembers)
		}
		if m := e.members(ctx); m != "" && (round == 0 || meta.Mode == "") {
			meta.Mode = m
		}
		if ctx.Err() != nil || e.fatalErr() != nil || !e.anyOpen() {
			break
		}
		if round == e.opt.RetryRounds {
			e.failOpen()
			break
		}
	}
	if ferr := e.fatalErr(); ferr != nil {
		e.setPhase(PhaseDone)
		return e.result(nil, true), ferr
	}
	if ctx.Err() != nil {
		e.setPhase(PhaseDone)
		return e.result(nil, true), ErrInterrupted
	}
	e.setPhase(PhaseVerify)
	v, verr := Verify(ctx, e.t, e.plan)
	if verr != nil {
		if ctx.Err() != nil {
			return e.result(nil, true), ErrInterrupted
		}
		v = &Verification{At: e.opt.Now(), Error: verr.Error()}
	}
	e.setPhase(PhaseDone)
	return e.result(v, false), nil
}

// backoff waits before final pass round (RetryBackoff doubling); false when
// ctx ended.
func (e *Engine) backoff(ctx context.Context, round int) bool {
	d := e.opt.RetryBackoff << min(round-1, 10)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	return e.gate(ctx) == nil
}

// anyOpen reports whether an operation is neither done nor failed.
func (e *Engine) anyOpen() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.states {
		if r.State != StateDone && r.State != StateFailed {
			return true
		}
	}
	return false
}

// failOpen ends the last final pass: what is still open fails with its
// last (transient) error, saying it was retried.
func (e *Engine) failOpen() {
	for _, o := range e.ops {
		e.mu.Lock()
		r := e.states[o.key]
		e.mu.Unlock()
		if r.State == StateDone || r.State == StateFailed {
			continue
		}
		switch {
		case r.Code != 0 || r.Error != "":
		case o.kind == kindDept:
			r.Code, r.Error = wecom.CodeParentNotFound, "the parent department was not created"
			r.Explain = text.New("上级部门未能创建，此部门未创建", "the parent department could not be created, so this one was not")
		default:
			r.Code, r.Error = wecom.CodeDeptNotFound, "a department of this member was not created"
			r.Explain = text.New("此成员所在的部门未能创建，成员未创建", "a department of this member could not be created, so the member was not created")
		}
		r.State = StateFailed
		r.Explain = r.Explain.Append(" ", text.Sprintf("（已重试%d轮，仍为临时错误；稍后选择重试失败项）", "(still transient after %d final passes; retry the failed items later)", e.opt.RetryRounds))
		e.setState(o.key, r)
	}
}

// reconcile settles the operations that may have been sent ("sent"): what
// the target shows done is done, a member there that is not ours fails,
// the rest stays to be sent.
func (e *Engine) reconcile(ctx context.Context) error {
	var needD, needU bool
	for _, o := range e.ops {
		if e.state(o.key) != StateSent {
			continue
		}
		switch o.kind {
		case kindDept:
			needD = true
		case kindCreate:
			needU = true
		}
	}
	if needD {
		ds, err := e.t.ListDepartmentIDs(ctx)
		if err != nil {
			return fmt.Errorf("reconcile departments: %w", err)
		}
		parent := map[int]int{}
		for _, d := range ds {
			parent[d.ID] = d.ParentID
		}
		for _, o := range e.ops {
			if o.kind == kindDept && e.state(o.key) == StateSent {
				if p, ok := parent[o.dept.ID]; ok && p == o.dept.ParentID {
					e.setState(o.key, Record{State: StateDone, Note: "reconciled"})
				}
			}
		}
	}
	if needU {
		present, err := e.listUsers(ctx, time.Time{})
		if err != nil {
			return fmt.Errorf("reconcile members: %w", err)
		}
		for i := range e.ops {
			o := &e.ops[i]
			if o.kind != kindCreate || e.state(o.key) != StateSent {
				continue
			}
			if tu, ok := present[strings.ToLower(o.user.UserID)]; ok {
				e.settleExisting(o, tu, "reconciled")
			}
		}
	}
	return nil
}

// listUsers reads user/list_id unless a list was read after since (one read
// at a time: concurrent 60102 checks share it).
func (e *Engine) listUsers(ctx context.Context, since time.Time) (map[string]plan.TargetUser, error) {
	e.listMu.Lock()
	defer e.listMu.Unlock()
	if e.listed != nil && e.listAt.After(since) {
		return e.listed, nil
	}
	at := time.Now()
	us, err := e.t.ListUserIDs(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]plan.TargetUser, len(us))
	for _, u := range us {
		m[strings.ToLower(u.UserID)] = u
	}
	e.listed, e.listAt = m, at
	return m, nil
}

// UserGetter is implemented by targets that read one member (user/get);
// the engine then checks a 60102 against the member's details, not only
// its departments.
type UserGetter interface {
	GetUser(ctx context.Context, userid string) (plan.User, error)
}

// settleExisting decides a create whose userid the target has: the
// member there is ours when it is in every department we put it in (and,
// when the target reads details, has our name and mobile) — done, never
// sent again; otherwise the userid belongs to someone else — failed,
// explained.
func (e *Engine) settleExisting(o *op, tu plan.TargetUser, note string) {
	if diff := e.differs(o.user, tu.Departments, nil); diff != "" {
		e.failExisting(o, diff)
		return
	}
	e.setState(o.key, Record{State: StateDone, Note: note})
}

func (e *Engine) differs(ours plan.User, depts []int, theirs *plan.User) string {
	var d []string
	for _, id := range ours.Departments {
		if !containsInt(depts, id) {
			d = append(d, fmt.Sprintf("department %d", id))
			break
		}
	}
	if theirs != nil {
		if theirs.Name != ours.Name {
			d = append(d, "name "+theirs.Name)
		}
		if ours.Mobile != "" && theirs.Mobile != "" && theirs.Mobile != ours.Mobile {
			d = append(d, "mobile")
		}
		if ours.BizMail != "" && theirs.BizMail != "" && !strings.EqualFold(theirs.BizMail, ours.BizMail) {
			d = append(d, "biz_mail "+theirs.BizMail)
		}
	}
	return strings.Join(d, ", ")
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (e *Engine) failExisting(o *op, diff string) {
	e.setState(o.key, Record{State: StateFailed, Code: wecom.CodeUserIDExists,
		Error: fmt.Sprintf("userid %s exists in the target and differs from the member to create (%s)", o.user.UserID, diff),
		Explain: text.Sprintf("企业微信中已有账号%s，但与要创建的成员不一致（%s），可能是另一个人；请核对后在通讯录中为此成员换一个账号，或确认是同一人后在企业微信中修改。",
			"The target already has userid %s and it differs from the member to create (%s): it may be someone else. Check it, then give this member another account in the contacts, or correct the member in WeCom if it is the same person.",
			o.user.UserID, diff)})
}

// checkExisting settles a create answered 60102 (userid exists): read the
// member back and compare it with ours.
func (e *Engine) checkExisting(ctx context.Context, o *op, sent time.Time, cause error) {
	if g, ok := e.t.(UserGetter); ok {
		u, err := g.GetUser(ctx, o.user.UserID)
		switch {
		case err == nil:
			if diff := e.differs(o.user, u.Departments, &u); diff != "" {
				e.failExisting(o, diff)
			} else {
				e.setState(o.key, Record{State: StateDone, Note: "exists"})
			}
		case ctx.Err() != nil:
		case e.opt.Transient(err):
			e.wait(o.key, err)
		default:
			e.fail(o.key, cause)
		}
		return
	}
	present, err := e.listUsers(ctx, sent)
	switch {
	case err == nil:
		if tu, ok := present[strings.ToLower(o.user.UserID)]; ok {
			e.settleExisting(o, tu, "exists")
		} else {
			e.wait(o.key, cause) // listed before the member appeared: check again later
		}
	case ctx.Err() != nil:
	case e.opt.Transient(err):
		e.wait(o.key, err)
	default:
		e.fail(o.key, cause)
	}
}

func (e *Engine) fail(key string, err error) {
	e.setState(key, Record{State: StateFailed, Code: plan.CodeOf(err), Error: err.Error(), Explain: wecom.Explain(err)})
}

func (e *Engine) failExplained(key string, err error, zh, en string) {
	e.setState(key, Record{State: StateFailed, Code: plan.CodeOf(err), Error: err.Error(), Explain: text.New(zh, en)})
}

// deptPresent reads department/simplelist and reports whether d exists
// under its planned parent.
func (e *Engine) deptPresent(ctx context.Context, d plan.Department) bool {
	ds, err := e.t.ListDepartmentIDs(ctx)
	if err != nil {
		return false
	}
	for _, x := range ds {
		if x.ID == d.ID {
			return x.ParentID == d.ParentID
		}
	}
	return false
}

func (e *Engine) called(key string, err error) {
	if e.opt.afterCall != nil {
		e.opt.afterCall(key, err)
	}
}

func (e *Engine) departments(ctx context.Context) {
	// Every department still to create is declared sent in one commit.
	some := false
	for _, o := range e.ops {
		if o.kind == kindDept && e.open(o.key) {
			e.markSent(o.key)
			some = true
		}
	}
	if !some || !e.commitIntent() {
		return
	}
	for i := range e.ops {
		o := &e.ops[i]
		if o.kind != kindDept || !e.open(o.key) {
			continue
		}
		if e.gate(ctx) != nil {
			return
		}
		e.setCurrent(o.dept.Path)
		if pk := DeptKey(o.dept.ParentID); e.byKey[pk] != nil {
			switch e.state(pk) {
			case StateFailed:
				e.failExplained(o.key, &plan.APIError{Code: wecom.CodeParentNotFound, Message: "parent department " + contactsParent(o.dept.Path) + " was not created"},
					"上级部门「"+contactsParent(o.dept.Path)+"」创建失败，此部门无法创建", "the parent department "+contactsParent(o.dept.Path)+" could not be created, so this one was not")
				continue
			case StateDone:
			default:
				continue // the parent waits for a final pass: so does this one
			}
		}
		err := e.t.CreateDepartment(ctx, o.dept)
		e.called(o.key, err)
		code := plan.CodeOf(err)
		switch {
		case err == nil:
			e.setState(o.key, Record{State: StateDone, Note: "created"})
		case ctx.Err() != nil:
			return // stays sent: reconciled on the next run
		case code == wecom.CodeDeptExists:
			// Created by an earlier attempt whose answer was lost? Only the id
			// (chosen by the plan) under the right parent proves it.
			if e.deptPresent(ctx, o.dept) {
				e.setState(o.key, Record{State: StateDone, Note: "exists"})
			} else {
				e.fail(o.key, err)
			}
		case e.opt.Transient(err):
			if e.deptPresent(ctx, o.dept) {
				e.setState(o.key, Record{State: StateDone, Note: "exists"})
			} else {
				e.wait(o.key, err)
			}
		default:
			e.fail(o.key, err)
		}
	}
}

func contactsParent(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return ""
}

// deptState says whether every department u needs is done (ready), one
// failed for good (failed), or one still waits (neither).
func (e *Engine) deptState(u plan.User) (ready, failed bool) {
	ready = true
	for _, id := range u.Departments {
		k := DeptKey(id)
		if e.byKey[k] == nil {
			continue
		}
		switch e.state(k) {
		case StateDone:
		case StateFailed:
			return false, true
		default:
			ready = false
		}
	}
	return ready, false
}

// members runs the open member operations; it returns the mode used ("" when
// there was nothing to do).
func (e *Engine) members(ctx context.Context) string {
	var batch, single []*op
	for i := range e.ops {
		o := &e.ops[i]
		if o.kind == kindDept || !e.open(o.key) {
			continue
		}
		ready, failed := e.deptState(o.user)
		if failed {
			e.failExplained(o.key, &plan.APIError{Code: wecom.CodeDeptNotFound, Message: "a department of this member was not created"},
				"此成员所在的部门创建失败，成员未创建", "a department of this member could not be created, so the member was not created")
			continue
		}
		if !ready {
			continue // its department waits for a final pass
		}
		// The batch CSV has no biz-mail column: members with one need user/create.
		if o.kind == kindCreate && o.user.BizMail == "" && e.opt.Batch != BatchNever {
			batch = append(batch, o)
		} else {
			single = append(single, o)
		}
	}
	if len(batch) == 0 && len(single) == 0 {
		return ""
	}
	mode := "per-member"
	if e.opt.Batch == BatchAuto && len(batch) <= e.opt.BatchThreshold {
		single = append(single, batch...)
		batch = nil
	}
	if len(batch) > 0 {
		mode = "batch"
		if len(single) > 0 {
			mode = "batch+per-member"
		}
		e.batch(ctx, batch)
	}
	if ctx.Err() == nil && e.fatalErr() == nil {
		e.single(ctx, single)
	}
	return mode
}

// single runs per-member calls on Workers goroutines. Operations are
// declared sent a window at a time (one journal commit) before any of them
// leaves, so a crash at any instant leaves every call that may have been
// made marked for verification on resume.
func (e *Engine) single(ctx context.Context, ops []*op) {
	w := e.opt.IntentWindow
	jobs := make(chan *op, w)
	// A final pass goes gentler: half the calls in flight each round, so a
	// concurrency cap or a struggling server that made the items fail gets
	// fewer calls at once.
	e.mu.Lock()
	workers := max(1, e.opt.Workers>>min(e.round, 16))
	e.mu.Unlock()
	var wg sync.WaitGroup
	for i := 0; i < min(workers, len(ops)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range jobs {
				if e.gate(ctx) != nil {
					continue
				}
				e.member(ctx, o)
			}
		}()
	}
	// The first window is small so the first call leaves at once; windows
	// then double up to IntentWindow.
	size := min(w, 2*workers)
feed:
	for start := 0; start < len(ops); start += size {
		if start > 0 {
			size = min(2*size, w)
		}
		if e.gate(ctx) != nil {
			break
		}
		win := ops[start:min(start+size, len(ops))]
		for _, o := range win {
			e.markSent(o.key)
		}
		if !e.commitIntent() {
			break
		}
		for _, o := range win {
			select {
			case jobs <- o:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
}

func (e *Engine) member(ctx context.Context, o *op) {
	if ctx.Err() != nil {
		return
	}
	e.setCurrent(o.user.UserID)
	sent := time.Now()
	var err error
	if o.kind == kindCreate {
		err = e.t.CreateUser(ctx, o.user)
	} else {
		err = e.t.UpdateUser(ctx, o.user)
	}
	e.called(o.key, err)
	switch {
	case err == nil:
		note := "created"
		if o.kind == kindUpdate {
			note = "updated"
		}
		e.setState(o.key, Record{State: StateDone, Note: note})
	case ctx.Err() != nil:
		// Stays sent; reconciled on the next run.
	case o.kind == kindCreate && plan.CodeOf(err) == wecom.CodeUserIDExists:
		// The plan creates this userid because it did not exist when
		// planned: an earlier attempt (lost answer, crash) may have made it.
		e.checkExisting(ctx, o, sent, err)
	case e.opt.Transient(err):
		e.wait(o.key, err)
	default:
		e.fail(o.key, err)
	}
}

// BatchTarget is implemented by targets whose batch jobs can be submitted
// and awaited separately: the engine journals the job id between the two,
// so a resumed run awaits a job it submitted instead of submitting it again.
type BatchTarget interface {
	SubmitSync(ctx context.Context, users []plan.User) (jobID string, err error)
	AwaitSync(ctx context.Context, jobID string, progress func(percent int)) ([]RowResult, error)
}

// resumeJobs awaits the batch jobs a killed run submitted and applies their
// rows; a job the target no longer knows is dropped (reconcile then reads
// what it did).
func (e *Engine) resumeJobs(ctx context.Context, jobs []string) error {
	bt, ok := e.t.(BatchTarget)
	for _, id := range jobs {
		if ok {
			rows, err := bt.AwaitSync(ctx, id, nil)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == nil {
				e.applyRows(rows, nil)
			}
		}
		if err := e.j.DeleteJob(id); err != nil {
			return err
		}
	}
	return nil
}

// applyRows records a job's row results for the rows still open (only
// those of byID when it is not nil).
func (e *Engine) applyRows(rows []RowResult, byID map[string]*op) {
	for _, r := range rows {
		var o *op
		if byID != nil {
			o = byID[strings.ToLower(r.UserID)]
		} else {
			o = e.byKey[CreateKey(r.UserID)]
		}
		if o == nil || !e.open(o.key) {
			continue
		}
		switch {
		case r.Err == nil:
			e.setState(o.key, Record{State: StateDone, Note: "batch"})
		case e.opt.Transient(r.Err):
			e.wait(o.key, r.Err)
		default:
			e.fail(o.key, r.Err)
		}
	}
}

func (e *Engine) batch(ctx context.Context, ops []*op) {
	bt, split := e.t.(BatchTarget)
	for start := 0; start < len(ops); start += e.opt.ChunkSize {
		if e.gate(ctx) != nil {
			return
		}
		chunk := ops[start:min(start+e.opt.ChunkSize, len(ops))]
		users := make([]plan.User, len(chunk))
		byID := make(map[string]*op, len(chunk))
		for i, o := range chunk {
			users[i] = o.user
			byID[strings.ToLower(o.user.UserID)] = o
			e.markSent(o.key)
		}
		if !e.commitIntent() {
			return
		}
		e.setCurrent(fmt.Sprintf("batch %d-%d", start+1, start+len(chunk)))
		var rows []RowResult
		var err error
		if split {
			var job string
			job, err = bt.SubmitSync(ctx, users)
			if err == nil {
				e.called("submitted/"+job, nil)
				if jerr := e.j.PutJob(job); jerr != nil {
					e.mu.Lock()
					e.fatal = jerr
					e.mu.Unlock()
					return
				}
				e.called("job/"+job, nil)
				rows, err = bt.AwaitSync(ctx, job, nil)
				if err == nil {
					e.applyRows(rows, byID)
					if jerr := e.j.DeleteJob(job); jerr != nil {
						e.mu.Lock()
						e.fatal = jerr
						e.mu.Unlock()
						return
					}
					continue
				}
			}
		} else {
			rows, err = e.t.SyncUsers(ctx, users, nil)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			for _, o := range chunk {
				if e.opt.Transient(err) {
					e.wait(o.key, err)
				} else {
					e.fail(o.key, err)
				}
			}
			continue
		}
		e.applyRows(rows, byID)
	}
	// Rows the jobs did not report: ask the target; the rest waits.
	var missing bool
	for _, o := range ops {
		if e.state(o.key) == StateSent && !e.isWaiting(o.key) {
			missing = true
			break
		}
	}
	if missing && ctx.Err() == nil {
		_ = e.reconcile(ctx)
		for _, o := range ops {
			if e.state(o.key) == StateSent && !e.isWaiting(o.key) {
				e.wait(o.key, &plan.APIError{Code: wecom.CodeBadResponse, Message: "the batch job did not report this row and it is not in the target yet"})
			}
		}
	}
}

func (e *Engine) isWaiting(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.waiting[key]
}

// Failure is an operation that failed for good.
type Failure struct {
	Kind    string `json:"kind"` // "department", "create", "update"
	Key     string `json:"key"`  // department path or userid
	Name    string `json:"name"`
	Row     int    `json:"row,omitempty"`
	Code    int    `json:"code"`
	Error   string `json:"error"`
	Explain text.T `json:"explain"`
}

// Result is the outcome of a run.
type Result struct {
	PlanHash       string        `json:"plan_hash"`
	Total          int           `json:"total"`
	Done           int           `json:"done"`
	Failed         int           `json:"failed"`
	Pending        int           `json:"pending"`
	DeptsCreated   int           `json:"departments_created"`
	MembersCreated int           `json:"members_created"`
	MembersUpdated int           `json:"members_updated"`
	Failures       []Failure     `json:"failures"`
	Verification   *Verification `json:"verification,omitempty"`
	Interrupted    bool          `json:"interrupted"`
	Commits        int64         `json:"commits"`
	Elapsed        time.Duration `json:"elapsed"`
}

// OK reports whether everything is done and verified.
func (r *Result) OK() bool {
	return r.Failed == 0 && r.Pending == 0 && !r.Interrupted && r.Verification != nil && r.Verification.OK
}

func (e *Engine) result(v *Verification, interrupted bool) *Result {
	<-e.hashed
	e.mu.Lock()
	states := e.states
	e.mu.Unlock()
	return buildResult(e.plan, e.planH, states, v, interrupted, e.opt.Now().Sub(e.started), e.j.Commits())
}

func buildResult(p *plan.Plan, planH string, states map[string]Record, v *Verification, interrupted bool, el time.Duration, commits int64) *Result {
	r := &Result{PlanHash: planH, Verification: v, Interrupted: interrupted, Elapsed: el, Commits: commits, Failures: []Failure{}}
	for _, o := range planOps(p) {
		r.Total++
		s := states[o.key]
		switch s.State {
		case StateDone:
			r.Done++
			switch o.kind {
			case kindDept:
				r.DeptsCreated++
			case kindCreate:
				r.MembersCreated++
			case kindUpdate:
				r.MembersUpdated++
			}
		case StateFailed:
			r.Failed++
			f := Failure{Code: s.Code, Error: s.Error, Explain: s.Explain, Row: o.row}
			switch o.kind {
			case kindDept:
				f.Kind, f.Key, f.Name = "department", o.dept.Path, o.dept.Name
			case kindCreate:
				f.Kind, f.Key, f.Name = "create", o.user.UserID, o.user.Name
			case kindUpdate:
				f.Kind, f.Key, f.Name = "update", o.user.UserID, o.user.Name
			}
			r.Failures = append(r.Failures, f)
		default:
			r.Pending++
		}
	}
	sort.SliceStable(r.Failures, func(i, j int) bool { return r.Failures[i].Kind < r.Failures[j].Kind })
	return r
}

// Status reads the journal of project without running anything: the
// result so far (nil when the migration never started) and the meta.
func Status(db *bolt.DB, project string, p *plan.Plan) (*Result, *Meta, error) {
	meta, ok, recs, err := LoadJournal(db, project)
	if err != nil || !ok {
		return nil, nil, err
	}
	r := buildResult(p, p.Hash(), recs, meta.Verification, !meta.Finished, meta.Elapsed, meta.Commits)
	return r, &meta, nil
}

// Records returns the journal record of every operation of p (pending when
// absent), keyed by DeptKey/CreateKey/UpdateKey.
func Records(db *bolt.DB, project string, p *plan.Plan) (map[string]Record, error) {
	_, _, recs, err := LoadJournal(db, project)
	if err != nil {
		return nil, err
	}
	for _, o := range planOps(p) {
		if _, ok := recs[o.key]; !ok {
			recs[o.key] = Record{State: StatePending}
		}
	}
	return recs, nil
}
