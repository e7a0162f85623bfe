package sheet

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"exmail-upgrade/core/fsname"

	"github.com/richardlehane/mscfb"
	"github.com/xuri/excelize/v2"
)

// oleMagic starts every OLE/CDF compound file: old binary .xls, and
// password-protected .xlsx (an encrypted package inside a CDF container).
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// oleError tells an encrypted workbook from an old .xls.
func oleError(r io.ReaderAt, size int64, name string) (err error) {
	encrypted := false
	func() {
		defer func() { _ = recover() }() // mscfb on hostile input: fall back to the .xls message
		doc, e := mscfb.New(io.NewSectionReader(r, 0, size))
		if e != nil {
			return
		}
		for entry, e := doc.Next(); e == nil; entry, e = doc.Next() {
			if entry.Name == "EncryptionInfo" || entry.Name == "EncryptedPackage" {
				encrypted = true
				return
			}
		}
	}()
	if encrypted {
		return unreadable(name, "文件设置了打开密码，请在 Excel 中去掉密码后另存为 .xlsx 再试",
			"the file is password-protected; remove the password in Excel, save as .xlsx and try again", nil)
	}
	return unreadable(name, "这是旧版 .xls 格式，请在 Excel 中“另存为” .xlsx 后再试",
		"this is an old binary .xls file; open it in Excel, save it as .xlsx and try again", nil)
}

// xlsxRows adapts excelize's streaming row iterator.
type xlsxRows struct {
	rows  *excelize.Rows
	row   int
	name  string
	limit int
}

func (x *xlsxRows) setLimit(n int) { x.limit = min(max(n, 1), maxColumns) }

func (x *xlsxRows) next() ([]string, int, bool, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, 0, false, unreadable(x.name, "工作表内容损坏", "the worksheet is corrupt", err)
		}
		return nil, 0, false, nil
	}
	x.row++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, 0, false, unreadable(x.name, fmt.Sprintf("第 %d 行无法读取", x.row), fmt.Sprintf("row %d cannot be read", x.row), err)
	}
	if x.limit > 0 && len(cells) > x.limit {
		cells = cells[:x.limit]
	}
	for len(cells) > 0 && cells[len(cells)-1] == "" { // as the fast reader: no trailing padding
		cells = cells[:len(cells)-1]
	}
	return cells, x.row, true, nil
}

// useFastReader switches the streaming sheet reader on (tests compare both).
var useFastReader = true

// corruptError turns a corrupt-workbook error into file_unreadable, naming
// the sheet and row where reading stopped.
func corruptError(name string, err error) error {
	var se *sheetError
	if errors.As(err, &se) && se.row > 0 {
		return unreadable(name,
			fmt.Sprintf("工作表“%s”在第 %d 行附近损坏，文件可能不完整（下载或复制中断）；请重新获取原文件，或在 Excel（或 WPS）中打开后重新保存", fsname.Prefix(se.sheet, 40), se.row),
			fmt.Sprintf("sheet %q is corrupt near row %d; the file may be incomplete (an interrupted download or copy): get the original again, or open it in Excel (or WPS) and save it again", fsname.Prefix(se.sheet, 40), se.row), err)
	}
	return unreadable(name, "文件内容损坏，可能不完整（下载或复制中断）；请重新获取原文件，或在 Excel（或 WPS）中打开后重新保存",
		"the file is corrupt and may be incomplete (an interrupted download or copy): get the original again, or open it in Excel (or WPS) and save it again", err)
}

func tooLargeError(name string, unzip int64, err error) error {
	return unreadable(name, "解压后超过 "+sizeText(unzip)+" 的限制",
		"the unzipped content exceeds the "+sizeText(unzip)+" limit", err)
}

func readXLSX(r io.ReaderAt, size int64, name string, opt Options) (*Result, error) {
	unzip := opt.MaxUnzipBytes
	if unzip <= 0 {
		unzip = DefaultMaxUnzipBytes
	}
	if useFastReader {
		res, err := readFastXLSX(r, size, name, opt, unzip)
		switch {
		case err == nil:
			return res, nil
		case errors.Is(err, errTooLarge):
			return nil, tooLargeError(name, unzip, err)
		case IsUnreadable(err), isCancel(err):
			return nil, err
		case !errors.Is(err, errFastUnsupported):
			return nil, corruptError(name, err)
		}
		// a well-formed workbook the fast reader does not handle: excelize
	}
	// excelize's row iterator drops XML decoder errors (a sheet cut short
	// reads as a short sheet), so every XML part is checked first
	if err := verifyXMLParts(r, size, unzip); err != nil {
		if errors.Is(err, errTooManyCells) {
			return nil, unreadable(name, "工作表的单元格太多（有内容的列远在表头右侧），请在 Excel（或 WPS）中删除右侧多余的列后重新保存",
				"the sheet has too many cells (cells far right of the header): delete the extra columns on the right in Excel (or WPS) and save it again", err)
		}
		if errors.Is(err, errTooLarge) {
			return nil, tooLargeError(name, unzip, err)
		}
		return nil, corruptError(name, err)
	}
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit: unzip, UnzipXMLSizeLimit: min(unzip, DefaultMaxXMLBytes), RawCellValue: true})
	if err != nil {
		if strings.Contains(err.Error(), "exceeds") {
			return nil, tooLargeError(name, unzip, err)
		}
		return nil, unreadable(name, "不是有效的 Excel 文件（可能已损坏）", "not a valid Excel file (it may be corrupt)", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if opt.Sheet != "" {
		found := false
		for _, s := range sheets {
			if s == opt.Sheet {
				found = true
			}
		}
		if !found {
			return nil, unreadable(name, fmt.Sprintf("没有名为“%s”的工作表", opt.Sheet), fmt.Sprintf("no sheet named %q", opt.Sheet), nil)
		}
		sheets = []string{opt.Sheet}
	}
	if len(sheets) == 0 {
		return nil, unreadable(name, "工作簿里没有工作表", "the workbook has no sheet", nil)
	}
	var first *Result
	for _, s := range sheets {
		res, err := readXLSXSheet(f, s, name, opt)
		if err != nil {
			return nil, err
		}
		if res.Layout != "" {
			return res, nil
		}
		if first == nil {
			first = res
		}
	}
	return first, nil // no sheet has a header: report on the first one
}

func readXLSXSheet(f *excelize.File, sheetName, name string, opt Options) (*Result, error) {
	rows, err := f.Rows(sheetName)
	if err != nil {
		return nil, unreadable(name, fmt.Sprintf("工作表“%s”无法读取", sheetName), fmt.Sprintf("sheet %q cannot be read", sheetName), err)
	}
	defer rows.Close()
	res := &Result{File: name, Format: "xlsx", Sheet: sheetName}
	if err := build(res, &xlsxRows{rows: rows, name: name, limit: maxColumns}, opt); err != nil {
		return nil, err
	}
	return res, nil
}

// readFastXLSX reads with the fast streaming reader; an error wrapping
// errFastUnsupported means "use excelize instead", any other is final.
func readFastXLSX(r io.ReaderAt, size int64, name string, opt Options, unzip int64) (*Result, error) {
	x, err := openFastXLSX(opt.Context, r, size, unzip, name)
	if err != nil {
		return nil, err
	}
	sheets := x.sheets
	if opt.Sheet != "" {
		sheets = nil
		for _, s := range x.sheets {
			if s.name == opt.Sheet {
				sheets = append(sheets, s)
			}
		}
	}
	if len(sheets) == 0 {
		return nil, errFastUnsupported
	}
	var first *Result
	for _, s := range sheets {
		rows, err := x.rows(s.path, s.name)
		if err != nil {
			return nil, err
		}
		res := &Result{File: name, Format: "xlsx", Sheet: s.name}
		err = build(res, rows, opt)
		rows.Close()
		if err != nil {
			return nil, err
		}
		if res.Layout != "" {
			return res, nil
		}
		if first == nil {
			first = res
		}
	}
	return first, nil
}

// verifyXMLParts reads every XML part of the package to its end with a
// strict encoding/xml decoder (and so checks each entry's CRC), and checks
// in the worksheets what the fast reader checks: rows and cells in order,
// valid references, shared-string indexes in range. Any zip, XML, encoding
// or reference error is returned, wrapping errCorrupt.
func verifyXMLParts(r io.ReaderAt, size, limit int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return corrupt(err)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > uint64(limit) {
		return fmt.Errorf("%w: %d bytes, limit %d", errTooLarge, total, limit)
	}
	sst := -1 // shared strings, counted first
	for _, f := range zr.File {
		if strings.EqualFold(path.Base(f.Name), "sharedStrings.xml") {
			sst = 0
			err := verifyXMLPart(f, func(d *xml.Decoder, se xml.StartElement) error {
				if se.Name.Local == "si" {
					sst++
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("%w: %s: %w", errCorrupt, fsname.Prefix(f.Name, 60), err)
			}
		}
	}
	for _, f := range zr.File {
		n := strings.ToLower(f.Name)
		if !strings.HasSuffix(n, ".xml") && !strings.HasSuffix(n, ".rels") || strings.EqualFold(path.Base(f.Name), "sharedStrings.xml") {
			continue
		}
		var check func(*xml.Decoder, xml.StartElement) error
		if strings.Contains(n, "worksheets/") {
			check = (&sheetCheck{sst: sst}).start
		}
		if err := verifyXMLPart(f, check); err != nil {
			return fmt.Errorf("%w: %s: %w", errCorrupt, fsname.Prefix(f.Name, 60), err)
		}
	}
	return nil
}

// verifyXMLPart decodes one part to its end, calling start (when not nil)
// on each start element.
func verifyXMLPart(f *zip.File, start func(*xml.Decoder, xml.StartElement) error) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	d := newXMLDecoder(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	for {
		// Token (not RawToken) matches end tags and reports a part that
		// ends inside an element
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok && start != nil {
			if err := start(d, se); err != nil {
				return err
			}
		}
	}
}

// sheetCheck follows the rows and cells of a worksheet as the fast reader
// does (readRow, readCells, cellValue).
type sheetCheck struct {
	sst      int // shared strings (-1: no part)
	row, col int
	inS      bool // in a t="s" cell
	cells    int  // cells excelize will hand out, padding included
}

// maxFallbackCells bounds the work of excelize, which pads every row to its
// last cell: 100,000 rows of 200 columns are fine, a cell at XFD on each of
// 300,000 rows (5 billion padded cells) is refused.
const maxFallbackCells = 20_000_000

var errTooManyCells = errors.New("too many cells")

func (c *sheetCheck) start(d *xml.Decoder, se xml.StartElement) error {
	attr := func(name string) (string, bool) {
		for i := len(se.Attr) - 1; i >= 0; i-- {
			if se.Attr[i].Name.Local == name {
				return se.Attr[i].Value, true
			}
		}
		return "", false
	}
	switch se.Name.Local {
	case "row":
		num := c.row + 1
		if v, ok := attr("r"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n <= c.row || n > 1048576 {
				return fmt.Errorf("row number %q after row %d", fsname.Prefix(v, 20), c.row)
			}
			num = n
		}
		c.row, c.col = num, 0
	case "c":
		c.col++
		if ref, ok := attr("r"); ok && ref != "" {
			col, err := columnOf(ref)
			if err != nil {
				return err
			}
			if col < c.col {
				return fmt.Errorf("row %d: cell %s out of order", c.row, fsname.Prefix(ref, 20))
			}
			c.cells += col - c.col - 1 // the padding before it
			c.col = col
		}
		if c.cells++; c.cells > maxFallbackCells {
			return fmt.Errorf("%w: more than %d cells with padding (row %d reaches column %d)", errTooManyCells, maxFallbackCells, c.row, c.col)
		}
		t, _ := attr("t")
		c.inS = t == "s"
	case "v":
		if !c.inS {
			return nil
		}
		var v string
		if err := d.DecodeElement(&v, &se); err != nil {
			return err
		}
		if v == "" {
			return nil
		}
		if i, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || i < 0 || i >= c.sst {
			return fmt.Errorf("row %d: shared string index %q of %d", c.row, fsname.Prefix(v, 20), max(c.sst, 0))
		}
	}
	return nil
}
