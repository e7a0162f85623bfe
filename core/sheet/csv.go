package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
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
	return decodeWith(simplifiedchinese.GB18030, b, EncGB18030)
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
	limit   int // fields kept per record
}

func (c *csvRows) setLimit(n int) { c.limit = min(max(n, 1), maxColumns) }

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
	if c.limit > 0 && len(rec) > c.limit {
		rec = rec[:c.limit]
	}
	return rec, c.row, true, nil
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
	if err != nil {
		return nil, unreadable(name, "无法识别文件编码（支持 UTF-8、GBK/GB18030、UTF-16）", "unknown text encoding (UTF-8, GBK/GB18030 and UTF-16 are supported)", err)
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
	cr.ReuseRecord = false
	res := &Result{File: name, Format: "csv", Encoding: enc}
	if err := build(res, &csvRows{r: cr, name: name, limit: maxColumns}); err != nil {
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
