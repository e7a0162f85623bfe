// Package migrate executes a confirmed plan against WeCom: departments
// serially in plan order, then members through batch/syncuser jobs or
// per-member calls on a worker pool, with a journal record per operation in
// bbolt (written in batched transactions), progress events, pause, resume and
// cancel. After a crash or a kill at any instant, running again reconciles
// the unfinished operations with the target (user/list_id,
// department/simplelist) before redoing them, so every member and department
// ends up present exactly once. A verification pass reads the target back
// when the run ends.
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
	return "", fmt.Errorf("--batch %q: 只能是 auto、always 或 never / must be auto, always or never", s)
}

// Errors Run returns.
var (
	ErrContactsChanged = errors.New("通讯录在计划确认后被修改,请重新生成并确认计划 / the contacts changed since the plan was confirmed; plan and confirm again")
	ErrPlanChanged     = errors.New("迁移日志属于另一个计划 / the migration journal belongs to another plan")
	ErrPlanBlocked     = errors.New("计划存在阻止迁移的冲突 / the plan has conflicts that block the migration")
	ErrInterrupted     = errors.New("迁移已中断,再次运行即可继续 / migration interrupted; run again to resume")
)

// Options tune the engine. Zero values take the defaults.
type Options struct {
	Workers        int           // parallel per-member calls (default 8)
	Batch          BatchMode     // default BatchAuto
	BatchThreshold int           // auto: batch jobs above this many members (default 500)
	ChunkSize      int           // rows per batch job (default 10000)
	FlushEvery     time.Duration // journal commit interval (default 200 ms)
	FlushOps       int           // journal commit after this many records (default 2000)
	// OnProgress receives progress events (at most every ProgressEvery, and
	// at every phase change), one call at a time. It must not block for long.
	OnProgress    func(Progress)
	ProgressEvery time.Duration // default 200 ms
	// Now replaces the clock in tests.
	Now func() time.Time
}

// Phases of a run, in order.
const (
	PhaseReconcile   = "reconcile"
	PhaseDepartments = "departments"
	PhaseMembers     = "members"
	PhaseVerify      = "verify"
	PhaseDone        = "done"
)

// Progress is one progress event.
type Progress struct {
	Phase     string        `json:"phase"`
	Total     int           `json:"total"`     // operations in the plan
	Done      int           `json:"done"`      // done, this run and before
	Failed    int           `json:"failed"`    // failed for good
	Remaining int           `json:"remaining"` // not done yet
	Rate      float64       `json:"rate"`      // operations per second in this run
	ETA       time.Duration `json:"eta"`       // estimate for Remaining at Rate
	Current   string        `json:"current"`   // the item being worked on
	Paused    bool          `json:"paused"`
	Commits   int64         `json:"commits"` // journal transactions so far
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
	planH   string
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
	started  time.Time
	lastEmit time.Time
	phase    string
	current  string

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
		opt.Workers = 8
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
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = 200 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	e := &Engine{db: db, project: project, plan: p, planH: p.Hash(), t: t, opt: opt,
		j: OpenJournal(db, project, opt.FlushEvery, opt.FlushOps), byKey: map[string]*op{}}
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
	if r.State != StatePending && old.State == StatePending {
		r.Attempts++
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

func (e *Engine) setPhase(p string) {
	e.mu.Lock()
	e.phase = p
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
	p := Progress{Phase: e.phase, Total: len(e.ops), Done: e.done, Failed: e.failed, Current: e.current, Commits: e.j.Commits()}
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
	meta, ok, recs, err := e.j.Load()
	if err != nil {
		return nil, err
	}
	if ok && meta.PlanHash != e.planH {
		return nil, ErrPlanChanged
	}
	resumed := ok && meta.Runs > 0
	if !ok {
		meta = Meta{PlanHash: e.planH, ContactsHash: e.plan.ContactsHash, StartedAt: e.started}
		pending := make(map[string]Record, len(e.ops))
		for _, o := range e.ops {
			pending[o.key] = Record{State: StatePending, At: e.started}
		}
		if err := e.j.PutAll(pending); err != nil {
			return nil, err
		}
		recs = pending
	}
	meta.Runs++
	meta.Finished = false
	if err := e.j.PutMeta(meta); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.states = make(map[string]Record, len(e.ops))
	e.done, e.failed, e.runDone = 0, 0, 0
	for _, o := range e.ops {
		r, ok := recs[o.key]
		if !ok {
			r = Record{State: StatePending}
		}
		if retryFailed && r.State == StateFailed {
			r.State = StatePending
		}
		e.states[o.key] = r
		switch r.State {
		case StateDone:
			e.done++
		case StateFailed:
			e.failed++
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

	if resumed || retryFailed {
		e.setPhase(PhaseReconcile)
		if err := e.reconcile(ctx); err != nil {
			if ctx.Err() != nil {
				return e.result(nil, true), ErrInterrupted
			}
			return nil, err
		}
	}
	e.setPhase(PhaseDepartments)
	e.departments(ctx)
	if ctx.Err() == nil {
		e.setPhase(PhaseMembers)
		meta.Mode = e.members(ctx)
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

// reconcile marks pending operations that the target shows done.
func (e *Engine) reconcile(ctx context.Context) error {
	var needD, needU bool
	for _, o := range e.ops {
		if e.state(o.key) != StatePending {
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
			if o.kind == kindDept && e.state(o.key) == StatePending {
				if p, ok := parent[o.dept.ID]; ok && p == o.dept.ParentID {
					e.setState(o.key, Record{State: StateDone, Note: "reconciled"})
				}
			}
		}
	}
	if needU {
		us, err := e.t.ListUserIDs(ctx)
		if err != nil {
			return fmt.Errorf("reconcile members: %w", err)
		}
		present := make(map[string]bool, len(us))
		for _, u := range us {
			present[strings.ToLower(u.UserID)] = true
		}
		for _, o := range e.ops {
			if o.kind == kindCreate && e.state(o.key) == StatePending && present[strings.ToLower(o.user.UserID)] {
				e.setState(o.key, Record{State: StateDone, Note: "reconciled"})
			}
		}
	}
	return nil
}

func (e *Engine) fail(key string, err error) {
	e.setState(key, Record{State: StateFailed, Code: plan.CodeOf(err), Error: err.Error(), Explain: wecom.Explain(err)})
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

func (e *Engine) departments(ctx context.Context) {
	for _, o := range e.ops {
		if o.kind != kindDept || e.state(o.key) != StatePending {
			continue
		}
		if e.gate(ctx) != nil {
			return
		}
		e.setCurrent(o.dept.Path)
		if pk := DeptKey(o.dept.ParentID); e.byKey[pk] != nil && e.state(pk) == StateFailed {
			e.fail(o.key, &plan.APIError{Code: plan.CodeParentNotFound, Message: "parent department " + contactsParent(o.dept.Path) + " was not created"})
			continue
		}
		err := e.t.CreateDepartment(ctx, o.dept)
		switch {
		case err == nil:
			e.setState(o.key, Record{State: StateDone, Note: "created"})
		case ctx.Err() != nil:
			return // stays pending: reconciled on the next run
		case plan.CodeOf(err) == plan.CodeDeptExists || plan.CodeOf(err) == wecom.CodeTransport:
			// Created by an earlier attempt whose answer was lost? Only the id
			// (chosen by the plan) under the right parent proves it.
			if e.deptPresent(ctx, o.dept) {
				e.setState(o.key, Record{State: StateDone, Note: "exists"})
			} else {
				e.fail(o.key, err)
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

// deptFailed reports whether a department the user needs failed.
func (e *Engine) deptFailed(u plan.User) bool {
	for _, id := range u.Departments {
		if k := DeptKey(id); e.byKey[k] != nil && e.state(k) != StateDone {
			return true
		}
	}
	return false
}

// members runs the member operations; it returns the mode used.
func (e *Engine) members(ctx context.Context) string {
	var batch, single []*op
	for i := range e.ops {
		o := &e.ops[i]
		if o.kind == kindDept || e.state(o.key) != StatePending {
			continue
		}
		if e.deptFailed(o.user) {
			e.fail(o.key, &plan.APIError{Code: plan.CodeDeptNotFound, Message: "a department of this member was not created"})
			continue
		}
		// The batch CSV has no biz-mail column: members with one need user/create.
		if o.kind == kindCreate && o.user.BizMail == "" && e.opt.Batch != BatchNever {
			batch = append(batch, o)
		} else {
			single = append(single, o)
		}
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
	if ctx.Err() == nil {
		e.single(ctx, single)
	}
	return mode
}

func (e *Engine) single(ctx context.Context, ops []*op) {
	jobs := make(chan *op)
	var wg sync.WaitGroup
	for w := 0; w < e.opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range jobs {
				e.member(ctx, o)
			}
		}()
	}
	for _, o := range ops {
		if e.gate(ctx) != nil {
			break
		}
		select {
		case jobs <- o:
		case <-ctx.Done():
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
	var err error
	if o.kind == kindCreate {
		err = e.t.CreateUser(ctx, o.user)
		if plan.CodeOf(err) == wecom.CodeTransport && ctx.Err() == nil {
			// The create may have been applied: ask again; 60102 then proves it.
			err = e.t.CreateUser(ctx, o.user)
		}
	} else {
		err = e.t.UpdateUser(ctx, o.user)
	}
	switch {
	case err == nil:
		note := "created"
		if o.kind == kindUpdate {
			note = "updated"
		}
		e.setState(o.key, Record{State: StateDone, Note: note})
	case ctx.Err() != nil:
		// Stays pending; reconciled on the next run.
	case o.kind == kindCreate && plan.CodeOf(err) == plan.CodeUserExists:
		// The plan created this userid (it did not exist when planned), so
		// an earlier attempt made it; the verification pass checks it.
		e.setState(o.key, Record{State: StateDone, Note: "exists"})
	default:
		e.fail(o.key, err)
	}
}

func (e *Engine) batch(ctx context.Context, ops []*op) {
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
		}
		e.setCurrent(fmt.Sprintf("batch %d-%d", start+1, start+len(chunk)))
		rows, err := e.t.SyncUsers(ctx, users, nil)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			for _, o := range chunk {
				e.fail(o.key, err)
			}
			continue
		}
		for _, r := range rows {
			o := byID[strings.ToLower(r.UserID)]
			if o == nil || e.state(o.key) != StatePending {
				continue
			}
			if r.Err == nil {
				e.setState(o.key, Record{State: StateDone, Note: "batch"})
			} else {
				e.fail(o.key, r.Err)
			}
		}
	}
	// Rows the jobs did not report: ask the target.
	var missing bool
	for _, o := range ops {
		if e.state(o.key) == StatePending {
			missing = true
			break
		}
	}
	if missing && ctx.Err() == nil {
		if err := e.reconcile(ctx); err == nil {
			for _, o := range ops {
				if e.state(o.key) == StatePending {
					e.fail(o.key, &plan.APIError{Code: -1003, Message: "the batch job did not report this row and it is not in the target"})
				}
			}
		}
	}
}

// Failure is an operation that failed for good.
type Failure struct {
	Kind    string `json:"kind"` // "department", "create", "update"
	Key     string `json:"key"`  // department path or userid
	Name    string `json:"name"`
	Row     int    `json:"row,omitempty"`
	Code    int    `json:"code"`
	Error   string `json:"error"`
	Explain string `json:"explain"`
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
