package sheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
)

// Sheet names of the written workbooks.
const (
	SheetMembers  = "成员"
	SheetRules    = "填写须知"
	SheetProblems = "问题"
)

// ImportFields are the columns of the WeCom admin import layout, in order.
var ImportFields = []contacts.Field{
	contacts.FieldName, contacts.FieldAccount, contacts.FieldAlias, contacts.FieldPosition,
	contacts.FieldDepartments, contacts.FieldGender, contacts.FieldMobile, contacts.FieldTelephone,
	contacts.FieldEmail, contacts.FieldAddress, contacts.FieldBizMail,
}

// column widths of the import layout (characters)
var importWidths = []float64{12, 16, 12, 16, 30, 8, 16, 16, 26, 30, 28}

// textFields are formatted as text so Excel keeps leading zeros and long numbers.
var textFields = map[contacts.Field]bool{contacts.FieldAccount: true, contacts.FieldMobile: true, contacts.FieldTelephone: true}

// requiredFields are marked in the template header.
var requiredFields = map[contacts.Field]bool{contacts.FieldName: true, contacts.FieldDepartments: true}

// filling rules of the template, in our own words.
var templateRules = [][2]string{
	{"怎么填", "每行一位成员，从第 2 行开始填写；不要修改第 1 行的列名和列的顺序。"},
	{"姓名（必填）", "1 到 64 个字。"},
	{"账号", "可以不填，企业微信会自动生成。填写时只能用英文字母、数字和 . - _，以字母或数字开头，最多 64 个字符，全公司不能重复（不区分大小写）。"},
	{"别名", "最多 64 个字。"},
	{"职务", "最多 128 个字。"},
	{"部门（必填）", "从最上一级写起，层级之间用 / 分隔，例如：研发中心/后端组。属于多个部门时用 ； 分隔，第一个是主部门。每一级最多 32 个字，不能含有 \\ : * ? \" < > |，最多 15 级。"},
	{"性别", "从下拉列表选择 男 或 女，也可以不填。"},
	{"手机", "大陆手机号填 11 位数字；其他国家和地区请写成 +国家码 号码，例如 +852 91234567。全公司不能重复。"},
	{"手机和邮箱", "手机和邮箱至少填一项。"},
	{"座机", "只能用数字和 - + ,，最多 32 个字符，例如 010-88886666。"},
	{"邮箱", "成员的个人邮箱，全公司不能重复。"},
	{"地址", "最多 128 个字。"},
	{"企业邮箱", "成员的企业邮箱地址，共 6 到 63 个字符；@ 前只能用英文字母、数字和 . - _，这三个符号不能在开头、结尾或连续出现；@ 后必须是本企业的邮箱域名。"},
	{"检查", "填好后用本工具“检查”，它会指出每个有问题的单元格，并自动修正首尾空格、全角字符、+86 前缀等不会改变含义的问题。"},
}

// WriteTemplate writes the blank contacts template: the WeCom admin import
// layout with required headers marked, a 性别 drop-down, text-formatted
// 账号/手机/座机 columns, a frozen header, and a 填写须知 sheet.
func WriteTemplate(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetMembers); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	for i, fd := range ImportFields {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(SheetMembers, cell, fd.Header()); err != nil {
			return fmt.Errorf("template header: %w", err)
		}
		hs := st.header
		if requiredFields[fd] {
			hs = st.required
			if err := f.AddComment(SheetMembers, excelize.Comment{Cell: cell, Author: "模板",
				Paragraph: []excelize.RichTextRun{{Text: "必填 / required"}}}); err != nil {
				return fmt.Errorf("template comment: %w", err)
			}
		}
		if err := f.SetCellStyle(SheetMembers, cell, cell, hs); err != nil {
			return fmt.Errorf("template style: %w", err)
		}
		if err := f.SetColWidth(SheetMembers, col, col, importWidths[i]); err != nil {
			return fmt.Errorf("template width: %w", err)
		}
		if textFields[fd] {
			if err := f.SetColStyle(SheetMembers, col, st.text); err != nil {
				return fmt.Errorf("template column style: %w", err)
			}
			// the header keeps its own style
			if err := f.SetCellStyle(SheetMembers, cell, cell, hs); err != nil {
				return fmt.Errorf("template style: %w", err)
			}
		}
	}
	dv := excelize.NewDataValidation(true)
	gcol, _ := excelize.ColumnNumberToName(indexOf(contacts.FieldGender) + 1)
	dv.Sqref = gcol + "2:" + gcol + "100000"
	if err := dv.SetDropList([]string{"男", "女"}); err != nil {
		return fmt.Errorf("template drop-down: %w", err)
	}
	dv.SetError(excelize.DataValidationErrorStyleStop, "性别", "请从列表中选择 男 或 女")
	if err := f.AddDataValidation(SheetMembers, dv); err != nil {
		return fmt.Errorf("template drop-down: %w", err)
	}
	if err := addMailboxTypeColumn(f, st); err != nil { // mailboxes.go
		return err
	}
	if err := freezeHeader(f, SheetMembers); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetRules); err != nil {
		return fmt.Errorf("template rules: %w", err)
	}
	_ = f.SetCellStr(SheetRules, "A1", "项目")
	_ = f.SetCellStr(SheetRules, "B1", "填写要求")
	_ = f.SetCellStyle(SheetRules, "A1", "B1", st.header)
	for i, r := range templateRules {
		_ = f.SetCellStr(SheetRules, fmt.Sprintf("A%d", i+2), r[0])
		_ = f.SetCellStr(SheetRules, fmt.Sprintf("B%d", i+2), r[1])
	}
	_ = f.SetColWidth(SheetRules, "A", "A", 16)
	_ = f.SetColWidth(SheetRules, "B", "B", 100)
	_ = f.SetCellStyle(SheetRules, "B2", fmt.Sprintf("B%d", len(templateRules)+1), st.wrap)
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	return nil
}

func indexOf(fd contacts.Field) int {
	for i, x := range ImportFields {
		if x == fd {
			return i
		}
	}
	return -1
}

type styles struct{ header, required, text, wrap, errFill, warnFill, fixFill, errText int }

func newStyles(f *excelize.File) (*styles, error) {
	var s styles
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	s.header = mk(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, NumFmt: 49})
	s.required = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, NumFmt: 49})
	s.text = mk(&excelize.Style{NumFmt: 49})
	s.wrap = mk(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.errFill = mk(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, NumFmt: 49})
	s.warnFill = mk(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFEB9C"}}, NumFmt: 49})
	s.fixFill = mk(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C6EFCE"}}, NumFmt: 49})
	s.errText = mk(&excelize.Style{Font: &excelize.Font{Color: "9C0006"}})
	return &s, err
}

func freezeHeader(f *excelize.File, sheet string) error {
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("freeze header of %s: %w", sheet, err)
	}
	return nil
}

// BlockedError refuses an upload-ready export while errors remain.
type BlockedError struct{ Counts contacts.Counts }

// Error says how many errors block the export.
func (e *BlockedError) Error() string {
	return fmt.Sprintf("还有 %d 个错误未解决，不能导出可上传的表格 / %d errors remain; the upload-ready sheet cannot be written",
		e.Counts.Error, e.Counts.Error)
}

// WriteUpload writes the upload-ready sheet in the WeCom admin import layout
// with every safe fix applied. It refuses (*BlockedError) while the
// directory has errors. Streams, so 100k rows are fine.
func WriteUpload(w io.Writer, d *contacts.Directory, opts contacts.Options) error {
	x := contacts.NewIndex(d, opts)
	if c := x.Counts(); c.Error > 0 {
		return &BlockedError{Counts: c}
	}
	// member mailboxes only: the import layout has no type column (mailboxes.go)
	fixed, others := splitMailboxes(x.Fixed())
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetMembers); err != nil {
		return fmt.Errorf("upload sheet: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("upload sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(SheetMembers)
	if err != nil {
		return fmt.Errorf("upload sheet: %w", err)
	}
	if err := setupImportColumns(sw, st); err != nil {
		return err
	}
	if err := writeHeader(sw, st.header); err != nil {
		return err
	}
	row := make([]any, len(ImportFields))
	for i := range fixed.Members {
		m := &fixed.Members[i]
		for j, fd := range ImportFields {
			row[j] = excelize.Cell{StyleID: cellStyle(fd, st), Value: m.Get(fd)}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("upload sheet row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("upload sheet: %w", err)
	}
	if err := writeOtherMailboxesSheet(f, st, others); err != nil {
		return err
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("upload sheet: %w", err)
	}
	return nil
}

func cellStyle(fd contacts.Field, st *styles) int {
	if textFields[fd] {
		return st.text
	}
	return 0
}

func setupImportColumns(sw *excelize.StreamWriter, st *styles) error {
	for i, wd := range importWidths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fmt.Errorf("column width: %w", err)
		}
	}
	for i, fd := range ImportFields {
		if textFields[fd] {
			if err := sw.SetColStyle(i+1, i+1, st.text); err != nil {
				return fmt.Errorf("column style: %w", err)
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	return nil
}

func writeHeader(sw *excelize.StreamWriter, style int) error {
	h := make([]any, len(ImportFields))
	for i, fd := range ImportFields {
		h[i] = excelize.Cell{StyleID: style, Value: fd.Header()}
	}
	if err := sw.SetRow("A1", h); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	return nil
}

// WriteFileAtomic writes a file through a temporary file in the same
// folder, fsynced, then renamed into place, so a failed write or a crash
// never leaves half a file under the final name. The file gets mode 0644
// less the umask (an ordinary document, not CreateTemp's 0600). When the
// target is held open (Excel or WPS lock it on Windows) the error says to
// close it there.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var tmp *os.File
	var err error
	for i := 0; i < 100; i++ {
		name := filepath.Join(dir, fmt.Sprintf(".%s.%d-%d.tmp", base, os.Getpid(), rand.Uint32()))
		tmp, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return writeError(path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return writeError(path, err)
	}
	if err := tmp.Close(); err != nil {
		return writeError(path, err)
	}
	if err := rename(tmp.Name(), path); err != nil {
		return writeError(path, err)
	}
	syncDir(dir)
	return nil
}

// rename is os.Rename (a variable so tests can simulate a locked file).
var rename = os.Rename

// syncDir makes the rename durable where the platform allows it (a folder
// cannot be opened for syncing on Windows: nothing to do there).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// writeError names the file (in the platform's form) and, when the file is
// held open by another program, says to close it.
func writeError(path string, err error) error {
	p := filepath.FromSlash(path)
	if fileHeld(err) {
		return fmt.Errorf("无法写入 %s：请在 Excel（或 WPS）中关闭该文件后重试 / cannot write %s: close the file in Excel (or WPS) and try again: %w", p, p, err)
	}
	return fmt.Errorf("无法写入 %s / cannot write %s: %w", p, p, err)
}

// fileHeld reports an error meaning the file is open elsewhere or not
// writable now: access denied (EACCES, EPERM, Windows ERROR_ACCESS_DENIED),
// busy (EBUSY), or a Windows sharing or lock violation.
func fileHeld(err error) bool {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EBUSY) {
		return true
	}
	var errno syscall.Errno
	if errors.As(err, &errno) && runtime.GOOS == "windows" {
		switch uintptr(errno) {
		case 5, 32, 33: // ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
			return true
		}
	}
	return false
}

// csvSafe escapes a CSV cell that a spreadsheet program would read as a
// formula with a leading apostrophe: one starting with = always, with + - @
// unless it is a number or phone number (digits with spaces, dots, commas,
// dashes, e.g. +852 91234567, -5, 010-88886666): such a value can hold no
// function or reference, and escaping it would make it fail `check`. A
// leading tab or CR is always escaped.
func csvSafe(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '@', '\t', '\r':
		return "'" + v
	case '+', '-':
		if !numberLike(v[1:]) {
			return "'" + v
		}
	}
	return v
}

// numberLike: at least one digit, and only digits, spaces, . , - after the
// sign (no letter, so no function name or cell reference).
func numberLike(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case c == ' ' || c == '.' || c == ',' || c == '-':
		default:
			return false
		}
	}
	return digit
}

// WriteCSV writes the directory as UTF-8 CSV (with a BOM so Excel detects
// the encoding) in the admin import layout, escaping with a leading
// apostrophe every cell a spreadsheet would read as a formula (csvSafe).
func WriteCSV(w io.Writer, d *contacts.Directory) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	cw := csv.NewWriter(w)
	fields := exportFields(d) // the import layout, plus 邮箱类型 when typed (mailboxes.go)
	rec := make([]string, len(fields))
	for i, fd := range fields {
		rec[i] = fd.Header()
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("csv header: %w", err)
	}
	for i := range d.Members {
		for j, fd := range fields {
			rec[j] = csvSafe(d.Members[i].Get(fd))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("csv row %d: %w", i+2, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

// rowLabel is the header of the review's original-row column.
const rowLabel = "原行号"

// WriteTemplateFile writes the blank template to path (atomically).
func WriteTemplateFile(path string) error {
	return WriteFileAtomic(path, WriteTemplate)
}

// WriteUploadFile writes the upload-ready sheet to path (atomically); it
// refuses with *BlockedError while errors remain, leaving path untouched.
func WriteUploadFile(path string, d *contacts.Directory, opts contacts.Options) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return WriteUpload(w, d, opts) })
}

// WriteReviewFile writes the review workbook to path (atomically).
func WriteReviewFile(path string, d *contacts.Directory, problems []contacts.Problem) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return WriteReview(w, d, problems) })
}

// WriteCSVFile writes the safe CSV export to path (atomically).
func WriteCSVFile(path string, d *contacts.Directory) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return WriteCSV(w, d) })
}
