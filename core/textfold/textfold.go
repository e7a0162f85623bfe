// Package textfold compares what a person typed with a text they were
// asked to type, the way a person reads them: full-width and half-width
// forms are the same (（ = (, １ = 1, ： = :), and spaces only count
// between two Latin letters or digits, where any run of them is one space.
// It says what does not match yet, for a hint under the entry.
package textfold

import (
	"strings"
	"unicode"
)

// Fold returns s with full-width ASCII forms narrowed and spaces folded:
// none at the ends, none next to a non-Latin character, one between two
// Latin letters or digits.
func Fold(s string) string {
	var b strings.Builder
	pendingSpace := false
	var last rune
	for _, r := range s {
		r = narrow(r)
		if unicode.IsSpace(r) {
			pendingSpace = b.Len() > 0
			continue
		}
		if pendingSpace && latin(last) && latin(r) {
			b.WriteByte(' ')
		}
		pendingSpace = false
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

// narrow maps a full-width form (U+FF01–U+FF5E) to its ASCII twin and the
// ideographic space to a space.
func narrow(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFF01 + '!'
	case r == 0x3000:
		return ' '
	}
	return r
}

// latin reports a letter or digit of the Latin script (or ASCII), the
// characters between which a space separates words.
func latin(r rune) bool {
	return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) || unicode.Is(unicode.Latin, r)
}

// Equal reports whether a and b are the same text once folded.
func Equal(a, b string) bool { return Fold(a) == Fold(b) }

// Result is how typed text compares with the text wanted, both folded.
type Result struct {
	Match bool
	// Pos is the number of characters (runes) of the folded wanted text
	// that typed already matches.
	Pos int
	// Missing is the rest of the wanted text when typed is a correct
	// beginning of it.
	Missing string
	// Want and Got are the first differing characters (Got empty when
	// typed stops early, Want empty when typed goes on past the end).
	Want, Got string
	// Extra is what typed holds past the end of the wanted text.
	Extra string
}

// Compare compares typed with want after folding both.
func Compare(typed, want string) Result {
	t, w := []rune(Fold(typed)), []rune(Fold(want))
	i := 0
	for i < len(t) && i < len(w) && t[i] == w[i] {
		i++
	}
	res := Result{Pos: i}
	switch {
	case i == len(t) && i == len(w):
		res.Match = true
	case i == len(t):
		res.Missing, res.Want = string(w[i:]), string(w[i])
	case i == len(w):
		res.Extra, res.Got = string(t[i:]), string(t[i])
	default:
		res.Want, res.Got = string(w[i]), string(t[i])
	}
	return res
}
