package cli

import (
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

func loadProjects(st *store.Store, name string) ([]projectData, error) {
	ps, err := st.ListProjects()
	if err != nil {
		return nil, err
	}
	var out []projectData
	for _, pr := range ps {
		if name != "" && pr.Name != name && pr.ID != name {
			continue
		}
		d := projectData{Project: pr, Stage: upgrade.Stage(pr.Stage)}
		sp, ok, err := st.Plan(pr.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			if d.Plan, err = plan.Unmarshal(sp.Data); err != nil {
				return nil, err
			}
			if d.Records, err = migrate.Records(st.DB(), pr.ID, d.Plan); err != nil {
				return nil, err
			}
			if _, m, err := migrate.Status(st.DB(), pr.ID, d.Plan); err != nil {
				return nil, err
			} else {
				d.Meta = m
			}
		}
		out = append(out, d)
	}
	return out, nil
}
