package cli

import (
	"errors"
	"os"
	"time"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/upgrade"
)

// openStore opens the state --state names (session.StatePath: a file, or a
// folder holding state.db); readOnly refuses a state that does not exist.
func openStore(arg string, readOnly bool) (*store.Store, error) {
	path, err := session.StatePath(arg)
	if err != nil {
		return nil, err
	}
	if readOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, text.Errorf("没有状态文件 %s", "no state file at %s", path)
		}
	}
	st, err := store.Open(path, store.Options{ReadOnly: readOnly, Timeout: 3 * time.Second})
	var damaged *store.DamagedError
	if errors.As(err, &damaged) {
		return nil, damagedAdvice(arg, damaged)
	}
	if err != nil {
		return nil, text.Wrap(text.Sprintf("打开状态文件 %s 失败", "cannot open the state %s", path), err)
	}
	return st, nil
}

// projectData is what status and report read of one project.
type projectData struct {
	Project store.Project
	Stage   upgrade.Stage
	Plan    *plan.Plan
	Records map[string]migrate.Record
	Meta    *migrate.Meta
}

// loadProjects reads the projects named name (all when empty) and lists
// the project records that could not be read, which it skips.
func loadProjects(st *store.Store, name string) ([]projectData, []store.DamagedProject, error) {
	ps, bad, err := st.ScanProjects()
	if err != nil {
		return nil, nil, err
	}
	var out []projectData
	for _, pr := range ps {
		if name != "" && pr.Name != name && pr.ID != name {
			continue
		}
		d, err := loadProject(st, pr)
		if err != nil { // this project's plan or journal: skip it, list the others
			bad = append(bad, store.DamagedProject{ID: pr.ID, Reason: err.Error()})
			continue
		}
		out = append(out, d)
	}
	return out, bad, nil
}

func loadProject(st *store.Store, pr store.Project) (projectData, error) {
	d := projectData{Project: pr, Stage: upgrade.Stage(pr.Stage)}
	sp, ok, err := st.Plan(pr.ID)
	if err != nil || !ok {
		return d, err
	}
	if d.Plan, err = plan.Unmarshal(sp.Data); err != nil {
		return d, err
	}
	if d.Records, err = migrate.Records(st.DB(), pr.ID, d.Plan); err != nil {
		return d, err
	}
	if _, d.Meta, err = migrate.Status(st.DB(), pr.ID, d.Plan); err != nil {
		return d, err
	}
	return d, nil
}
