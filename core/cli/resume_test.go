package cli

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
)

// TestMain doubles as the exmail-upgrade command line when CLI_CHILD=1, so
// a test can signal a real process.
func TestMain(m *testing.M) {
	if os.Getenv("CLI_CHILD") == "1" {
		os.Exit(Run(os.Args[1:], &Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	os.Exit(m.Run())
}

// openFlow opens the one project of the state folder dir through its Flow
// (what the window does).
func openFlow(t *testing.T, dir string) (*store.Store, *session.Flow) {
	t.Helper()
	path, err := session.StatePath(dir)
	must(t, err)
	st, err := store.Open(path, store.Options{Timeout: 3 * time.Second})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	ps, err := st.ListProjects()
	must(t, err)
	if len(ps) != 1 {
		t.Fatalf("%d projects", len(ps))
	}
	f, err := session.OpenFlow(st, ps[0].ID)
	must(t, err)
	t.Cleanup(func() { f.Close() })
	return st, f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSIGTERMPausesAndTheWindowResumes: SIGTERM (what closing the console,
// logging off or shutting down send on Windows) pauses a migration as
// cleanly as Ctrl+C: exit 3, journal kept. The project then resumes through
// the window's flow on the same state file and rehearsal tenant, and
// finishes without repeating anything.
func TestSIGTERMPausesAndTheWindowResumes(t *testing.T) {
	d := sample.Company(300, 21)
	file := filepath.Join(t.TempDir(), "contacts.csv")
	must(t, sheet.WriteCSVFile(file, d))
	state := t.TempDir()
	cmd := exec.Command(os.Args[0], "migrate", "--contacts", file, "--state", state, "--method", "new", "--target", "sim",
		"--company", "己公司", "--confirm", "己公司", "--rate", "3000", "--workers", "2", "--batch", "never")
	cmd.Env = append(os.Environ(), "CLI_CHILD=1", "LANG=en_US.UTF-8", "LC_ALL=", "LC_MESSAGES=")
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	var errb syncBuffer
	cmd.Stderr = &errb
	must(t, cmd.Start())
	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	sent := false
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if !sent && strings.HasPrefix(lines.Text(), "[members]") && !strings.Contains(lines.Text(), " 0/") {
			must(t, cmd.Process.Signal(syscall.SIGTERM))
			sent = true
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !sent || !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted || !strings.Contains(out.String(), "paused, journal saved") {
		t.Fatalf("sent %v, exit %v\n%s\n%s", sent, err, out.String(), errb.String())
	}
	if strings.Contains(out.String(), "暂停") {
		t.Fatalf("English locale printed Chinese:\n%s", out.String())
	}
	_, f := openFlow(t, state)
	if f.Stage() != upgrade.StageMigrating {
		t.Fatalf("stage after SIGTERM %s", f.Stage())
	}
	before, err := f.Status()
	must(t, err)
	if before.Done == 0 || before.Done >= before.Total {
		t.Fatalf("paused with %d/%d done", before.Done, before.Total)
	}
	res, err := f.Run(context.Background(), migrate.Options{}, nil)
	must(t, err)
	if !res.OK() || f.Stage() != upgrade.StageDone || res.MembersCreated != 300 {
		t.Fatalf("resume in the window's flow: %+v stage %s", res, f.Stage())
	}
	if n := len(f.Connection().Sim.State().Users); n != 300 {
		t.Fatalf("the rehearsal tenant holds %d members, want 300 (same tenant, nothing repeated)", n)
	}
}

// TestWindowRehearsalResumesWithMigrate: a rehearsal started through the
// window's flow and interrupted resumes with `migrate` on the same state and
// rehearsal tenant (the contacts given as the sheet the window exports).
func TestWindowRehearsalResumesWithMigrate(t *testing.T) {
	state := t.TempDir()
	path, err := session.StatePath(state)
	must(t, err)
	st, err := store.Open(path, store.Options{})
	must(t, err)
	p, err := session.NewRehearsal(st, time.Date(2026, 12, 1, 20, 34, 7, 0, time.UTC))
	must(t, err)
	if strings.ContainsAny(p.Name, `:/\*?"<>|`) {
		t.Fatalf("rehearsal name %q is not a valid file name on Windows", p.Name)
	}
	f, err := session.AdvanceRehearsal(st, p.ID, "migrate")
	must(t, err)
	must(t, f.Connect(session.TargetConfig{Kind: upgrade.TargetSim})) // without the demo's slow answers
	ctx, cancel := context.WithCancel(context.Background())
	_, err = f.Run(ctx, migrate.Options{ProgressEvery: time.Millisecond, OnProgress: func(pr migrate.Progress) {
		if pr.Phase == migrate.PhaseMembers && pr.Done > pr.Total/3 {
			cancel()
		}
	}}, nil)
	if !errors.Is(err, migrate.ErrInterrupted) {
		t.Fatalf("window run: %v", err)
	}
	snap, ok, err := st.SnapshotByHash(p.ID, f.State().SnapshotHash)
	if err != nil || !ok {
		t.Fatalf("frozen contacts: %v %v", ok, err)
	}
	file := filepath.Join(t.TempDir(), "exported.csv")
	must(t, sheet.WriteCSVFile(file, &snap.Directory))
	f.Close()
	st.Close()

	code, out, errs := runCLI(t, nil, "migrate", "--contacts", file, "--state", state, "--method", "new", "--target", "sim",
		"--company", p.Name, "--confirm", p.Name)
	if code != ExitOK || !strings.Contains(out, "resuming") || !strings.Contains(out, "migration complete") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	_, f2 := openFlow(t, state)
	must(t, f2.Reconnect(""))
	want := 0 // the people; the rehearsal's other mailboxes are never members
	for i := range snap.Directory.Members {
		if !snap.Directory.Members[i].IsOther() {
			want++
		}
	}
	if n := len(f2.Connection().Sim.State().Users); n != want || f2.Stage() != upgrade.StageDone {
		t.Fatalf("tenant holds %d members, want %d; stage %s", n, want, f2.Stage())
	}
}
