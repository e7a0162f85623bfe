package session

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
)

// walk takes a project with clean contacts from new to a stored plan on a
// rehearsal target through its Flow and returns the flow and the plan.
func walk(t testing.TB, st *store.Store, dir *contacts.Directory, method upgrade.Method) (*Flow, *Connection, *plan.Plan) {
	t.Helper()
	pr, err := st.CreateProject("演练科技有限公司")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveContacts(pr.ID, dir); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFlow(st, pr.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	must(t, f.AcknowledgeNotice(upgrade.NoticeKeys()))
	must(t, f.ChooseMethod(method))
	ctx := context.Background()
	tgt, err := f.CheckTarget(ctx, TargetConfig{Kind: upgrade.TargetSim}, "")
	if err != nil {
		t.Fatal(err)
	}
	if method == upgrade.MethodBind && tgt.Members == 0 {
		t.Fatal("bind rehearsal target should hold an existing company")
	}
	must(t, f.IdentifyTarget(tgt))
	confirmAll(t, f)
	_, err = f.FreezeContacts(dir, contacts.Options{})
	must(t, err)
	pl, checks, err := f.Plan(ctx)
	if err != nil || pl == nil {
		t.Fatalf("plan: %v %+v", err, checks)
	}
	return f, f.Connection(), pl
}

// confirmAll gives every target confirmation the method needs.
func confirmAll(t testing.TB, f *Flow) {
	t.Helper()
	for n := 1; n > 0; {
		var err error
		if n, err = f.ConfirmTarget("test"); err != nil {
			t.Fatal(err)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMethodNewEndToEnd(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	defer st.Close()
	dir := sample.Company(150, 11)
	p, conn, pl := walk(t, st, dir, upgrade.MethodNew)
	if pl.Blocked() || len(pl.Create) != 150 {
		t.Fatalf("plan: blocked %v, %d to create, conflicts %+v", pl.Blocked(), len(pl.Create), pl.Conflicts)
	}
	if err := p.ConfirmPlan(pl, nil, "别的公司"); err == nil {
		t.Fatal("a wrong typed company name was accepted")
	}
	must(t, p.ConfirmPlan(pl, nil, "演练科技有限公司"))
	var events int
	res, err := p.Run(context.Background(), migrate.Options{ProgressEvery: time.Millisecond,
		OnProgress: func(migrate.Progress) { events++ }}, nil)
	must(t, err)
	if !res.OK() || res.MembersCreated != 150 || res.Verification == nil {
		t.Fatalf("result %+v", res)
	}
	if events == 0 {
		t.Fatal("no progress events")
	}
	if p.Up.Stage() != upgrade.StageDone {
		t.Fatalf("stage %s", p.Up.Stage())
	}
	if got := len(conn.Sim.State().Users); got != 150 {
		t.Fatalf("target holds %d members", got)
	}
	// Locked for ever: the upgrade cannot run twice.
	if _, err := p.Run(context.Background(), migrate.Options{}, nil); err == nil {
		t.Fatal("a done project ran again")
	}
}

func TestMethodBindRehearsalHasMergesAndConflicts(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	defer st.Close()
	dir := sample.Company(300, 5)
	_, _, pl := walk(t, st, dir, upgrade.MethodBind)
	if len(pl.Update) == 0 && len(pl.Untouched) == 0 {
		t.Fatalf("bind plan merges nothing: %+v", pl)
	}
	if len(pl.Create) == 0 || len(pl.Create) >= 300 {
		t.Fatalf("bind plan creates %d of 300", len(pl.Create))
	}
}

// A bind rehearsal starts from contacts that still have problems (the
// rehearsal's planted ones): the existing company must be built from valid
// rows only, or seeding the simulator fails.
func TestBindRehearsalWithProblemRows(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		dir := sample.Company(240, seed)
		sample.Plant(dir, 0.05, seed)
		conn, err := Connect(TargetConfig{Kind: upgrade.TargetSim, SimPath: filepath.Join(t.TempDir(), "sim.db")}, upgrade.MethodBind, dir)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		conn.Close()
	}
}

func TestAdvanceRehearsalToEveryStep(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	defer st.Close()
	want := map[string]upgrade.Stage{"notice": upgrade.StageNew, "method": upgrade.StageNoticeAcknowledged,
		"target": upgrade.StageMethodChosen, "qr": upgrade.StageTargetIdentified, "contacts": upgrade.StageTargetConfirmed,
		"plan": upgrade.StageContactsReady, "migrate": upgrade.StagePlanConfirmed, "done": upgrade.StageDone}
	for i, step := range DemoSteps {
		p, err := NewRehearsal(st, time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC))
		must(t, err)
		f, err := AdvanceRehearsal(st, p.ID, step)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		f.Close()
		up, err := upgrade.Load(st, p.ID)
		must(t, err)
		if up.Stage() != want[step] {
			t.Fatalf("%s: stage %s, want %s", step, up.Stage(), want[step])
		}
	}
	if _, err := AdvanceRehearsal(st, "x", "nowhere"); err == nil {
		t.Fatal("unknown step accepted")
	}
}

func TestWorkingCopyHead(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	defer st.Close()
	p, err := st.CreateProject("x")
	must(t, err)
	if _, ok, err := LoadHead(st, p.ID); ok || err != nil {
		t.Fatalf("head before save: ok %v err %v", ok, err)
	}
	d := sample.Company(HeadRows+50, 1)
	must(t, SaveWorkingCopy(st, p.ID, d))
	h, ok, err := LoadHead(st, p.ID)
	if err != nil || !ok || h.Total != HeadRows+50 || len(h.Members) != HeadRows || h.Members[0].Name != d.Members[0].Name {
		t.Fatalf("head %d/%d ok %v err %v", len(h.Members), h.Total, ok, err)
	}
	full, _, err := st.Contacts(p.ID)
	if err != nil || len(full.Members) != HeadRows+50 {
		t.Fatalf("full copy: %v", err)
	}
}

// TestConfirmPlanStoresItAndRunRefusesBeforeIt: Run before the plan is
// confirmed is refused before the engine starts; ConfirmPlan stores the plan
// it confirms (with who confirmed it), which Run then migrates.
func TestConfirmPlanStoresItAndRunRefusesBeforeIt(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	defer st.Close()
	p, conn, pl := walk(t, st, sample.Company(20, 3), upgrade.MethodNew)
	if conn.Target == nil || conn.Target.PollInterval >= time.Second {
		t.Fatalf("rehearsal target %+v: want the simulator's fast batch polling", conn.Target)
	}
	if _, err := p.Run(context.Background(), migrate.Options{}, nil); err == nil || !Refused(err) {
		t.Fatalf("run before confirmation: %v (refused %v)", err, Refused(err))
	}
	if Refused(migrate.ErrInterrupted) {
		t.Fatal("an engine error counts as refused")
	}
	must(t, p.ConfirmPlan(pl, nil, p.Name))
	sp, ok, err := st.Plan(p.ID)
	if err != nil || !ok || sp.Hash != pl.Hash() || sp.SnapshotHash != pl.ContactsHash || sp.ConfirmedBy == "" || sp.ConfirmedAt.IsZero() {
		t.Fatalf("stored plan %+v ok %v err %v", sp, ok, err)
	}
	res, err := p.Run(context.Background(), migrate.Options{}, nil)
	if err != nil || !res.OK() || p.Up.Stage() != upgrade.StageDone {
		t.Fatalf("run: %v %+v stage %s", err, res, p.Up.Stage())
	}
}

// TestStartUsesTheKeptPlanOnlyWhileStored: the plan confirmed in this
// process is what Start runs (not decoded again) as long as it is the
// stored one; a stored plan that changed, or a reopened project, is read
// from the store.
func TestStartUsesTheKeptPlanOnlyWhileStored(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	defer st.Close()
	f, _, pl := walk(t, st, sample.Company(30, 4), upgrade.MethodNew)
	must(t, f.ConfirmPlan(pl, nil, f.Name))
	got, h, err := f.confirmedPlan()
	if err != nil || got != pl || h != pl.Hash() {
		t.Fatalf("kept plan not used: same %v hash %s err %v", got == pl, h, err)
	}
	other := *pl
	other.Create = other.Create[:len(other.Create)-1]
	data, oh, err := encodePlan(&other)
	must(t, err)
	if oh != other.Hash() {
		t.Fatalf("encodePlan hash %s, Hash %s", oh, other.Hash())
	}
	must(t, st.SavePlan(f.ID, store.StoredPlan{Hash: oh, SnapshotHash: other.ContactsHash, Data: data}))
	got, h, err = f.confirmedPlan()
	if err != nil || got == pl || h != oh || len(got.Create) != len(pl.Create)-1 {
		t.Fatalf("changed stored plan: kept one used %v, hash %s, err %v", got == pl, h, err)
	}
	f2, err := OpenFlow(st, f.ID)
	must(t, err)
	got, h, err = f2.confirmedPlan()
	if err != nil || got == nil || h != oh || got.Hash() != oh {
		t.Fatalf("reopened: hash %s err %v", h, err)
	}
}

// A run stopped while it prepares (its context ended before the first call)
// returns ErrInterrupted with a result, leaves the project where it was, and
// a later Run starts and finishes the migration.
func TestRunStoppedWhilePreparingResumes(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	defer st.Close()
	p, conn, pl := walk(t, st, sample.Company(40, 5), upgrade.MethodNew)
	must(t, p.ConfirmPlan(pl, nil, p.Name))
	ctx, cancel := context.WithCancel(context.Background())
	var steps []string
	res, err := p.Run(ctx, migrate.Options{OnProgress: func(pr migrate.Progress) {
		if pr.Phase == migrate.PhasePrepare {
			steps = append(steps, pr.Step)
			cancel() // 停止 pressed while the plan is read
		}
	}}, nil)
	if !errors.Is(err, migrate.ErrInterrupted) || res == nil || Refused(err) {
		t.Fatalf("stopped while preparing: %v (result %v, refused %v)", err, res, Refused(err))
	}
	if len(steps) != 1 || steps[0] != migrate.StepPlan {
		t.Fatalf("went on preparing after the stop: steps %v", steps)
	}
	if s := p.Up.Stage(); s != upgrade.StagePlanConfirmed {
		t.Fatalf("stage after a stop while preparing: %s", s)
	}
	if n := len(conn.Sim.State().Users); n != 0 {
		t.Fatalf("%d members created by a run stopped while preparing", n)
	}
	res, err = p.Run(context.Background(), migrate.Options{}, nil)
	must(t, err)
	if !res.OK() || res.MembersCreated != 40 || p.Up.Stage() != upgrade.StageDone {
		t.Fatalf("the later run: %+v, stage %s", res, p.Up.Stage())
	}
}
