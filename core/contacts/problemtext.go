package contacts

import (
	"strings"

	"exmail-upgrade/core/text"
)

// DescribeText returns the catalogue's base message of a code in both
// languages; a code outside the catalogue is its own text in both.
func DescribeText(c Code) text.T {
	m, ok := messages[c]
	if !ok {
		return text.New(string(c), string(c))
	}
	return text.New(m[0], m[1])
}

// Text returns the problem's message in both languages, so a front end can
// show one. Message is stored as "中文 / English" (the check --format json
// contract and the review workbook show it whole), and its Chinese part
// may quote a value that itself holds " / " (a department "销售 / 北京"),
// so a plain cut at the first separator is wrong: the separator is the
// one followed by the code's English base message (see msg, Describe and
// relatedMessage). Messages that do not start with the code's base text
// (sheet-level ones written by core/sheet) are cut at the first " / ".
// A message without a separator is the same in both languages.
func (p *Problem) Text() text.T { return splitMessage(p.Code, p.Message) }

// sep joins the two languages of a Message.
const sep = " / "

func splitMessage(c Code, s string) text.T {
	if m, ok := messages[c]; ok && strings.HasPrefix(s, m[0]) {
		if j := strings.Index(s[len(m[0]):], sep+m[1]); j >= 0 {
			i := len(m[0]) + j
			return text.New(s[:i], s[i+len(sep):])
		}
	}
	if zh, en, ok := strings.Cut(s, sep); ok {
		return text.New(zh, en)
	}
	return text.New(s, s)
}
