package cli

import (
	"encoding/json"
	"flag"
	"fmt"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/upgrade"
)

func init() {
	register(Command{Name: "status", Summary: "查看升级与迁移状态 / show upgrade and migration status", Run: runStatus})
}

func runStatus(env *Env) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	state := fs.String("state", "", "state file, or a folder holding state.db")
	format := fs.String("format", "text", "text | json")
	name := fs.String("project", "", "company name or project id (default: all)")
	restore := fs.Bool("restore-backup", false, "restore the newest good copy of a damaged state file (the damaged file is kept), then show the status")
	if err := fs.Parse(env.Args); err != nil {
		return ExitUsage
	}
	if *format != "text" && *format != "json" {
		return usageErr(env, "--format text|json")
	}
	if *restore {
		if err := restoreBackup(env, *state); err != nil {
			return env.finish(err)
		}
	}
	st, err := openStore(*state, true)
	if err != nil {
		return env.finish(refuse(err))
	}
	defer st.Close()
	ps, bad, err := loadProjects(st, *name)
	if err != nil {
		return env.finish(refuse(err))
	}
	type jsonProject struct {
		ID           string                `json:"id"`
		Name         string                `json:"name"`
		Stage        string                `json:"stage"`
		Locked       bool                  `json:"locked"`
		Method       string                `json:"method,omitempty"`
		PlanHash     string                `json:"plan_hash,omitempty"`
		Total        int                   `json:"total"`
		Done         int                   `json:"done"`
		Failed       int                   `json:"failed"`
		Pending      int                   `json:"pending"`
		Runs         int                   `json:"runs"`
		Commits      int64                 `json:"commits"`
		Verification *migrate.Verification `json:"verification,omitempty"`
		Failures     []migrate.Failure     `json:"failures,omitempty"`
	}
	var out []jsonProject
	for _, d := range ps {
		j := jsonProject{ID: d.Project.ID, Name: d.Project.Name, Stage: string(d.Stage), Locked: d.Stage == upgrade.StageDone}
		if d.Plan != nil {
			j.Method, j.PlanHash = string(d.Plan.Method), d.Plan.Hash()
			r, m, err := migrate.Status(st.DB(), d.Project.ID, d.Plan)
			if err != nil {
				return env.finish(refuse(err))
			}
			if r != nil {
				j.Total, j.Done, j.Failed, j.Pending, j.Failures = r.Total, r.Done, r.Failed, r.Pending, r.Failures
				j.Runs, j.Commits, j.Verification = m.Runs, m.Commits, m.Verification
			} else {
				j.Total = migrate.OpCount(d.Plan)
				j.Pending = j.Total
			}
		}
		out = append(out, j)
	}
	if *format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		doc := map[string]any{"projects": out}
		if len(bad) > 0 {
			doc["damaged_records"] = bad
		}
		enc.Encode(doc)
		return ExitOK
	}
	if len(bad) > 0 {
		fmt.Fprintln(env.Stdout, damagedRecordsLine(env, bad))
	}
	if len(out) == 0 && len(bad) == 0 {
		env.Say("没有项目", "no projects")
	}
	for _, j := range out {
		line := env.Tf("%s  %s  阶段：%s", "%s  %s  stage: %s", j.Name, j.ID, j.Stage)
		if j.Locked {
			line += env.T("（已锁定）", " (locked)")
		}
		fmt.Fprintln(env.Stdout, line)
		if j.PlanHash != "" {
			fmt.Fprintln(env.Stdout, env.Tf("  %s：完成 %d/%d，失败 %d，待处理 %d，运行 %d 次", "  %s: %d/%d done, %d failed, %d pending, runs %d",
				j.Method, j.Done, j.Total, j.Failed, j.Pending, j.Runs))
		}
		if j.Verification != nil {
			fmt.Fprintf(env.Stdout, "  %s\n", j.Verification.Text().String(env.lang()))
		}
		for _, f := range j.Failures {
			fmt.Fprintf(env.Stdout, "  ✗ %s %s: %d %s\n", f.Kind, f.Key, f.Code, env.Of(f.Explain))
		}
	}
	return ExitOK
}
