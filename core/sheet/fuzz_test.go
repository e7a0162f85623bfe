package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// checkFuzzResult asserts the invariants of any read: no panic (the
// recover in ReadFrom turns one into an error mentioning "panic"), either a
// result or an unreadable error, rows increasing and after the header.
func checkFuzzResult(t *testing.T, res *Result, err error) {
	if err != nil {
		if !IsUnreadable(err) {
			t.Fatalf("error is not file_unreadable: %v", err)
		}
		if strings.Contains(err.Error(), "panic:") {
			t.Fatalf("reader panicked: %v", err)
		}
		return
	}
	if res == nil || res.Dir == nil {
		t.Fatal("nil result without error")
	}
	last := res.HeaderRow
	for _, m := range res.Dir.Members {
		if m.Row <= last {
			t.Fatalf("row %d after %d", m.Row, last)
		}
		last = m.Row
	}
}

func FuzzReadCSV(f *testing.F) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(csvBody)
	for _, s := range []string{csvBody, "\uFEFF" + csvBody, gbk, "\xff\xfe姓\x00", "姓名\t部门\n张三\t研发\n",
		"标题\n\n姓名,部门,手机号码*\n\"a\"\"b\",x,1\n", "姓名,部门\n\"unterminated\n", "a;b;c\n姓名;部门\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadFrom(bytes.NewReader(data), int64(len(data)), "fuzz.csv", Options{})
		checkFuzzResult(t, res, err)
	})
}

// FuzzReadXLSX fuzzes the parts of a tiny workbook built in memory (the
// sheet XML, the shared strings, the workbook): the fast reader either
// reads it (rows in order, after the header) or says why not — corrupt,
// unsupported or too large — and never panics. Reading a part to its end
// and the zip layer run on every input; excelize is not involved, so this
// runs thousands of inputs a second.
func FuzzReadXLSX(f *testing.F) {
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>姓名</t></si><si><r><t>部</t></r><r><t>门</t></r><rPh><t>bu</t></rPh></si><si><t>_x0041_张</t></si></sst>`
	f.Add(sheetHead+`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="inlineStr"><is><t>研发</t></is></c><c r="C3"><v>1.38E10</v></c></row>`+sheetTail, sst)
	f.Add(sheetHead+`<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row r="2"><c r="XFD2"><v>1</v></c></row>`+sheetTail, sst)
	f.Add(sheetHead+`<row r="1"><c r="A1" t="s"><v>9</v></c></row>`+sheetTail, "")
	f.Fuzz(func(t *testing.T, sheetXML, sstXML string) {
		data := pkgParts(t, sheetXML, sstXML, zip.Store)
		res, err := readFastXLSX(bytes.NewReader(data), int64(len(data)), "fuzz.xlsx", Options{}, 8<<20)
		if err != nil {
			if !errors.Is(err, errCorrupt) && !errors.Is(err, errFastUnsupported) && !errors.Is(err, errTooLarge) && !IsUnreadable(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		checkFuzzResult(t, res, nil)
		for _, c := range res.Columns {
			if c.Index >= maxColumns {
				t.Fatalf("column %d", c.Index)
			}
		}
	})
}

func FuzzDecodeText(f *testing.F) {
	for _, s := range []string{"abc", "\xef\xbb\xbf中文", "\xff\xfea\x00", "\xfe\xff\x00a", "\xd6\xd0\xce\xc4"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, enc, err := DecodeText(data)
		if err != nil {
			return
		}
		if enc == "" || strings.ContainsRune(s, '\uFFFD') && enc != EncUTF8 && enc != EncUTF8BOM {
			t.Fatalf("decoded %q as %q with replacement characters", data, enc)
		}
	})
}

// FuzzSheetXML fuzzes the worksheet XML itself (inside a valid package)
// through the whole Read: no panic, and wherever the fast reader accepts
// the sheet, excelize (after the same part checks) reads the same cells.
func FuzzSheetXML(f *testing.F) {
	for _, s := range []string{
		`<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>部门</t></is></c></row><row r="3"><c r="A3"><v>1.5E3</v></c></row>`,
		`<!--c--><row r='2'><c r="B2" t='inlineStr' x:a='>'><is><r><t><![CDATA[<a>]]></t></r><rPh><t>p</t></rPh></is></c><c r="C2"/></row><row/>`,
		`<x:row><x:c t="str"><x:f>1</x:f><x:v>a&amp;b&#x41;&#13;</x:v></x:c><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c></x:row>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sheetData string) {
		data := pkgParts(t, sheetHead+sheetData+sheetTail, "", zip.Store)
		res, err := ReadFrom(bytes.NewReader(data), int64(len(data)), "fuzz.xlsx", Options{})
		checkFuzzResult(t, res, err)
		if err != nil {
			return
		}
		// both readers accept: they agree
		if ex, fast, ok := sheetRowsBoth(t, data); ok {
			compareRows(t, "fuzz", ex, fast)
		}
	})
}
