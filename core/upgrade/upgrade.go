package upgrade

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/text"

	bolt "go.etcd.io/bbolt"
)

// Errors a transition can wrap (test with errors.Is). Every refused
// transition is a *TransitionError naming the action and both stages.
var (
	// ErrLocked: the upgrade is done; nothing may follow.
	ErrLocked = text.NewError("升级已完成，项目已永久锁定", "the upgrade is done; the project is locked for ever")
	// ErrIllegalTransition: the action is not allowed at the current stage.
	ErrIllegalTransition = text.NewError("当前阶段不允许此步骤", "this step is not allowed at the current stage")
	// ErrNoticeIncomplete: not every notice point was ticked.
	ErrNoticeIncomplete = text.NewError("请勾选全部升级须知", "tick every point of the upgrade notice")
	// ErrContactsHaveErrors: the contacts still contain errors.
	ErrContactsHaveErrors = text.NewError("通讯录仍有错误", "the contacts still contain errors")
	// ErrNameMismatch: the typed company name differs from the project's.
	ErrNameMismatch = text.NewError("输入的公司名与项目不一致", "the typed company name does not match")
	// ErrPlanMismatch: the confirmed plan hash differs from the stored plan.
	ErrPlanMismatch = text.NewError("计划已变化，请重新确认", "the plan changed; confirm it again")
	// ErrInvalidInput: an argument is missing or malformed.
	ErrInvalidInput = text.NewError("参数无效", "invalid input")
)

// TransitionError is a refused transition.
type TransitionError struct {
	Action string // method name, e.g. "ConfirmPlan"
	From   Stage
	To     Stage  // the stage the action would lead to
	Reason string // details, may be empty
	Err    error  // one of the Err* values above
}

// Text is the refusal in both languages.
func (e *TransitionError) Text() text.T {
	t := text.Sprintf("%s：不能从「%s」到「%s」：", "%s: cannot go from %s to %s: ",
		e.Action, e.From.Text().Zh, e.To.Text().Zh).Append("", text.Of(e.Err))
	t.En = fmt.Sprintf("%s: cannot go from %s to %s: %s", e.Action, e.From, e.To, text.Of(e.Err).En)
	if e.Reason != "" {
		t = t.Append("", text.New("（"+e.Reason+"）", " ("+e.Reason+")"))
	}
	return t
}

func (e *TransitionError) Error() string { return e.Text().Joined() }

// Unwrap returns the Err* cause.
func (e *TransitionError) Unwrap() error { return e.Err }

// State is the persisted upgrade state of one project.
type State struct {
	Stage               Stage     `json:"stage"`
	Acknowledged        []string  `json:"acknowledged,omitempty"`
	Method              Method    `json:"method,omitempty"`
	Target              *Target   `json:"target,omitempty"`
	TargetConfirmations int       `json:"target_confirmations,omitempty"`
	SnapshotHash        string    `json:"snapshot_hash,omitempty"`
	PlanHash            string    `json:"plan_hash,omitempty"`
	MigrationStartedAt  time.Time `json:"migration_started_at,omitempty"`
	MigrationRuns       int       `json:"migration_runs,omitempty"` // start + resumes + retries
	Failed              int       `json:"failed,omitempty"`         // failures of the last finished run
	FinishedAt          time.Time `json:"finished_at,omitempty"`
}

func (s State) clone() State {
	s.Acknowledged = append([]string(nil), s.Acknowledged...)
	if s.Target != nil {
		t := *s.Target
		s.Target = &t
	}
	return s
}

// docName is the store document holding State.
const docName = "upgrade"

// Upgrade drives one project's state machine. Methods are safe for
// concurrent use; each transition is one store transaction.
type Upgrade struct {
	st    *store.Store
	id    string
	mu    sync.Mutex
	actor string
	state State
}

// Load reads project projectID's upgrade state (a project without one is at
// StageNew).
func Load(st *store.Store, projectID string) (*Upgrade, error) {
	u := &Upgrade{st: st, id: projectID, actor: store.CurrentUser()}
	if err := u.Reload(); err != nil {
		return nil, err
	}
	return u, nil
}

func readState(tx *bolt.Tx, id string) (State, error) {
	var s State
	ok, err := store.GetDocTx(tx, id, docName, &s)
	if err != nil {
		return s, fmt.Errorf("load upgrade state of %s: %w", id, err)
	}
	if !ok {
		return State{Stage: StageNew}, nil
	}
	if !s.Stage.Valid() {
		return s, fmt.Errorf("load upgrade state of %s: unknown stage %q", id, s.Stage)
	}
	return s, nil
}

// Reload re-reads the state from the store.
func (u *Upgrade) Reload() error {
	var s State
	err := u.st.DB().View(func(tx *bolt.Tx) error {
		if _, err := store.GetProjectTx(tx, u.id); err != nil {
			return err
		}
		var err error
		s, err = readState(tx, u.id)
		return err
	})
	if err != nil {
		return err
	}
	u.mu.Lock()
	u.state = s
	u.mu.Unlock()
	return nil
}

// SetActor overrides the actor recorded in the audit log (default: the OS
// user name).
func (u *Upgrade) SetActor(name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if name != "" {
		u.actor = name
	}
}

// Stage is the current stage.
func (u *Upgrade) Stage() Stage {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.state.Stage
}

// State returns a copy of the whole state.
func (u *Upgrade) State() State {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.state.clone()
}

// History is the project's audit log (every transition, plus entries other
// packages appended), oldest first.
func (u *Upgrade) History() ([]store.AuditEntry, error) { return u.st.Audit(u.id) }

// step is one checked transition: from the allowed stages, apply mutates
// the state (returning a *TransitionError reason or nil) and must set Stage.
type step struct {
	action string
	to     Stage
	from   []Stage
	apply  func(tx *bolt.Tx, p *store.Project, s *State) (details map[string]string, err error)
}

func (u *Upgrade) do(sp step) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	var next State
	err := u.st.DB().Update(func(tx *bolt.Tx) error {
		p, err := store.GetProjectTx(tx, u.id)
		if err != nil {
			return err
		}
		s, err := readState(tx, u.id)
		if err != nil {
			return err
		}
		from := s.Stage
		if from == StageDone {
			return &TransitionError{Action: sp.action, From: from, To: sp.to, Err: ErrLocked}
		}
		allowed := false
		for _, f := range sp.from {
			allowed = allowed || f == from
		}
		if !allowed {
			return &TransitionError{Action: sp.action, From: from, To: sp.to, Err: ErrIllegalTransition}
		}
		s = s.clone()
		details, err := sp.apply(tx, &p, &s)
		if err != nil {
			var te *TransitionError
			if errors.As(err, &te) {
				te.Action, te.From = sp.action, from
				if te.To == "" {
					te.To = sp.to
				}
				return te
			}
			return err
		}
		if err := store.PutDocTx(tx, u.id, docName, s); err != nil {
			return err
		}
		p.Stage = string(s.Stage)
		p.Method = string(s.Method)
		p.TargetKind, p.CorpID, p.TargetName = "", "", ""
		if s.Target != nil {
			p.TargetKind, p.CorpID, p.TargetName = string(s.Target.Kind), s.Target.CorpID, s.Target.Name
		}
		if MigrationStarted(s.Stage) {
			p.Locked = true
		}
		if err := store.PutProjectTx(tx, p); err != nil {
			return err
		}
		if _, err := store.AppendAuditTx(tx, u.id, store.AuditEntry{
			Actor: u.actor, Action: sp.action, From: string(from), To: string(s.Stage), Details: details,
		}); err != nil {
			return err
		}
		next = s
		return nil
	})
	if err != nil {
		return err
	}
	u.state = next
	return nil
}

func refuse(err error, reason string) error {
	return &TransitionError{Err: err, Reason: reason}
}

// AcknowledgeNotice records that the creator ticked every notice point
// (keys of NoticePoints; extra or unknown keys are refused). new →
// notice_acknowledged, once only.
func (u *Upgrade) AcknowledgeNotice(ticked []string) error {
	return u.do(step{action: "AcknowledgeNotice", to: StageNoticeAcknowledged, from: []Stage{StageNew},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			known := map[string]bool{}
			for _, p := range NoticePoints() {
				known[p.Key] = true
			}
			got := map[string]bool{}
			for _, k := range ticked {
				if !known[k] {
					return nil, refuse(ErrInvalidInput, "unknown notice point "+strconv.Quote(k))
				}
				got[k] = true
			}
			var missing []string
			for _, p := range NoticePoints() {
				if !got[p.Key] {
					missing = append(missing, p.Key)
				}
			}
			if len(missing) > 0 {
				return nil, refuse(ErrNoticeIncomplete, "missing "+strings.Join(missing, ", "))
			}
			keys := make([]string, 0, len(got))
			for k := range got {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			s.Stage, s.Acknowledged = StageNoticeAcknowledged, keys
			return map[string]string{"ticked": strings.Join(keys, ",")}, nil
		}})
}

// ChooseMethod sets the upgrade method: notice_acknowledged or
// method_chosen → method_chosen (changing it forgets the target).
func (u *Upgrade) ChooseMethod(m Method) error {
	return u.do(step{action: "ChooseMethod", to: StageMethodChosen,
		from: []Stage{StageNoticeAcknowledged, StageMethodChosen},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			if !m.Valid() {
				return nil, refuse(ErrInvalidInput, "unknown method "+strconv.Quote(string(m)))
			}
			s.Stage, s.Method, s.Target, s.TargetConfirmations = StageMethodChosen, m, nil, 0
			return map[string]string{"method": string(m)}, nil
		}})
}

// IdentifyTarget records the target company found through the API:
// method_chosen or target_identified → target_identified (a new target
// resets its confirmations).
func (u *Upgrade) IdentifyTarget(t Target) error {
	return u.do(step{action: "IdentifyTarget", to: StageTargetIdentified,
		from: []Stage{StageMethodChosen, StageTargetIdentified},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			t.Name = strings.TrimSpace(t.Name)
			t.CorpID = strings.TrimSpace(t.CorpID)
			if err := t.validate(); err != nil {
				return nil, refuse(ErrInvalidInput, err.Error())
			}
			s.Stage, s.Target, s.TargetConfirmations = StageTargetIdentified, &t, 0
			return targetDetails(t), nil
		}})
}

func targetDetails(t Target) map[string]string {
	return map[string]string{"kind": string(t.Kind), "corp_id": t.CorpID, "name": t.Name,
		"members": strconv.Itoa(t.Members), "departments": strconv.Itoa(t.Departments)}
}

// ConfirmTargetVia records one explicit confirmation of the identified
// target (the front end shows its name and counts each time) and how it was
// given ("phone", "local", "typed", "cli --confirm") in the audit log.
// Method bind needs two: the first stays at target_identified, the second
// moves to target_confirmed; method new needs one. See Confirmations.
func (u *Upgrade) ConfirmTargetVia(via string) error {
	return u.do(step{action: "ConfirmTarget", to: StageTargetConfirmed, from: []Stage{StageTargetIdentified},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			if s.Target == nil {
				return nil, refuse(ErrIllegalTransition, "no target identified")
			}
			s.TargetConfirmations++
			need := s.Method.RequiredConfirmations()
			if s.TargetConfirmations >= need {
				s.Stage = StageTargetConfirmed
			}
			d := targetDetails(*s.Target)
			d["confirmation"] = fmt.Sprintf("%d/%d", s.TargetConfirmations, need)
			if via != "" {
				d["via"] = via
			}
			return d, nil
		}})
}

// Confirmations returns how many target confirmations were given and how
// many the method needs.
func (u *Upgrade) Confirmations() (given, needed int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.state.TargetConfirmations, u.state.Method.RequiredConfirmations()
}

// FreezeDirectory declares the contacts ready: it validates d with opts
// (the rules of core/contacts) and refuses with ErrContactsHaveErrors while
// any error remains, then freezes d as a snapshot and records its hash, in
// one transaction. target_confirmed or contacts_ready → contacts_ready. It
// returns the snapshot.
func (u *Upgrade) FreezeDirectory(d *contacts.Directory, opts contacts.Options) (store.Snapshot, error) {
	var snap store.Snapshot
	if d == nil {
		return snap, &TransitionError{Action: "FreezeContacts", From: u.Stage(), To: StageContactsReady,
			Err: ErrInvalidInput, Reason: "no directory"}
	}
	errs := contacts.NewIndex(d, opts).Counts().Error
	err := u.do(step{action: "FreezeContacts", to: StageContactsReady,
		from: []Stage{StageTargetConfirmed, StageContactsReady},
		apply: func(tx *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			if errs > 0 {
				return nil, refuse(ErrContactsHaveErrors, fmt.Sprintf("%d errors", errs))
			}
			var err error
			if snap, err = store.FreezeSnapshotTx(tx, u.id, d); err != nil {
				return nil, err
			}
			s.Stage, s.SnapshotHash = StageContactsReady, snap.Hash
			return map[string]string{"snapshot_hash": snap.Hash, "snapshot_seq": strconv.FormatUint(snap.Seq, 10),
				"members": strconv.Itoa(snap.Members)}, nil
		}})
	return snap, err
}

// ConfirmPlan records the typed confirmation: typedName must equal the
// project's company name exactly after trimming spaces. When a plan is
// stored (store.SavePlan), its hash must equal planHash and its
// SnapshotHash (when set) the frozen snapshot's.
// contacts_ready → plan_confirmed.
func (u *Upgrade) ConfirmPlan(planHash, typedName string) error {
	return u.do(step{action: "ConfirmPlan", to: StagePlanConfirmed, from: []Stage{StageContactsReady},
		apply: func(tx *bolt.Tx, p *store.Project, s *State) (map[string]string, error) {
			if strings.TrimSpace(planHash) == "" {
				return nil, refuse(ErrInvalidInput, "plan hash missing")
			}
			if strings.TrimSpace(typedName) != strings.TrimSpace(p.Name) {
				return nil, refuse(ErrNameMismatch, "")
			}
			if stored, ok, err := store.PlanHeaderTx(tx, u.id); err != nil { // the hashes, not the plan
				return nil, err
			} else if ok && stored.Hash != planHash {
				return nil, refuse(ErrPlanMismatch, "stored plan "+stored.Hash)
			} else if ok && stored.SnapshotHash != "" && stored.SnapshotHash != s.SnapshotHash {
				return nil, refuse(ErrPlanMismatch, "plan computed from other contacts")
			}
			s.Stage, s.PlanHash = StagePlanConfirmed, planHash
			return map[string]string{"plan_hash": planHash, "snapshot_hash": s.SnapshotHash}, nil
		}})
}

// StartMigration locks the project and starts migration:
// plan_confirmed → migrating. From then on the project can neither be
// deleted nor have its contacts edited.
func (u *Upgrade) StartMigration() error {
	return u.do(step{action: "StartMigration", to: StageMigrating, from: []Stage{StagePlanConfirmed},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			s.Stage, s.MigrationStartedAt, s.MigrationRuns = StageMigrating, time.Now().UTC(), s.MigrationRuns+1
			return map[string]string{"plan_hash": s.PlanHash}, nil
		}})
}

// ResumeMigration records that an interrupted migration is resumed
// (migrating → migrating).
func (u *Upgrade) ResumeMigration() error {
	return u.do(step{action: "ResumeMigration", to: StageMigrating, from: []Stage{StageMigrating},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			s.MigrationRuns++
			return map[string]string{"run": strconv.Itoa(s.MigrationRuns)}, nil
		}})
}

// FinishMigration ends a migration run: migrating → done when failed is 0
// (locked for ever), else failed_items.
func (u *Upgrade) FinishMigration(failed int) error {
	to := StageDone
	if failed > 0 {
		to = StageFailedItems
	}
	return u.do(step{action: "FinishMigration", to: to, from: []Stage{StageMigrating},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			if failed < 0 {
				return nil, refuse(ErrInvalidInput, "negative failure count")
			}
			s.Stage, s.Failed, s.FinishedAt = to, failed, time.Now().UTC()
			return map[string]string{"failed": strconv.Itoa(failed)}, nil
		}})
}

// RetryFailed runs the failed items again: failed_items → migrating.
func (u *Upgrade) RetryFailed() error {
	return u.do(step{action: "RetryFailed", to: StageMigrating, from: []Stage{StageFailedItems},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			d := map[string]string{"failed": strconv.Itoa(s.Failed)}
			s.Stage, s.MigrationRuns = StageMigrating, s.MigrationRuns+1
			return d, nil
		}})
}

// CorrectFailures records a correction of failed items before they are
// retried: write runs inside the transition's transaction and stores the
// corrected plan (and whatever else belongs to it); it returns the new plan
// hash and the audit details (what changed). failed_items → failed_items.
func (u *Upgrade) CorrectFailures(write func(tx *bolt.Tx) (planHash string, details map[string]string, err error)) error {
	return u.do(step{action: "CorrectFailures", to: StageFailedItems, from: []Stage{StageFailedItems},
		apply: func(tx *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			h, d, err := write(tx)
			if err != nil {
				return nil, err
			}
			if strings.TrimSpace(h) == "" {
				return nil, refuse(ErrInvalidInput, "plan hash missing")
			}
			if d == nil {
				d = map[string]string{}
			}
			d["plan_hash"], d["previous_plan_hash"] = h, s.PlanHash
			s.PlanHash = h
			return d, nil
		}})
}

// AcceptFailures closes an upgrade whose remaining failed items the user
// will handle by hand: failed_items → done (locked for ever). note is
// recorded in the audit log.
func (u *Upgrade) AcceptFailures(note string) error {
	return u.do(step{action: "AcceptFailures", to: StageDone, from: []Stage{StageFailedItems},
		apply: func(_ *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			s.Stage = StageDone
			return map[string]string{"failed": strconv.Itoa(s.Failed), "note": note}, nil
		}})
}

// Back moves to an earlier stage before migration has started (see
// BackTargets) and forgets what later stages decided: the method (to
// notice_acknowledged), the target (to method_chosen), its confirmations
// (to target_identified), the frozen snapshot hash (to target_confirmed:
// contacts editing) and the confirmed plan, which is also deleted from the
// store (to contacts_ready or earlier).
func (u *Upgrade) Back(to Stage) error {
	cur := u.Stage()
	allowed := BackTargets(cur)
	var from []Stage
	for _, t := range allowed {
		if t == to {
			from = []Stage{cur}
		}
	}
	return u.do(step{action: "Back", to: to, from: from,
		apply: func(tx *bolt.Tx, _ *store.Project, s *State) (map[string]string, error) {
			var dropped []string
			i := to.Index()
			if i <= StageContactsReady.Index() && s.PlanHash != "" {
				s.PlanHash = ""
				dropped = append(dropped, "plan")
			}
			if i <= StageContactsReady.Index() {
				if err := store.DeletePlanTx(tx, u.id); err != nil {
					return nil, err
				}
			}
			if i <= StageTargetConfirmed.Index() && s.SnapshotHash != "" {
				s.SnapshotHash = ""
				dropped = append(dropped, "snapshot")
			}
			if i <= StageTargetIdentified.Index() && s.TargetConfirmations > 0 {
				s.TargetConfirmations = 0
				dropped = append(dropped, "target_confirmations")
			}
			if i <= StageMethodChosen.Index() && s.Target != nil {
				s.Target = nil
				dropped = append(dropped, "target")
			}
			if i <= StageNoticeAcknowledged.Index() && s.Method != "" {
				s.Method = ""
				dropped = append(dropped, "method")
			}
			s.Stage = to
			return map[string]string{"invalidated": strings.Join(dropped, ",")}, nil
		}})
}
