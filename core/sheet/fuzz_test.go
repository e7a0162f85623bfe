package sheet

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
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

func FuzzReadXLSX(f *testing.F) {
	dir := f.TempDir()
	p := dir + "/seed.xlsx"
	writeXLSX(f, p, xlsxSpec{sheets: []string{"成员"}, cells: map[string][][]any{"成员": {
		{"标题"}, adminHeader, {"张喆", "zhangzhe", nil, "工程师", "研发中心/后端组", "男", 13800000000, "010-1"},
	}}})
	if b, err := os.ReadFile(p); err == nil {
		f.Add(b)
	}
	rawXLSX(f, p, `<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>部门</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>王</t></is></c><c r="B2"><v>1.5E3</v></c></row>`)
	if b, err := os.ReadFile(p); err == nil {
		f.Add(b)
	}
	ef := excelize.NewFile()
	var buf bytes.Buffer
	ef.Write(&buf)
	ef.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadFrom(bytes.NewReader(data), int64(len(data)), "fuzz.xlsx", Options{MaxUnzipBytes: 8 << 20})
		checkFuzzResult(t, res, err)
		// differential: where both readers accept the workbook, they agree
		if ex, fast, ok := sheetRowsBoth(t, data); ok {
			compareRows(t, "fuzz", ex, fast)
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

// FuzzSheetXML fuzzes the worksheet XML itself (inside a valid package):
// wherever excelize and the fast reader both accept it, they agree cell by
// cell; and reading never panics.
func FuzzSheetXML(f *testing.F) {
	for _, s := range []string{
		`<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>部门</t></is></c></row><row r="3"><c r="A3"><v>1.5E3</v></c></row>`,
		`<!--c--><row r='2'><c r="B2" t='inlineStr' x:a='>'><is><r><t><![CDATA[<a>]]></t></r><rPh><t>p</t></rPh></is></c><c r="C2"/></row><row/>`,
		`<x:row><x:c t="str"><x:f>1</x:f><x:v>a&amp;b&#x41;&#13;</x:v></x:c><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c></x:row>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sheetData string) {
		data := rawXLSXBytes(t, sheetData)
		res, err := ReadFrom(bytes.NewReader(data), int64(len(data)), "fuzz.xlsx", Options{})
		checkFuzzResult(t, res, err)
		if ex, fast, ok := sheetRowsBoth(t, data); ok {
			compareRows(t, "fuzz", ex, fast)
		}
	})
}
