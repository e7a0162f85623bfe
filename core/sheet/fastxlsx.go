package sheet

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"

	"exmail-upgrade/core/fsname"
)

// newXMLDecoder is a strict encoding/xml decoder that reads declared
// encodings as excelize does.
func newXMLDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = charset.NewReaderLabel
	return d
}

// fastXLSX is a streaming reader of the cell values of an .xlsx workbook:
// the sheet XML is tokenised straight from the zip entry and shared strings
// are resolved from one in-memory table. It yields exactly what excelize's
// Rows/Columns with RawCellValue yield (tests cross-check every test file)
// at a fraction of the cost. A workbook it finds corrupt (zip, XML or
// encoding errors in any part it reads, impossible cell or row references)
// is an error wrapping errCorrupt, and the read fails; a well-formed
// workbook it does not handle is an error wrapping errFastUnsupported, and
// readXLSX falls back to excelize after checking every XML part.
type fastXLSX struct {
	ctx    context.Context // nil: not cancellable
	name   string          // file name, for a cancelled read's error
	zr     *zip.Reader
	files  map[string]*zip.File
	sheets []fastSheet
	sst    []string
	limit  int64
}

type fastSheet struct{ name, path string }

var (
	errFastUnsupported = errors.New("fast reader: unsupported workbook structure")
	errCorrupt         = errors.New("corrupt workbook")
	errTooLarge        = errors.New("unzipped size over the limit")
)

// maxColumns is Excel's column limit (XFD): more columns per row are refused.
const maxColumns = 16384

// sheetError locates a corrupt part: the sheet and the spreadsheet row near
// which reading stopped (0 when not inside a sheet's rows).
type sheetError struct {
	sheet string
	row   int
	err   error
}

func (e *sheetError) Error() string {
	return fmt.Sprintf("sheet %q row %d: %v", e.sheet, e.row, e.err)
}

func (e *sheetError) Unwrap() error { return e.err }

// corrupt marks an error as corruption unless it already says it is
// unsupported (a scanner limit) or too large.
func corrupt(err error) error {
	if err == nil || isCancel(err) || errors.Is(err, errFastUnsupported) || errors.Is(err, errCorrupt) || errors.Is(err, errTooLarge) {
		return err
	}
	return fmt.Errorf("%w: %w", errCorrupt, err)
}

// openFastXLSX opens a workbook and loads its sheet list and shared
// strings; ctx (nil: none) cancels the loading of the shared strings.
func openFastXLSX(ctx context.Context, r io.ReaderAt, size, limit int64, name string) (*fastXLSX, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, corrupt(err)
	}
	x := &fastXLSX{ctx: ctx, name: name, zr: zr, files: map[string]*zip.File{}, limit: limit}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		x.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	if total > uint64(limit) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errTooLarge, total, limit)
	}
	// not needed for the values, but a damaged package says so here too
	// (and excelize reads it)
	if f, ok := x.files["[Content_Types].xml"]; ok {
		if err := verifyXMLPart(f, nil); err != nil {
			return nil, corrupt(fmt.Errorf("[Content_Types].xml: %w", err))
		}
	}
	wbPath := "xl/workbook.xml"
	rels, err := x.rels("_rels/.rels", "")
	if err != nil && !errors.Is(err, errFastUnsupported) { // absent: the default path
		return nil, corrupt(err)
	}
	for _, r := range rels {
		if strings.HasSuffix(r.typ, "/officeDocument") {
			wbPath = r.target
		}
	}
	rels, err = x.rels(path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels"), path.Dir(wbPath))
	if err != nil {
		return nil, corrupt(err)
	}
	byID := map[string]string{}
	sstPath := ""
	for _, r := range rels {
		byID[r.id] = r.target
		if strings.HasSuffix(r.typ, "/sharedStrings") {
			sstPath = r.target
		}
	}
	if err := x.readWorkbook(wbPath, byID); err != nil {
		return nil, corrupt(err)
	}
	if sstPath != "" {
		if _, ok := x.files[sstPath]; ok {
			if err := x.readSST(sstPath); err != nil {
				if isCancel(err) {
					return nil, err
				}
				return nil, corrupt(fmt.Errorf("shared strings: %w", err))
			}
		}
	}
	return x, nil
}

func (x *fastXLSX) open(name string) (io.ReadCloser, error) {
	f, ok := x.files[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s missing", errFastUnsupported, name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, corrupt(err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, int64(f.UncompressedSize64)+1), rc}, nil
}

type rel struct{ id, typ, target string }

// rels reads a relationships part; targets are resolved against base.
func (x *fastXLSX) rels(name, base string) ([]rel, error) {
	rc, err := x.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := newXMLDecoder(rc)
	var out []rel
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" {
			var r rel
			external := false
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "Id":
					r.id = a.Value
				case "Type":
					r.typ = a.Value
				case "Target":
					r.target = a.Value
				case "TargetMode":
					external = a.Value == "External"
				}
			}
			if external {
				continue
			}
			if strings.HasPrefix(r.target, "/") {
				r.target = strings.TrimPrefix(r.target, "/")
			} else {
				r.target = path.Join(base, r.target)
			}
			out = append(out, r)
		}
	}
}

func (x *fastXLSX) readWorkbook(name string, byID map[string]string) error {
	rc, err := x.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := newXMLDecoder(rc)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sheet" {
			var s fastSheet
			var id string
			for _, a := range se.Attr {
				switch {
				case a.Name.Local == "name":
					s.name = a.Value
				case a.Name.Local == "id" && a.Name.Space != "":
					id = a.Value
				}
			}
			s.path = byID[id]
			if s.path == "" {
				return fmt.Errorf("%w: sheet %q has no part", errCorrupt, fsname.Prefix(s.name, 40))
			}
			if _, ok := x.files[s.path]; !ok {
				return fmt.Errorf("%w: the part of sheet %q is missing", errCorrupt, fsname.Prefix(s.name, 40))
			}
			x.sheets = append(x.sheets, s)
		}
	}
}

// readSST loads the shared strings: each <si> is its <t> plus the <t> of
// its runs <r>, phonetic runs <rPh> excluded, _xHHHH_ escapes decoded.
func (x *fastXLSX) readSST(name string) error {
	rc, err := x.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := newXMLScan(rc)
	var b []byte
	inSI, inT, skip := false, false, 0
	for {
		tok, err := sc.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			if inSI {
				return fmt.Errorf("%w: %w", errXMLMalformed, io.ErrUnexpectedEOF)
			}
			return nil
		case tokStart:
			switch string(sc.name) {
			case "si":
				inSI, b = true, b[:0]
				if sc.selfClosing {
					inSI = false
					x.sst = append(x.sst, "")
				}
			case "rPh":
				if !sc.selfClosing {
					skip++
				}
			case "t":
				inT = inSI && skip == 0 && !sc.selfClosing
			}
		case tokEnd:
			switch string(sc.name) {
			case "si":
				inSI = false
				x.sst = append(x.sst, bstrDecode(string(b)))
				if len(x.sst)%(8*progressEvery) == 0 {
					if err := cancelled(x.ctx, x.name); err != nil {
						return err
					}
				}
			case "rPh":
				skip--
			case "t":
				inT = false
			}
		case tokText:
			if inT {
				b = append(b, sc.text...)
			}
		}
	}
}

var bstrRe = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)

// bstrDecode decodes the _xHHHH_ escapes of OOXML strings (as excelize does).
func bstrDecode(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	return bstrRe.ReplaceAllStringFunc(s, func(m string) string {
		if m == "_x005F_" {
			return "_"
		}
		v, err := strconv.ParseUint(m[2:6], 16, 32)
		if err != nil {
			return m
		}
		return string(rune(v))
	})
}

// fastRows streams the rows of one sheet.
type fastRows struct {
	x       *fastXLSX
	rc      io.ReadCloser
	sc      *xmlScan
	sheet   string
	row     int      // last row returned
	pending []string // a row read ahead (its number is pendRow)
	pendRow int
	done    bool
	limit   int    // cells beyond this column are read but not kept
	skip    bool   // after the header: rows absent from the XML are not returned
	v, is   []byte // value buffers of the current cell
	lastRow int    // last row of the sheet's <dimension ref>, 0 when absent
	read    *countingReader
	size    int64 // the sheet part's uncompressed size
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func (x *fastXLSX) rows(sheetPath, sheetName string) (*fastRows, error) {
	rc, err := x.open(sheetPath)
	if err != nil {
		return nil, err
	}
	cr := &countingReader{r: rc}
	return &fastRows{x: x, rc: rc, sc: newXMLScan(cr), sheet: sheetName, limit: maxColumns,
		read: cr, size: int64(x.files[sheetPath].UncompressedSize64)}, nil
}

// extent is the sheet's declared last row and the bytes of its part read.
func (r *fastRows) extent() (int, int64, int64) { return r.lastRow, r.read.n, r.size }

// dimensionRow returns the last row of a <dimension ref> ("A1:L100001" →
// 100001); 0 when it names none (a single cell, a bad reference).
func dimensionRow(ref string) int {
	_, last, _ := strings.Cut(ref, ":")
	digits := strings.TrimLeft(last, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz$")
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 || n > 1048576 {
		return 0
	}
	return n
}

// Close closes the sheet entry.
func (r *fastRows) Close() error { return r.rc.Close() }

// setLimit keeps only the first n columns of the following rows. It is
// called once the header is found: from then on only rows present in the
// XML are returned (build skips blank rows anyway, and a sheet with one
// cell at row 1,048,576 costs nothing).
func (r *fastRows) setLimit(n int) { r.limit, r.skip = min(max(n, 1), maxColumns), true }

// next returns rows numbered 1, 2, 3, ...: rows absent from the XML come
// back empty, as excelize's iterator does.
func (r *fastRows) next() ([]string, int, bool, error) {
	if r.pending == nil && !r.done {
		cells, num, ok, err := r.readRow()
		if err != nil {
			return nil, 0, false, &sheetError{sheet: r.sheet, row: num, err: corrupt(err)}
		}
		if !ok {
			r.done = true
		} else {
			r.pending, r.pendRow = cells, num
		}
	}
	if r.pending == nil {
		return nil, 0, false, nil
	}
	r.row++
	if r.pendRow > r.row && !r.skip {
		return nil, r.row, true, nil
	}
	cells := r.pending
	r.pending = nil
	r.row = r.pendRow
	return cells, r.row, true, nil
}

// readRow reads the next <row> element; on an error num is the row being
// read (or the one after the last row read).
func (r *fastRows) readRow() (cells []string, num int, ok bool, err error) {
	num = max(r.row, r.pendRow) + 1
	for {
		tok, err := r.sc.next()
		if err != nil {
			return nil, num, false, err
		}
		switch tok {
		case tokEOF:
			return nil, num, false, fmt.Errorf("%w: </sheetData> missing", errXMLMalformed)
		case tokStart:
			if string(r.sc.name) != "row" {
				if string(r.sc.name) == "dimension" && r.row == 0 && r.pendRow == 0 {
					if ref, ok := r.sc.attr("ref"); ok {
						r.lastRow = dimensionRow(ref)
					}
				}
				continue
			}
			if v, ok := r.sc.attr("r"); ok {
				n, err := strconv.Atoi(v)
				if err != nil || n <= 0 || n > 1048576 {
					return nil, num, false, fmt.Errorf("%w: row number %q", errCorrupt, fsname.Prefix(v, 20))
				}
				if n <= max(r.row, r.pendRow) {
					return nil, num, false, fmt.Errorf("%w: row %d after row %d", errCorrupt, n, max(r.row, r.pendRow))
				}
				num = n
			}
			if r.sc.selfClosing {
				return []string{}, num, true, nil
			}
			cells, err := r.readCells()
			if err != nil {
				return nil, num, false, err
			}
			return cells, num, true, nil
		case tokEnd:
			if string(r.sc.name) == "sheetData" {
				// the rest of the part must be sound too (and reading it to
				// the end checks the zip entry's CRC)
				for {
					tok, err := r.sc.next()
					if err != nil {
						return nil, num, false, err
					}
					if tok == tokEOF {
						return nil, num, false, nil
					}
				}
			}
		}
	}
}

// readCells reads the cells of a row up to </row>, keeping the first
// r.limit columns: a cell far to the right pads nothing.
func (r *fastRows) readCells() ([]string, error) {
	cells := []string{}
	col := 0
	for {
		tok, err := r.sc.next()
		if err != nil {
			return nil, err
		}
		switch tok {
		case tokEOF:
			return nil, fmt.Errorf("%w: </row> missing", errXMLMalformed)
		case tokStart:
			if string(r.sc.name) != "c" {
				continue
			}
			col++
			typ, _ := r.sc.attr("t")
			if ref, ok := r.sc.attr("r"); ok && ref != "" {
				c, err := columnOf(ref)
				if err != nil {
					return nil, err
				}
				if c < col {
					return nil, fmt.Errorf("%w: cell %s out of order", errCorrupt, fsname.Prefix(ref, 20))
				}
				col = c
			}
			if col > maxColumns {
				return nil, fmt.Errorf("%w: more than %d columns", errCorrupt, maxColumns)
			}
			val, hasF := "", false
			if !r.sc.selfClosing {
				if val, hasF, err = r.readCell(typ); err != nil {
					return nil, err
				}
			}
			if (val != "" || hasF) && col <= r.limit {
				for len(cells) < col-1 {
					cells = append(cells, "")
				}
				cells = append(cells, val)
			}
		case tokEnd:
			if string(r.sc.name) == "row" {
				return cells, nil
			}
		}
	}
}

// readCell reads one <c> element's value up to </c>.
func (r *fastRows) readCell(typ string) (string, bool, error) {
	r.v, r.is = r.v[:0], r.is[:0]
	where := 0 // 1 in <v>, 2 in a <t> of <is>
	hasF, hasIS := false, false
	skip := 0
	for {
		tok, err := r.sc.next()
		if err != nil {
			return "", false, err
		}
		switch tok {
		case tokEOF:
			return "", false, fmt.Errorf("%w: </c> missing", errXMLMalformed)
		case tokStart:
			self := r.sc.selfClosing
			switch string(r.sc.name) {
			case "v":
				r.v = r.v[:0] // the last <v> counts, as in excelize's unmarshalling
				if !self {
					where = 1
				}
			case "f":
				hasF = true
			case "is":
				hasIS = true
			case "rPh":
				if !self {
					skip++
				}
			case "t":
				if hasIS && skip == 0 && !self {
					where = 2
				}
			}
		case tokEnd:
			switch string(r.sc.name) {
			case "c":
				val, err := cellValue(r.x.sst, typ, string(r.v), string(r.is), hasIS)
				return val, hasF, err
			case "rPh":
				skip--
			case "v", "t":
				where = 0
			}
		case tokText:
			switch where {
			case 1:
				r.v = append(r.v, r.sc.text...)
			case 2:
				r.is = append(r.is, r.sc.text...)
			}
		}
	}
}

// cellValue resolves a cell's raw value by its type, as excelize does with
// RawCellValue: shared and inline strings resolved, anything else as stored.
func cellValue(sst []string, typ, v, is string, hasIS bool) (string, error) {
	switch typ {
	case "s":
		if v == "" {
			return "", nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(sst) {
			return "", fmt.Errorf("%w: shared string index %q of %d", errCorrupt, fsname.Prefix(v, 20), len(sst))
		}
		return sst[i], nil
	case "inlineStr":
		if hasIS {
			return bstrDecode(is), nil
		}
	}
	return v, nil
}

// columnOf returns the 1-based column of a cell reference ("AB12" → 28).
func columnOf(ref string) (int, error) {
	col := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a'+1)
		default:
			if i == 0 || col > maxColumns {
				return 0, fmt.Errorf("%w: cell reference %q", errCorrupt, fsname.Prefix(ref, 20))
			}
			return col, nil
		}
		if col > maxColumns {
			return 0, fmt.Errorf("%w: cell reference %q", errCorrupt, fsname.Prefix(ref, 20))
		}
	}
	return 0, fmt.Errorf("%w: cell reference %q", errCorrupt, fsname.Prefix(ref, 20))
}
