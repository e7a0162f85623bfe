package sheet

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// dump describes a workbook for golden comparison: every sheet's cells,
// plus the formatting the contract asks for.
type dump struct {
	Sheets []sheetDump `json:"sheets"`
}

type sheetDump struct {
	Name        string            `json:"name"`
	Rows        [][]string        `json:"rows"`
	Widths      map[string]string `json:"widths,omitempty"`
	TextColumns []string          `json:"textColumns,omitempty"`
	Fills       map[string]string `json:"fills,omitempty"`
	Comments    map[string]string `json:"comments,omitempty"`
	Validations []string          `json:"validations,omitempty"`
	Frozen      string            `json:"frozen,omitempty"`
}

func dumpWorkbook(t *testing.T, data []byte) dump {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dump
	for _, name := range f.GetSheetList() {
		sd := sheetDump{Name: name, Widths: map[string]string{}, Fills: map[string]string{}, Comments: map[string]string{}}
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		sd.Rows = rows
		width := 0
		for _, r := range rows {
			width = max(width, len(r))
		}
		for c := 1; c <= width; c++ {
			col, _ := excelize.ColumnNumberToName(c)
			w, _ := f.GetColWidth(name, col)
			sd.Widths[col] = fmt.Sprint(w)
			// text format of a data cell (row 2) or of the column
			cell := col + "2"
			sid, _ := f.GetCellStyle(name, cell)
			if len(rows) < 2 {
				sid, _ = f.GetColStyle(name, col)
			}
			if st, err := f.GetStyle(sid); err == nil && st.NumFmt == 49 {
				sd.TextColumns = append(sd.TextColumns, col)
			}
			for r := 1; r <= len(rows); r++ {
				cell := fmt.Sprintf("%s%d", col, r)
				sid, _ := f.GetCellStyle(name, cell)
				if st, err := f.GetStyle(sid); err == nil && len(st.Fill.Color) > 0 && r > 1 {
					sd.Fills[cell] = st.Fill.Color[0]
				}
			}
		}
		cs, _ := f.GetComments(name)
		for _, c := range cs {
			text := c.Text
			for _, p := range c.Paragraph {
				text += p.Text
			}
			sd.Comments[c.Cell] = text
		}
		dvs, _ := f.GetDataValidations(name)
		for _, dv := range dvs {
			sd.Validations = append(sd.Validations, dv.Sqref+" "+dv.Type+" "+dv.Formula1)
		}
		if p, err := f.GetPanes(name); err == nil && p.Freeze {
			sd.Frozen = p.TopLeftCell
		}
		sort.Strings(sd.TextColumns)
		d.Sheets = append(d.Sheets, sd)
	}
	return d
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\ngot  %s\nwant %s", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: got %d lines, want %d", name, len(gl), len(wl))
	}
}

func jsonOf(t *testing.T, v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestWriteTemplateGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	d := dumpWorkbook(t, buf.Bytes())
	golden(t, "template.golden.json", jsonOf(t, d))
	// the template reads back as an empty admin-layout sheet
	p := tempPath(t, "t.xlsx")
	os.WriteFile(p, buf.Bytes(), 0o644)
	res := mustRead(t, p)
	if res.Layout != LayoutWeComImport || len(res.Columns) != len(ImportFields)+1 || res.Columns[len(ImportFields)].Field != contacts.FieldMailboxType || codes(res.Problems)[0] != "sheet_empty" {
		t.Fatalf("template reads as %+v", res)
	}
}

func smallCompany() *contacts.Directory {
	d := sample.Company(6, 42)
	d.Members[1].Mobile = "+86 " + d.Members[1].Mobile // fixable
	d.Members[2].Gender = "F"
	d.Members[3].Name = "=HYPERLINK(\"x\")"
	return d
}

func TestWriteUploadGolden(t *testing.T) {
	d := smallCompany()
	var buf bytes.Buffer
	if err := WriteUpload(&buf, d, contacts.Options{Domains: []string{"example.com"}}); err != nil {
		t.Fatal(err)
	}
	golden(t, "upload.golden.json", jsonOf(t, dumpWorkbook(t, buf.Bytes())))
	// reads back clean, with the fixes applied
	p := tempPath(t, "u.xlsx")
	os.WriteFile(p, buf.Bytes(), 0o644)
	res, ps, err := Check(p, Options{Domains: []string{"example.com"}})
	if err != nil || len(ps) != 0 || len(res.Dir.Members) != 6 {
		t.Fatalf("read back: %v %+v", err, ps)
	}
	// refused while errors remain
	d.Members[0].Name = ""
	err = WriteUpload(&bytes.Buffer{}, d, contacts.Options{})
	var be *BlockedError
	if !errors.As(err, &be) || be.Counts.Error != 1 {
		t.Fatalf("want BlockedError, got %v", err)
	}
}

func TestWriteReviewGolden(t *testing.T) {
	d := smallCompany()
	d.Members[4].Mobile = d.Members[0].Mobile
	d.Members[5].Departments = []string{"A//B"}
	ps := contacts.Validate(d, contacts.Options{})
	var buf bytes.Buffer
	if err := WriteReview(&buf, d, ps); err != nil {
		t.Fatal(err)
	}
	dm := dumpWorkbook(t, buf.Bytes())
	golden(t, "review.golden.json", jsonOf(t, dm))
	// every problem cell is filled and commented, and listed on 问题
	if len(dm.Sheets) != 2 || len(dm.Sheets[1].Rows) != len(ps)+1 {
		t.Fatalf("problems sheet rows %d, problems %d", len(dm.Sheets[1].Rows), len(ps))
	}
	for _, p := range ps {
		col, _ := excelize.ColumnNumberToName(indexOf(p.Field) + 2)
		cell := fmt.Sprintf("%s%d", col, p.Row)
		if !strings.Contains(dm.Sheets[0].Comments[cell], p.Message) || dm.Sheets[0].Fills[cell] == "" {
			t.Errorf("problem %s at %s not marked", p.Code, cell)
		}
	}
}

func TestWriteCSVEscapes(t *testing.T) {
	d := smallCompany()
	d.Members[0].Position = "+1"
	d.Members[0].Address = "@home"
	d.Members[0].Alias = "-x"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, d); err != nil {
		t.Fatal(err)
	}
	golden(t, "export.golden.csv", buf.Bytes())
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		for _, c := range r {
			if c != "" && (strings.ContainsRune("=@", rune(c[0])) || strings.ContainsRune("+-", rune(c[0])) && !numberLike(c[1:])) {
				t.Errorf("unescaped cell %q", c)
			}
		}
	}
	if recs[4][0] != "'=HYPERLINK(\"x\")" || recs[1][2] != "'-x" || recs[1][3] != "+1" {
		t.Errorf("escaping: %q %q %q", recs[4][0], recs[1][2], recs[1][3])
	}
}

func TestCSVSafe(t *testing.T) {
	for v, want := range map[string]string{
		"+852 91234567": "+852 91234567", "+8613800000000": "+8613800000000", "-5": "-5", "-3.5": "-3.5",
		"+86-10-88886666,801": "+86-10-88886666,801", "010-1": "010-1",
		"=1+1": "'=1+1", "+SUM(A1)": "'+SUM(A1)", "-A1": "'-A1", "@x": "'@x", "+": "'+", "- ": "'- ",
		"\tx": "'\tx", "\rx": "'\rx", "+1 (852)": "'+1 (852)", "张三": "张三", "": "",
	} {
		if got := csvSafe(v); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestCSVExportRoundTrip: valid phone numbers and numbers exported to CSV
// read back unchanged and pass check.
func TestCSVExportRoundTrip(t *testing.T) {
	d := smallCompany()
	d.Members[0].Mobile = "+852 91234567"
	d.Members[1].Mobile = "+8613800000000"
	d.Members[1].Telephone = "+86-10-88886666"
	d.Members[2].Position = "-5"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, d); err != nil {
		t.Fatal(err)
	}
	res, err := ReadFrom(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "export.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Dir.Members
	if got[0].Mobile != "+852 91234567" || got[1].Telephone != "+86-10-88886666" || got[2].Position != "-5" {
		t.Fatalf("read back %+v", got[:3])
	}
	for _, p := range contacts.Validate(res.Dir, res.ValidationOptions()) {
		if p.Field == contacts.FieldMobile || p.Field == contacts.FieldTelephone || p.Field == contacts.FieldPosition {
			if p.Severity == contacts.SeverityError {
				t.Errorf("row %d: %s %s", p.Row, p.Code, p.Value)
			}
		}
	}
}
