// Package fsname turns names and IDs into path elements that are safe on
// Windows, macOS and Linux. Every suggested or generated file name and every
// ID joined into a path goes through it, so no name a user or an imported file
// supplies can produce an invalid file name, an NTFS alternate stream, a
// device name or a path outside its folder.
package fsname

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBytes bounds a file name (without folder) in UTF-8 bytes. NTFS and APFS
// allow 255 UTF-16 units / bytes; ext4 allows 255 bytes. 200 leaves room for
// an extension and a " (2)" suffix.
const MaxBytes = 200

// reserved are the DOS device names Windows refuses as a file name, with or
// without an extension ("CON.txt" is the console too).
var reserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM0": true, "COM1": true, "COM2": true, "COM3": true, "COM4": true,
	"COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT0": true, "LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true,
	"LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
	"COM¹": true, "COM²": true, "COM³": true, "LPT¹": true, "LPT²": true, "LPT³": true,
}

// replacement maps each character Windows refuses to a look-alike that it
// accepts, so "12-01 20:34:07" stays readable as "12-01 20.34.07".
var replacement = map[rune]string{
	'/': "-", '\\': "-", ':': ".", '*': "-", '?': "", '"': "'", '<': "(", '>': ")", '|': "-",
}

// FileName returns name (a base name with its extension, e.g. "公司.exup")
// made valid as a file name everywhere: reserved characters replaced, control
// characters dropped, no trailing dots or spaces, no reserved device name,
// at most MaxBytes bytes (cut at a rune boundary, keeping the extension).
// An empty result becomes "untitled" plus the extension.
func FileName(name string) string {
	stem, ext := splitExt(strings.TrimSpace(name))
	stem, ext = clean(stem), clean(ext)
	if strings.ContainsAny(ext, " ") || len(ext) > 20 { // not a real extension
		stem, ext = stem+ext, ""
	}
	stem = strings.Trim(stem, ". ")
	ext = strings.TrimRight(ext, ". ")
	if ext == "." {
		ext = ""
	}
	if stem == "" {
		stem = "untitled"
	}
	// "CON", "con.txt", "Nul .tar.gz": Windows looks at the part before the first dot.
	first, _, _ := strings.Cut(stem, ".")
	if reserved[strings.ToUpper(strings.TrimRight(first, " "))] {
		stem = "_" + stem
	}
	if len(stem)+len(ext) > MaxBytes {
		stem = strings.TrimRight(cutBytes(stem, MaxBytes-len(ext)), ". ")
	}
	return stem + ext
}

// clean replaces the characters Windows refuses and drops control characters
// and invalid UTF-8.
func clean(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteRune('_')
		case r < 0x20 || r == 0x7f || unicode.IsControl(r):
			// dropped: no file system shows control characters usefully
		default:
			if rep, ok := replacement[r]; ok {
				b.WriteString(rep)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// splitExt splits "a.b.xlsx" into "a.b" and ".xlsx"; a leading dot is not an
// extension.
func splitExt(s string) (string, string) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || i == len(s)-1 || strings.ContainsAny(s[i:], " /\\") {
		return s, ""
	}
	return s[:i], s[i:]
}

// cutBytes returns the longest prefix of s of at most n bytes that ends on a
// rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ErrUnsafeComponent is returned by Component for an ID that cannot be used as
// one path element.
var ErrUnsafeComponent = errors.New("not a safe path element")

// Component checks that id can be joined into a path as exactly one element
// inside its folder: not empty, at most MaxBytes bytes, valid UTF-8, no path
// separator, no dot-only name or leading dot, no character Windows refuses, no
// control character, no reserved device name. It refuses rather than
// rewrites, since two IDs must never map to the same file.
func Component(id string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %q %s", ErrUnsafeComponent, Prefix(id, 40), why)
	}
	switch {
	case id == "":
		return bad("is empty")
	case len(id) > MaxBytes:
		return bad("is too long")
	case !utf8.ValidString(id):
		return bad("is not valid UTF-8")
	case strings.HasPrefix(id, "."):
		return bad("starts with a dot")
	case strings.HasSuffix(id, ".") || strings.HasSuffix(id, " ") || strings.HasPrefix(id, " "):
		return bad("starts or ends with a space or dot")
	}
	for _, r := range id {
		if _, ok := replacement[r]; ok || r < 0x20 || r == 0x7f || unicode.IsControl(r) {
			return bad("holds a separator or reserved character")
		}
	}
	first, _, _ := strings.Cut(id, ".")
	if reserved[strings.ToUpper(first)] {
		return bad("is a reserved device name")
	}
	return id, nil
}

// Prefix returns at most n runes of s, with "…" appended when it was cut, for
// quoting user-supplied values in messages without copying them whole.
func Prefix(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}
