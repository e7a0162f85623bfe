package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/exmail"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/text"
)

func init() {
	register(Command{Name: "mailboxes", Summary: "写邮箱名单（成员邮箱、其他邮箱） / write the mailbox list (member and other mailboxes)", Run: runMailboxes})
}

// exmailFlags are the optional flags that read the live legacy Exmail, so
// a sheet can be compared with the mailboxes that really exist.
type exmailFlags struct {
	corpID, secretEnv, apiBase string
}

// EnvExmailAPIBase sets the Exmail API base for every command (tests, proxies).
const EnvExmailAPIBase = "EXMAIL_UPGRADE_EXMAIL_API_BASE"

func addExmailFlags(fs *flag.FlagSet) *exmailFlags {
	ef := &exmailFlags{}
	fs.StringVar(&ef.corpID, "exmail-corp-id", "", "legacy Exmail corp id: compare the sheet with the live Exmail's mailboxes")
	fs.StringVar(&ef.secretEnv, "exmail-secret-env", "EXMAIL_SECRET", "environment variable holding the Exmail directory secret")
	fs.StringVar(&ef.apiBase, "exmail-api-base", "", "Exmail API base URL (env "+EnvExmailAPIBase+")")
	return ef
}

// read reads the live Exmail when --exmail-corp-id was given (nil, nil
// otherwise). The secret comes from the environment only and never shows
// in an error.
func (ef *exmailFlags) read(env *Env) (*contacts.Directory, error) {
	if ef.corpID == "" {
		return nil, nil
	}
	secret := env.Getenv(ef.secretEnv)
	if secret == "" {
		return nil, text.Errorf("环境变量 %s 为空：请把腾讯企业邮的通讯录 Secret 放在其中", "environment variable %s is empty: put the Exmail directory secret there", ef.secretEnv)
	}
	base := ef.apiBase
	if base == "" {
		base = env.Getenv(EnvExmailAPIBase)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	d, err := session.ReadLegacyMailboxes(ctx, base, ef.corpID, secret)
	if err != nil {
		failed := text.New("读取腾讯企业邮失败", "reading the Exmail failed")
		var e *exmail.Error
		if errors.As(err, &e) {
			zh, en, ok := strings.Cut(e.Explain(), " / ")
			if !ok {
				en = zh
			}
			return nil, &text.Error{Text: text.New(fmt.Sprintf("%s: %v\n%s", failed.Zh, err, zh), fmt.Sprintf("%s: %v\n%s", failed.En, err, en))}
		}
		return nil, text.Wrap(failed, err)
	}
	return d, nil
}

func runMailboxes(env *Env) int {
	const zh, en = "用法: exmail-upgrade mailboxes 文件 -o 邮箱名单.xlsx [--domain 域名 ...] [--exmail-corp-id ID --exmail-secret-env 变量]",
		"usage: exmail-upgrade mailboxes FILE -o MAILBOXES.xlsx [--domain D ...] [--exmail-corp-id ID --exmail-secret-env VAR]"
	fs := sheetFlags("mailboxes")
	out := fs.String("o", "", "output .xlsx (邮箱名单)")
	var domains listFlag
	fs.Var(&domains, "domain", "company mail domain (repeatable)")
	ef := addExmailFlags(fs)
	pos, err := parseInterleaved(fs, env.Args)
	if err != nil {
		return env.finish(flagError(err, zh, en))
	}
	if len(pos) != 1 || *out == "" {
		return env.finish(refuse(text.NewError(zh, en)))
	}
	return env.finish(mailboxes(env, pos[0], *out, domains, ef))
}

func mailboxes(env *Env, in, out string, domains []string, ef *exmailFlags) error {
	if zh, en := checkOutputs(in, [2]string{"-o", out}); zh != "" { // outpath.go
		return refuse(text.NewError(zh, en))
	}
	res, err := sheet.Read(in, sheet.Options{Domains: domains})
	if err != nil {
		return refuse(err)
	}
	problems := append([]contacts.Problem(nil), res.Problems...)
	opts := res.ValidationOptions()
	if res.Layout != "" {
		problems = append(problems, contacts.Fix(res.Dir, opts)...)
	}
	live, err := ef.read(env)
	if err != nil {
		return refuse(err)
	}
	if live != nil {
		problems = append(problems, contacts.CompareMailboxes(res.Dir, live, &opts)...)
		res.Dir.MailGroups = live.MailGroups
	}
	c := contacts.Count(problems)
	if c.Error > 0 {
		env.printCheck(false, in, res, problems)
		env.Say("还有错误，未生成 %s", "errors remain; %s not written", out)
		return errSheetErrors
	}
	if err := sheet.WriteMailboxListFile(out, res.Dir); err != nil {
		return refuse(text.Wrap(text.New("写文件失败", "cannot write the mailbox list"), err))
	}
	members, others := 0, 0
	for _, r := range sheet.MailboxList(res.Dir) {
		if r.Type == contacts.MailboxOther {
			others++
		} else {
			members++
		}
	}
	for i := range problems {
		if problems[i].Severity == contacts.SeverityWarning {
			fmt.Fprintln(env.Stdout, env.problemLine(&problems[i]))
		}
	}
	env.Say("邮箱名单：%s — 成员邮箱 %d · 其他邮箱 %d · 邮件组 %d", "mailbox list: %s — member mailboxes %d, other mailboxes %d, mail groups %d",
		out, members, others, len(res.Dir.MailGroups))
	return nil
}

// printMailboxes prints the plan's mailbox groups in the command's
// language: the other mailboxes kept as mailboxes, the mail groups with
// their tags, and the seats.
func printMailboxes(env *Env, w io.Writer, p *plan.Plan) {
	t := func(m plan.Msg) string { return env.T(m.ZH, m.EN) }
	fmt.Fprintf(w, "  %s\n", t(p.SeatsText()))
	if n := len(p.OtherMailboxes); n > 0 {
		fmt.Fprintf(w, "  %s: %d\n", t(plan.OtherMailboxesTitle), n)
		for i, o := range p.OtherMailboxes {
			if i == 30 {
				fmt.Fprintln(w, env.Tf("    … 另有 %d 个", "    … %d more", n-30))
				break
			}
			fmt.Fprintf(w, "    %s %s\n", o.Address, o.Name)
		}
	}
	if n := len(p.MailGroups); n > 0 {
		fmt.Fprintf(w, "  %s: %d\n", t(plan.MailGroupsTitle), n)
		for i, g := range p.MailGroups {
			if i == 30 {
				fmt.Fprintln(w, env.Tf("    … 另有 %d 个", "    … %d more", n-30))
				break
			}
			fmt.Fprintf(w, "    %s → %s\n", strings.TrimSpace(g.Address+" "+g.Name), g.Tag)
		}
	}
}

// compare checks a read sheet against the live Exmail when the Exmail
// flags were given: mailbox_not_in_exmail and mailbox_missing.
func (ef *exmailFlags) compare(env *Env, res *sheet.Result) ([]contacts.Problem, error) {
	live, err := ef.read(env)
	if err != nil || live == nil || res.Layout == "" {
		return nil, err
	}
	opts := res.ValidationOptions()
	return contacts.CompareMailboxes(res.Dir, live, &opts), nil
}

// noteOtherMailboxes tells fix's user that the upload-ready sheet holds
// member mailboxes only, and where the other mailboxes went.
func noteOtherMailboxes(env *Env, d *contacts.Directory) {
	n := 0
	for i := range d.Members {
		if d.Members[i].IsOther() {
			n++
		}
	}
	if n > 0 {
		env.Say("其他邮箱 %d 个不在成员表中（见“其他邮箱”工作表；完整名单用 mailboxes 命令）",
			"%d other mailboxes are not in the members sheet (see the 其他邮箱 sheet; the full list: the mailboxes command)", n)
	}
}
