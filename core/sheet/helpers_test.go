package sheet

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// xlsxSpec describes a workbook written by excelize for a test.
type xlsxSpec struct {
	sheets []string             // sheet names in order (first replaces Sheet1)
	cells  map[string][][]any   // sheet → rows starting at row 1 (nil cells skipped)
	merge  map[string][2]string // sheet → merged range
	hidden map[string][]int     // sheet → hidden rows
	rich   map[string]map[string][]excelize.RichTextRun
}

func writeXLSX(t testing.TB, path string, s xlsxSpec) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range s.sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.cells[name] {
			for c, v := range row {
				if v == nil {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(name, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
		if m, ok := s.merge[name]; ok {
			if err := f.MergeCell(name, m[0], m[1]); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range s.hidden[name] {
			if err := f.SetRowVisible(name, r, false); err != nil {
				t.Fatal(err)
			}
		}
		for cell, runs := range s.rich[name] {
			if err := f.SetCellRichText(name, cell, runs); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// rawXLSX writes a minimal workbook by hand with the given sheet XML body
// (the <sheetData> content), so tests control inline strings and number
// forms exactly.
func rawXLSX(t testing.TB, path, sheetData string) {
	t.Helper()
	if err := os.WriteFile(path, rawXLSXBytes(t, sheetData), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rawXLSXBytes is rawXLSX in memory.
func rawXLSXBytes(t testing.TB, sheetData string) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	files := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="通讯录" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData></worksheet>`,
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[name]))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tempPath(t testing.TB, name string) string {
	return filepath.Join(t.TempDir(), name)
}
