// Package session ties one project's pieces together for the wizard and the
// CLI: its state file entries, its upgrade state machine, its contacts
// working copy and its migration target. Flow is the upgrade as every front
// end drives it.
package session

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"exmail-upgrade/core/fsname"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"
)

// RehearsalCompany is the name of the generated sample company.
const RehearsalCompany = "示例科技有限公司"

// RehearsalMembers is the size of the generated sample company.
const RehearsalMembers = 240

// RehearsalName is the name of a rehearsal project created at now: the
// sample company with a time stamp that is valid in a file name on every
// system (no colons: "12-01 20.34.07").
func RehearsalName(now time.Time) string {
	return fmt.Sprintf("%s（演练 %s）", RehearsalCompany, now.Format("01-02 15.04.05"))
}

// NewRehearsal creates a project holding a generated sample company (with a
// few planted problems to fix), named after now so several rehearsals can
// sit side by side. Its target will be the embedded rehearsal WeCom.
func NewRehearsal(st *store.Store, now time.Time) (store.Project, error) {
	p, err := st.CreateProject(RehearsalName(now))
	if err != nil {
		return store.Project{}, err
	}
	seed := now.UnixNano()
	dir := sample.Company(RehearsalMembers, seed)
	sample.Plant(dir, 0.02, seed+1)
	sample.AddSharedBoxes(dir, "") // info@, hr@, service@ as 其他邮箱, an untyped jobs@, a mail group
	if err := SaveWorkingCopy(st, p.ID, dir); err != nil {
		return store.Project{}, fmt.Errorf("save sample contacts: %w", err)
	}
	return st.UpdateProject(p.ID, func(p *store.Project) error {
		p.TargetKind = "sim"
		p.Notes = "rehearsal"
		return nil
	})
}

// RehearsalTenantPath is where project id's rehearsal WeCom tenant lives:
// rehearsal/<id>.db beside the state file. The GUI and the CLI use the same
// path, so a rehearsal started in one resumes in the other.
func RehearsalTenantPath(statePath, id string) (string, error) {
	c, err := fsname.Component(id)
	if err != nil {
		return "", fmt.Errorf("rehearsal tenant of project %q: %w", fsname.Prefix(id, 40), err)
	}
	return filepath.Join(filepath.Dir(statePath), "rehearsal", c+".db"), nil
}

// StateFileName is the state file inside a state folder.
const StateFileName = "state.db"

// StatePath resolves a --state argument the same way in the GUI and the
// CLI: empty is the default file in the user's config folder; an existing
// folder, a path ending in a separator or a path without the .db extension
// is a folder holding state.db; anything else is the state file itself.
func StatePath(arg string) (string, error) {
	if arg == "" {
		return store.DefaultPath()
	}
	if strings.HasSuffix(arg, "/") || strings.HasSuffix(arg, string(filepath.Separator)) {
		return filepath.Join(arg, StateFileName), nil
	}
	if fi, err := os.Stat(arg); err == nil {
		if fi.IsDir() {
			return filepath.Join(arg, StateFileName), nil
		}
		return arg, nil
	}
	if !strings.EqualFold(filepath.Ext(arg), ".db") {
		return filepath.Join(arg, StateFileName), nil
	}
	return arg, nil
}
