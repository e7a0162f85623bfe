package sheet

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
)

// pkgParts builds an .xlsx package in memory from its parts: the minimal
// content types, relationships and workbook of rawXLSXBytes, one sheet
// (xl/worksheets/sheet1.xml, whole part) and, when sst is not "", shared
// strings. method is zip.Store or zip.Deflate.
func pkgParts(t testing.TB, sheet, sst string, method uint16, replace ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	wbRels := `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`
	if sst != "" {
		wbRels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
	}
	wbRels += `</Relationships>`
	parts := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="通讯录" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", wbRels},
		{"xl/worksheets/sheet1.xml", sheet},
	}
	if sst != "" {
		parts = append(parts, [2]string{"xl/sharedStrings.xml", sst})
	}
	for _, r := range replace {
		for i := range parts {
			if parts[i][0] == r[0] {
				parts[i][1] = r[1]
			}
		}
	}
	for _, p := range parts {
		w, err := z.CreateHeader(&zip.FileHeader{Name: p[0], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`

func inl(ref, v string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + v + `</t></is></c>`
}

// memberSheet is a sheet of rows rows: a header (姓名, 部门, 手机) and
// members; cell(row) may replace a member's name cell text.
func memberSheet(rows int, name func(row int) string) string {
	var b strings.Builder
	b.WriteString(sheetHead)
	b.WriteString(`<row r="1">` + inl("A1", "姓名") + inl("B1", "部门") + inl("C1", "手机") + `</row>`)
	for r := 2; r <= rows; r++ {
		n := fmt.Sprintf("成员%d", r)
		if name != nil {
			n = name(r)
		}
		fmt.Fprintf(&b, `<row r="%d">%s%s<c r="C%d"><v>%d</v></c></row>`, r, inl(fmt.Sprintf("A%d", r), n), inl(fmt.Sprintf("B%d", r), "研发中心"), r, 13800000000+r)
	}
	b.WriteString(sheetTail)
	return b.String()
}

// readBoth reads data with the fast reader and with the excelize path.
func readBoth(t *testing.T, name string, data []byte) (fast, slow *Result, errFast, errSlow error) {
	t.Helper()
	fast, errFast = ReadFrom(bytes.NewReader(data), int64(len(data)), name, Options{})
	useFastReader = false
	defer func() { useFastReader = true }()
	slow, errSlow = ReadFrom(bytes.NewReader(data), int64(len(data)), name, Options{})
	return
}

// TestCorruptWorkbooksAreUnreadable: a workbook damaged anywhere in the
// parts that are read is file_unreadable on both reading paths, never a
// shorter sheet; the fast reader names the row where it stopped.
func TestCorruptWorkbooksAreUnreadable(t *testing.T) {
	full := memberSheet(1000, nil)
	good := pkgParts(t, full, "", zip.Deflate)
	fast, slow, e1, e2 := readBoth(t, "good.xlsx", good)
	if e1 != nil || e2 != nil || len(fast.Dir.Members) != 999 || len(slow.Dir.Members) != 999 {
		t.Fatalf("intact workbook: %v %v", e1, e2)
	}
	at := func(row int) int { return strings.Index(full, fmt.Sprintf(`<row r="%d">`, row)) }
	badName := func(bad string) string {
		return memberSheet(1000, func(r int) string {
			if r == 500 {
				return "张" + bad + "三"
			}
			return fmt.Sprintf("成员%d", r)
		})
	}
	sst := `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>姓名</t></si><si><t>部门</t></si><si><t>张三</t></si></sst>`
	sstSheet := sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>1</v></c></row>` + sheetTail
	crc := pkgParts(t, full, "", zip.Store)
	if i := bytes.Index(crc, []byte("成员700")); i < 0 {
		t.Fatal("no member 700")
	} else {
		crc[i+len("成员")] = '8' // still valid XML; the CRC no longer matches
	}
	cases := []struct {
		name string
		data []byte
		row  string // named by the fast reader
	}{
		{"sheet cut inside row 501", pkgParts(t, full[:at(501)+40], "", zip.Deflate), "第 501 行"},
		{"sheet cut between rows", pkgParts(t, full[:at(501)], "", zip.Deflate), "第 501 行"},
		{"sheet cut after sheetData", pkgParts(t, full[:len(full)-20], "", zip.Deflate), ""},
		{"control character", pkgParts(t, badName("\x01"), "", zip.Deflate), "第 500 行"},
		{"stray ampersand", pkgParts(t, badName("&"), "", zip.Deflate), "第 500 行"},
		{"unknown entity", pkgParts(t, badName("&nbsp;"), "", zip.Deflate), "第 500 行"},
		{"]]> in text", pkgParts(t, badName("]]>"), "", zip.Deflate), "第 500 行"},
		{"invalid UTF-8", pkgParts(t, badName("\xff"), "", zip.Deflate), "第 500 行"},
		{"mismatched end tag", pkgParts(t, strings.Replace(full, `<row r="600">`, `</x><row r="600">`, 1), "", zip.Deflate), "第 600 行"},
		{"rows out of order", pkgParts(t, strings.Replace(full, `<row r="700">`, `<row r="7">`, 1), "", zip.Deflate), "第 700 行"},
		{"shared strings cut short", pkgParts(t, sstSheet, sst[:len(sst)-30], zip.Deflate), ""},
		{"shared strings with &", pkgParts(t, sstSheet, strings.Replace(sst, "张三", "张&三", 1), zip.Deflate), ""},
		{"shared string index out of range", pkgParts(t, strings.Replace(sstSheet, "<v>2</v>", "<v>9</v>", 1), sst, zip.Deflate), "第 2 行"},
		{"zip CRC mismatch", crc, ""},
		{"zip cut in half", good[:len(good)/2], ""},
		{"package relationships cut short", pkgParts(t, full, "", zip.Deflate, [2]string{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>`}), ""},
		{"workbook cut short", pkgParts(t, full, "", zip.Deflate, [2]string{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="通讯录" sheetId="1" r:id="rId1"/>`}), ""},
		{"content types broken", pkgParts(t, full, "", zip.Deflate, [2]string{"[Content_Types].xml", `<Types><Default Extension="xml" ContentType="a&b"/></Types>`}), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fast, slow, errFast, errSlow := readBoth(t, "通讯录.xlsx", tc.data)
			for path, r := range map[string]struct {
				res *Result
				err error
			}{"fast": {fast, errFast}, "excelize": {slow, errSlow}} {
				if r.err == nil {
					t.Errorf("%s path: read %d members, want file_unreadable", path, len(r.res.Dir.Members))
					continue
				}
				if !IsUnreadable(r.err) || !strings.Contains(r.err.Error(), "通讯录.xlsx") {
					t.Errorf("%s path: %v", path, r.err)
				}
			}
			if errFast != nil && tc.row != "" && !strings.Contains(errFast.Error(), tc.row) {
				t.Errorf("fast reader does not name %s: %v", tc.row, errFast)
			}
		})
	}
}

// TestHugeSharedStringBounded: one 10 MB shared string used as the name of
// 2,000 rows (a 40 KB file) is an error on each cell, quoted as a prefix,
// and checking it allocates a small multiple of the string, not 2,000.
func TestHugeSharedStringBounded(t *testing.T) {
	huge := strings.Repeat("张", 10<<20/3)
	sst := `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>姓名</t></si><si><t>部门</t></si><si><t> ` + huge + ` </t></si><si><t>研发中心</t></si></sst>`
	var b strings.Builder
	b.WriteString(sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`)
	for r := 2; r <= 2001; r++ {
		fmt.Fprintf(&b, `<row r="%d"><c r="A%d" t="s"><v>2</v></c><c r="B%d" t="s"><v>3</v></c><c r="C%d" t="s"><v>2</v></c></row>`, r, r, r, r)
	}
	b.WriteString(sheetTail)
	data := pkgParts(t, b.String(), sst, zip.Deflate)
	if len(data) > 100<<10 {
		t.Fatalf("file is %d bytes", len(data))
	}
	p := tempPath(t, "huge.xlsx")
	os.WriteFile(p, data, 0o644)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, ps, err := Check(p, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 400<<20 {
		t.Errorf("check allocated %d MB", alloc>>20)
	}
	n := 0
	for _, p := range ps {
		if len(p.Value) > 300 || len(p.Message) > 1024 {
			t.Fatalf("row %d %s carries %d bytes", p.Row, p.Code, len(p.Value)+len(p.Message))
		}
		if p.Code == contacts.CodeValueTooLong && p.Field == contacts.FieldName {
			n++
		}
	}
	if n != 2000 {
		t.Errorf("%d value_too_long on 姓名, want 2000", n)
	}
}

// TestWideAndHugeCSV: 20 MB of commas is refused at once; fields right of
// the header are dropped.
func TestWideAndHugeCSV(t *testing.T) {
	commas := "姓名,部门\n张三," + strings.Repeat(",", 20<<20) + "\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadFrom(strings.NewReader(commas), int64(len(commas)), "commas.csv", Options{})
	runtime.ReadMemStats(&after)
	if !IsUnreadable(err) || !strings.Contains(err.Error(), "第 2 行超过 16384 列") {
		t.Fatalf("20 MB of commas: %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
		t.Errorf("allocated %d MB", alloc>>20)
	}
	// a quoted cell full of commas counts as one field
	quoted := "姓名,部门\n\"" + strings.Repeat(",", 20000) + "\",研发\n"
	if res, err := ReadFrom(strings.NewReader(quoted), int64(len(quoted)), "q.csv", Options{}); err != nil || len(res.Dir.Members) != 1 {
		t.Fatalf("quoted commas: %v", err)
	}
	wide := "姓名,部门,手机\n张三,研发,13800000000" + strings.Repeat(",x", 16000) + "\n"
	res, err := ReadFrom(strings.NewReader(wide), int64(len(wide)), "wide.csv", Options{})
	if err != nil || len(res.Dir.Members) != 1 || res.Dir.Members[0].Mobile != "13800000000" {
		t.Fatalf("wide row: %v %+v", err, res)
	}
}

// TestFarColumnNotPadded: a cell at column XFD on every row is read without
// padding rows to 16,384 cells, and both readers agree on the result.
func TestFarColumnNotPadded(t *testing.T) {
	sheet := func(rows int) string {
		var b strings.Builder
		b.WriteString(sheetHead + `<row r="1">` + inl("A1", "姓名") + inl("B1", "部门") + inl("C1", "手机") + `</row>`)
		for r := 2; r <= rows; r++ {
			fmt.Fprintf(&b, `<row r="%d">%s%s<c r="C%d"><v>%d</v></c>%s</row>`, r, inl(fmt.Sprintf("A%d", r), "张三"), inl(fmt.Sprintf("B%d", r), "研发"), r, 13800000000+r, inl(fmt.Sprintf("XFD%d", r), "far"))
		}
		return b.String() + sheetTail
	}
	small := pkgParts(t, sheet(30), "", zip.Deflate)
	fast, slow, e1, e2 := readBoth(t, "far.xlsx", small)
	if e1 != nil || e2 != nil || len(fast.Dir.Members) != 29 {
		t.Fatalf("%v %v", e1, e2)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Errorf("readers differ:\n%+v\n%+v", fast, slow)
	}
	// XML the fast reader leaves to excelize (a DOCTYPE): excelize would pad
	// each row to XFD, so such a sheet of many rows is refused up front
	doctype := func(rows int) []byte {
		return pkgParts(t, strings.Replace(sheet(rows), "<worksheet", "<!DOCTYPE worksheet><worksheet", 1), "", zip.Deflate)
	}
	if res, err := ReadFrom(bytes.NewReader(doctype(30)), int64(len(doctype(30))), "d.xlsx", Options{}); err != nil || !reflect.DeepEqual(res.Dir, fast.Dir) {
		t.Fatalf("doctype, 30 rows: %v", err)
	}
	wide := doctype(2000)
	if _, err := ReadFrom(bytes.NewReader(wide), int64(len(wide)), "d.xlsx", Options{}); !IsUnreadable(err) || !strings.Contains(err.Error(), "单元格太多") {
		t.Fatalf("doctype, 2000 rows to XFD: %v", err)
	}
	big := pkgParts(t, sheet(20000), "", zip.Deflate)
	x, err := openFastXLSX(context.Background(), bytes.NewReader(big), int64(len(big)), 1<<30, "test.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.rows(x.sheets[0].path, x.sheets[0].name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	res := &Result{}
	if err := build(res, rows, Options{}); err != nil || len(res.Dir.Members) != 19999 {
		t.Fatalf("%v", err)
	}
	// after the header, rows are cut at its last column
	rows2, _ := x.rows(x.sheets[0].path, x.sheets[0].name)
	defer rows2.Close()
	rows2.setLimit(3)
	for {
		cells, row, ok, err := rows2.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if len(cells) > 3 {
			t.Fatalf("row %d has %d cells", row, len(cells))
		}
	}
}

// TestHugeHeaderAndEntityQuoted: a header padded with a megabyte of spaces
// still matches, and neither it nor a megabyte-long entity name is copied
// into every message.
func TestHugeHeaderAndEntityQuoted(t *testing.T) {
	csvText := "姓" + strings.Repeat(" ", 1<<20) + "名,部门,手机\n张三,研发,1\n李四,研发,2\n"
	_, ps, err := checkBytes(t, "h.csv", []byte(csvText))
	if err != nil || len(ps) == 0 {
		t.Fatalf("%v %v", err, ps)
	}
	for _, p := range ps {
		if len(p.Column)+len(p.Message)+len(p.Value) > 2048 {
			t.Fatalf("%s carries %d bytes", p.Code, len(p.Column)+len(p.Message)+len(p.Value))
		}
	}
	ent := pkgParts(t, memberSheet(3, func(int) string { return "&" + strings.Repeat("a", 1<<20) + ";" }), "", zip.Deflate)
	fast, slow, e1, e2 := readBoth(t, "e.xlsx", ent)
	if fast != nil || slow != nil || len(e1.Error()) > 4096 || len(e2.Error()) > 4096 {
		t.Fatalf("entity: %d / %d bytes of error", len(e1.Error()), len(e2.Error()))
	}
}

func checkBytes(t *testing.T, name string, data []byte) (*Result, []contacts.Problem, error) {
	p := tempPath(t, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return Check(p, Options{})
}
