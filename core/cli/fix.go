package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/text"
)

func init() {
	register(Command{Name: "fix", Summary: "自动修正并导出可上传的表格 / apply safe fixes, write the upload-ready sheet", Run: runFix})
}

// runFix: exit 0 OUT written, 1 errors remain (OUT not written), 2
// unreadable input, an output naming the input, or bad usage.
func runFix(env *Env) int {
	const zh, en = "用法: exmail-upgrade fix 文件 -o 输出.xlsx [--review 检查结果.xlsx] [--domain 域名 ...]",
		"usage: exmail-upgrade fix FILE -o OUT.xlsx [--review REVIEW.xlsx] [--domain D ...]"
	fs := sheetFlags("fix")
	out := fs.String("o", "", "upload-ready output .xlsx (written only when no errors remain)")
	review := fs.String("review", "", "review workbook .xlsx (always written when given)")
	var domains listFlag
	fs.Var(&domains, "domain", "company mail domain (repeatable)")
	pos, err := parseInterleaved(fs, env.Args)
	if err != nil {
		return env.finish(flagError(err, zh, en))
	}
	if len(pos) != 1 || *out == "" {
		return env.finish(refuse(text.NewError(zh, en)))
	}
	return env.finish(fix(env, pos[0], *out, *review, domains))
}

func fix(env *Env, in, out, review string, domains []string) error {
	if zh, en := checkOutputs(in, [2]string{"-o", out}, [2]string{"--review", review}); en != "" {
		return refuse(text.NewError(zh, en))
	}
	res, err := sheet.Read(in, sheet.Options{Domains: domains})
	if err != nil {
		return refuse(err)
	}
	opts := res.ValidationOptions()
	raw := &contacts.Directory{Members: append([]contacts.Member(nil), res.Dir.Members...)}
	problems := append([]contacts.Problem(nil), res.Problems...)
	if res.Layout != "" {
		problems = append(problems, contacts.Fix(res.Dir, opts)...)
	}
	if review != "" {
		err := sheet.WriteFileAtomic(review, func(w io.Writer) error { return sheet.WriteReview(w, raw, problems) })
		if err != nil {
			return refuse(text.Wrap(text.New("写检查结果失败", "cannot write the review"), err))
		}
		env.Say("检查结果：%s", "review: %s", filepath.FromSlash(review))
	}
	c := contacts.Count(problems)
	env.Say("已自动修正 %d 处 · 错误 %d · 提醒 %d", "fixed %d, errors %d, warnings %d", c.Fixed, c.Error, c.Warning)
	if c.Error > 0 {
		for i := range problems {
			if problems[i].Severity == contacts.SeverityError {
				fmt.Fprintln(env.Stdout, env.problemLine(&problems[i]))
			}
		}
		env.Say("还有错误，未生成 %s", "errors remain; %s not written", filepath.FromSlash(out))
		return errSheetErrors
	}
	if err := sheet.WriteFileAtomic(out, func(w io.Writer) error { return sheet.WriteUpload(w, res.Dir, opts) }); err != nil {
		return refuse(text.Wrap(text.New("写文件失败", "cannot write the sheet"), err))
	}
	env.Say("可上传的表格：%s", "upload-ready sheet: %s", filepath.FromSlash(out))
	noteOtherMailboxes(env, res.Dir) // mailboxes.go
	return nil
}
