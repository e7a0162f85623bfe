package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demo without --state works in a temporary folder and removes it
// afterwards, unless --keep is given.
func TestDemoRemovesItsTemporaryStateUnlessKeep(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	left := func() []string {
		m, _ := filepath.Glob(filepath.Join(tmp, "exmail-upgrade-demo-*"))
		return m
	}
	if code, out, errs := runCLI(t, nil, "demo", "--members", "20"); code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if l := left(); len(l) != 0 {
		t.Fatalf("demo left %v behind", l)
	}
	code, out, errs := runCLI(t, nil, "demo", "--members", "20", "--keep")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	l := left()
	if len(l) != 1 || !strings.Contains(out, filepath.Join(l[0], "report.xlsx")) {
		t.Fatalf("--keep: folders %v, output\n%s", l, out)
	}
	if _, err := os.Stat(filepath.Join(l[0], "state.db")); err != nil {
		t.Fatal(err)
	}
}
