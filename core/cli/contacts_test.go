package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/sheet"
)

func runContactsCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// fillTemplate writes d's members into a copy of the template at tpl.
func fillTemplate(t *testing.T, tpl, out string, d *contacts.Directory) {
	t.Helper()
	f, err := excelize.OpenFile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range d.Members {
		row := make([]any, len(sheet.ImportFields))
		for j, fd := range sheet.ImportFields {
			row[j] = d.Members[i].Get(fd)
		}
		cell, _ := excelize.CoordinatesToCellName(1, d.Members[i].Row)
		if err := f.SetSheetRow(sheet.SheetMembers, cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(out); err != nil {
		t.Fatal(err)
	}
}

func checkJSON(t *testing.T, args ...string) (int, jsonCheck) {
	t.Helper()
	code, out, errs := runContactsCLI(t, append([]string{"check"}, append(args, "--format", "json")...)...)
	var doc jsonCheck
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s\n%s", err, out, errs)
	}
	return code, doc
}

func TestContactsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "template.xlsx")
	if code, _, errs := runContactsCLI(t, "template", "-o", tpl); code != ExitOK {
		t.Fatalf("template: %d %s", code, errs)
	}
	// filled from a generated company: clean
	company := sample.Company(400, 21)
	clean := filepath.Join(dir, "clean.xlsx")
	fillTemplate(t, tpl, clean, company)
	code, doc := checkJSON(t, clean, "--domain", "example.com")
	if code != ExitOK || doc.Rows != 400 || doc.Layout != "wecom-import" || len(doc.Problems) != 0 {
		t.Fatalf("clean: exit %d %+v", code, doc)
	}
	// planted problems: every one found, nothing on clean rows
	planted := sample.Plant(company, 0.1, 4)
	bad := filepath.Join(dir, "bad.xlsx")
	fillTemplate(t, tpl, bad, company)
	code, doc = checkJSON(t, "--domain", "example.com", bad) // flags before FILE too
	if code != ExitProblems {
		t.Fatalf("planted: exit %d", code)
	}
	type key struct {
		row  int
		code string
	}
	found := map[key]string{}
	for _, p := range doc.Problems {
		found[key{p.Row, p.Code}] = p.Severity
	}
	plantedRows := map[int]bool{}
	for _, p := range planted {
		plantedRows[p.Row] = true
		if sev := found[key{p.Row, string(p.Code)}]; sev != string(p.Severity) {
			t.Errorf("planted %+v: found severity %q", p, sev)
		}
	}
	for _, p := range doc.Problems {
		if !plantedRows[p.Row] {
			t.Errorf("false problem on a clean row: %+v", p)
		}
		if p.Column == "" || p.Message == "" || p.Field == "" {
			t.Errorf("incomplete problem %+v", p)
		}
	}
	if c := contacts.Count(nil); doc.Counts == c {
		t.Error("counts empty")
	}
	// fix: refuses OUT while unfixable errors remain, writes the review
	out, review := filepath.Join(dir, "out.xlsx"), filepath.Join(dir, "review.xlsx")
	code, stdout, _ := runContactsCLI(t, "fix", bad, "-o", out, "--review", review, "--domain", "example.com")
	if code != ExitProblems {
		t.Fatalf("fix with errors: exit %d\n%s", code, stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("OUT written although errors remain")
	}
	rf, err := excelize.OpenFile(review)
	if err != nil {
		t.Fatal(err)
	}
	prow, _ := rf.GetRows(sheet.SheetProblems)
	rf.Close()
	if len(prow) != len(doc.Problems)+1 {
		t.Errorf("review lists %d problems, check %d", len(prow)-1, len(doc.Problems))
	}
	// only fixable problems planted: fix writes OUT, which checks clean
	company2 := sample.Company(300, 22)
	var fixable []sample.Planted
	for _, p := range sample.Plant(company2, 0.5, 6) {
		if p.Severity == contacts.SeverityFixed {
			fixable = append(fixable, p)
		}
	}
	only := sample.Company(300, 22)
	for _, p := range fixable {
		only.Members[p.Index] = company2.Members[p.Index]
	}
	if len(fixable) < 20 {
		t.Fatalf("only %d fixable plants", len(fixable))
	}
	fx := filepath.Join(dir, "fixable.xlsx")
	fillTemplate(t, tpl, fx, only)
	code, doc = checkJSON(t, fx, "--domain", "example.com")
	if code != ExitOK || doc.Counts.Fixed < len(fixable) || doc.Counts.Error != 0 {
		t.Fatalf("fixable: exit %d counts %+v", code, doc.Counts)
	}
	if code, stdout, errs := runContactsCLI(t, "fix", fx, "-o", out, "--domain", "example.com"); code != ExitOK {
		t.Fatalf("fix: %d %s %s", code, stdout, errs)
	}
	code, doc = checkJSON(t, out, "--domain", "example.com")
	if code != ExitOK || len(doc.Problems) != 0 || doc.Rows != 300 {
		t.Fatalf("fixed output: exit %d %+v", code, doc.Problems)
	}
	// and the fixed output equals the clean company
	res, err := sheet.Read(out, sheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := sample.Company(300, 22)
	if res.Dir.Hash() != want.Hash() {
		t.Error("fixed output differs from the clean company")
		for i := range want.Members {
			if !reflect.DeepEqual(res.Dir.Members[i], want.Members[i]) {
				t.Fatalf("first difference: got %+v want %+v", res.Dir.Members[i], want.Members[i])
			}
		}
	}
}

func TestCheckUsageAndUnreadable(t *testing.T) {
	dir := t.TempDir()
	xls := filepath.Join(dir, "old.xls")
	os.WriteFile(xls, append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), 0o644)
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"check"}, ExitUsage, ""},
		{[]string{"check", "a", "b"}, ExitUsage, ""},
		{[]string{"check", "a.csv", "--format", "xml"}, ExitUsage, ""},
		{[]string{"check", "--nope", "a.csv"}, ExitUsage, ""},
		{[]string{"check", xls}, ExitUsage, "file_unreadable"},
		{[]string{"check", xls, "--format", "json"}, ExitUsage, `"code": "file_unreadable"`},
		{[]string{"template"}, ExitUsage, ""},
		{[]string{"fix", xls}, ExitUsage, ""},
		{[]string{"fix", xls, "-o", filepath.Join(dir, "o.xlsx")}, ExitUsage, ""},
	}
	for _, tc := range cases {
		code, out, errs := runContactsCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.out) {
			t.Errorf("%v: exit %d\n%s%s", tc.args, code, out, errs)
		}
	}
}

func TestCheckTextAndJSONShape(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.csv")
	os.WriteFile(p, []byte("姓名,部门,手机,性别\n张三,研发部,13800000000,M\n李四,研发部,13800000000,女\n"), 0o644)
	for _, c := range []struct{ lang, row, counts string }{
		{LangZH, "第 3 行 [手机] 错误 mobile_duplicate: 手机号重复（另见第 2 行）", "错误 2 · 提醒 0 · 已自动修正 1"},
		{LangEN, "row 3 [手机] error mobile_duplicate: duplicate mobile (also row 2)", "errors 2, warnings 0, fixed 1"},
	} {
		code, out, _ := runContactsCLI(t, "check", p, "--lang", c.lang)
		if code != ExitProblems || !strings.Contains(out, c.row) || !strings.Contains(out, c.counts) {
			t.Fatalf("text %s: %d\n%s", c.lang, code, out)
		}
	}
	_, out, _ := runContactsCLI(t, "check", p, "--format", "json")
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) string {
		var k []string
		for x := range m {
			k = append(k, x)
		}
		sortStrings(k)
		return strings.Join(k, ",")
	}
	if keys(raw) != "counts,file,layout,problems,rows" {
		t.Errorf("top keys %s", keys(raw))
	}
	probs := raw["problems"].([]any)
	if len(probs) != 3 || keys(probs[0].(map[string]any)) != "code,column,field,message,row,severity,value" {
		t.Errorf("problem keys %v", probs)
	}
	if keys(raw["counts"].(map[string]any)) != "error,fixed,warning" {
		t.Errorf("counts keys %v", raw["counts"])
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// rewritePart copies the .xlsx at src to dst with one part's bytes changed.
func rewritePart(t *testing.T, src, dst, part string, edit func([]byte) []byte) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == part {
			b = edit(b)
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedSheetIsRefused: a workbook cut short inside row 501 of 1,000
// (or with a control character or a stray & in a cell) is refused by check
// and fix with exit 2, file_unreadable, and no output: never 499 rows.
func TestDamagedSheetIsRefused(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "tpl.xlsx")
	if code, _, errs := runContactsCLI(t, "template", "-o", tpl); code != ExitOK {
		t.Fatal(errs)
	}
	good := filepath.Join(dir, "good.xlsx")
	d := sample.Company(999, 3)
	fillTemplate(t, tpl, good, d)
	if code, doc := checkJSON(t, good); code == ExitUsage || doc.Rows != 999 {
		t.Fatalf("intact: exit %d rows %d", code, doc.Rows)
	}
	edits := map[string]func([]byte) []byte{
		"cut": func(b []byte) []byte { return b[:bytes.Index(b, []byte(`<row r="501"`))+60] },
		"control": func(b []byte) []byte {
			i := bytes.Index(b, []byte(`<row r="500"`))
			j := i + bytes.Index(b[i:], []byte("<v>")) + 3
			return append(append(b[:j:j], "\x01"...), b[j:]...)
		},
		"ampersand": func(b []byte) []byte {
			i := bytes.Index(b, []byte(`<row r="500"`))
			j := i + bytes.Index(b[i:], []byte("<v>")) + 3
			return append(append(b[:j:j], "&"...), b[j:]...)
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(dir, name+".xlsx")
			rewritePart(t, good, bad, "xl/worksheets/sheet1.xml", edit)
			code, doc := checkJSON(t, bad)
			if code != ExitUsage || len(doc.Problems) != 1 || doc.Problems[0].Code != "file_unreadable" {
				t.Fatalf("check: exit %d %+v", code, doc)
			}
			out := filepath.Join(dir, name+"-out.xlsx")
			if code, _, _ := runContactsCLI(t, "fix", bad, "-o", out); code != ExitUsage {
				t.Errorf("fix: exit %d", code)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("fix wrote an output from a damaged sheet")
			}
		})
	}
}

// TestFixRefusesToOverwriteInput: -o or --review naming the input (in any
// spelling, or through a link) is refused with exit 2 and the input stays.
func TestFixRefusesToOverwriteInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "通讯录.csv")
	data := []byte("姓名,部门,手机\n张三,研发部,13800000000\n")
	os.WriteFile(in, data, 0o644)
	link := filepath.Join(dir, "link.csv")
	linked := os.Symlink(in, link) == nil
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	cases := [][]string{
		{"fix", in, "-o", in},
		{"fix", in, "-o", filepath.Join(sub, "..", "通讯录.csv")},
		{"fix", in, "-o", filepath.Join(dir, "ok.xlsx"), "--review", in},
		{"fix", in, "-o", filepath.Join(dir, "same.xlsx"), "--review", filepath.Join(dir, "same.xlsx")},
	}
	if linked {
		cases = append(cases, []string{"fix", in, "-o", link})
	}
	for _, args := range cases {
		code, out, errs := runContactsCLI(t, args...)
		if code != ExitUsage || !strings.Contains(errs, "choose another file name") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		if b, _ := os.ReadFile(in); !bytes.Equal(b, data) {
			t.Fatalf("%v: the input was changed", args)
		}
	}
	var errb bytes.Buffer
	if code := Run([]string{"fix", in, "-o", in}, &Env{Stdout: io.Discard, Stderr: &errb, Lang: LangZH}); code != ExitUsage ||
		!strings.Contains(errb.String(), "不能写到输入文件") {
		t.Errorf("zh: exit %d %s", code, errb.String())
	}
	if code, _, errs := runContactsCLI(t, "fix", in, "-o", filepath.Join(dir, "out.xlsx")); code != ExitOK {
		t.Errorf("a distinct output: exit %d %s", code, errs)
	}
}

// TestCheckHugeValueOutputBounded: one 10 MB value used by 2,000 rows prints
// one short line per problem, not the value.
func TestCheckHugeValueOutputBounded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.xlsx")
	f := excelize.NewFile()
	huge := strings.Repeat("张", contacts.MaxCellChars+1)
	f.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "部门", "手机"})
	for r := 2; r <= 201; r++ {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		f.SetSheetRow("Sheet1", cell, &[]any{"成员", "研发", "138000" + strings.Repeat("0", 5)})
	}
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// excelize refuses to write an over-long cell: put it in the shared strings
	rewritePart(t, p, p, "xl/sharedStrings.xml", func(b []byte) []byte {
		return bytes.Replace(b, []byte("<t>成员</t>"), []byte("<t>"+huge+"</t>"), 1)
	})
	code, out, _ := runContactsCLI(t, "check", p)
	if code != ExitProblems || strings.Count(out, "value_too_long") != 200 {
		t.Fatalf("exit %d, %d value_too_long", code, strings.Count(out, "value_too_long"))
	}
	if len(out) > 200*1024 {
		t.Errorf("printed %d bytes", len(out))
	}
}
