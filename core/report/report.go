// Package report writes the outcome of a migration: an xlsx workbook (a
// summary sheet, one row per member with its result, WeCom userid, error and
// advice, one row per department, and the plan's conflicts and untouched
// items) and a short bilingual text summary.
package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/text"
)

// Input is what a report is made of. Records may be nil (nothing run yet);
// Meta and Verification may be nil.
type Input struct {
	Plan    *plan.Plan
	Records map[string]migrate.Record // journal records by operation key
	Meta    *migrate.Meta
	Now     time.Time // report time (default now)
}

// Row is one member line of the report.
type Row struct {
	SheetRow int
	Name     string
	UserID   string
	Action   string // 新建 create / 更新 update / 不变 untouched
	Result   string // 成功 done / 失败 failed / 待处理 pending / 不变 untouched
	Note     string
	Code     int
	Error    string
	Advice   string
}

func resultLabel(s string) string {
	switch s {
	case migrate.StateDone:
		return "成功 / done"
	case migrate.StateFailed:
		return "失败 / failed"
	}
	return "待处理 / pending"
}

func noteLabel(n string) string {
	switch n {
	case "created":
		return "已新建 / created"
	case "updated":
		return "已更新 / updated"
	case "exists":
		return "已存在(前次运行创建)/ existed (created by an earlier attempt)"
	case "reconciled":
		return "核对目标企业后确认已完成 / confirmed present in the target"
	case "batch":
		return "批量导入 / batch job"
	}
	return n
}

// Members returns the member rows: planned creations and updates with their
// journal state, then members the plan leaves untouched.
func Members(in Input) []Row {
	var rows []Row
	add := func(m plan.MemberOp, key, action string) {
		r := in.Records[key]
		row := Row{SheetRow: m.Row, Name: m.User.Name, UserID: m.User.UserID, Action: action,
			Result: resultLabel(r.State), Note: noteLabel(r.Note)}
		if r.State == migrate.StateFailed {
			row.Code, row.Error, row.Advice = r.Code, r.Error, r.Explain.Joined()
		}
		if row.Note == "" {
			row.Note = m.Reason.String()
		}
		rows = append(rows, row)
	}
	for _, m := range in.Plan.Create {
		add(m, migrate.CreateKey(m.User.UserID), "新建 / create")
	}
	for _, m := range in.Plan.Update {
		add(m, migrate.UpdateKey(m.User.UserID), "更新 / update")
	}
	updated := map[string]int{} // userid → index of its update row
	for i, r := range rows {
		if r.Action == "更新 / update" {
			updated[r.UserID] = i
		}
	}
	for _, it := range in.Plan.Untouched {
		if i, ok := updated[it.Key]; ok && it.Kind == plan.KindMember {
			rows[i].Note += "; " + it.Reason.String() // fields the target kept
			continue
		}
		if it.Kind == plan.KindMember {
			rows = append(rows, Row{SheetRow: it.Row, UserID: it.Key, Action: "不变 / untouched",
				Result: "不变 / untouched", Note: it.Reason.String()})
		}
	}
	return rows
}

// Counts summarises a report input.
type Counts struct {
	Departments, DeptsDone, DeptsFailed              int
	Create, Update, Done, Failed, Pending, Untouched int
}

// Count computes the counts of in.
func Count(in Input) Counts {
	var c Counts
	c.Departments = len(in.Plan.Departments)
	for _, d := range in.Plan.Departments {
		switch in.Records[migrate.DeptKey(d.ID)].State {
		case migrate.StateDone:
			c.DeptsDone++
		case migrate.StateFailed:
			c.DeptsFailed++
		}
	}
	count := func(key string) {
		switch in.Records[key].State {
		case migrate.StateDone:
			c.Done++
		case migrate.StateFailed:
			c.Failed++
		default:
			c.Pending++
		}
	}
	for _, m := range in.Plan.Create {
		c.Create++
		count(migrate.CreateKey(m.User.UserID))
	}
	for _, m := range in.Plan.Update {
		c.Update++
		count(migrate.UpdateKey(m.User.UserID))
	}
	upd := map[string]bool{}
	for _, m := range in.Plan.Update {
		upd[m.User.UserID] = true
	}
	for _, it := range in.Plan.Untouched {
		if it.Kind == plan.KindMember && !upd[it.Key] {
			c.Untouched++
		}
	}
	return c
}

// Summary returns the text summary (Chinese first, then English).
func Summary(in Input) string {
	var b strings.Builder
	for _, l := range SummaryText(in) {
		b.WriteString(l.Joined() + "\n")
	}
	return b.String()
}

// SummaryText is Summary as lines in both languages, for a front end that
// shows one language.
func SummaryText(in Input) []text.T {
	c := Count(in)
	p := in.Plan
	out := []text.T{
		{Zh: fmt.Sprintf("公司：%s   方式：%s", p.Company, p.Method.Text().Zh), En: fmt.Sprintf("company: %s   method: %s", p.Company, p.Method.Text().En)},
		text.Sprintf("部门：新建成功 %d，失败 %d，计划 %d，已存在 %d", "departments: %d created, %d failed, %d planned, %d existing",
			c.DeptsDone, c.DeptsFailed, c.Departments, len(p.Matched)),
		text.Sprintf("成员：成功 %d，失败 %d，待处理 %d（新建 %d，更新 %d），不变 %d", "members: %d done, %d failed, %d pending (create %d, update %d), %d untouched",
			c.Done, c.Failed, c.Pending, c.Create, c.Update, c.Untouched),
	}
	out = append(out, mailboxSummary(p)...) // mailboxes.go
	if in.Meta != nil {
		out = append(out, text.Sprintf("运行 %d 次，用时 %s，日志事务 %d", "runs: %d, time: %s, journal commits: %d",
			in.Meta.Runs, in.Meta.Elapsed.Round(time.Millisecond), in.Meta.Commits), in.Meta.Verification.Text())
	}
	switch {
	case in.Meta == nil:
		out = append(out, text.New("尚未开始迁移", "migration not started"))
	case c.Failed > 0:
		out = append(out, text.New("部分项目失败，见报告中的原因与建议", "some items failed; see the report for reasons and advice"))
	case c.Pending > 0 || c.DeptsDone+c.DeptsFailed < c.Departments:
		out = append(out, text.New("迁移未完成，再次运行即可继续", "migration not finished; run again to resume"))
	case in.Meta.Verification != nil && in.Meta.Verification.OK:
		out = append(out, text.New("迁移完成并已核验", "migration complete and verified"))
	}
	return out
}

// WriteFile writes the xlsx report to path (atomically).
func WriteFile(path string, in Input) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*.xlsx")
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := WriteXLSX(tmp, in); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

// Sheet names of the workbook.
const (
	SheetSummary     = "汇总 Summary"
	SheetMembers     = "成员 Members"
	SheetDepartments = "部门 Departments"
	SheetIssues      = "冲突与说明 Issues"
)

// WriteXLSX writes the report workbook to w. Member rows are streamed, so
// 100,000 members do not need the sheet in memory.
func WriteXLSX(w io.Writer, in Input) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	bad, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "C00000"}})

	// Summary.
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := Count(in)
	lines := [][]any{
		{"项目 / item", "值 / value"},
		{"公司 / company", in.Plan.Company},
		{"方式 / method", string(in.Plan.Method)},
		{"计划哈希 / plan hash", in.Plan.Hash()},
		{"通讯录哈希 / contacts hash", in.Plan.ContactsHash},
		{"报告时间 / report time", now.Format(time.RFC3339)},
		{"新建部门 / departments to create", c.Departments},
		{"部门成功 / departments done", c.DeptsDone},
		{"部门失败 / departments failed", c.DeptsFailed},
		{"新建成员 / members to create", c.Create},
		{"更新成员 / members to update", c.Update},
		{"成员成功 / members done", c.Done},
		{"成员失败 / members failed", c.Failed},
		{"待处理 / pending", c.Pending},
		{"不变 / untouched", c.Untouched},
	}
	if m := in.Meta; m != nil {
		lines = append(lines, []any{"运行次数 / runs", m.Runs}, []any{"用时 / elapsed", m.Elapsed.Round(time.Millisecond).String()},
			[]any{"日志事务 / journal commits", m.Commits}, []any{"方式 / mode", m.Mode})
		if v := m.Verification; v != nil {
			lines = append(lines, []any{"核验 / verification", v.Summary()},
				[]any{"核验通过 / verified OK", v.OK},
				[]any{"缺少成员 / missing members", strings.Join(v.MissingMembers, ", ")},
				[]any{"缺少部门 / missing departments", strings.Join(v.MissingDepartments, ", ")},
				[]any{"重复成员 / duplicate members", strings.Join(v.DuplicateMembers, ", ")})
		}
	}
	for i, l := range lines {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(SheetSummary, cell, &l); err != nil {
			return err
		}
	}
	f.SetCellStyle(SheetSummary, "A1", "B1", head)
	f.SetColWidth(SheetSummary, "A", "A", 34)
	f.SetColWidth(SheetSummary, "B", "B", 70)

	// Members (streamed).
	if _, err := f.NewSheet(SheetMembers); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(SheetMembers)
	if err != nil {
		return err
	}
	for i, wdt := range []float64{8, 16, 22, 16, 16, 36, 10, 40, 60} {
		sw.SetColWidth(i+1, i+1, wdt)
	}
	hdr := []any{"行 / row", "姓名 / name", "企业微信账号 / WeCom userid", "操作 / action", "结果 / result", "说明 / note", "错误码 / code", "错误 / error", "建议 / advice"}
	for i := range hdr {
		hdr[i] = excelize.Cell{StyleID: head, Value: hdr[i]}
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	for i, r := range Members(in) {
		vals := []any{r.SheetRow, r.Name, r.UserID, r.Action, r.Result, r.Note, nil, r.Error, r.Advice}
		if r.SheetRow == 0 {
			vals[0] = nil
		}
		if r.Code != 0 {
			vals[6] = r.Code
		}
		if r.Error != "" {
			vals[4] = excelize.Cell{StyleID: bad, Value: r.Result}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}

	// Departments.
	if _, err := f.NewSheet(SheetDepartments); err != nil {
		return err
	}
	drows := [][]any{{"部门路径 / path", "ID", "上级 ID / parent", "操作 / action", "结果 / result", "错误码 / code", "错误 / error", "建议 / advice"}}
	for _, d := range in.Plan.Matched {
		drows = append(drows, []any{d.Path, d.ID, nil, "已存在 / existing", "不变 / untouched"})
	}
	for _, d := range in.Plan.Departments {
		r := in.Records[migrate.DeptKey(d.ID)]
		row := []any{d.Path, d.ID, d.ParentID, "新建 / create", resultLabel(r.State)}
		if r.State == migrate.StateFailed {
			row = append(row, r.Code, r.Error, r.Explain.Joined())
		}
		drows = append(drows, row)
	}
	for i, l := range drows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(SheetDepartments, cell, &l); err != nil {
			return err
		}
	}
	f.SetCellStyle(SheetDepartments, "A1", "H1", head)
	f.SetColWidth(SheetDepartments, "A", "A", 40)

	// Conflicts, warnings and untouched departments.
	if _, err := f.NewSheet(SheetIssues); err != nil {
		return err
	}
	irows := [][]any{{"类别 / category", "对象 / item", "行 / row", "原因 / reason", "建议 / advice"}}
	addItems := func(cat string, items []plan.Item, onlyDepts bool) {
		for _, it := range items {
			if onlyDepts && it.Kind == plan.KindMember {
				continue // members are on the member sheet
			}
			var row any
			if it.Row > 0 {
				row = it.Row
			}
			irows = append(irows, []any{cat, it.Key, row, it.Reason.String(), it.Advice.String()})
		}
	}
	addItems("冲突 / conflict", in.Plan.Conflicts, false)
	addItems("提示 / warning", in.Plan.Warnings, false)
	addItems("不变 / untouched", in.Plan.Untouched, true)
	for i, l := range irows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(SheetIssues, cell, &l); err != nil {
			return err
		}
	}
	f.SetCellStyle(SheetIssues, "A1", "E1", head)
	f.SetColWidth(SheetIssues, "D", "E", 60)
	if err := writeMailboxesSheet(f, in.Plan, head); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}
