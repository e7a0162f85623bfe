package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"exmail-upgrade/core/session"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/text"
)

// damagedStateError is a damaged state file (store.DamagedError) said with
// the exact way out: the newest good copy and the command that restores it,
// or how to start empty when there is none.
type damagedStateError struct {
	t  text.T
	de *store.DamagedError
}

func (e *damagedStateError) Error() string { return e.t.Joined() }
func (e *damagedStateError) Text() text.T  { return e.t }
func (e *damagedStateError) Unwrap() error { return e.de }

// damagedAdvice explains de; arg is the --state value given (repeated in
// the advised command so it restores the same file).
func damagedAdvice(arg string, de *store.DamagedError) error {
	t := text.Sprintf("状态文件 %s 已损坏，没有打开，也没有做任何改动（%s）。", "The state file %s is damaged; it was not opened and nothing was changed (%s). ",
		de.Path, de.Reason)
	if len(de.Backups) == 0 {
		t = t.Append("", text.Sprintf("没有可用的正常副本：把它改名移到一旁（例如 %s.damaged），下次运行会从空白状态开始，原文件保留。",
			"There is no good copy: rename it aside (e.g. to %s.damaged) and the next run starts from an empty state; the file is kept.", de.Path))
		return &damagedStateError{t: t, de: de}
	}
	b := de.Backups[0]
	cmd := "exmail-upgrade status"
	if arg != "" {
		cmd += " --state " + shellQuote(arg)
	}
	cmd += " --restore-backup"
	at := b.SavedAt.Local().Format("2006-01-02 15:04:05")
	t = t.Append("", text.Sprintf("最近的正常副本是 %s（%s 自动保存）。恢复它请运行：%s（损坏的文件会保留为 %s.damaged-时间）。",
		"The newest good copy is %s (saved automatically at %s). To restore it, run: %s (the damaged file is kept as %s.damaged-TIME).",
		b.Path, at, cmd, de.Path))
	return &damagedStateError{t: t, de: de}
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain
// path characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:\\") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// restoreBackup puts the newest good copy of the state --state names back
// in place, keeping the damaged file aside. It refuses a state file that
// opens cleanly: a good file is never replaced by an older copy.
func restoreBackup(env *Env, arg string) error {
	path, err := session.StatePath(arg)
	if err != nil {
		return refuse(err)
	}
	_, statErr := os.Stat(path)
	if statErr == nil {
		st, err := store.Open(path, store.Options{ReadOnly: true, NoBackup: true})
		if err == nil {
			st.Close()
			return refuse(text.Errorf("状态文件 %s 完好，无需恢复", "the state file %s is fine; nothing to restore", path))
		}
		if !errors.Is(err, store.ErrDamaged) {
			return refuse(text.Wrap(text.Sprintf("打开状态文件 %s 失败", "cannot open the state %s", path), err))
		}
	}
	var good *store.Backup
	for _, b := range store.Backups(path) {
		if b.Err == nil {
			good = &b
			break
		}
	}
	if good == nil {
		return refuse(text.Errorf("状态文件 %s 没有可用的正常副本", "the state file %s has no good copy to restore", path))
	}
	aside, err := store.Restore(path, good.Path)
	if err != nil {
		return refuse(text.Wrap(text.Sprintf("恢复状态文件 %s 失败", "cannot restore the state %s", path), err))
	}
	env.Say("已用 %[2]s（%[3]s 保存）恢复状态文件 %[1]s", "restored the state file %[1]s from %[2]s (saved at %[3]s)",
		path, good.Path, good.SavedAt.Local().Format("2006-01-02 15:04:05"))
	if aside != "" {
		env.Say("损坏的文件保留为 %s", "the damaged file is kept as %s", aside)
	}
	return nil
}

// damagedRecordsLine is the warning status prints for project records that
// could not be read (the others are listed as usual).
func damagedRecordsLine(env *Env, bad []store.DamagedProject) string {
	ids := make([]string, len(bad))
	for i, d := range bad {
		ids[i] = fmt.Sprintf("%s (%s)", d.ID, d.Reason)
	}
	return env.Tf("⚠ 有 %d 个项目记录无法读取，已跳过，其他项目正常：%s", "⚠ %d project record(s) could not be read and were skipped; the other projects are fine: %s",
		len(bad), strings.Join(ids, "; "))
}
