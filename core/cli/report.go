package cli

import (
	"flag"
	"fmt"

	"exmail-upgrade/core/report"
	"exmail-upgrade/core/text"
)

func init() {
	register(Command{Name: "report", Summary: "导出迁移报告 xlsx / write the migration report", Run: runReport})
}

func runReport(env *Env) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	state := fs.String("state", "", "state file, or a folder holding state.db")
	out := fs.String("o", "", "output .xlsx")
	name := fs.String("project", "", "company name or project id (needed when the state holds several)")
	if err := fs.Parse(env.Args); err != nil {
		return ExitUsage
	}
	if *out == "" {
		return usageErr(env, "缺少 -o FILE.xlsx / -o FILE.xlsx is required")
	}
	return env.finish(writeReport(env, *state, *name, *out))
}

func writeReport(env *Env, state, name, out string) error {
	st, err := openStore(state, true)
	if err != nil {
		return refuse(err)
	}
	defer st.Close()
	ps, bad, err := loadProjects(st, name)
	if err != nil {
		return refuse(err)
	}
	if len(bad) > 0 {
		fmt.Fprintln(env.Stderr, damagedRecordsLine(env, bad))
	}
	var withPlan []projectData
	for _, d := range ps {
		if d.Plan != nil {
			withPlan = append(withPlan, d)
		}
	}
	switch {
	case len(withPlan) == 0:
		return refuse(text.NewError("没有已确认的计划", "no confirmed plan to report on"))
	case len(withPlan) > 1:
		return refuse(text.NewError("有多个项目，请用 --project 指定", "several projects; choose one with --project"))
	}
	d := withPlan[0]
	in := report.Input{Plan: d.Plan, Records: d.Records, Meta: d.Meta}
	if err := report.WriteFile(out, in); err != nil {
		return refuse(err)
	}
	for _, l := range report.SummaryText(in) {
		fmt.Fprintln(env.Stdout, l.String(env.lang()))
	}
	return nil
}
