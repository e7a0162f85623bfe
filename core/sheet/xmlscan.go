package sheet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"exmail-upgrade/core/fsname"
)

// xmlScan is a minimal, strict, allocation-light XML tokenizer for the
// regular XML of worksheets and shared strings. It decodes entities and
// normalises line ends as encoding/xml does, checks characters, and never
// accepts what encoding/xml (Strict) rejects (FuzzXMLScanDifferential). Its
// errors are of two kinds: errXMLMalformed for XML that encoding/xml rejects
// too (truncation, a mismatched end tag, a control character, a stray &,
// "]]>" in text, "--" in a comment): the part is corrupt; errScan for well-
// formed XML it does not handle (DOCTYPE, non-ASCII names, a non-UTF-8
// declaration, unusual attribute syntax): the caller falls back to a
// complete XML parser.
type xmlScan struct {
	r    *bufio.Reader
	buf  []byte // text or tag bytes of the current token
	text []byte // decoded text of the current text token
	name []byte // local name of the current element
	// attributes of the current start tag: local names and decoded values
	attrNames, attrVals [][]byte
	attrStore           []byte
	selfClosing         bool
	// open elements (qualified names, concatenated) for the nesting check
	stack    []byte
	stackLen []int
}

type xmlTok int

const (
	tokEOF xmlTok = iota
	tokStart
	tokEnd
	tokText
)

var (
	// errScan: XML the scanner does not handle (it may be well-formed).
	errScan = fmt.Errorf("%w: xml scan: unsupported XML", errFastUnsupported)
	// errXMLMalformed: XML that no conforming parser accepts.
	errXMLMalformed = errors.New("malformed XML")
)

func newXMLScan(r io.Reader) *xmlScan {
	return &xmlScan{r: bufio.NewReaderSize(r, 64<<10)}
}

// readUntil appends bytes up to and including delim to s.buf.
func (s *xmlScan) readUntil(delim byte) error {
	for {
		chunk, err := s.r.ReadSlice(delim)
		s.buf = append(s.buf, chunk...)
		if err == nil {
			return nil
		}
		if err != bufio.ErrBufferFull {
			if err == io.EOF {
				return fmt.Errorf("%w: %w", errXMLMalformed, io.ErrUnexpectedEOF)
			}
			return err
		}
	}
}

// skipPast skips input up to and including the terminator seq.
func (s *xmlScan) skipPast(seq string) error {
	s.buf = s.buf[:0]
	for {
		if err := s.readUntil(seq[len(seq)-1]); err != nil {
			return err
		}
		if bytes.HasSuffix(s.buf, []byte(seq)) {
			return nil
		}
	}
}

// next reads the next token.
func (s *xmlScan) next() (xmlTok, error) {
	for {
		c, err := s.r.ReadByte()
		if err == io.EOF {
			if len(s.stackLen) > 0 {
				return tokEOF, fmt.Errorf("%w: the part ends inside <%s>", errXMLMalformed, s.stack[len(s.stack)-s.stackLen[len(s.stackLen)-1]:])
			}
			return tokEOF, nil
		}
		if err != nil {
			return tokEOF, err
		}
		if c != '<' {
			s.r.UnreadByte()
			s.buf = s.buf[:0]
			err := s.readUntil('<')
			if errors.Is(err, io.ErrUnexpectedEOF) { // trailing text at the end
				err = nil
			} else if err == nil {
				s.buf = s.buf[:len(s.buf)-1]
				s.r.UnreadByte()
			}
			if err != nil {
				return tokEOF, err
			}
			if bytes.Contains(s.buf, []byte("]]>")) {
				return tokEOF, fmt.Errorf("%w: ]]> outside CDATA", errXMLMalformed)
			}
			if s.text, err = decodeText(s.text[:0], s.buf, true); err != nil {
				return tokEOF, err
			}
			return tokText, nil
		}
		c, err = s.r.ReadByte()
		if err != nil {
			return tokEOF, fmt.Errorf("%w: the part ends inside a tag", errXMLMalformed)
		}
		switch c {
		case '/':
			s.buf = s.buf[:0]
			if err := s.readUntil('>'); err != nil {
				return tokEOF, err
			}
			qname := bytes.TrimRight(s.buf[:len(s.buf)-1], " \t\r\n")
			n := len(s.stackLen)
			if n == 0 || !bytes.Equal(s.stack[len(s.stack)-s.stackLen[n-1]:], qname) {
				return tokEOF, fmt.Errorf("%w: mismatched end tag </%s>", errXMLMalformed, fsnamePrefix(qname))
			}
			s.stack, s.stackLen = s.stack[:len(s.stack)-s.stackLen[n-1]], s.stackLen[:n-1]
			s.name = localName(qname)
			if len(s.name) == 0 {
				return tokEOF, errScan
			}
			return tokEnd, nil
		case '?':
			if err := s.skipPast("?>"); err != nil {
				return tokEOF, err
			}
			if err := checkProcInst(s.buf[:len(s.buf)-2]); err != nil {
				return tokEOF, err
			}
			continue
		case '!':
			pre, _ := s.r.Peek(7)
			switch {
			case bytes.HasPrefix(pre, []byte("--")):
				s.r.Discard(2)
				// as encoding/xml: the first "--" must end the comment
				if err := s.skipPast("--"); err != nil {
					return tokEOF, err
				}
				if c, err := s.r.ReadByte(); err != nil || c != '>' {
					return tokEOF, fmt.Errorf("%w: -- inside a comment", errXMLMalformed)
				}
				continue
			case bytes.Equal(pre, []byte("[CDATA[")):
				s.r.Discard(7)
				if err := s.skipPast("]]>"); err != nil {
					return tokEOF, err
				}
				if s.text, err = decodeText(s.text[:0], s.buf[:len(s.buf)-3], false); err != nil {
					return tokEOF, err
				}
				return tokText, nil
			}
			return tokEOF, errScan // DOCTYPE and other declarations
		}
		s.r.UnreadByte()
		return s.startTag()
	}
}

// startTag reads a start tag after its '<'.
func (s *xmlScan) startTag() (xmlTok, error) {
	s.buf = s.buf[:0]
	var quote byte // the quote of an open attribute value
	scanned := 0
	for {
		if err := s.readUntil('>'); err != nil {
			return tokEOF, err
		}
		// a '>' inside a quoted attribute value does not end the tag
		for _, b := range s.buf[scanned:] {
			switch {
			case quote == 0 && (b == '"' || b == '\''):
				quote = b
			case b == quote:
				quote = 0
			}
		}
		scanned = len(s.buf)
		if quote == 0 {
			break
		}
	}
	tag := s.buf[:len(s.buf)-1]
	s.selfClosing = len(tag) > 0 && tag[len(tag)-1] == '/'
	if s.selfClosing {
		tag = tag[:len(tag)-1]
	}
	i := 0
	for i < len(tag) && !isXMLSpace(tag[i]) {
		i++
	}
	if !validName(tag[:i]) {
		return tokEOF, fmt.Errorf("%w: element name %q", errScan, fsnamePrefix(tag[:i]))
	}
	s.name = localName(tag[:i])
	if !s.selfClosing {
		s.stack = append(s.stack, tag[:i]...)
		s.stackLen = append(s.stackLen, i)
	}
	s.attrNames, s.attrVals, s.attrStore = s.attrNames[:0], s.attrVals[:0], s.attrStore[:0]
	rest := tag[i:]
	for {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			return tokStart, nil
		}
		eq := bytes.IndexByte(rest, '=')
		if eq <= 0 {
			return tokEOF, errScan
		}
		qn := bytes.TrimRight(rest[:eq], " \t\r\n")
		if !validName(qn) {
			return tokEOF, fmt.Errorf("%w: attribute name %q", errScan, fsnamePrefix(qn))
		}
		name := localName(qn)
		rest = bytes.TrimLeft(rest[eq+1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return tokEOF, errScan
		}
		q := rest[0]
		end := bytes.IndexByte(rest[1:], q)
		if end < 0 {
			return tokEOF, errScan
		}
		raw := rest[1 : 1+end]
		rest = rest[2+end:]
		if len(rest) > 0 && !isXMLSpace(rest[0]) {
			return tokEOF, errScan
		}
		start := len(s.attrStore)
		var err error
		if s.attrStore, err = decodeText(s.attrStore, raw, true); err != nil {
			return tokEOF, err
		}
		s.attrNames = append(s.attrNames, name)
		s.attrVals = append(s.attrVals, s.attrStore[start:len(s.attrStore):len(s.attrStore)])
	}
}

// attr returns the value of an attribute by local name (the last one
// when repeated, as excelize reads them).
func (s *xmlScan) attr(name string) (string, bool) {
	for i := len(s.attrNames) - 1; i >= 0; i-- {
		if string(s.attrNames[i]) == name {
			return string(s.attrVals[i]), true
		}
	}
	return "", false
}

// validName accepts ASCII XML names (a stricter subset of XML's rule; any
// other name makes the caller fall back to a full parser).
func validName(n []byte) bool {
	if len(n) == 0 {
		return false
	}
	for i, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return n[0] != ':' && n[len(n)-1] != ':' && bytes.Count(n, []byte{':'}) <= 1
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// localName drops a namespace prefix ("x:row" → "row").
func localName(n []byte) []byte {
	if i := bytes.LastIndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

// reDeclaration is the XML declaration the scanner accepts: version 1.0,
// UTF-8, standalone. Anything else is left to encoding/xml (errScan).
var reDeclaration = regexp.MustCompile(`^(?:[ \t\r\n]+version=(?:"1\.0"|'1\.0'))?(?:[ \t\r\n]+encoding=(?:"(?i:utf-8)"|'(?i:utf-8)'))?(?:[ \t\r\n]+standalone=(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*$`)

// checkProcInst checks a processing instruction (its text between "<?" and
// "?>"): a valid target name, and for the XML declaration the simple form
// every spreadsheet program writes.
func checkProcInst(pi []byte) error {
	i := 0
	for i < len(pi) && !isXMLSpace(pi[i]) {
		i++
	}
	if !validName(pi[:i]) {
		return errScan
	}
	if string(pi[:i]) == "xml" && !reDeclaration.Match(pi[i:]) {
		return fmt.Errorf("%w: XML declaration %q", errScan, fsnamePrefix(pi))
	}
	return nil
}

// fsnamePrefix quotes at most a short prefix of raw XML in an error.
func fsnamePrefix(b []byte) string { return fsname.Prefix(string(b), 40) }

// decodeText appends raw XML text to dst with entities decoded (when
// entities is set), CR LF and lone CR turned into LF, and characters
// checked as encoding/xml does.
func decodeText(dst, raw []byte, entities bool) ([]byte, error) {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '&' && entities:
			semi := bytes.IndexByte(raw[i:], ';')
			if semi < 0 {
				return nil, fmt.Errorf("%w: & without ;", errXMLMalformed)
			}
			ent := raw[i+1 : i+semi]
			switch string(ent) {
			case "lt":
				dst = append(dst, '<')
			case "gt":
				dst = append(dst, '>')
			case "amp":
				dst = append(dst, '&')
			case "apos":
				dst = append(dst, '\'')
			case "quot":
				dst = append(dst, '"')
			default:
				if len(ent) < 2 || ent[0] != '#' {
					return nil, fmt.Errorf("%w: unknown entity &%s;", errXMLMalformed, fsnamePrefix(ent))
				}
				var n uint64
				var err error
				if ent[1] == 'x' {
					n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
				} else {
					n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
				}
				if err != nil || !xmlChar(rune(n)) {
					// encoding/xml reads a surrogate reference as U+FFFD
					// rather than failing: leave that rare case to it
					if err == nil && n >= 0xD800 && n <= 0xDFFF {
						return nil, errScan
					}
					return nil, fmt.Errorf("%w: character reference &%s;", errXMLMalformed, fsnamePrefix(ent))
				}
				dst = utf8.AppendRune(dst, rune(n))
			}
			i += semi + 1
		case c == '\r':
			dst = append(dst, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case c < utf8.RuneSelf:
			if c < 0x20 && c != '\t' && c != '\n' {
				return nil, fmt.Errorf("%w: control character %#02x", errXMLMalformed, c)
			}
			if c == '<' && entities { // allowed in CDATA only
				return nil, fmt.Errorf("%w: < inside a value", errXMLMalformed)
			}
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 || !xmlChar(r) {
				return nil, fmt.Errorf("%w: invalid UTF-8 or character %U", errXMLMalformed, r)
			}
			dst = append(dst, raw[i:i+n]...)
			i += n
		}
	}
	return dst, nil
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
