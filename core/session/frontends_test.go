package session

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFrontEndsDriveNoTransition keeps the flow in core: no file of the
// GUI or the CLI (tests aside, which build fixtures) calls a transition of
// core/upgrade, builds a connection of its own, or reads the legacy Exmail
// or a sheet for the planner itself.
func TestFrontEndsDriveNoTransition(t *testing.T) {
	forbidden := regexp.MustCompile(`\.(AcknowledgeNotice|ChooseMethod|IdentifyTarget|ConfirmTarget|ConfirmTargetVia|` +
		`FreezeContacts|FreezeDirectory|ConfirmPlan|StartMigration|ResumeMigration|FinishMigration|RetryFailed|` +
		`AcceptFailures|CorrectFailures|Back)\(`)
	direct := regexp.MustCompile(`\b(upgrade\.Load|session\.Connect|exmail\.ReadDirectory|migrate\.StartRehearsal|SetKnobs|wecom\.Explain|wecom\.New)\(`)
	// Calls through the flow (wz.flow.X, f.X on a *session.Flow, mv.start's
	// run := wz.flow.RetryFailed) are the allowed spelling.
	allowed := regexp.MustCompile(`(flow|\bf)\.(\w+)\(`)
	bad := 0
	for _, dir := range []string{"../../gui", "../cli"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(b), "\n") {
				code := line
				if j := strings.Index(code, "//"); j >= 0 {
					code = code[:j]
				}
				stripped := allowed.ReplaceAllString(code, "")
				if forbidden.MatchString(stripped) || direct.MatchString(code) {
					t.Errorf("%s:%d drives the upgrade itself: %s", file, i+1, strings.TrimSpace(line))
					bad++
				}
			}
		}
	}
	if bad > 0 {
		t.Logf("%d lines; call the project's session.Flow instead", bad)
	}
}
