package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/report"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
)

func init() {
	register(Command{Name: "migrate", Summary: "迁移通讯录到企业微信(可续传) / migrate the contacts to WeCom (resumable)", Run: runMigrate})
	register(Command{Name: "demo", Summary: "在模拟企业微信上完整演练 / full rehearsal on a generated company", Run: runDemo})
	register(Command{Name: "status", Summary: "查看升级与迁移状态 / show upgrade and migration status", Run: runStatus})
	register(Command{Name: "report", Summary: "导出迁移报告 xlsx / write the migration report", Run: runReport})
}

// ReadContacts reads a contacts file (core/sheet), applies the safe fixes
// and returns the directory with every remaining problem. A variable so
// tests can replace it.
var ReadContacts = func(path string) (*contacts.Directory, []contacts.Problem, error) {
	res, err := sheet.Read(path, sheet.Options{})
	if err != nil {
		return nil, nil, err
	}
	problems := append([]contacts.Problem(nil), res.Problems...)
	problems = append(problems, contacts.Fix(res.Dir, res.ValidationOptions())...)
	return res.Dir, problems, nil
}

// stateFile returns the state file for --state (a directory or a .db file).
func stateFile(dir string) (string, error) {
	if dir == "" {
		return store.DefaultPath()
	}
	if strings.HasSuffix(dir, ".db") {
		return dir, nil
	}
	return filepath.Join(dir, "state.db"), nil
}

// migrateArgs are the flags of migrate (and what demo sets).
type migrateArgs struct {
	contactsFile, method, target, company, confirm, corpID, secretEnv, apiBase, state, batch, targetContacts string
	rate, workers, accountCap, createdThisMonth                                                              int
	dir                                                                                                      *contacts.Directory // demo: given directly
	existing                                                                                                 *contacts.Directory // bind target for the simulator
	progressEvery                                                                                            time.Duration
	advancedSeats                                                                                            int // other mailboxes' seats (0: unknown)
}

func runMigrate(env *Env) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	a := migrateArgs{}
	fs.StringVar(&a.contactsFile, "contacts", "", "contacts file (.xlsx/.csv)")
	fs.StringVar(&a.method, "method", "", "new | bind")
	fs.StringVar(&a.target, "target", "", "sim | wecom")
	fs.StringVar(&a.company, "company", "", "company name (公司名)")
	fs.StringVar(&a.confirm, "confirm", "", "type the company name again to confirm")
	fs.StringVar(&a.corpID, "corp-id", "", "WeCom corp id (--target wecom)")
	fs.StringVar(&a.secretEnv, "secret-env", "WECOM_SECRET", "environment variable holding the contact-sync secret")
	fs.StringVar(&a.apiBase, "api-base", "", "WeCom API base URL (env EXMAIL_UPGRADE_API_BASE)")
	fs.StringVar(&a.state, "state", "", "state directory (default: the user's config directory)")
	fs.IntVar(&a.rate, "rate", 0, "calls per minute (default 9000 for wecom, unlimited for sim)")
	fs.IntVar(&a.workers, "workers", 0, "most member calls in flight (0: as many as the client's limiter allows)")
	fs.StringVar(&a.batch, "batch", "auto", "auto | always | never")
	fs.IntVar(&a.accountCap, "account-cap", 0, "the target's account cap, for the pre-flight check (0: unknown)")
	fs.IntVar(&a.createdThisMonth, "created-this-month", -1, "accounts the target created this month (-1: unknown)")
	fs.IntVar(&a.advancedSeats, "advanced-seats", 0, "advanced-feature seats for other mailboxes (0: unknown)")
	fs.StringVar(&a.targetContacts, "target-contacts", "", "the target's exported contacts sheet (bind: names and details; sim: the existing company)")
	if err := fs.Parse(env.Args); err != nil {
		return ExitUsage
	}
	if a.contactsFile == "" {
		fmt.Fprintln(env.Stderr, "缺少 --contacts / --contacts is required")
		return ExitUsage
	}
	return doMigrate(env, a)
}

func usageErr(env *Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, format+"\n", args...)
	return ExitUsage
}

// doMigrate runs the whole headless upgrade: state machine, plan, engine.
func doMigrate(env *Env, a migrateArgs) int {
	company := strings.TrimSpace(a.company)
	if company == "" {
		return usageErr(env, "缺少 --company / --company is required")
	}
	if strings.TrimSpace(a.confirm) != company {
		return usageErr(env, "--confirm 必须与 --company 完全一致(键入公司名即确认)/ --confirm must equal --company (the typed confirmation)")
	}
	method := plan.Method(a.method)
	if method != plan.MethodNew && method != plan.MethodBind {
		return usageErr(env, "--method 只能是 new 或 bind / --method must be new or bind")
	}
	if a.target != "sim" && a.target != "wecom" {
		return usageErr(env, "--target 只能是 sim 或 wecom / --target must be sim or wecom")
	}
	mode, err := migrate.ParseBatchMode(a.batch)
	if err != nil {
		return usageErr(env, "%v", err)
	}
	dir := a.dir
	if dir == nil {
		d, problems, err := ReadContacts(a.contactsFile)
		if err != nil {
			return usageErr(env, "%v", err)
		}
		var errs []contacts.Problem
		for _, p := range problems {
			if p.Severity == contacts.SeverityError {
				errs = append(errs, p)
			}
		}
		if len(errs) > 0 {
			fmt.Fprintf(env.Stderr, "通讯录有 %d 个错误,请先修正(exmail-upgrade check)/ the contacts have %d errors; fix them first (exmail-upgrade check)\n", len(errs), len(errs))
			for i, p := range errs {
				if i == 20 {
					fmt.Fprintln(env.Stderr, "  …")
					break
				}
				fmt.Fprintf(env.Stderr, "  row %d %s: %s\n", p.Row, p.Code, p.Message)
			}
			return ExitUsage
		}
		dir = d
	}
	var targetSheet *contacts.Directory
	if a.targetContacts != "" {
		d, _, err := ReadContacts(a.targetContacts)
		if err != nil {
			return usageErr(env, "--target-contacts: %v", err)
		}
		targetSheet = d
	}

	path, err := stateFile(a.state)
	if err != nil {
		return usageErr(env, "%v", err)
	}
	st, err := store.Open(path, store.Options{Timeout: 3 * time.Second})
	if err != nil {
		return usageErr(env, "打开状态文件 / open state %s: %v", path, err)
	}
	defer st.Close()
	pr, err := findOrCreateProject(st, company)
	if err != nil {
		return usageErr(env, "%v", err)
	}
	proj, err := session.Open(st, pr.ID)
	if err != nil {
		return usageErr(env, "%v", err)
	}
	proj.Up.SetActor("cli:" + store.CurrentUser())
	if proj.Up.Stage() == upgrade.StageDone {
		return usageErr(env, "该公司的升级已完成,项目已锁定,不能再次运行 / this company's upgrade is done; the project is locked and cannot run again")
	}

	// The target.
	cfg := session.TargetConfig{Kind: a.target, Rate: a.rate}
	if a.target == "sim" {
		cfg.SimPath = filepath.Join(filepath.Dir(path), "sim-"+proj.ID+".db")
		if method == plan.MethodBind {
			cfg.Existing = a.existing
			if targetSheet != nil {
				cfg.Existing = targetSheet
			} else if cfg.Existing == nil {
				cfg.Existing = migrate.ExistingCompany(dir, 1)
			}
		}
	} else {
		if a.corpID == "" {
			return usageErr(env, "--target wecom 需要 --corp-id / --target wecom needs --corp-id")
		}
		cfg.CorpID, cfg.Secret, cfg.APIBase = a.corpID, env.Getenv(a.secretEnv), a.apiBase
		if cfg.Secret == "" {
			return usageErr(env, "环境变量 %s 中没有secret / no secret in environment variable %s", a.secretEnv, a.secretEnv)
		}
		if cfg.APIBase == "" {
			cfg.APIBase = env.Getenv("EXMAIL_UPGRADE_API_BASE")
		}
	}
	conn, err := session.Connect(cfg, upgrade.Method(method), dir)
	if err != nil {
		return usageErr(env, "%v", err)
	}
	defer conn.Close()
	a.corpID = conn.CorpID
	if conn.Sim != nil {
		fmt.Fprintf(env.Stdout, "模拟企业微信 / simulator: %s\n", conn.BaseURL)
	}

	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stopSignals()

	p, code := prepare(ctx, env, proj, conn, dir, targetSheet, method, a)
	if p == nil {
		return code
	}
	return execute(ctx, env, proj, conn, mode, a)
}

func findOrCreateProject(st *store.Store, company string) (store.Project, error) {
	ps, err := st.ListProjects()
	if err != nil {
		return store.Project{}, err
	}
	for _, p := range ps {
		if p.Name == company {
			return p, nil
		}
	}
	return st.CreateProject(company)
}

// prepare drives the state machine up to a confirmed plan (or checks that
// the migration already started from these contacts); session.Project.Run
// then starts, resumes or retries it. It returns the plan to run, or nil
// and the exit code.
func prepare(ctx context.Context, env *Env, proj *session.Project, conn *session.Connection,
	dir *contacts.Directory, targetSheet *contacts.Directory, method plan.Method, a migrateArgs) (*plan.Plan, int) {
	u := proj.Up
	hash := dir.Hash()
	stage := u.Stage()
	if upgrade.MigrationStarted(stage) {
		p, err := proj.StoredPlan()
		if err != nil {
			return nil, usageErr(env, "迁移已开始但找不到计划 / migration started but no plan is stored: %v", err)
		}
		if p.ContactsHash != hash {
			return nil, usageErr(env, "%v", migrate.ErrContactsChanged)
		}
		if string(p.Method) != string(method) {
			return nil, usageErr(env, "迁移已按方式 %s 开始 / the migration started with method %s", p.Method, p.Method)
		}
		fmt.Fprintln(env.Stdout, "继续上次的迁移 / resuming the migration")
		return p, 0
	}
	// Before migrating: walk the steps the CLI's flags stand for.
	if stage == upgrade.StageNew {
		if err := u.AcknowledgeNotice(upgrade.NoticeKeys()); err != nil {
			return nil, usageErr(env, "%v", err)
		}
	}
	if s := u.State(); s.Method != "" && string(s.Method) != string(method) && u.Stage() != upgrade.StageNoticeAcknowledged {
		if err := u.Back(upgrade.StageNoticeAcknowledged); err != nil {
			return nil, usageErr(env, "%v", err)
		}
	}
	if u.Stage() == upgrade.StageNoticeAcknowledged {
		if err := u.ChooseMethod(upgrade.Method(method)); err != nil {
			return nil, usageErr(env, "%v", err)
		}
	}
	// Pre-flight and the target's identity.
	snap, checks, ok := plan.Preflight(ctx, conn.Target, plan.ReadOptions{TargetSheet: targetSheet, AccountCap: a.accountCap, CreatedThisMonth: a.createdThisMonth, AdvancedSeats: a.advancedSeats}, 0)
	for _, c := range checks[:min(2, len(checks))] {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		fmt.Fprintf(env.Stdout, "%s %s\n", mark, c.Msg)
		if !c.OK && c.Advice.ZH != "" {
			fmt.Fprintf(env.Stdout, "  → %s\n", c.Advice)
		}
	}
	if !ok || snap == nil {
		return nil, ExitUsage
	}
	if s := u.Stage(); s == upgrade.StageMethodChosen || s == upgrade.StageTargetIdentified && u.State().Target == nil {
		name := a.company
		if method == plan.MethodBind {
			name = a.company + " (" + a.corpID + ")"
		}
		if err := u.IdentifyTarget(upgrade.Target{Kind: upgrade.TargetKind(conn.Kind), CorpID: a.corpID, Name: name, Members: len(snap.Users), Departments: len(snap.Departments)}); err != nil {
			return nil, usageErr(env, "%v", err)
		}
	}
	for u.Stage() == upgrade.StageTargetIdentified {
		// --confirm is the creator's typed confirmation of the target (twice for bind).
		if err := u.ConfirmTargetVia("cli --confirm"); err != nil {
			return nil, usageErr(env, "%v", err)
		}
	}
	if u.Stage() == upgrade.StageContactsReady || u.Stage() == upgrade.StagePlanConfirmed {
		if u.State().SnapshotHash != hash {
			if err := u.Back(upgrade.StageTargetConfirmed); err != nil {
				return nil, usageErr(env, "%v", err)
			}
		}
	}
	if u.Stage() == upgrade.StageTargetConfirmed {
		if _, err := u.FreezeDirectory(dir, 0); err != nil {
			return nil, usageErr(env, "%v", err)
		}
	}
	p, err := plan.Build(plan.Input{Method: method, Company: a.company, Contacts: dir, Target: snap})
	if err != nil {
		return nil, usageErr(env, "%v", err)
	}
	printPlan(env.Stdout, p)
	if p.Blocked() {
		fmt.Fprintln(env.Stdout, "计划有冲突,不能开始迁移 / the plan has conflicts; the migration cannot start")
		return nil, ExitUsage
	}
	if u.Stage() == upgrade.StagePlanConfirmed && u.State().PlanHash != p.Hash() {
		if err := u.Back(upgrade.StageContactsReady); err != nil {
			return nil, usageErr(env, "%v", err)
		}
	}
	if u.Stage() == upgrade.StageContactsReady {
		if err := proj.ConfirmPlan(p, a.confirm); err != nil {
			return nil, usageErr(env, "%v", err)
		}
	}
	return p, 0
}

func printPlan(w io.Writer, p *plan.Plan) {
	fmt.Fprintf(w, "计划 / plan %s…: 新建部门 %d, 新建成员 %d, 更新成员 %d, 冲突 %d, 不变 %d / departments to create %d, members to create %d, to update %d, conflicts %d, untouched %d\n",
		p.Hash()[:12], len(p.Departments), len(p.Create), len(p.Update), len(p.Conflicts), len(p.Untouched),
		len(p.Departments), len(p.Create), len(p.Update), len(p.Conflicts), len(p.Untouched))
	for i, c := range p.Conflicts {
		if i == 30 {
			fmt.Fprintf(w, "  … %d more\n", len(p.Conflicts)-30)
			break
		}
		fmt.Fprintf(w, "  ✗ %s: %s\n", c.Key, c.Reason)
		if c.Advice.ZH != "" {
			fmt.Fprintf(w, "    → %s\n", c.Advice)
		}
	}
	for _, c := range p.Warnings {
		fmt.Fprintf(w, "  ! %s\n", c.Reason)
	}
	printMailboxes(w, p) // mailboxes.go
}

// execute runs the migration through session.Project.Run (start, resume or
// retry of the failed items, the engine, the outcome) and prints it.
func execute(ctx context.Context, env *Env, proj *session.Project, conn *session.Connection, mode migrate.BatchMode, a migrateArgs) int {
	every := a.progressEvery
	if every <= 0 {
		every = time.Second
	}
	opt := migrate.Options{Workers: a.workers, Batch: mode, ProgressEvery: every,
		OnProgress: func(pr migrate.Progress) {
			fmt.Fprintf(env.Stdout, "[%s] %d/%d 完成 done, %d 失败 failed, %.0f/s, ETA %s %s\n",
				pr.Phase, pr.Done, pr.Total, pr.Failed, pr.Rate, pr.ETA.Round(time.Second), pr.Current)
		}}
	retry := proj.Up.Stage() == upgrade.StageFailedItems
	res, err := proj.Run(ctx, conn, opt, retry, nil)
	if session.Refused(err) {
		return usageErr(env, "%v", err)
	}
	if errors.Is(err, migrate.ErrInterrupted) {
		fmt.Fprintf(env.Stdout, "已暂停,日志已保存;用相同参数再次运行即可继续 / paused, journal saved; run again with the same flags to resume (%d/%d done)\n", res.Done, res.Total)
		return ExitInterrupted
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		if errors.Is(err, migrate.ErrContactsChanged) || errors.Is(err, migrate.ErrPlanChanged) {
			return ExitUsage
		}
		return ExitProblems
	}
	fmt.Fprintln(env.Stdout, res.Verification.Summary())
	for _, f := range res.Failures {
		fmt.Fprintf(env.Stdout, "  ✗ %s %s %s: %d %s\n", f.Kind, f.Key, f.Name, f.Code, f.Explain)
	}
	if res.Failed > 0 || !res.OK() {
		fmt.Fprintf(env.Stdout, "%d 项失败;修正后再次运行将只重试失败项 / %d items failed; run again after fixing them to retry only those\n", res.Failed, res.Failed)
		return ExitProblems
	}
	fmt.Fprintf(env.Stdout, "迁移完成,项目已锁定 / migration complete; the project is locked (%s, journal commits %d)\n", res.Elapsed.Round(time.Millisecond), res.Commits)
	return ExitOK
}

func runDemo(env *Env) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	n := fs.Int("members", 200, "members of the generated company")
	method := fs.String("method", "new", "new | bind")
	seed := fs.Int64("seed", 1, "seed of the generated company")
	state := fs.String("state", "", "state directory (default: a new temp directory)")
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
			return usageErr(env, "%v", err)
		}
		dirPath = d
	}
	company := "示例科技有限公司"
	dir := sample.Company(*n, *seed)
	fmt.Fprintf(env.Stdout, "演练 / rehearsal: %d 名成员 members, %d 个部门 departments, 状态 state %s\n", len(dir.Members), len(dir.AllDepartments()), dirPath)
	code := doMigrate(env, migrateArgs{contactsFile: "(generated)", dir: dir, method: *method, target: "sim", company: company, confirm: company,
		state: dirPath, batch: "auto", workers: 0, createdThisMonth: -1, progressEvery: 500 * time.Millisecond})
	if code == ExitOK || code == ExitProblems {
		out := filepath.Join(dirPath, "report.xlsx")
		if rc := runReport(&Env{Args: []string{"--state", dirPath, "-o", out}, Stdout: env.Stdout, Stderr: env.Stderr, Getenv: env.Getenv}); rc == ExitOK {
			fmt.Fprintf(env.Stdout, "报告 / report: %s\n", out)
		}
	}
	return code
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

func openState(env *Env, dir string) (*store.Store, int) {
	path, err := stateFile(dir)
	if err != nil {
		return nil, usageErr(env, "%v", err)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, usageErr(env, "没有状态文件 / no state file at %s", path)
	}
	st, err := store.Open(path, store.Options{ReadOnly: true, Timeout: 3 * time.Second})
	if err != nil {
		return nil, usageErr(env, "%v", err)
	}
	return st, 0
}

func runStatus(env *Env) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	state := fs.String("state", "", "state directory")
	format := fs.String("format", "text", "text | json")
	name := fs.String("project", "", "company name or project id (default: all)")
	if err := fs.Parse(env.Args); err != nil {
		return ExitUsage
	}
	if *format != "text" && *format != "json" {
		return usageErr(env, "--format text|json")
	}
	st, code := openState(env, *state)
	if st == nil {
		return code
	}
	defer st.Close()
	ps, err := loadProjects(st, *name)
	if err != nil {
		return usageErr(env, "%v", err)
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
				return usageErr(env, "%v", err)
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
		enc.Encode(map[string]any{"projects": out})
		return ExitOK
	}
	if len(out) == 0 {
		fmt.Fprintln(env.Stdout, "没有项目 / no projects")
	}
	for _, j := range out {
		fmt.Fprintf(env.Stdout, "%s  %s  阶段 stage: %s", j.Name, j.ID, j.Stage)
		if j.Locked {
			fmt.Fprint(env.Stdout, " (已锁定 / locked)")
		}
		fmt.Fprintln(env.Stdout)
		if j.PlanHash != "" {
			fmt.Fprintf(env.Stdout, "  %s: %d/%d 完成 done, %d 失败 failed, %d 待处理 pending, 运行 runs %d\n", j.Method, j.Done, j.Total, j.Failed, j.Pending, j.Runs)
		}
		if j.Verification != nil {
			fmt.Fprintf(env.Stdout, "  %s\n", j.Verification.Summary())
		}
		for _, f := range j.Failures {
			fmt.Fprintf(env.Stdout, "  ✗ %s %s: %d %s\n", f.Kind, f.Key, f.Code, f.Explain)
		}
	}
	return ExitOK
}

func runReport(env *Env) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	state := fs.String("state", "", "state directory")
	out := fs.String("o", "", "output .xlsx")
	name := fs.String("project", "", "company name or project id (needed when the state holds several)")
	if err := fs.Parse(env.Args); err != nil {
		return ExitUsage
	}
	if *out == "" {
		return usageErr(env, "缺少 -o FILE.xlsx / -o FILE.xlsx is required")
	}
	st, code := openState(env, *state)
	if st == nil {
		return code
	}
	defer st.Close()
	ps, err := loadProjects(st, *name)
	if err != nil {
		return usageErr(env, "%v", err)
	}
	var withPlan []projectData
	for _, d := range ps {
		if d.Plan != nil {
			withPlan = append(withPlan, d)
		}
	}
	switch {
	case len(withPlan) == 0:
		return usageErr(env, "没有已确认的计划 / no confirmed plan to report on")
	case len(withPlan) > 1:
		return usageErr(env, "有多个项目,请用 --project 指定 / several projects; choose one with --project")
	}
	d := withPlan[0]
	in := report.Input{Plan: d.Plan, Records: d.Records, Meta: d.Meta}
	if err := report.WriteFile(*out, in); err != nil {
		return usageErr(env, "%v", err)
	}
	fmt.Fprint(env.Stdout, report.Summary(in))
	return ExitOK
}
