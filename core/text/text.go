// Package text is what core says to a person: one value holding the Chinese
// and the English wording, shown in one language at a time. Errors carry it
// (Error), so a front end shows an error in its language without splitting
// a joined string.
package text

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Languages.
const (
	ZH = "zh"
	EN = "en"
)

// T is one text in both languages.
type T struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// New returns the text zh / en.
func New(zh, en string) T { return T{Zh: zh, En: en} }

// Sprintf formats zh and en with the same arguments.
func Sprintf(zh, en string, args ...any) T {
	return T{Zh: fmt.Sprintf(zh, args...), En: fmt.Sprintf(en, args...)}
}

// String returns the text in lang ("zh" Chinese, anything else English).
// A text missing in one language falls back to the other.
func (t T) String(lang string) string {
	if lang == ZH && t.Zh != "" || t.En == "" {
		return t.Zh
	}
	return t.En
}

// Joined is "中文 / English", for logs and for places that show both.
func (t T) Joined() string {
	switch {
	case t.Zh == "":
		return t.En
	case t.En == "" || t.En == t.Zh:
		return t.Zh
	}
	return t.Zh + " / " + t.En
}

// Complete reports whether the text exists in both languages.
func (t T) Complete() bool { return t.Zh != "" && t.En != "" }

// Append returns t followed by u in each language (joined by sep).
func (t T) Append(sep string, u T) T {
	return T{Zh: t.Zh + sep + u.Zh, En: t.En + sep + u.En}
}

// Error is an error whose message is a text. Its Error() is the joined
// text (logs); front ends call Of to show one language.
type Error struct {
	Text T
	Err  error // the cause, may be nil
}

// Errorf returns an error with the text zh / en formatted with args; a
// %w among args is not supported — wrap with Wrap instead.
func Errorf(zh, en string, args ...any) *Error { return &Error{Text: Sprintf(zh, en, args...)} }

// NewError returns an error with the text zh / en.
func NewError(zh, en string) *Error { return &Error{Text: New(zh, en)} }

// Wrap returns an error with text t wrapping cause (whose own text follows
// after ": " in each language).
func Wrap(t T, cause error) *Error { return &Error{Text: t, Err: cause} }

// Error implements error.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Text.Joined()
	}
	return Of(e).Joined()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Texter is implemented by errors that can say themselves in both languages.
type Texter interface{ Text() T }

// Of returns what err says in both languages: the text of the outermost
// *Error or Texter in its chain, followed by its cause's text; an error with
// no text at all is the same string in both.
func Of(err error) T {
	if err == nil {
		return T{}
	}
	if tx, ok := err.(Texter); ok {
		return tx.Text()
	}
	if e, ok := err.(*Error); ok {
		if e.Err == nil {
			return e.Text
		}
		return e.Text.Append(": ", Of(e.Err))
	}
	var tx Texter
	var te *Error
	switch {
	case errors.As(err, &tx):
		return prefixOf(err, tx.Text())
	case errors.As(err, &te):
		return prefixOf(err, Of(te))
	}
	s := err.Error()
	return T{Zh: s, En: s}
}

// prefixOf keeps the plain-text context an fmt.Errorf("ctx: %w") added in
// front of an error that has a text.
func prefixOf(err error, inner T) T {
	s := err.Error()
	j := inner.Joined()
	if len(s) > len(j) && s[len(s)-len(j):] == j {
		p := s[:len(s)-len(j)]
		return T{Zh: p + inner.Zh, En: p + inner.En}
	}
	return inner
}

// Parse reads a "中文 / English" string as older versions stored it: it
// cuts at the first " / " with Chinese before it and none after it, so a
// " / " inside the Chinese ("每分钟 10,000 次 / 每小时 …") stays whole. A
// string with no such cut is the same in both languages.
func Parse(joined string) T {
	for i := 0; ; {
		j := strings.Index(joined[i:], " / ")
		if j < 0 {
			return T{Zh: joined, En: joined}
		}
		i += j
		if zh, en := joined[:i], joined[i+3:]; hasHan(zh) && !hasHan(en) {
			return T{Zh: zh, En: en}
		}
		i += 3
	}
}

// hasHan reports whether s holds a Chinese character or full-width
// punctuation.
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef {
			return true
		}
	}
	return false
}

// UnmarshalJSON reads a text stored as {"zh":…,"en":…} or, as older
// versions stored it, as one "中文 / English" string (see Parse).
func (t *T) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*t = T{}
		} else {
			*t = Parse(s)
		}
		return nil
	}
	type plain T // no UnmarshalJSON: no recursion
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = T(p)
	return nil
}

// IsZero reports whether the text is empty in both languages (so
// `json:",omitzero"` leaves it out).
func (t T) IsZero() bool { return t.Zh == "" && t.En == "" }
