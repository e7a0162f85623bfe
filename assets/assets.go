// Package assets embeds what the app ships inside its binary: the icon, the
// subsetted Chinese font (Noto Sans CJK SC, OFL) and the translations.
package assets

import (
	"embed"
	_ "embed"
)

// IconPNG is the application icon (also named in FyneApp.toml).
//
//go:embed icon.png
var IconPNG []byte

// FontCJK is Noto Sans CJK SC subsetted to every GBK character plus Latin
// and punctuation (see scripts/make-font.py and fonts/OFL.txt).
//
//go:embed fonts/NotoSansSC-GBK.otf
var FontCJK []byte

// Translations holds i18n/zh.json and i18n/en.json: flat maps from message
// key to text. Every key must exist in both files (a test enforces it).
//
//go:embed i18n/*.json
var Translations embed.FS
