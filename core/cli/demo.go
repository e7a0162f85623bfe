package cli

import (
	"flag"
	"os"
	"path/filepath"
	"time"

	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/session"
)

func init() {
	register(Command{Name: "demo", Summary: "在模拟企业微信上完整演练 / full rehearsal on a generated company", Run: runDemo})
}

func runDemo(env *Env) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	n := fs.Int("members", 200, "members of the generated company")
	method := fs.String("method", "new", "new | bind")
	seed := fs.Int64("seed", 1, "seed of the generated company")
	state := fs.String("state", "", "state file or folder (default: a new temporary folder, removed afterwards)")
	keep := fs.Bool("keep", false, "keep the temporary state folder (and the report) afterwards")
	if err := fs.Parse(env.Args); err != nil {
		return ExitUsage
	}
	if *n < 1 || *n > 1_000_000 {
		return usageErr(env, "--members 1..1000000")
	}
	dirPath := *state
	if dirPath == "" {
		d, err := os.MkdirTemp("", "exmail-upgrade-demo-")
		if err != nil {
			return env.finish(refuse(err))
		}
		dirPath = d
		if !*keep {
			defer func() {
				if err := os.RemoveAll(d); err != nil {
					env.Warn("无法删除演练文件夹 %s：%v", "cannot remove the rehearsal folder %s: %v", d, err)
				}
			}()
		}
	}
	statePath, err := session.StatePath(dirPath)
	if err != nil {
		return env.finish(refuse(err))
	}
	dir := sample.Company(*n, *seed)
	env.Say("演练：%d 名成员，%d 个部门，状态 %s", "rehearsal: %d members, %d departments, state %s", len(dir.Members), len(dir.AllDepartments()), statePath)
	err = doMigrate(env, migrateArgs{contactsFile: "(generated)", dir: dir, method: *method, target: "sim", company: session.RehearsalCompany,
		confirm: session.RehearsalCompany, state: dirPath, batch: "auto", workers: 0, createdThisMonth: session.Unknown, progressEvery: 500 * time.Millisecond})
	code := env.finish(err)
	if code == ExitOK || code == ExitProblems {
		out := filepath.Join(filepath.Dir(statePath), "report.xlsx")
		if writeReport(env, dirPath, "", out) == nil {
			if *state == "" && !*keep {
				env.Say("（演练结束后删除临时文件夹；用 --keep 保留状态与报告）", "(the temporary folder is removed afterwards; --keep keeps the state and the report)")
			} else {
				env.Say("报告：%s", "report: %s", out)
			}
		}
	}
	return code
}
