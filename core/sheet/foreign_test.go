package sheet

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
)

// The company planted into the sheets other programs wrote (testdata/foreign,
// made by scripts/make-foreign-fixtures.sh from the CSV this file writes).
func foreignCompany() (*contacts.Directory, []sample.Planted) {
	d := sample.Company(200, 42)
	return d, sample.Plant(d, 0.06, 43)
}

// TestWriteForeignSource writes the fixtures' source CSV (plain UTF-8, no
// escaping) when EXMAIL_FOREIGN_SOURCE names a file; a maintainer step.
func TestWriteForeignSource(t *testing.T) {
	path := os.Getenv("EXMAIL_FOREIGN_SOURCE")
	if path == "" {
		t.Skip("set EXMAIL_FOREIGN_SOURCE to write the fixtures' source CSV")
	}
	d, _ := foreignCompany()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := csv.NewWriter(f)
	rec := make([]string, len(ImportFields))
	for i, fd := range ImportFields {
		rec[i] = fd.Header()
	}
	w.Write(rec)
	for _, m := range d.Members {
		for i, fd := range ImportFields {
			rec[i] = m.Get(fd)
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
}

// Sheets written by LibreOffice, openpyxl and a WPS-style export (title
// and instruction rows above the header, merged title, numbers stored as
// numbers) must yield every planted problem on its row, and no error on a
// clean row.
func TestForeignSheetsFindEveryPlantedProblem(t *testing.T) {
	cases := []struct {
		file      string
		rowOffset int // rows added above the header
	}{
		{"libreoffice.xlsx", 0},
		{"openpyxl.xlsx", 0},
		{"wps-style.xlsx", 2},
		{"gbk.csv", 0},
	}
	d, planted := foreignCompany()
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "foreign", c.file)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("fixture missing (run scripts/make-foreign-fixtures.sh): %v", err)
			}
			res, problems, err := Check(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Layout != LayoutWeComImport || len(res.Dir.Members) != len(d.Members) || res.HeaderRow != 1+c.rowOffset {
				t.Fatalf("layout %s, %d members, header row %d", res.Layout, len(res.Dir.Members), res.HeaderRow)
			}
			type key struct {
				row  int
				code contacts.Code
			}
			found := map[key]contacts.Severity{}
			for _, p := range problems {
				if p.Severity == contacts.SeverityFixed {
					continue
				}
				found[key{p.Row, p.Code}] = p.Severity
			}
			allowed := map[key]bool{}
			checked := 0
			for _, p := range planted {
				k := key{p.Row + c.rowOffset, p.Code}
				allowed[k] = true
				if p.Related > 0 {
					allowed[key{p.Related + c.rowOffset, p.Code}] = true
				}
				if p.Severity == contacts.SeverityFixed {
					continue
				}
				checked++
				if _, ok := found[k]; !ok {
					t.Errorf("planted %s on row %d not found", p.Code, k.row)
				}
			}
			if checked < 5 {
				t.Fatalf("only %d planted errors: the fixture proves little", checked)
			}
			var false []string
			for k, sev := range found {
				if sev == contacts.SeverityError && !allowed[k] {
					false = append(false, fmt.Sprintf("row %d %s", k.row, k.code))
				}
			}
			sort.Strings(false)
			if len(false) > 0 {
				t.Errorf("%d false errors: %v", len(false), false)
			}
		})
	}
}
