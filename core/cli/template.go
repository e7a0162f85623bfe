package cli

import (
	"path/filepath"

	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/text"
)

func init() {
	register(Command{Name: "template", Summary: "生成空白通讯录模板 / write the blank contacts template", Run: runTemplate})
}

func runTemplate(env *Env) int {
	const zh, en = "用法: exmail-upgrade template -o 文件.xlsx", "usage: exmail-upgrade template -o FILE.xlsx"
	fs := sheetFlags("template")
	out := fs.String("o", "", "output .xlsx file")
	pos, err := parseInterleaved(fs, env.Args)
	if err != nil {
		return env.finish(flagError(err, zh, en))
	}
	if *out == "" || len(pos) > 0 {
		return env.finish(refuse(text.NewError(zh, en)))
	}
	if err := sheet.WriteFileAtomic(*out, sheet.WriteTemplate); err != nil {
		return env.finish(refuse(text.Wrap(text.New("写模板失败", "cannot write the template"), err)))
	}
	env.Say("已生成模板：%s", "template written: %s", filepath.FromSlash(*out))
	return env.finish(nil)
}
