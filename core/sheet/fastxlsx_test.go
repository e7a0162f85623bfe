package sheet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
)

func trimRow(r []string) []string {
	for len(r) > 0 && r[len(r)-1] == "" {
		r = r[:len(r)-1]
	}
	return r
}

// sheetRowsBoth reads every sheet of a workbook with excelize (raw values)
// and with the fast reader; ok is false when the fast reader declines.
func sheetRowsBoth(t testing.TB, data []byte) (ex, fast map[string][][]string, ok bool) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, nil, false
	}
	defer f.Close()
	ex, fast = map[string][][]string{}, map[string][][]string{}
	for _, s := range f.GetSheetList() {
		rows, err := f.Rows(s)
		if err != nil {
			return nil, nil, false
		}
		var out [][]string
		for rows.Next() {
			c, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				rows.Close()
				return nil, nil, false
			}
			out = append(out, trimRow(c))
		}
		if rows.Error() != nil {
			rows.Close()
			return nil, nil, false
		}
		rows.Close()
		for len(out) > 0 && len(out[len(out)-1]) == 0 {
			out = out[:len(out)-1]
		}
		ex[s] = out
	}
	x, err := openFastXLSX(context.Background(), bytes.NewReader(data), int64(len(data)), 1<<30, "test.xlsx")
	if err != nil {
		return ex, nil, false
	}
	for _, s := range x.sheets {
		rs, err := x.rows(s.path, s.name)
		if err != nil {
			return ex, nil, false
		}
		var out [][]string
		for {
			c, n, more, err := rs.next()
			if err != nil {
				rs.Close()
				return ex, nil, false
			}
			if !more {
				break
			}
			if n != len(out)+1 {
				t.Fatalf("sheet %s: fast row %d after %d", s.name, n, len(out))
			}
			out = append(out, trimRow(c))
		}
		rs.Close()
		for len(out) > 0 && len(out[len(out)-1]) == 0 {
			out = out[:len(out)-1]
		}
		fast[s.name] = out
	}
	return ex, fast, true
}

func compareRows(t testing.TB, label string, ex, fast map[string][][]string) {
	t.Helper()
	if len(ex) != len(fast) {
		t.Fatalf("%s: sheets %d vs %d", label, len(ex), len(fast))
	}
	for s, er := range ex {
		fr, ok := fast[s]
		if !ok {
			t.Fatalf("%s: fast reader lacks sheet %q", label, s)
		}
		if len(er) != len(fr) {
			t.Fatalf("%s/%s: %d rows vs fast %d", label, s, len(er), len(fr))
		}
		for i := range er {
			if strings.Join(er[i], "\x00") != strings.Join(fr[i], "\x00") {
				t.Fatalf("%s/%s row %d:\nexcelize %q\nfast     %q", label, s, i+1, er[i], fr[i])
			}
		}
	}
}

// TestFastReaderMatchesExcelize cross-checks the fast reader cell by cell
// against excelize on every workbook the tests use.
func TestFastReaderMatchesExcelize(t *testing.T) {
	dir := t.TempDir()
	var files []string
	add := func(name string, write func(p string)) {
		p := filepath.Join(dir, name)
		write(p)
		files = append(files, p)
	}
	add("layouts.xlsx", func(p string) {
		writeXLSX(t, p, xlsxSpec{
			sheets: []string{"说明", "通讯录"},
			cells: map[string][][]any{
				"说明": {{"这是说明"}, nil, {nil, nil, "C3"}},
				"通讯录": {
					{"XX 公司通讯录"}, {"请从第 4 行开始填写"}, {" 姓名* ", "手机号码＊", "部门", "座机", "日期", "布尔"},
					{"王玥", 13800000001, "市场部", 88886666, 45000.5, true},
					nil,
					{"李堃 _x000D_ x", 13800000002.25, "财务&部<>", "1.38E+10", -3, false},
					{nil, "13800000003", "财务部"},
				}},
			merge:  map[string][2]string{"通讯录": {"A1", "D1"}},
			hidden: map[string][]int{"通讯录": {6}},
			rich:   map[string]map[string][]excelize.RichTextRun{"通讯录": {"A7": {{Text: "赵"}, {Text: "珺 ", Font: &excelize.Font{Bold: true}}}}},
		})
	})
	add("raw.xlsx", func(p string) {
		rawXLSX(t, p, `<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="C1" t="inlineStr"><is><r><t>部</t></r><r><t xml:space="preserve">门 </t></r><rPh><t>bu</t></rPh></is></c></row>`+
			`<row r="3"><c t="str"><f>A1</f><v>x</v></c><c><f>1+1</f></c><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c t="d"><v>2024-01-02T00:00:00Z</v></c><c r="H3"><v>1.3812345678E10</v></c></row>`+
			`<row><c r="B4" t="inlineStr"><is><t>_x005F_x0041_ &amp; _x0041_</t></is></c></row>`)
	})
	add("syntax.xlsx", func(p string) {
		rawXLSX(t, p, `<!-- a comment --><row r='1' spans="1:3"><c r="A1" t='inlineStr'><is><t><![CDATA[姓<名>]]></t></is></c>`+
			`<c r="B1" t="inlineStr" x:odd='a>b'><is><t>部&#x95E8;&#38;&lt;&gt;&quot;&apos;</t></is></c></row>`+
			`<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>line1&#13;&#10;line2`+"\r\n"+`line3</x:t></x:is></x:c><c r="C2"/></x:row>`+
			`<row r="4"/><row r="6"><c r="B6" s="3"><v> 12 </v></c><c r="C6" t="s"></c><c r="D6" t="str"><f>"a"</f><v></v></c></row>`)
	})
	add("template.xlsx", func(p string) {
		var b bytes.Buffer
		if err := WriteTemplate(&b); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, b.Bytes(), 0o644)
	})
	d := sample.Company(300, 5)
	sample.Plant(d, 0.2, 5)
	add("review.xlsx", func(p string) {
		var b bytes.Buffer
		if err := WriteReview(&b, d, contacts.Validate(d, contacts.Options{})); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, b.Bytes(), 0o644)
	})
	add("upload.xlsx", func(p string) {
		var b bytes.Buffer
		if err := WriteUpload(&b, sample.Company(200, 6), contacts.Options{}); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, b.Bytes(), 0o644)
	})
	for _, p := range files {
		data, _ := os.ReadFile(p)
		ex, fast, ok := sheetRowsBoth(t, data)
		if !ok {
			t.Fatalf("%s: a reader declined", p)
		}
		compareRows(t, filepath.Base(p), ex, fast)
		// and the whole Read agrees with the excelize path
		useFastReader = false
		slow, err1 := Read(p, Options{})
		useFastReader = true
		quick, err2 := Read(p, Options{})
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(slow, quick) {
			t.Errorf("%s: Read differs:\nexcelize %+v %v\nfast     %+v %v", p, slow, err1, quick, err2)
		}
	}
}
