package cli

import (
	"fmt"
	"strings"

	"exmail-upgrade/core/text"
)

// Languages the CLI speaks.
const (
	LangZH = "zh"
	LangEN = "en"
)

// localeLang picks the language of the locale: LC_ALL, then LC_MESSAGES,
// then LANG (POSIX precedence); a value starting with "zh" is Chinese,
// anything else (C, POSIX, en_US.UTF-8, unset) English.
func localeLang(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "zh") {
				return LangZH
			}
			return LangEN
		}
	}
	return LangEN
}

// takeLang removes every --lang X / --lang=X / -lang X from args (any
// command takes it, before or after its own flags) and returns the rest and
// the last value given ("" when none).
func takeLang(args []string) (rest []string, lang string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "lang" {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, "", fmt.Errorf("--lang needs zh or en")
			}
			i++
			val = args[i]
		}
		switch val {
		case LangZH, LangEN:
			lang = val
		default:
			return nil, "", fmt.Errorf("--lang %q: zh or en", val)
		}
	}
	return rest, lang, nil
}

// T returns the text in the command's language.
func (e *Env) T(zh, en string) string {
	if e.lang() == LangZH {
		return zh
	}
	return en
}

// Tf formats the text in the command's language.
func (e *Env) Tf(zh, en string, args ...any) string { return fmt.Sprintf(e.T(zh, en), args...) }

// Say prints one line in the command's language to stdout.
func (e *Env) Say(zh, en string, args ...any) { fmt.Fprintln(e.Stdout, e.Tf(zh, en, args...)) }

// Warn prints one line in the command's language to stderr.
func (e *Env) Warn(zh, en string, args ...any) { fmt.Fprintln(e.Stderr, e.Tf(zh, en, args...)) }

func (e *Env) lang() string {
	if e.Lang == "" {
		getenv := e.Getenv
		if getenv == nil {
			getenv = func(string) string { return "" }
		}
		e.Lang = localeLang(getenv)
	}
	return e.Lang
}

// Text shows a core text written as "中文 / English" in the command's
// language: the part before the first " / " in Chinese, the rest in
// English. Texts without the separator show as they are.
func (e *Env) Text(s string) string {
	zh, en, ok := strings.Cut(s, " / ")
	if !ok {
		return s
	}
	return e.T(zh, en)
}

// Of shows a core text in the command's language.
func (e *Env) Of(t text.T) string { return t.String(e.lang()) }

// Err shows err in the command's language: its core/text when it has one,
// else its message read as "中文 / English".
func (e *Env) Err(err error) string {
	t := text.Of(err)
	if t.Zh == t.En {
		return e.Text(t.Zh)
	}
	return t.String(e.lang())
}
