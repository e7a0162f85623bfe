// Package gui is the Fyne window of the app: the projects list and the
// upgrade wizard's screens. It only shows and forwards: every rule and all
// state live in core/. It receives a fyne.App from main.go, so its tests run
// headless with fyne.io/fyne/v2/test.
package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"exmail-upgrade/assets"
)

// FontResource is the embedded CJK font as a Fyne resource.
var FontResource = fyne.NewStaticResource("NotoSansSC-GBK.otf", assets.FontCJK)

// IconResource is the application icon.
var IconResource = fyne.NewStaticResource("icon.png", assets.IconPNG)

// Theme is the default Fyne theme with the embedded Chinese font for every
// text style, so Chinese renders on machines without any CJK font. Bold and
// italic use the same face (one font keeps the binary small); monospace
// keeps Fyne's font, whose missing glyphs fall back to system fonts.
type Theme struct{}

var _ fyne.Theme = Theme{}

// Color defers to the default theme.
func (Theme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, v)
}

// Font returns the CJK font for all but monospace text.
func (Theme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return theme.DefaultTheme().Font(s)
	}
	return FontResource
}

// Icon defers to the default theme.
func (Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size defers to the default theme.
func (Theme) Size(n fyne.ThemeSizeName) float32 { return theme.DefaultTheme().Size(n) }
