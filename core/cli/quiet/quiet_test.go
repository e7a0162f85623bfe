package quiet_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"

	"exmail-upgrade/core/cli/quiet"
)

// TestMain doubles as the child process: started with "check" as its first
// argument it is a headless command that imported the toolkit.
func TestMain(m *testing.M) {
	if os.Getenv("QUIET_CHILD") == "1" {
		_ = lang.SystemLocale() // what the GUI's language code calls
		fmt.Println("own output")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(t *testing.T, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "QUIET_CHILD=1", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "LC_MESSAGES=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	return out.String(), errb.String()
}

// A headless command in the C locale prints only its own output; the same
// program started to open the window (a flag first) still logs, which
// shows the toolkit's noise is real and the test can fail.
func TestHeadlessCommandPrintsNoToolkitNoise(t *testing.T) {
	out, errs := child(t, "check", "file.csv")
	if out != "own output\n" || errs != "" {
		t.Fatalf("stdout %q stderr %q", out, errs)
	}
	_, errs = child(t, "-test.run=^$")
	if !strings.Contains(errs, "Fyne error") {
		t.Skipf("the toolkit printed nothing in the C locale here (stderr %q)", errs)
	}
}

func TestHeadless(t *testing.T) {
	cases := map[string]bool{"": false, "check": true, "--help": true, "--version": true, "--state": false, "-lang": false}
	for a, want := range cases {
		args := []string{"exmail-upgrade"}
		if a != "" {
			args = append(args, a)
		}
		if got := quiet.Headless(args); got != want {
			t.Errorf("Headless(%q) = %v", a, got)
		}
	}
}
