// Package i18n gives the GUI its texts in Chinese (the default for zh
// locales) or English (otherwise), switchable while the app runs.
//
// The catalogues live in assets/i18n/{zh,en}.json. They are also handed to
// Fyne's lang package, so the system locale picks the default the way Fyne
// does; our own lookup keeps the choice switchable at run time, which lang
// cannot do on every platform.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"exmail-upgrade/core/text"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"exmail-upgrade/assets"
)

// Supported languages.
const (
	Chinese = "zh"
	English = "en"
)

var (
	mu       sync.RWMutex
	catalogs map[string]map[string]string
	current  = Chinese
	loadErr  error
	loadOnce sync.Once
)

// Catalogues parses the embedded translation files, keyed by language.
func Catalogues() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	files, err := fs.Glob(assets.Translations, "i18n/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := assets.Translations.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		out[strings.TrimSuffix(path.Base(f), ".json")] = m
	}
	return out, nil
}

func load() {
	loadOnce.Do(func() {
		catalogs, loadErr = Catalogues()
		if loadErr != nil {
			fyne.LogError("load translations", loadErr)
			return
		}
		for l := range catalogs {
			data, _ := assets.Translations.ReadFile("i18n/" + l + ".json")
			_ = lang.AddTranslationsForLocale(data, fyne.Locale(l))
		}
	})
}

// SystemDefault returns Chinese for any zh locale, English otherwise.
func SystemDefault() string {
	if strings.HasPrefix(strings.ToLower(string(lang.SystemLocale())), "zh") {
		return Chinese
	}
	return English
}

// SetLanguage switches the language of every later T call. Unknown
// languages fall back to English.
func SetLanguage(l string) {
	load()
	mu.Lock()
	defer mu.Unlock()
	if _, ok := catalogs[l]; !ok {
		l = English
	}
	current = l
	syncFyne(l)
}

// fyneTexts are Fyne's own texts (dialog buttons, file chooser, entry
// menu) in our two languages, keyed as fyne.io/fyne/v2/lang keys them.
//
//go:embed fyne/*.json
var fyneTexts embed.FS

// fyneLocales are the locales whose Fyne texts are replaced by ours.
// Fyne's lang package picks the translation closest to the system locale
// and offers no way to choose another; writing ours under the system
// locale itself (an exact match wins) and under English (Fyne's fallback
// when nothing matches) makes whichever Fyne picks say what the app says.
func fyneLocales() []fyne.Locale {
	sys := lang.SystemLocale()
	if sys == "" || sys == "en" {
		return []fyne.Locale{"en"}
	}
	return []fyne.Locale{sys, "en"}
}

// syncFyne makes Fyne's own texts follow language l.
func syncFyne(l string) {
	data, err := fyneTexts.ReadFile("fyne/" + l + ".json")
	if err != nil {
		fyne.LogError("Fyne texts for "+l, err)
		return
	}
	for _, loc := range fyneLocales() {
		if err := lang.AddTranslationsForLocale(data, loc); err != nil {
			fyne.LogError("Fyne texts for "+l, err)
			return
		}
	}
}

// Language returns the current language.
func Language() string {
	mu.RLock()
	defer mu.RUnlock()
	return current
}

// T returns the text for key in the current language; a key missing there
// falls back to the other language, then to the key itself (visible, so a
// test or a user notices).
func T(key string) string {
	load()
	mu.RLock()
	defer mu.RUnlock()
	if s, ok := catalogs[current][key]; ok {
		return s
	}
	for _, l := range []string{English, Chinese} {
		if s, ok := catalogs[l][key]; ok {
			return s
		}
	}
	return key
}

// Tf formats the text for key with fmt verbs.
func Tf(key string, args ...any) string { return fmt.Sprintf(T(key), args...) }

// Text shows a core text in the current language.
func Text(t text.T) string { return Pick(t.Zh, t.En) }

// Pick returns zh or en according to the current language; for texts that
// come from core as a pair (messages, explanations).
func Pick(zh, en string) string {
	if Language() == Chinese || en == "" {
		return zh
	}
	return en
}

// MissingKeys lists keys present in one catalogue and absent from another,
// as "lang: key" lines, sorted.
func MissingKeys(cats map[string]map[string]string) []string {
	var out []string
	for l, m := range cats {
		for other, om := range cats {
			if other == l {
				continue
			}
			for k := range m {
				if _, ok := om[k]; !ok {
					out = append(out, other+": "+k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
