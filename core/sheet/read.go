package sheet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/fsname"
	"exmail-upgrade/core/text"
)

// Default limits of Read.
const (
	DefaultMaxFileBytes  = 200 << 20 // size of the file on disk
	DefaultMaxUnzipBytes = 512 << 20 // total unzipped size of an .xlsx (bounds memory on zip bombs)
	DefaultMaxXMLBytes   = 16 << 20  // sheet XML kept in memory; larger spills to a temp file
	headerScanRows       = 50        // rows searched for the header
	ambiguitySampleRows  = 50        // data rows used to decide what 邮箱帐号 holds
	// DefaultFirstRows is how many data rows Options.FirstRows receives.
	DefaultFirstRows = 200
	// progressEvery is how many rows are read between two looks at the
	// context and two progress reports.
	progressEvery = 1024
)

// Options tune Read.
type Options struct {
	Sheet         string   // .xlsx sheet to read; "" = the first sheet holding a header
	Domains       []string // company mail domains, for the validation options
	MaxFileBytes  int64    // 0 = DefaultMaxFileBytes
	MaxUnzipBytes int64    // 0 = DefaultMaxUnzipBytes

	// Context, when set, cancels the read: it is looked at every
	// progressEvery rows (and while shared strings load), and the read
	// then fails with an error wrapping ctx.Err() (not an *UnreadableError).
	Context context.Context
	// Progress, when set, is called from the reading goroutine as rows are
	// read (every progressEvery rows, with the rows counted so far) and
	// once at the end with Done set and Total equal to Rows.
	Progress func(Progress)
	// FirstRows, when set, is called once from the reading goroutine with
	// the result so far (header, columns, sheet problems found so far and
	// the first FirstRowsCount members) as soon as they are read, or when
	// the sheet ends with fewer; not called for a sheet without a header.
	// It must not keep the reader waiting long.
	FirstRows      func(*Result)
	FirstRowsCount int // 0 = DefaultFirstRows
}

// Progress is how far a read got.
type Progress struct {
	Rows  int   // data rows (members) read so far
	Total int   // data rows the sheet says it holds (an .xlsx's dimension); 0 = not known
	Bytes int64 // bytes of the sheet's text read so far (an .xlsx's sheet part uncompressed, a CSV decoded)
	Size  int64 // of Size bytes; 0 = not known
	Done  bool  // the last report: Total is Rows
}

// Fraction is how much of the sheet was read (0…1): rows of Total when
// known, else bytes of Size, else 0 (and 1 once Done).
func (p Progress) Fraction() float64 {
	switch {
	case p.Done:
		return 1
	case p.Total > 0:
		return min(float64(p.Rows)/float64(p.Total), 1)
	case p.Size > 0:
		return min(float64(p.Bytes)/float64(p.Size), 1)
	}
	return 0
}

// cancelled returns the context's error, wrapped with the file's name,
// once ctx is done.
func cancelled(ctx context.Context, name string) error {
	if ctx == nil || ctx.Err() == nil {
		return nil
	}
	return fmt.Errorf("read %s: %w", filepath.Base(filepath.FromSlash(name)), ctx.Err())
}

// isCancel reports whether err is a cancelled or timed-out read.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Result is a read contacts sheet.
type Result struct {
	File      string              // path as given
	Format    string              // "xlsx" or "csv"
	Encoding  string              // text encoding of a CSV ("utf-8", "utf-8-bom", "gb18030", "utf-16le", "utf-16be")
	Sheet     string              // sheet name (xlsx)
	Layout    Layout              // recognised layout ("" when no header was found)
	HeaderRow int                 // spreadsheet row of the header (0 when not found)
	Columns   []Column            // header columns in order
	Dir       *contacts.Directory // members with their spreadsheet rows, values as found
	Problems  []contacts.Problem  // sheet-level problems (header_missing, header_duplicate, sheet_empty)
	domains   []string
}

// ValidationOptions returns the contacts options matching this sheet: the
// user's column headers, the legacy rule for Exmail exports and the domains.
func (r *Result) ValidationOptions() contacts.Options {
	cols := map[contacts.Field]string{}
	for _, c := range r.Columns {
		if c.Field != "" {
			cols[c.Field] = c.Header
		}
	}
	return contacts.Options{Domains: r.domains, Legacy: r.Layout == LayoutExmail, Columns: cols}
}

// UnreadableError reports a file that cannot be read as a contacts sheet
// (problem code file_unreadable).
type UnreadableError struct {
	File   string
	Reason string // "中文 / English"
	Err    error  // underlying error, may be nil
	why    text.T // Reason, one language each
}

// Error describes the failure in Chinese and English, naming the file.
func (e *UnreadableError) Error() string {
	s := fmt.Sprintf("无法读取 %s：%s", filepath.Base(filepath.FromSlash(e.File)), e.Reason)
	return s + e.cause()
}

// cause quotes the underlying error, if any: parser errors may quote the
// input, so a short prefix.
func (e *UnreadableError) cause() string {
	if e.Err == nil {
		return ""
	}
	return " (" + fsname.Prefix(e.Err.Error(), 300) + ")"
}

// Text describes the failure in each language, naming the file
// (text.Texter: front ends show one language).
func (e *UnreadableError) Text() text.T {
	why, name := e.reason(), filepath.Base(filepath.FromSlash(e.File))
	return text.New(fmt.Sprintf("无法读取 %s：%s%s", name, why.Zh, e.cause()),
		fmt.Sprintf("cannot read %s: %s%s", name, why.En, e.cause()))
}

// reason is Reason in each language.
func (e *UnreadableError) reason() text.T {
	if e.why.Complete() {
		return e.why
	}
	if zh, en, ok := strings.Cut(e.Reason, " / "); ok {
		return text.New(zh, en)
	}
	return text.New(e.Reason, e.Reason)
}

// Unwrap returns the underlying error.
func (e *UnreadableError) Unwrap() error { return e.Err }

// Problem returns the error as a sheet-level file_unreadable problem whose
// message is the code's text followed by the reason, in each language.
func (e *UnreadableError) Problem() contacts.Problem {
	base, why := contacts.DescribeText(contacts.CodeFileUnreadable), e.reason()
	msg := text.New(base.Zh+"："+why.Zh, base.En+": "+why.En)
	return contacts.Problem{Code: contacts.CodeFileUnreadable, Severity: contacts.SeverityError,
		Message: msg.Joined(), Value: filepath.Base(filepath.FromSlash(e.File))}
}

func unreadable(file, zh, en string, err error) error {
	return &UnreadableError{File: file, Reason: zh + " / " + en, Err: err, why: text.New(zh, en)}
}

// Read reads a contacts sheet (.xlsx, .csv or .txt). Every failure to read
// the file is an *UnreadableError, except a read cancelled through
// opt.Context; sheet-level problems are in Result.Problems. Rows are
// numbered as the spreadsheet shows them.
func Read(path string, opt Options) (*Result, error) {
	// only a regular file is opened: opening a FIFO would block for ever,
	// a device would never end
	pre, err := os.Stat(path)
	if err != nil {
		return nil, unreadable(path, "打不开文件", "cannot open the file", err)
	}
	if err := regular(path, pre); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unreadable(path, "打不开文件", "cannot open the file", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, unreadable(path, "打不开文件", "cannot open the file", err)
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	if !os.SameFile(pre, st) {
		return nil, unreadable(path, "文件在读取时被替换", "the file was replaced while being opened", nil)
	}
	return ReadFrom(f, st.Size(), path, opt)
}

func regular(path string, st os.FileInfo) error {
	switch {
	case st.IsDir():
		return unreadable(path, "这是一个文件夹", "this is a folder", nil)
	case !st.Mode().IsRegular():
		return unreadable(path, "不是普通文件（可能是管道或设备）", "not a regular file (a pipe or a device)", nil)
	}
	return nil
}

// ReadFrom reads a contacts sheet from r (size bytes); name gives the file
// name for messages and the extension hint.
func ReadFrom(r io.ReaderAt, size int64, name string, opt Options) (res *Result, err error) {
	defer func() {
		if p := recover(); p != nil { // a parser bug must not take the app down
			res, err = nil, unreadable(name, "文件内容损坏", "the file is corrupt", fmt.Errorf("panic: %v", p))
		}
	}()
	maxFile := opt.MaxFileBytes
	if maxFile <= 0 {
		maxFile = DefaultMaxFileBytes
	}
	if size > maxFile {
		return nil, unreadable(name, "文件超过 "+sizeText(maxFile), "the file is larger than "+sizeText(maxFile), nil)
	}
	if size == 0 {
		return nil, unreadable(name, "文件是空的", "the file is empty", nil)
	}
	if err := cancelled(opt.Context, name); err != nil {
		return nil, err
	}
	head := make([]byte, 8)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(head, oleMagic):
		return nil, oleError(r, size, name)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		res, err = readXLSX(r, size, name, opt)
	case ext == ".xlsx" || ext == ".xlsm" || ext == ".xls":
		return nil, unreadable(name, "不是有效的 Excel 文件（可能已损坏）", "not a valid Excel file (it may be corrupt)", nil)
	default:
		res, err = readCSV(io.NewSectionReader(r, 0, size), name, opt)
	}
	if err != nil {
		return nil, err
	}
	res.domains = opt.Domains
	if opt.Progress != nil {
		n := len(res.Dir.Members)
		opt.Progress(Progress{Rows: n, Total: n, Done: true})
	}
	return res, nil
}

// Check reads a file and validates it: the result, every problem (sheet
// level first, then by row) and an *UnreadableError when it cannot be read.
func Check(path string, opt Options) (*Result, []contacts.Problem, error) {
	res, err := Read(path, opt)
	if err != nil {
		return nil, nil, err
	}
	ps := append([]contacts.Problem(nil), res.Problems...)
	if res.Layout != "" {
		ps = append(ps, contacts.Validate(res.Dir, res.ValidationOptions())...)
	}
	return res, ps, nil
}

// IsUnreadable reports whether err is a file_unreadable error.
func IsUnreadable(err error) bool {
	var u *UnreadableError
	return errors.As(err, &u)
}

// rowSource yields the rows of a sheet: the cells and the 1-based row
// number as the spreadsheet shows it. After setLimit(n) rows hold at most
// n cells: columns right of the header's last are neither kept nor padded.
type rowSource interface {
	next() (cells []string, row int, ok bool, err error)
	setLimit(n int)
}

// extentSource is a row source that knows how large its sheet is: the last
// row its dimension declares (0: none) and the bytes read so far of size
// (size 0: not known).
type extentSource interface {
	extent() (lastRow int, read, size int64)
}

// build turns a row stream into a Result: finds the header, maps the
// columns, collects members; it reports to opt's Progress and FirstRows
// and stops when opt's Context is done.
func build(res *Result, src rowSource, opt Options) error {
	var h *headerInfo
	for scanned := 0; h == nil && scanned < headerScanRows; scanned++ {
		cells, row, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if h = matchHeader(cells); h != nil {
			res.HeaderRow = row
		}
	}
	if h == nil {
		res.Dir = &contacts.Directory{}
		res.Problems = append(res.Problems, contacts.Problem{Code: contacts.CodeHeaderMissing, Severity: contacts.SeverityError,
			Message: "找不到表头（需要 姓名、部门 等列） / no header row found (columns such as 姓名, 部门 are needed)"})
		return nil
	}
	src.setLimit(len(h.columns))
	// buffer a few rows to decide what an ambiguous column holds
	type buffered struct {
		cells []string
		row   int
	}
	var buf []buffered
	var sampleCells [][]string
	done := false
	if h.ambig >= 0 {
		for len(buf) < ambiguitySampleRows {
			cells, row, ok, err := src.next()
			if err != nil {
				return err
			}
			if !ok {
				done = true
				break
			}
			buf = append(buf, buffered{cells, row})
			sampleCells = append(sampleCells, cells)
		}
		h.resolveAmbiguous(sampleCells)
	}
	res.Layout, res.Columns = h.layout, h.columns
	for _, f := range required(h.layout) {
		if _, ok := h.byField[f]; !ok {
			res.Problems = append(res.Problems, contacts.Problem{Row: res.HeaderRow, Field: f, Code: contacts.CodeHeaderMissing,
				Severity: contacts.SeverityError, Value: f.Header(),
				Message: fmt.Sprintf("缺少“%s”列 / the %s column is missing", f.Header(), f.Header())})
		}
	}
	for _, d := range h.dups {
		f := fieldSynonyms[NormalizeHeader(d.Header)]
		first := h.columns[h.byField[f]].Header
		res.Problems = append(res.Problems, contacts.Problem{Row: res.HeaderRow, Column: d.Header, Field: f,
			Code: contacts.CodeHeaderDuplicate, Severity: contacts.SeverityError, Value: d.Header,
			Message: fmt.Sprintf("“%s”与“%s”表示同一项，请删去一列 / %q and %q mean the same field; remove one", d.Header, first, d.Header, first)})
	}
	// field → column index, as a dense slice for the hot loop
	type fc struct {
		f   contacts.Field
		col int
	}
	var fcs []fc
	for _, c := range h.columns {
		if c.Field != "" {
			fcs = append(fcs, fc{c.Field, c.Index})
		}
	}
	dir := &contacts.Directory{}
	add := func(cells []string, row int) {
		empty := true
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			return
		}
		m := contacts.Member{Row: row}
		for _, x := range fcs {
			if x.col < len(cells) && cells[x.col] != "" {
				m.Set(x.f, cells[x.col])
			}
		}
		dir.Members = append(dir.Members, m)
	}
	rep := newReporter(res, src, opt)
	for _, b := range buf {
		add(b.cells, b.row)
	}
	rep.rows(dir)
	for read := 0; !done; read++ {
		if read%progressEvery == progressEvery-1 {
			if err := cancelled(opt.Context, res.File); err != nil {
				return err
			}
			rep.progress(dir)
		}
		cells, row, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		add(cells, row)
		rep.rows(dir)
	}
	res.Dir = dir
	if len(dir.Members) == 0 {
		res.Problems = append(res.Problems, contacts.Problem{Row: res.HeaderRow, Code: contacts.CodeSheetEmpty,
			Severity: contacts.SeverityError, Message: contacts.Describe(contacts.CodeSheetEmpty)})
	}
	if !rep.firstSent { // a sheet shorter than FirstRowsCount
		rep.sendFirst(dir)
	}
	return nil
}

// reporter hands a sheet's first rows and its progress to the caller.
type reporter struct {
	res       *Result
	ext       extentSource // nil: the source knows no size
	opt       Options
	first     int  // members FirstRows waits for
	firstSent bool // FirstRows was called
}

// newReporter starts reporting once the header is known: a first progress
// report gives the total at once.
func newReporter(res *Result, src rowSource, opt Options) *reporter {
	r := &reporter{res: res, opt: opt, first: opt.FirstRowsCount, firstSent: opt.FirstRows == nil}
	if r.first <= 0 {
		r.first = DefaultFirstRows
	}
	r.ext, _ = src.(extentSource)
	r.progress(&contacts.Directory{})
	return r
}

// rows is called after each row: FirstRows once enough members are in.
func (r *reporter) rows(dir *contacts.Directory) {
	if !r.firstSent && len(dir.Members) >= r.first {
		r.sendFirst(dir)
	}
}

func (r *reporter) sendFirst(dir *contacts.Directory) {
	r.firstSent = true
	head := *r.res
	head.Dir = &contacts.Directory{Members: append([]contacts.Member(nil), dir.Members[:min(len(dir.Members), r.first)]...)}
	head.Problems = append([]contacts.Problem(nil), r.res.Problems...)
	head.Columns = append([]Column(nil), r.res.Columns...)
	head.domains = r.opt.Domains
	r.opt.FirstRows(&head)
}

func (r *reporter) progress(dir *contacts.Directory) {
	if r.opt.Progress == nil {
		return
	}
	p := Progress{Rows: len(dir.Members)}
	if r.ext != nil {
		last, read, size := r.ext.extent()
		if last > r.res.HeaderRow {
			p.Total = max(last-r.res.HeaderRow, p.Rows)
		}
		p.Bytes, p.Size = min(read, size), size
	}
	r.opt.Progress(p)
}

// sizeText formats a byte count for messages ("200 MB", "16 KB").
func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", max(n>>10, 1))
}
