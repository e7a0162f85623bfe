package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/upgrade"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fixture(t *testing.T) Input {
	t.Helper()
	dir := &contacts.Directory{Members: []contacts.Member{
		{Row: 2, Name: "张三", Account: "zhangsan", Mobile: "13800000001", Departments: []string{"研发部"}},
		{Row: 3, Name: "李四", Account: "lisi", Mobile: "13800000002", Departments: []string{"研发部/后端组"}},
		{Row: 4, Name: "王五", Account: "old", Mobile: "13800000003", Departments: []string{"研发部"}},
	}}
	snap := &plan.Snapshot{CreatedThisMonth: -1, NameSource: plan.SourceDeptList,
		Departments: []plan.TargetDept{{ID: 1}, {ID: 2, ParentID: 1, Name: "销售部"}},
		Users:       []plan.TargetUser{{UserID: "old", Departments: []int{2}}, {UserID: "boss", Departments: []int{1}}}}
	p, err := plan.Build(plan.Input{Method: upgrade.MethodBind, Company: "示例公司", Contacts: dir, Target: snap})
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]migrate.Record{
		migrate.DeptKey(3):            {State: migrate.StateDone, Note: "created"},
		migrate.DeptKey(4):            {State: migrate.StateDone, Note: "created"},
		migrate.CreateKey("zhangsan"): {State: migrate.StateDone, Note: "created"},
		migrate.CreateKey("lisi"):     {State: migrate.StateFailed, Code: 60104, Error: "user/create: errcode 60104", Explain: text.New("手机号已被使用", "mobile exists")},
	}
	meta := &migrate.Meta{Runs: 2, Elapsed: 1500 * time.Millisecond, Commits: 7, Mode: "per-member",
		Verification: &migrate.Verification{DepartmentsExpected: 3, DepartmentsFound: 3, MembersExpected: 2, MembersFound: 1, MissingMembers: []string{"lisi"}}}
	return Input{Plan: p, Records: recs, Meta: meta, Now: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)}
}

func TestSummaryGolden(t *testing.T) {
	got := Summary(fixture(t))
	path := filepath.Join("testdata", "summary.golden")
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteXLSX(t *testing.T) {
	in := fixture(t)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, in); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetSheetList(); len(got) != 4 || got[0] != SheetSummary {
		t.Fatalf("sheets %v", got)
	}
	rows, _ := f.GetRows(SheetMembers)
	// header, zhangsan, lisi, the update of old, untouched boss.
	if len(rows) != 5 {
		t.Fatalf("member rows %d: %v", len(rows), rows)
	}
	lisi := rows[2]
	if lisi[2] != "lisi" || lisi[4] != "失败 / failed" || lisi[6] != "60104" || lisi[8] != "手机号已被使用 / mobile exists" {
		t.Errorf("lisi row %q", lisi)
	}
	if rows[1][4] != "成功 / done" || rows[3][3] != "更新 / update" || rows[3][4] != "待处理 / pending" || rows[4][2] != "boss" {
		t.Errorf("rows %q", rows)
	}
	drows, _ := f.GetRows(SheetDepartments)
	if len(drows) != 3 {
		t.Errorf("department rows %q", drows)
	}
	v, _ := f.GetCellValue(SheetSummary, "B13")
	if v != "1" {
		t.Errorf("members failed cell = %q", v)
	}
	out := filepath.Join(t.TempDir(), "r.xlsx")
	if err := WriteFile(out, in); err != nil {
		t.Fatal(err)
	}
}
