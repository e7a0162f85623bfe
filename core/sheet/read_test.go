package sheet

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"exmail-upgrade/core/contacts"
)

var adminHeader = []any{"姓名", "账号", "别名", "职务", "部门", "性别", "手机", "座机", "邮箱", "地址", "企业邮箱"}

func mustRead(t *testing.T, path string) *Result {
	t.Helper()
	res, err := Read(path, Options{})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return res
}

func codes(ps []contacts.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, string(p.Code))
	}
	return out
}

func TestReadXLSXLayouts(t *testing.T) {
	type want struct {
		layout    Layout
		sheet     string
		headerRow int
		rows      []int
		check     func(t *testing.T, d *contacts.Directory)
	}
	cases := []struct {
		name string
		spec xlsxSpec
		want want
	}{
		{"admin row 1", xlsxSpec{sheets: []string{"成员"}, cells: map[string][][]any{"成员": {
			adminHeader,
			{"张喆", "zhangzhe", nil, "工程师", "研发中心/后端组", "男", "13800000000", "010-1", "zz@qq.com", "北京", "zhangzhe@example.com"},
		}}}, want{LayoutWeComImport, "成员", 1, []int{2}, func(t *testing.T, d *contacts.Directory) {
			m := d.Members[0]
			if m.Name != "张喆" || m.Account != "zhangzhe" || m.Departments[0] != "研发中心/后端组" || m.BizMail != "zhangzhe@example.com" || m.Telephone != "010-1" {
				t.Errorf("member %+v", m)
			}
		}}},
		{"title rows, second sheet, numbers, hidden, rich", xlsxSpec{
			sheets: []string{"说明", "通讯录"},
			cells: map[string][][]any{
				"说明": {{"这是说明"}, {"没有表头"}},
				"通讯录": {
					{"XX 公司通讯录"},
					{"请从第 4 行开始填写"},
					{" 姓名* ", "手机号码＊", "部门", "座机"},
					{"王玥", 13800000001, "市场部", 88886666},
					nil,
					{"李堃", 13800000002.0, "财务部"},
					{nil, "13800000003", "财务部"},
				}},
			merge:  map[string][2]string{"通讯录": {"A1", "D1"}},
			hidden: map[string][]int{"通讯录": {6}},
			rich:   map[string]map[string][]excelize.RichTextRun{"通讯录": {"A7": {{Text: "赵"}, {Text: "珺", Font: &excelize.Font{Bold: true}}}}},
		}, want{LayoutWeComImport, "通讯录", 3, []int{4, 6, 7}, func(t *testing.T, d *contacts.Directory) {
			if d.Members[0].Mobile != "13800000001" || d.Members[0].Telephone != "88886666" {
				t.Errorf("number cells: %+v", d.Members[0])
			}
			if d.Members[1].Mobile != "13800000002" || d.Members[1].Name != "李堃" {
				t.Errorf("hidden row: %+v", d.Members[1])
			}
			if d.Members[2].Name != "赵珺" {
				t.Errorf("rich text: %+v", d.Members[2])
			}
		}}},
		{"wecom csv layout in xlsx", xlsxSpec{sheets: []string{"Sheet1"}, cells: map[string][][]any{"Sheet1": {
			{"姓名", "帐号", "手机号", "邮箱", "所在部门", "职位", "性别", "是否部门内领导", "排序", "别名", "地址", "座机", "禁用"},
			{"周昇", "zhousheng", "13800000004", "", "研发中心", "经理", "1", "0", "1", "", "", "", "1"},
		}}}, want{LayoutWeComCSV, "Sheet1", 1, []int{2}, func(t *testing.T, d *contacts.Directory) {
			m := d.Members[0]
			if m.Account != "zhousheng" || m.Position != "经理" || m.Gender != "1" || !m.Disabled {
				t.Errorf("member %+v", m)
			}
		}}},
		{"exmail export", xlsxSpec{sheets: []string{"Sheet1"}, cells: map[string][][]any{"Sheet1": {
			{"邮箱帐号", "姓名", "编号", "所属部门", "职务", "手机", "电话", "性别", "别名"},
			{"wang.fang@corp.cn", "王芳", "007", "销售部/华南大区", "销售", "13800000005", "020-1", "女", "Fang"},
		}}}, want{LayoutExmail, "Sheet1", 1, []int{2}, func(t *testing.T, d *contacts.Directory) {
			m := d.Members[0]
			if m.BizMail != "wang.fang@corp.cn" || m.Account != "" || m.Departments[0] != "销售部/华南大区" || m.Telephone != "020-1" {
				t.Errorf("member %+v", m)
			}
		}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tempPath(t, "in.xlsx")
			writeXLSX(t, p, tc.spec)
			res := mustRead(t, p)
			if res.Layout != tc.want.layout || res.Sheet != tc.want.sheet || res.HeaderRow != tc.want.headerRow {
				t.Fatalf("layout %q sheet %q header row %d", res.Layout, res.Sheet, res.HeaderRow)
			}
			if len(res.Problems) != 0 {
				t.Fatalf("sheet problems %+v", res.Problems)
			}
			var rows []int
			for _, m := range res.Dir.Members {
				rows = append(rows, m.Row)
			}
			if len(rows) != len(tc.want.rows) {
				t.Fatalf("rows %v want %v", rows, tc.want.rows)
			}
			for i := range rows {
				if rows[i] != tc.want.rows[i] {
					t.Fatalf("rows %v want %v", rows, tc.want.rows)
				}
			}
			tc.want.check(t, res.Dir)
		})
	}
}

func TestReadRawXLSXInlineAndScientific(t *testing.T) {
	p := tempPath(t, "raw.xlsx")
	rawXLSX(t, p, `<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>部门</t></is></c><c r="C1" t="inlineStr"><is><t>手机</t></is></c></row>`+
		`<row r="3"><c r="A3" t="inlineStr"><is><r><t>欧阳</t></r><r><t>玥</t></r></is></c><c r="B3" t="str"><v>研发中心</v></c><c r="C3"><v>1.3812345678E10</v></c></row>`+
		`<row r="4"><c r="A4" t="inlineStr"><is><t>孙伟</t></is></c><c r="B4" t="inlineStr"><is><t>研发中心</t></is></c><c r="C4"><v>13800000006</v></c></row>`)
	res := mustRead(t, p)
	if len(res.Dir.Members) != 2 {
		t.Fatalf("members %+v", res.Dir.Members)
	}
	m := res.Dir.Members[0]
	if m.Row != 3 || m.Name != "欧阳玥" || m.Departments[0] != "研发中心" {
		t.Errorf("member %+v", m)
	}
	ps := contacts.Validate(res.Dir, res.ValidationOptions())
	if len(ps) != 1 || ps[0].Code != contacts.CodeMobileFromNumber || ps[0].Row != 3 {
		t.Fatalf("problems %+v", ps)
	}
	if res.Dir.Members[1].Mobile != "13800000006" {
		t.Errorf("number mobile %q", res.Dir.Members[1].Mobile)
	}
}

const csvBody = "姓名,账号,部门,手机,企业邮箱\n张喆,zhangzhe,研发中心/后端组,13800000000,zhangzhe@example.com\n\"王,玥\",wangyue,市场部,13800000001,\n"

func TestReadCSVEncodings(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(csvBody)
	if err != nil {
		t.Fatal(err)
	}
	tabbed := strings.ReplaceAll(strings.ReplaceAll(csvBody, ",", "\t"), "\"王\t玥\"", "王玥")
	u16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(tabbed)
	u16be, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String(csvBody)
	u16leNoBOM, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String(csvBody)
	cases := []struct {
		name, file, data, enc string
	}{
		{"utf8", "a.csv", csvBody, EncUTF8},
		{"utf8 bom", "a.csv", "\uFEFF" + csvBody, EncUTF8BOM},
		{"gbk", "a.csv", gbk, EncGB18030},
		{"utf16le tab txt", "a.txt", u16le, EncUTF16LE},
		{"utf16be", "a.csv", u16be, EncUTF16BE},
		{"utf16le no bom", "a.csv", u16leNoBOM, EncUTF16LE},
		{"crlf", "a.csv", strings.ReplaceAll(csvBody, "\n", "\r\n"), EncUTF8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tempPath(t, tc.file)
			if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			res := mustRead(t, p)
			if res.Encoding != tc.enc || res.Layout != LayoutWeComImport || res.HeaderRow != 1 {
				t.Fatalf("encoding %q layout %q header %d", res.Encoding, res.Layout, res.HeaderRow)
			}
			if len(res.Dir.Members) != 2 {
				t.Fatalf("members %+v", res.Dir.Members)
			}
			a, b := res.Dir.Members[0], res.Dir.Members[1]
			if a.Name != "张喆" || a.Row != 2 || a.BizMail != "zhangzhe@example.com" || b.Row != 3 || b.Mobile != "13800000001" {
				t.Errorf("members %+v %+v", a, b)
			}
			if wantB := map[bool]string{true: "王玥", false: "王,玥"}[strings.HasSuffix(tc.file, ".txt")]; b.Name != wantB {
				t.Errorf("name %q want %q", b.Name, wantB)
			}
		})
	}
}

func TestReadSheetProblems(t *testing.T) {
	cases := []struct {
		name, data string
		want       []string
	}{
		{"no header", "a,b\n1,2\n", []string{"header_missing"}},
		{"missing 部门", "姓名,手机\n张三,13800000000\n", []string{"header_missing"}},
		{"duplicate column", "姓名,部门,手机,手机号码\n张三,A,13800000000,13800000001\n", []string{"header_duplicate"}},
		{"empty sheet", "姓名,部门,手机\n,,\n", []string{"sheet_empty"}},
		{"wecom csv needs no 部门", "姓名,帐号,手机号,排序\n张三,zs,13800000000,1\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tempPath(t, "a.csv")
			os.WriteFile(p, []byte(tc.data), 0o644)
			res := mustRead(t, p)
			if got := codes(res.Problems); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v want %v (%+v)", got, tc.want, res.Problems)
			}
			for _, p := range res.Problems {
				if p.Severity != contacts.SeverityError || !strings.Contains(p.Message, " / ") {
					t.Errorf("problem %+v", p)
				}
			}
		})
	}
}

func TestReadUnreadable(t *testing.T) {
	enc := tempPath(t, "secret.xlsx")
	{
		f := excelize.NewFile()
		f.SetCellStr("Sheet1", "A1", "姓名")
		if err := f.SaveAs(enc, excelize.Options{Password: "pw"}); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	xls := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...)
	cases := []struct {
		name, file string
		data       []byte
		opt        Options
		want       string
	}{
		{"old xls", "old.xls", xls, Options{}, ".xlsx"},
		{"encrypted", "", nil, Options{}, "密码"},
		{"corrupt zip", "bad.xlsx", []byte("PK\x03\x04garbage garbage"), Options{}, "损坏"},
		{"not zip xlsx", "bad.xlsx", []byte("hello"), Options{}, "损坏"},
		{"too big", "big.csv", []byte(csvBody), Options{MaxFileBytes: 10}, "文件超过 1 KB"},
		{"unzip limit", "bomb.xlsx", templateBytes(t), Options{MaxUnzipBytes: 2 << 20 >> 10}, "解压后超过"},
		{"empty", "empty.csv", nil, Options{}, "空"},
		{"binary", "bin.csv", []byte{0x01, 0x02, 0x00, 0xff, 0xfe, 0x00, 0x81, 0x00, 0x00, 0x00, 0x10}, Options{}, "文本"},
		{"bad encoding", "x.csv", []byte("\xff\xff\xff\x80\x80,\x81\n"), Options{}, "编码"},
		{"missing", "", nil, Options{}, "打不开"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := enc
			switch tc.name {
			case "encrypted":
			case "missing":
				p = tempPath(t, "nope.xlsx")
			default:
				p = tempPath(t, tc.file)
				os.WriteFile(p, tc.data, 0o644)
			}
			res, err := Read(p, tc.opt)
			if err == nil || res != nil {
				t.Fatalf("want error, got %+v", res)
			}
			if !IsUnreadable(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want unreadable containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), strings.TrimSuffix(p[strings.LastIndex(p, "/")+1:], "")) {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

// TestReadXLSXExcelizePath runs the xlsx reading tests through excelize
// only (the fallback of the fast reader).
func TestReadXLSXExcelizePath(t *testing.T) {
	useFastReader = false
	defer func() { useFastReader = true }()
	t.Run("layouts", TestReadXLSXLayouts)
	t.Run("raw", TestReadRawXLSXInlineAndScientific)
	t.Run("unreadable", TestReadUnreadable)
}

func TestReadCSVRowNumbers(t *testing.T) {
	p := tempPath(t, "rows.csv")
	data := "标题\n\n姓名,部门,地址\n张三,A,\"第一行\n第二行\"\n\n李四,B,x\r\n王五,C,\"a\r\nb\r\nc\"\n赵六,D,\n"
	os.WriteFile(p, []byte(data), 0o644)
	res := mustRead(t, p)
	if res.HeaderRow != 3 {
		t.Fatalf("header row %d", res.HeaderRow)
	}
	var got []int
	for _, m := range res.Dir.Members {
		got = append(got, m.Row)
	}
	// 张三 row 4 (two lines), blank row 5, 李四 6, 王五 7 (three lines), 赵六 8
	if fmt.Sprint(got) != "[4 6 7 8]" || res.Dir.Members[0].Address != "第一行\n第二行" {
		t.Fatalf("rows %v, %+v", got, res.Dir.Members)
	}
}

func templateBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := WriteTemplate(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
