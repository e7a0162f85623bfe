package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/upgrade"
)

func init() {
	register(Command{Name: "migrate", Summary: "迁移通讯录到企业微信(可续传) / migrate the contacts to WeCom (resumable)", Run: runMigrate})
}

// ReadContacts reads a contacts file the way every front end does
// (session.ReadContactsFile: safe fixes applied, every remaining problem
// returned). A variable so tests can replace it.
var ReadContacts = session.ReadContactsFile

// migrateArgs are the flags of migrate (and what demo sets).
type migrateArgs struct {
	contactsFile, method, target, company, confirm, corpID, secretEnv, apiBase, state, batch, targetContacts string
	rate, workers, accountCap, createdThisMonth                                                              int
	dir                                                                                                      *contacts.Directory // demo: given directly
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
	fs.StringVar(&a.state, "state", "", "state file, or a folder holding state.db (default: the user's config folder)")
	fs.IntVar(&a.rate, "rate", 0, "calls per minute (default 9000 for wecom, unlimited for sim)")
	fs.IntVar(&a.workers, "workers", 0, "most member calls in flight (0: as many as the client's limiter allows)")
	fs.StringVar(&a.batch, "batch", "auto", "auto | always | never")
	fs.IntVar(&a.accountCap, "account-cap", 0, "the target's account cap, for the pre-flight check (0: unknown)")
	fs.IntVar(&a.createdThisMonth, "created-this-month", session.Unknown, "accounts the target created this month (-1: unknown)")
	fs.IntVar(&a.advancedSeats, "advanced-seats", 0, "advanced-feature seats for other mailboxes (0: unknown)")
	fs.StringVar(&a.targetContacts, "target-contacts", "", "the target's exported contacts sheet (bind: names and details; sim: the existing company)")
	if err := fs.Parse(env.Args); err != nil {
		return ExitUsage
	}
	if a.contactsFile == "" {
		return usageErr(env, "缺少 --contacts / --contacts is required")
	}
	return env.finish(doMigrate(env, a))
}

// interruptSignals pause a migration cleanly: Ctrl+C, SIGTERM and SIGHUP
// (a closed terminal). On Windows, Go's os/signal delivers closing the
// console window, logging off and shutting down (CTRL_CLOSE_EVENT,
// CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT) as SIGTERM, so they pause too.
var interruptSignals = []os.Signal{os.Interrupt, sigTERM, sigHUP}

// doMigrate runs the whole headless upgrade through the project's Flow.
func doMigrate(env *Env, a migrateArgs) error {
	company := strings.TrimSpace(a.company)
	if company == "" {
		return refuse(text.NewError("缺少 --company", "--company is required"))
	}
	if strings.TrimSpace(a.confirm) != company {
		return refuse(text.NewError("--confirm 必须与 --company 完全一致（键入公司名即确认）", "--confirm must equal --company (the typed confirmation)"))
	}
	method := upgrade.Method(a.method)
	if !method.Valid() {
		return refuse(text.NewError("--method 只能是 new 或 bind", "--method must be new or bind"))
	}
	kind := upgrade.TargetKind(a.target)
	if kind != upgrade.TargetSim && kind != upgrade.TargetWeCom {
		return refuse(text.NewError("--target 只能是 sim 或 wecom", "--target must be sim or wecom"))
	}
	mode, err := migrate.ParseBatchMode(a.batch)
	if err != nil {
		return refuse(text.Errorf("--batch %q 只能是 auto、always 或 never", "--batch %q must be auto, always or never", a.batch))
	}
	dir := a.dir
	if dir == nil {
		d, problems, err := ReadContacts(a.contactsFile)
		if err != nil {
			return refuse(err)
		}
		if errs := errorsOf(problems); len(errs) > 0 {
			env.Warn("通讯录有 %d 个错误,请先修正(exmail-upgrade check)", "the contacts have %d errors; fix them first (exmail-upgrade check)", len(errs))
			for i, p := range errs {
				if i == 20 {
					fmt.Fprintln(env.Stderr, "  …")
					break
				}
				fmt.Fprintf(env.Stderr, "  %s %d %s: %s\n", env.T("行", "row"), p.Row, p.Code, p.Text().String(env.lang()))
			}
			return refuse(errSaid)
		}
		dir = d
	}
	var targetSheet *contacts.Directory
	if a.targetContacts != "" {
		d, _, err := ReadContacts(a.targetContacts)
		if err != nil {
			return refuse(fmt.Errorf("--target-contacts: %w", err))
		}
		targetSheet = d
	}
	cfg := session.TargetConfig{Kind: kind, Rate: a.rate}
	if kind == upgrade.TargetSim && method == upgrade.MethodBind {
		cfg.Existing = targetSheet // nil: the company every front end derives
	}
	if kind == upgrade.TargetWeCom {
		if a.corpID == "" {
			return refuse(text.NewError("--target wecom 需要 --corp-id", "--target wecom needs --corp-id"))
		}
		cfg.CorpID, cfg.Secret, cfg.APIBase = a.corpID, env.Getenv(a.secretEnv), a.apiBase
		if cfg.Secret == "" {
			return refuse(text.Errorf("环境变量 %s 中没有secret", "no secret in environment variable %s", a.secretEnv))
		}
		if cfg.APIBase == "" {
			cfg.APIBase = env.Getenv("EXMAIL_UPGRADE_API_BASE")
		}
	}

	st, err := openStore(a.state, false)
	if err != nil {
		return refuse(err)
	}
	defer st.Close()
	f, err := openFlowByName(st, company)
	if err != nil {
		return refuse(err)
	}
	defer f.Close()
	f.SetActor("cli:" + store.CurrentUser())
	if f.Stage() == upgrade.StageDone {
		return refuse(text.NewError("该公司的升级已完成，项目已锁定，不能再次运行", "this company's upgrade is done; the project is locked and cannot run again"))
	}
	f.SetPlanOptions(plan.ReadOptions{TargetSheet: targetSheet, AccountCap: a.accountCap, CreatedThisMonth: a.createdThisMonth, AdvancedSeats: a.advancedSeats})

	ctx, stopSignals := signal.NotifyContext(context.Background(), interruptSignals...)
	defer stopSignals()

	if err := prepare(ctx, env, f, cfg, dir, method, a.confirm); err != nil {
		return err
	}
	return execute(ctx, env, f, mode, a)
}

func errorsOf(problems []contacts.Problem) []contacts.Problem {
	var errs []contacts.Problem
	for _, p := range problems {
		if p.Severity == contacts.SeverityError {
			errs = append(errs, p)
		}
	}
	return errs
}

// openFlowByName opens the flow of the project named company, creating the
// project when there is none.
func openFlowByName(st *store.Store, company string) (*session.Flow, error) {
	ps, err := st.ListProjects()
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Name == company {
			return session.OpenFlow(st, p.ID)
		}
	}
	p, err := st.CreateProject(company)
	if err != nil {
		return nil, err
	}
	return session.OpenFlow(st, p.ID)
}

// prepare is the CLI's walk through the flow: the flags stand for the
// user's choices, --confirm for every typed confirmation (twice for bind).
// A migration that already started only checks it is the same one.
func prepare(ctx context.Context, env *Env, f *session.Flow, cfg session.TargetConfig, dir *contacts.Directory, method upgrade.Method, confirm string) error {
	if f.Started() {
		changes, err := f.Continue(dir, method)
		if err != nil {
			return refuse(err)
		}
		for _, ch := range changes {
			env.Say("已修正 %s %s 的%s：«%s» → «%s»", "corrected %s %s, %s: «%s» → «%s»", ch.UserID, ch.Name, env.T(ch.Field.Header(), string(ch.Field)), ch.Old, ch.New)
		}
		if err := f.Connect(cfg); err != nil {
			return refuse(err)
		}
		sayTarget(env, f)
		env.Say("继续上次的迁移", "resuming the migration")
		return nil
	}
	if f.ContactsEditable() && f.Stage() != upgrade.StagePlanConfirmed {
		if err := session.SaveWorkingCopy(f.Store, f.ID, dir); err != nil {
			return refuse(err)
		}
	}
	if err := f.AcknowledgeNotice(upgrade.NoticeKeys()); err != nil {
		return refuse(err)
	}
	if err := f.ChooseMethod(method); err != nil {
		return refuse(err)
	}
	t, err := f.CheckTarget(ctx, cfg, "")
	sayTarget(env, f)
	if err != nil {
		env.Warn("✗ 连接目标企业失败：%s", "✗ cannot reach the target: %s", env.Of(session.Explain(err)))
		return refuse(errSaid)
	}
	if err := f.IdentifyTarget(t); err != nil {
		return refuse(err)
	}
	for n := 1; n > 0; {
		if n, err = f.ConfirmTarget("cli --confirm"); err != nil {
			return refuse(err)
		}
	}
	if _, err := f.FreezeContacts(dir, contacts.Options{}); err != nil {
		return refuse(err)
	}
	pl, checks, err := f.Plan(ctx)
	if err != nil {
		return refuse(err)
	}
	printChecks(env, checks)
	if pl == nil {
		return refuse(errSaid)
	}
	printPlan(env, env.Stdout, pl)
	if err := session.CanStart(pl, checks); err != nil {
		env.Say("计划有冲突或检查未通过，不能开始迁移", "the plan has conflicts or a failed check; the migration cannot start")
		return refuse(errSaid)
	}
	return refuse(f.ConfirmPlan(pl, checks, confirm))
}

func sayTarget(env *Env, f *session.Flow) {
	if c := f.Connection(); c != nil && c.Sim != nil {
		env.Say("模拟企业微信：%s", "simulator: %s", c.BaseURL)
	}
}

func printChecks(env *Env, checks []plan.Check) {
	for _, c := range checks[:min(2, len(checks))] {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		fmt.Fprintf(env.Stdout, "%s %s\n", mark, env.T(c.Msg.ZH, c.Msg.EN))
		if !c.OK && c.Advice.ZH != "" {
			fmt.Fprintf(env.Stdout, "  → %s\n", env.T(c.Advice.ZH, c.Advice.EN))
		}
	}
}

func printPlan(env *Env, w io.Writer, p *plan.Plan) {
	fmt.Fprintln(w, env.Tf("计划 %s…：新建部门 %d，新建成员 %d，更新成员 %d，冲突 %d，不变 %d",
		"plan %s…: departments to create %d, members to create %d, to update %d, conflicts %d, untouched %d",
		p.Hash()[:12], len(p.Departments), len(p.Create), len(p.Update), len(p.Conflicts), len(p.Untouched)))
	for i, c := range p.Conflicts {
		if i == 30 {
			fmt.Fprintln(w, env.Tf("  … 另有 %d 个", "  … %d more", len(p.Conflicts)-30))
			break
		}
		fmt.Fprintf(w, "  ✗ %s: %s\n", c.Key, env.T(c.Reason.ZH, c.Reason.EN))
		if c.Advice.ZH != "" {
			fmt.Fprintf(w, "    → %s\n", env.T(c.Advice.ZH, c.Advice.EN))
		}
	}
	for _, c := range p.Warnings {
		fmt.Fprintf(w, "  ! %s\n", env.T(c.Reason.ZH, c.Reason.EN))
	}
	printMailboxes(env, w, p) // mailboxes.go
}

// execute runs the migration through the flow (start, resume, or retry of
// the failed items) and prints the outcome.
func execute(ctx context.Context, env *Env, f *session.Flow, mode migrate.BatchMode, a migrateArgs) error {
	every := a.progressEvery
	if every <= 0 {
		every = time.Second
	}
	opt := migrate.Options{Workers: a.workers, Batch: mode, ProgressEvery: every,
		OnProgress: func(pr migrate.Progress) {
			fmt.Fprintln(env.Stdout, env.Tf("[%s] 完成 %d/%d，失败 %d，%.0f/秒，预计 %s %s", "[%s] %d/%d done, %d failed, %.0f/s, ETA %s %s",
				pr.Phase, pr.Done, pr.Total, pr.Failed, pr.Rate, pr.ETA.Round(time.Second), pr.Current))
		}}
	run := f.Run
	if f.Stage() == upgrade.StageFailedItems {
		run = f.RetryFailed
	}
	res, err := run(ctx, opt, nil)
	if session.Refused(err) {
		return refuse(err)
	}
	if errors.Is(err, migrate.ErrInterrupted) {
		env.Say("已暂停，日志已保存；用相同参数再次运行即可继续（%d/%d 完成）", "paused, journal saved; run again with the same flags to resume (%d/%d done)", res.Done, res.Total)
		return err
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, res.Verification.Text().String(env.lang()))
	for _, fl := range res.Failures {
		fmt.Fprintf(env.Stdout, "  ✗ %s %s %s: %d %s\n", fl.Kind, fl.Key, fl.Name, fl.Code, env.Of(fl.Explain))
	}
	if res.Failed > 0 || !res.OK() {
		env.Say("完成，%d 项未迁移；修正后再次运行将只重试失败项", "Finished — %d items not migrated; run again after fixing them to retry only those", res.Failed)
		return errFailedItems
	}
	env.Say("迁移完成，项目已锁定（%s，日志提交 %d 次）", "migration complete; the project is locked (%s, journal commits %d)", res.Elapsed.Round(time.Millisecond), res.Commits)
	return nil
}
