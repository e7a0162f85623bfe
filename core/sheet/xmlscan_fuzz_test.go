package sheet

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// scanTokens lists the tokens of the fast scanner in a common form:
// "<local a=v ...", ">local", "#text" (adjacent text merged).
func scanTokens(data []byte) ([]string, error) {
	sc := newXMLScan(bytes.NewReader(data))
	var out []string
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			out = append(out, "#"+text.String())
			text.Reset()
		}
	}
	for {
		tok, err := sc.next()
		if err != nil {
			return out, err
		}
		switch tok {
		case tokEOF:
			flush()
			return out, nil
		case tokText:
			text.Write(sc.text)
		case tokStart:
			flush()
			s := "<" + string(sc.name)
			for i := range sc.attrNames {
				s += fmt.Sprintf(" %s=%q", sc.attrNames[i], sc.attrVals[i])
			}
			out = append(out, s)
			if sc.selfClosing {
				out = append(out, ">"+string(sc.name))
			}
		case tokEnd:
			flush()
			out = append(out, ">"+string(sc.name))
		}
	}
}

// stdTokens lists the tokens of encoding/xml (Strict) in the same form;
// comments, processing instructions and directives are skipped, as the
// scanner skips them.
func stdTokens(data []byte) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var out []string
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			out = append(out, "#"+text.String())
			text.Reset()
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			flush()
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			flush()
			s := "<" + t.Name.Local
			for _, a := range t.Attr {
				s += fmt.Sprintf(" %s=%q", a.Name.Local, a.Value)
			}
			out = append(out, s)
		case xml.EndElement:
			flush()
			out = append(out, ">"+t.Name.Local)
		}
	}
}

// FuzzXMLScanDifferential runs the fast scanner and encoding/xml on the same
// raw XML: whatever the scanner accepts, encoding/xml accepts with the same
// elements, attributes and text; whatever the scanner calls malformed,
// encoding/xml rejects. (The scanner may decline well-formed XML it does not
// handle: then the reader falls back to excelize.)
func FuzzXMLScanDifferential(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="x"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row></sheetData></worksheet>`,
		`<a b='1' c = "x&amp;y&#x41;&#13;">t&lt;&gt;&quot;&apos;<![CDATA[<raw>]]>` + "\r\n" + `</a>`,
		`<x:row xmlns:x="u"><x:c/><!-- c --><?pi data?></x:row>`,
		`<a>]]></a>`, `<a><!-- x -- y --></a>`, `<?xml version="1.1"?><a/>`, `<a>&#0;</a>`, `<a>&#xD800;</a>`,
		`<a>&bogus;</a>`, `<a>x & y</a>`, `<a>` + "\x01" + `</a>`, `<a><b></a></b>`, `<a><b>`, `<a b="<"/>`, `<!DOCTYPE a><a/>`,
		`<a>` + "\xff" + `</a>`, `<é/>`, `<a b="]]>"/>`, `<? ?>`, `<?xml encoding="gbk"?><a/>`, "<a>\r</a>", `<a b="1"c="2"/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, errScanned := scanTokens(data)
		want, errStd := stdTokens(data)
		switch {
		case errScanned == nil && errStd != nil:
			t.Fatalf("scanner accepts what encoding/xml rejects (%v):\n%q", errStd, data)
		case errScanned == nil && strings.Join(got, "\x00") != strings.Join(want, "\x00"):
			t.Fatalf("tokens differ for %q:\nscan %q\nxml  %q", data, got, want)
		case errors.Is(errScanned, errXMLMalformed) && !errors.Is(errScanned, errScan) && errStd == nil:
			t.Fatalf("scanner calls well-formed XML malformed (%v):\n%q", errScanned, data)
		}
	})
}
