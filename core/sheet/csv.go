package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Encodings reported in Result.Encoding.
const (
	EncUTF8    = "utf-8"
	EncUTF8BOM = "utf-8-bom"
	EncGB18030 = "gb18030"
	EncUTF16LE = "utf-16le"
	EncUTF16BE = "utf-16be"
	// EncMixed: GB18030 lines with some lines in UTF-8 (a row pasted in
	// from another program), each line decoded in its own encoding.
	EncMixed = "gb18030+utf-8"
)

// DecodeText detects the encoding of a text file and returns it as UTF-8:
// by byte-order mark first, then UTF-16 without a mark (zero bytes in
// alternate positions), then UTF-8 validity, then GB18030 (a superset of
// GBK). Bytes that are none of these give an error rather than mojibake.
func DecodeText(b []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		b = b[3:]
		if !utf8.Valid(b) {
			return "", "", errors.New("UTF-8 BOM but invalid UTF-8 bytes")
		}
		return string(b), EncUTF8BOM, nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), b, EncUTF16LE)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeWith(unicode.UTF16(unicode.BigEndian, unicode.UseBOM), b, EncUTF16BE)
	}
	if enc := utf16NoBOM(b); enc != "" {
		e := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
		if enc == EncUTF16BE {
			e = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
		}
		return decodeWith(e, b, enc)
	}
	if utf8.Valid(b) {
		return string(b), EncUTF8, nil
	}
	return decodeLines(b)
}

// decodeLines decodes a file that is not UTF-8 as a whole: GB18030, except
// lines that are valid UTF-8 with non-ASCII text (a row pasted in from a
// UTF-8 source), which are UTF-8. Decoding such a line as GB18030 would
// turn 张伟 into 寮犱紵 and write that back. A UTF-8-valid line whose text
// is not plausible (no Chinese, Latin or common punctuation, e.g. GBK bytes
// that happen to form Greek letters) while GB18030 reads it too cannot be
// decided: the file is refused, naming those lines.
func decodeLines(b []byte) (string, string, error) {
	mixed := false
	for rest := b; len(rest) > 0; {
		line, tail, _ := bytes.Cut(rest, []byte{'\n'})
		rest = tail
		if !isASCIIBytes(line) && utf8.Valid(line) {
			mixed = true
			break
		}
	}
	if !mixed {
		return decodeWith(simplifiedchinese.GB18030, b, EncGB18030)
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	var bad, unsure []int
	for n, rest := 1, b; len(rest) > 0; n++ {
		line, tail, found := bytes.Cut(rest, []byte{'\n'})
		rest = tail
		switch {
		case isASCIIBytes(line):
			out = append(out, line...)
		case utf8.Valid(line):
			if !plausibleUTF8(line) {
				if _, _, err := decodeWith(simplifiedchinese.GB18030, line, EncGB18030); err == nil {
					unsure = append(unsure, n)
				}
			}
			out = append(out, line...)
		default:
			s, _, err := decodeWith(simplifiedchinese.GB18030, line, EncGB18030)
			if err != nil {
				bad = append(bad, n)
			}
			out = append(out, s...)
		}
		if found {
			out = append(out, '\n')
		}
	}
	if len(bad) > 0 {
		return "", "", &LineEncodingError{Lines: bad}
	}
	if len(unsure) > 0 {
		return "", "", &LineEncodingError{Lines: unsure, Ambiguous: true}
	}
	return string(out), EncMixed, nil
}

// LineEncodingError names the lines of a text file whose encoding is
// unknown (Ambiguous: they read as UTF-8 and as GB18030 alike).
type LineEncodingError struct {
	Lines     []int
	Ambiguous bool
}

// Error names up to five lines.
func (e *LineEncodingError) Error() string {
	if e.Ambiguous {
		return fmt.Sprintf("the encoding of line %s cannot be decided (UTF-8 or GB18030)", lineList(e.Lines, ", "))
	}
	return fmt.Sprintf("line %s is neither UTF-8 nor GB18030", lineList(e.Lines, ", "))
}

func isASCIIBytes(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// plausibleUTF8 reports whether every non-ASCII character of a line is one
// a Chinese contacts sheet holds: CJK ideographs and punctuation, full-width
// forms, Latin letters with accents, general punctuation.
func plausibleUTF8(line []byte) bool {
	for _, r := range string(line) {
		switch {
		case r < utf8.RuneSelf,
			r >= 0x00A0 && r <= 0x024F, // Latin-1, Latin Extended
			r >= 0x2000 && r <= 0x206F, // general punctuation
			r >= 0x2E80 && r <= 0x303F, // CJK radicals, symbols and punctuation
			r >= 0x3400 && r <= 0x4DBF, // CJK extension A
			r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
			r >= 0xFF00 && r <= 0xFFEF, // full-width forms
			r == 0xFEFF:
		default:
			return false
		}
	}
	return true
}

// lineList names up to five lines ("3, 9, 12 …").
func lineList(lines []int, sep string) string {
	var parts []string
	for i, n := range lines {
		if i == 5 {
			return strings.Join(parts, sep) + " …"
		}
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, sep)
}

// utf16NoBOM guesses UTF-16 text without a BOM: ASCII-heavy text has a zero
// byte in every other position.
func utf16NoBOM(b []byte) string {
	n := min(len(b), 4096) &^ 1
	if n < 4 {
		return ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	half := n / 2
	switch {
	case odd*10 > half*3 && even*20 < half:
		return EncUTF16LE
	case even*10 > half*3 && odd*20 < half:
		return EncUTF16BE
	}
	return ""
}

func decodeWith(e encoding.Encoding, b []byte, name string) (string, string, error) {
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return "", "", fmt.Errorf("decode %s: %w", name, err)
	}
	if bytes.ContainsRune(out, utf8.RuneError) || (name == EncGB18030 && !plausibleGB(out)) {
		return "", "", fmt.Errorf("decode %s: invalid byte sequences", name)
	}
	return string(out), name, nil
}

// plausibleGB rejects GB18030 decodings of binary data: control characters
// other than tab/CR/LF mean the bytes were not GBK text.
func plausibleGB(s []byte) bool {
	for _, r := range string(s) {
		if (r < 0x20 && r != '\t' && r != '\r' && r != '\n') || r == 0x7f {
			return false
		}
	}
	return true
}

// sniffDelimiter picks comma, tab or semicolon from the first lines.
func sniffDelimiter(text string) rune {
	end := len(text)
	for i, lines := 0, 0; i < len(text); i++ {
		if text[i] == '\n' {
			if lines++; lines == 5 {
				end = i
				break
			}
		}
	}
	head := text[:end]
	best, bestN := ',', bytes.Count([]byte(head), []byte(","))
	for _, d := range []rune{'\t', ';'} {
		if n := bytes.Count([]byte(head), []byte(string(d))); n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

// csvRows adapts encoding/csv, numbering rows as a spreadsheet shows them.
type csvRows struct {
	r       *csv.Reader
	row     int // spreadsheet row of the last record
	endLine int // line on which the last record ended
	name    string
	limit   int   // fields kept per record
	size    int64 // bytes of the decoded text
}

func (c *csvRows) setLimit(n int) { c.limit = min(max(n, 1), maxColumns) }

// extent is the decoded text read so far (a CSV declares no row count).
func (c *csvRows) extent() (int, int64, int64) { return 0, c.r.InputOffset(), c.size }

// csvRows.limit starts at maxColumns (wideRecord has refused wider records).

func (c *csvRows) next() ([]string, int, bool, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, 0, false, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, 0, false, unreadable(c.name, fmt.Sprintf("第 %d 行格式错误", pe.StartLine), fmt.Sprintf("line %d is malformed", pe.StartLine), err)
		}
		return nil, 0, false, unreadable(c.name, "读取文件失败", "reading the file failed", err)
	}
	// Excel shows one row per record and per blank line: a record's row is
	// the previous record's row plus the lines between them, not counting
	// the extra lines of quoted multi-line cells.
	line, _ := c.r.FieldPos(0)
	c.row += line - c.endLine
	lastLine, _ := c.r.FieldPos(len(rec) - 1)
	c.endLine = lastLine + strings.Count(rec[len(rec)-1], "\n")
	// the reader reuses rec (a wide record costs its fields once): hand
	// out a copy of the columns kept
	return append([]string(nil), rec[:min(len(rec), c.limit)]...), c.row, true, nil
}

func readCSV(r io.Reader, name string, opt Options) (*Result, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, unreadable(name, "读取文件失败", "reading the file failed", err)
	}
	if bytes.IndexByte(b, 0) >= 0 && !bytes.HasPrefix(b, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(b, []byte{0xFE, 0xFF}) && utf16NoBOM(b) == "" {
		return nil, unreadable(name, "不是表格或文本文件", "not a spreadsheet or text file", nil)
	}
	text, enc, err := DecodeText(b)
	var le *LineEncodingError
	if errors.As(err, &le) {
		zh, en := fmt.Sprintf("第 %s 行", lineList(le.Lines, "、")), "line "+lineList(le.Lines, ", ")
		if le.Ambiguous {
			return nil, unreadable(name, zh+"的编码无法确定（UTF-8 还是 GBK）；请在 Excel（或 WPS）中另存为“CSV UTF-8”后再试",
				"cannot tell whether "+en+" is UTF-8 or GBK; save the file as \"CSV UTF-8\" in Excel (or WPS) and try again", err)
		}
		return nil, unreadable(name, zh+"既不是 UTF-8 也不是 GBK 编码；请在 Excel（或 WPS）中另存为“CSV UTF-8”后再试",
			en+" is neither UTF-8 nor GBK; save the file as \"CSV UTF-8\" in Excel (or WPS) and try again", err)
	}
	if err != nil {
		return nil, unreadable(name, "无法识别文件编码（支持 UTF-8、GBK/GB18030、UTF-16）；请在 Excel（或 WPS）中另存为“CSV UTF-8”后再试",
			"unknown text encoding (UTF-8, GBK/GB18030 and UTF-16 are supported); save it as \"CSV UTF-8\" in Excel (or WPS) and try again", err)
	}
	comma := sniffDelimiter(text)
	if line := wideRecord(text, byte(comma), maxColumns); line > 0 {
		return nil, unreadable(name, fmt.Sprintf("第 %d 行超过 %d 列", line, maxColumns),
			fmt.Sprintf("line %d has more than %d columns", line, maxColumns), nil)
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	res := &Result{File: name, Format: "csv", Encoding: enc}
	if err := build(res, &csvRows{r: cr, name: name, limit: maxColumns, size: int64(len(text))}, opt); err != nil {
		return nil, err
	}
	return res, nil
}

// wideRecord returns the line on which a record with more than max fields
// starts (0 when none has), so that encoding/csv never builds one: a line of
// 20 MB of commas would otherwise cost gigabytes. It follows encoding/csv's
// LazyQuotes rules closely enough to count fields: a field starting with a
// quote is quoted up to a quote followed by the delimiter or a line end.
func wideRecord(text string, comma byte, max int) int {
	line, start, fields := 1, 1, 1
	fieldStart, quoted := true, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if quoted {
			switch {
			case c == '"' && i+1 < len(text) && text[i+1] == '"':
				i++
			case c == '"' && (i+1 == len(text) || text[i+1] == comma || text[i+1] == '\n' || text[i+1] == '\r'):
				quoted = false
			case c == '\n':
				line++
			}
			continue
		}
		switch c {
		case comma:
			if fields++; fields > max {
				return start
			}
			fieldStart = true
			continue
		case '\n':
			line++
			start, fields = line, 1
			fieldStart = true
			continue
		case '"':
			quoted = fieldStart
		}
		fieldStart = false
	}
	return 0
}
