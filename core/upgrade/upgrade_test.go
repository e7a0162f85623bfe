package upgrade

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/store"

	bolt "go.etcd.io/bbolt"
)

const company = "甲公司"

func newProject(t *testing.T) (*store.Store, string) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := st.CreateProject(company)
	if err != nil {
		t.Fatal(err)
	}
	return st, p.ID
}

func allKeys() []string {
	var keys []string
	for _, p := range NoticePoints() {
		keys = append(keys, p.Key)
	}
	return keys
}

func dirA() *contacts.Directory {
	return &contacts.Directory{Members: []contacts.Member{{Name: "张三", Account: "zhangsan", Mobile: "13800000001", Departments: []string{"研发部"}}}}
}

// badDir holds a row the contacts rules refuse (a malformed mobile).
func badDir() *contacts.Directory {
	d := dirA()
	d.Members[0].Mobile = "12"
	return d
}

func dirB() *contacts.Directory {
	d := dirA()
	d.Members = append(d.Members, contacts.Member{Name: "李四", Account: "lisi", Mobile: "13800000002", Departments: []string{"市场部"}})
	return d
}

var bindTarget = Target{Kind: TargetWeCom, CorpID: "ww1", Name: "甲公司（企业微信）", Members: 12, Departments: 3}

// stateAt is a consistent state at stage s (method bind).
func stateAt(s Stage) State {
	st := State{Stage: s}
	i := s.Index()
	if i >= StageNoticeAcknowledged.Index() {
		st.Acknowledged = allKeys()
	}
	if i >= StageMethodChosen.Index() {
		st.Method = MethodBind
	}
	if i >= StageTargetIdentified.Index() {
		t := bindTarget
		st.Target = &t
	}
	if i >= StageTargetConfirmed.Index() {
		st.TargetConfirmations = 2
	}
	if i >= StageContactsReady.Index() {
		st.SnapshotHash = dirA().Hash()
	}
	if i >= StagePlanConfirmed.Index() {
		st.PlanHash = "plan"
	}
	if s == StageFailedItems {
		st.Failed = 2
	}
	return st
}

// force writes state s directly (test fixture for the transition matrix).
func force(t *testing.T, st *store.Store, id string, s State) *Upgrade {
	t.Helper()
	if _, err := st.FreezeSnapshot(id, dirA()); err != nil {
		t.Fatal(err)
	}
	err := st.DB().Update(func(tx *bolt.Tx) error { return store.PutDocTx(tx, id, docName, s) })
	if err != nil {
		t.Fatal(err)
	}
	u, err := Load(st, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var actions = []struct {
	name string
	run  func(u *Upgrade) error
}{
	{"ack", func(u *Upgrade) error { return u.AcknowledgeNotice(allKeys()) }},
	{"method", func(u *Upgrade) error { return u.ChooseMethod(MethodBind) }},
	{"identify", func(u *Upgrade) error { return u.IdentifyTarget(bindTarget) }},
	{"confirm", func(u *Upgrade) error { return u.ConfirmTargetVia("") }},
	{"freeze", func(u *Upgrade) error { _, err := u.FreezeDirectory(dirB(), contacts.Options{}); return err }},
	{"correct", func(u *Upgrade) error {
		return u.CorrectFailures(func(*bolt.Tx) (string, map[string]string, error) { return "plan3", nil, nil })
	}},
	{"plan", func(u *Upgrade) error { return u.ConfirmPlan("plan2", " "+company+" ") }},
	{"start", func(u *Upgrade) error { return u.StartMigration() }},
	{"resume", func(u *Upgrade) error { return u.ResumeMigration() }},
	{"finish0", func(u *Upgrade) error { return u.FinishMigration(0) }},
	{"finish3", func(u *Upgrade) error { return u.FinishMigration(3) }},
	{"retry", func(u *Upgrade) error { return u.RetryFailed() }},
	{"accept", func(u *Upgrade) error { return u.AcceptFailures("handled by hand") }},
}

// legal lists, per stage, every legal action and the stage it leads to.
// Everything else is refused.
var legal = map[Stage]map[string]Stage{
	StageNew:                {"ack": StageNoticeAcknowledged},
	StageNoticeAcknowledged: {"method": StageMethodChosen},
	StageMethodChosen:       {"method": StageMethodChosen, "identify": StageTargetIdentified},
	StageTargetIdentified:   {"identify": StageTargetIdentified, "confirm": StageTargetIdentified}, // bind: 1 of 2
	StageTargetConfirmed:    {"freeze": StageContactsReady},
	StageContactsReady:      {"freeze": StageContactsReady, "plan": StagePlanConfirmed},
	StagePlanConfirmed:      {"start": StageMigrating},
	StageMigrating:          {"resume": StageMigrating, "finish0": StageDone, "finish3": StageFailedItems},
	StageFailedItems:        {"retry": StageMigrating, "accept": StageDone, "correct": StageFailedItems},
	StageDone:               {},
}

func TestTransitionMatrix(t *testing.T) {
	for _, from := range Stages {
		for _, a := range actions {
			t.Run(string(from)+"/"+a.name, func(t *testing.T) {
				st, id := newProject(t)
				u := force(t, st, id, stateAt(from))
				before, _ := st.Audit(id)
				err := a.run(u)
				after, _ := st.Audit(id)
				want, ok := legal[from][a.name]
				if ok {
					if err != nil {
						t.Fatalf("legal transition refused: %v", err)
					}
					if u.Stage() != want {
						t.Fatalf("stage = %s, want %s", u.Stage(), want)
					}
					if len(after) != len(before)+1 {
						t.Fatalf("audit grew by %d, want 1", len(after)-len(before))
					}
					e := after[len(after)-1]
					if e.From != string(from) || e.To != string(want) || e.Actor == "" || e.Time.IsZero() {
						t.Fatalf("audit entry %+v", e)
					}
					p, _ := st.GetProject(id)
					if p.Stage != string(want) {
						t.Fatalf("project mirror stage %q", p.Stage)
					}
					// Persisted: a fresh Load sees the same stage.
					u2, _ := Load(st, id)
					if u2.Stage() != want {
						t.Fatalf("reloaded stage %s", u2.Stage())
					}
					return
				}
				var te *TransitionError
				if !errors.As(err, &te) {
					t.Fatalf("illegal transition: err = %v, want *TransitionError", err)
				}
				wantErr := ErrIllegalTransition
				if from == StageDone {
					wantErr = ErrLocked
				}
				if !errors.Is(err, wantErr) || te.From != from || te.To == "" {
					t.Fatalf("err = %v (from %s to %s), want %v from %s", err, te.From, te.To, wantErr, from)
				}
				if !strings.Contains(err.Error(), string(from)) {
					t.Fatalf("message does not name the stage: %v", err)
				}
				if u.Stage() != from || len(after) != len(before) {
					t.Fatalf("refused transition changed state: %s, audit %d→%d", u.Stage(), len(before), len(after))
				}
			})
		}
	}
}

func TestBackMatrix(t *testing.T) {
	for _, from := range Stages {
		for _, to := range Stages {
			st, id := newProject(t)
			u := force(t, st, id, stateAt(from))
			err := u.Back(to)
			allowed := from.Index() <= StagePlanConfirmed.Index() && to.Index() < from.Index() &&
				to != StageNew && to.Index() <= StageContactsReady.Index()
			if allowed != (err == nil) {
				t.Errorf("Back %s → %s: err = %v, allowed = %v", from, to, err, allowed)
				continue
			}
			if err != nil {
				if from == StageDone && !errors.Is(err, ErrLocked) {
					t.Errorf("Back from done: %v, want ErrLocked", err)
				}
				if from != StageDone && !errors.Is(err, ErrIllegalTransition) {
					t.Errorf("Back %s → %s: %v, want ErrIllegalTransition", from, to, err)
				}
				continue
			}
			if u.Stage() != to {
				t.Errorf("Back %s → %s: stage %s", from, to, u.Stage())
			}
			// What later stages decided is forgotten.
			s := u.State()
			want := stateAt(to)
			if s.Method != want.Method || (s.Target == nil) != (want.Target == nil) ||
				s.TargetConfirmations != want.TargetConfirmations || s.SnapshotHash != want.SnapshotHash ||
				s.PlanHash != want.PlanHash {
				t.Errorf("Back %s → %s: state %+v, want %+v", from, to, s, want)
			}
		}
	}
}

func TestBackTargetsAgreesWithBack(t *testing.T) {
	for _, from := range Stages {
		for _, to := range BackTargets(from) {
			st, id := newProject(t)
			if err := force(t, st, id, stateAt(from)).Back(to); err != nil {
				t.Errorf("BackTargets(%s) lists %s but Back refuses: %v", from, to, err)
			}
		}
	}
}

func TestFullPathBind(t *testing.T) {
	st, id := newProject(t)
	u, err := Load(st, id)
	if err != nil {
		t.Fatal(err)
	}
	if u.Stage() != StageNew {
		t.Fatalf("fresh stage %s", u.Stage())
	}
	u.SetActor("tester")
	steps := []func() error{
		func() error { return u.AcknowledgeNotice(allKeys()) },
		func() error { return u.ChooseMethod(MethodBind) },
		func() error { return u.IdentifyTarget(bindTarget) },
		func() error { return u.ConfirmTargetVia("") },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if g, n := u.Confirmations(); g != 1 || n != 2 || u.Stage() != StageTargetIdentified {
		t.Fatalf("after one confirmation: %d/%d at %s", g, n, u.Stage())
	}
	if err := u.ConfirmTargetVia("phone"); err != nil || u.Stage() != StageTargetConfirmed {
		t.Fatalf("second confirmation: %v at %s", err, u.Stage())
	}
	if _, err := u.FreezeDirectory(badDir(), contacts.Options{}); !errors.Is(err, ErrContactsHaveErrors) {
		t.Fatalf("freeze with errors: %v", err)
	}
	if _, ok, _ := st.LatestSnapshot(id); ok {
		t.Fatal("refused freeze left a snapshot")
	}
	snap, err := u.FreezeDirectory(dirA(), contacts.Options{})
	if err != nil || snap.Hash != dirA().Hash() || u.State().SnapshotHash != snap.Hash {
		t.Fatalf("freeze: %+v %v", snap, err)
	}
	if err := st.SavePlan(id, store.StoredPlan{Hash: "P1", SnapshotHash: snap.Hash}); err != nil {
		t.Fatal(err)
	}
	if err := u.ConfirmPlan("P1", "甲公司 "); err != nil {
		t.Fatal(err)
	}
	if err := u.Back(StageContactsReady); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.Plan(id); ok {
		t.Fatal("Back to contacts_ready kept the stored plan")
	}
	if err := u.ConfirmPlan("P2", company); err != nil {
		t.Fatal(err)
	}
	p, _ := st.GetProject(id)
	if p.Locked || p.Method != "bind" || p.TargetKind != "wecom" || p.CorpID != "ww1" || p.TargetName != bindTarget.Name {
		t.Fatalf("project mirror before start: %+v", p)
	}
	if err := u.StartMigration(); err != nil {
		t.Fatal(err)
	}
	if ContactsEditable(u.Stage()) {
		t.Fatal("contacts editable while migrating")
	}
	if err := st.DeleteProject(id); !errors.Is(err, store.ErrProjectLocked) {
		t.Fatalf("delete while migrating: %v", err)
	}
	if err := u.ResumeMigration(); err != nil {
		t.Fatal(err)
	}
	if err := u.FinishMigration(4); err != nil || u.Stage() != StageFailedItems {
		t.Fatalf("finish with failures: %v at %s", err, u.Stage())
	}
	if err := u.RetryFailed(); err != nil {
		t.Fatal(err)
	}
	if err := u.FinishMigration(0); err != nil || u.Stage() != StageDone {
		t.Fatalf("finish: %v at %s", err, u.Stage())
	}
	s := u.State()
	if s.MigrationRuns != 3 || s.Failed != 0 || s.FinishedAt.IsZero() || s.MigrationStartedAt.IsZero() {
		t.Fatalf("final state %+v", s)
	}
	// Locked for ever, also across reloads.
	u2, _ := Load(st, id)
	for _, a := range actions {
		if err := a.run(u2); !errors.Is(err, ErrLocked) {
			t.Errorf("%s after done: %v, want ErrLocked", a.name, err)
		}
	}
	if err := u2.Back(StageContactsReady); !errors.Is(err, ErrLocked) {
		t.Errorf("Back after done: %v", err)
	}
	hist, err := u.History()
	if err != nil {
		t.Fatal(err)
	}
	var actionsSeen []string
	for _, e := range hist {
		if e.Actor != "tester" && e.Action != "create" {
			t.Errorf("actor %q", e.Actor)
		}
		actionsSeen = append(actionsSeen, e.Action)
	}
	want := "create AcknowledgeNotice ChooseMethod IdentifyTarget ConfirmTarget ConfirmTarget FreezeContacts ConfirmPlan Back ConfirmPlan StartMigration ResumeMigration FinishMigration RetryFailed FinishMigration"
	if got := strings.Join(actionsSeen, " "); got != want {
		t.Fatalf("history:\n got %s\nwant %s", got, want)
	}
	if hist[2].Details["method"] != "bind" || hist[4].Details["confirmation"] != "1/2" || hist[5].Details["name"] != bindTarget.Name ||
		hist[5].Details["via"] != "phone" {
		t.Fatalf("details: %+v %+v %+v", hist[2].Details, hist[4].Details, hist[5].Details)
	}
}

func TestMethodNewNeedsOneConfirmation(t *testing.T) {
	st, id := newProject(t)
	s := stateAt(StageTargetIdentified)
	s.Method = MethodNew
	u := force(t, st, id, s)
	if err := u.ConfirmTargetVia(""); err != nil || u.Stage() != StageTargetConfirmed {
		t.Fatalf("confirm (new): %v at %s", err, u.Stage())
	}
}

func TestInputChecks(t *testing.T) {
	cases := []struct {
		name  string
		stage Stage
		run   func(u *Upgrade) error
		want  error
	}{
		{"notice missing one", StageNew, func(u *Upgrade) error { return u.AcknowledgeNotice(allKeys()[1:]) }, ErrNoticeIncomplete},
		{"notice none", StageNew, func(u *Upgrade) error { return u.AcknowledgeNotice(nil) }, ErrNoticeIncomplete},
		{"notice unknown key", StageNew, func(u *Upgrade) error { return u.AcknowledgeNotice(append(allKeys(), "x")) }, ErrInvalidInput},
		{"method unknown", StageNoticeAcknowledged, func(u *Upgrade) error { return u.ChooseMethod("merge") }, ErrInvalidInput},
		{"target kind", StageMethodChosen, func(u *Upgrade) error { return u.IdentifyTarget(Target{Kind: "x", Name: "a"}) }, ErrInvalidInput},
		{"target name", StageMethodChosen, func(u *Upgrade) error { return u.IdentifyTarget(Target{Kind: TargetSim, Name: " "}) }, ErrInvalidInput},
		{"target corp id", StageMethodChosen, func(u *Upgrade) error { return u.IdentifyTarget(Target{Kind: TargetWeCom, Name: "a"}) }, ErrInvalidInput},
		{"target counts", StageMethodChosen, func(u *Upgrade) error { return u.IdentifyTarget(Target{Kind: TargetSim, Name: "a", Members: -1}) }, ErrInvalidInput},
		{"name mismatch", StageContactsReady, func(u *Upgrade) error { return u.ConfirmPlan("p", "甲公 司") }, ErrNameMismatch},
		{"name empty", StageContactsReady, func(u *Upgrade) error { return u.ConfirmPlan("p", "") }, ErrNameMismatch},
		{"plan hash empty", StageContactsReady, func(u *Upgrade) error { return u.ConfirmPlan(" ", company) }, ErrInvalidInput},
		{"freeze with errors", StageTargetConfirmed, func(u *Upgrade) error { _, err := u.FreezeDirectory(badDir(), contacts.Options{}); return err }, ErrContactsHaveErrors},
		{"freeze nil dir", StageTargetConfirmed, func(u *Upgrade) error { _, err := u.FreezeDirectory(nil, contacts.Options{}); return err }, ErrInvalidInput},
		{"correct without plan hash", StageFailedItems, func(u *Upgrade) error {
			return u.CorrectFailures(func(*bolt.Tx) (string, map[string]string, error) { return " ", nil, nil })
		}, ErrInvalidInput},
		{"negative failures", StageMigrating, func(u *Upgrade) error { return u.FinishMigration(-1) }, ErrInvalidInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, id := newProject(t)
			u := force(t, st, id, stateAt(c.stage))
			err := c.run(u)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if u.Stage() != c.stage {
				t.Fatalf("stage moved to %s", u.Stage())
			}
		})
	}
}

func TestConfirmPlanChecksStoredPlan(t *testing.T) {
	st, id := newProject(t)
	u := force(t, st, id, stateAt(StageContactsReady))
	st.SavePlan(id, store.StoredPlan{Hash: "A", SnapshotHash: dirB().Hash()})
	if err := u.ConfirmPlan("A", company); !errors.Is(err, ErrPlanMismatch) {
		t.Fatalf("plan of other contacts: err = %v, want ErrPlanMismatch", err)
	}
	st.SavePlan(id, store.StoredPlan{Hash: "A", SnapshotHash: dirA().Hash()})
	if err := u.ConfirmPlan("B", company); !errors.Is(err, ErrPlanMismatch) {
		t.Fatalf("err = %v, want ErrPlanMismatch", err)
	}
	if err := u.ConfirmPlan("A", company); err != nil {
		t.Fatal(err)
	}
}

func TestChangeMethodForgetsTarget(t *testing.T) {
	st, id := newProject(t)
	u := force(t, st, id, stateAt(StageTargetConfirmed))
	if err := u.ChooseMethod(MethodNew); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("change method without Back: %v", err)
	}
	if err := u.Back(StageNoticeAcknowledged); err != nil {
		t.Fatal(err)
	}
	if err := u.ChooseMethod(MethodNew); err != nil {
		t.Fatal(err)
	}
	s := u.State()
	if s.Method != MethodNew || s.Target != nil || s.TargetConfirmations != 0 {
		t.Fatalf("state %+v", s)
	}
	p, _ := st.GetProject(id)
	if p.TargetName != "" || p.Method != "new" {
		t.Fatalf("mirror %+v", p)
	}
}

func TestContactsEditable(t *testing.T) {
	want := map[Stage]bool{StageMigrating: false, StageFailedItems: false, StageDone: false, Stage("bogus"): false}
	for _, s := range Stages {
		w, ok := want[s]
		if !ok {
			w = true
		}
		if ContactsEditable(s) != w {
			t.Errorf("ContactsEditable(%s) = %v", s, !w)
		}
	}
}

func TestStageLabels(t *testing.T) {
	for _, s := range Stages {
		if !s.Text().Complete() || s.Text().Zh == s.Text().En {
			t.Errorf("label of %s not bilingual: %+v", s, s.Text())
		}
	}
	keys := map[string]bool{}
	for _, p := range NoticePoints() {
		if p.Key == "" || !p.Text.Complete() || keys[p.Key] {
			t.Errorf("bad notice point %+v", p)
		}
		keys[p.Key] = true
	}
	for _, k := range []string{"once_only", "irreversible", "old_console_gone", "confirm_target", "no_contact_edits", "what_changes", "bind_deletes_mail"} {
		if !keys[k] {
			t.Errorf("notice point %s missing", k)
		}
	}
}

func TestLoadMissingProject(t *testing.T) {
	st, _ := newProject(t)
	if _, err := Load(st, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Load missing: %v", err)
	}
}
