package gui

import (
	"bytes"
	"image"
	"image/draw"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func renderText(t *testing.T, s string) image.Image {
	t.Helper()
	app := test.NewTempApp(t)
	app.Settings().SetTheme(Theme{})
	txt := canvas.NewText(s, nil)
	txt.TextSize = 32
	w := test.NewTempWindow(t, txt)
	w.Resize(fyne.NewSize(200, 60))
	img := w.Canvas().Capture()
	cp := image.NewRGBA(img.Bounds())
	draw.Draw(cp, cp.Bounds(), img, image.Point{}, draw.Src)
	return cp
}

// The rendered image of 升级 must differ from the image of two characters
// the font lacks (drawn as missing-glyph boxes), and from an empty string.
func TestChineseRendersRealGlyphs(t *testing.T) {
	real := renderText(t, "升级").(*image.RGBA)
	boxes := renderText(t, "\U0010FFFD\U0010FFFD").(*image.RGBA)
	empty := renderText(t, "").(*image.RGBA)
	if bytes.Equal(real.Pix, boxes.Pix) {
		t.Fatal("升级 renders exactly like two missing-glyph boxes")
	}
	if bytes.Equal(real.Pix, empty.Pix) {
		t.Fatal("升级 renders nothing")
	}
	// Different characters must give different pictures (not one box shape).
	other := renderText(t, "邮箱").(*image.RGBA)
	if bytes.Equal(real.Pix, other.Pix) {
		t.Fatal("升级 and 邮箱 render the same image")
	}
}

// absentUpstream lists the GBK characters that no face of Noto Sans CJK
// has; they fall back to system fonts where the machine has them.
var absentUpstream = map[rune]bool{'\u2252': true} // ≒

// Every character of GBK (names often use characters outside GB2312, such
// as 喆 堃 玥 珺 昇) must have a glyph in the embedded font.
func TestFontCoversGBK(t *testing.T) {
	f, err := sfnt.Parse(FontResource.Content())
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	dec := simplifiedchinese.GBK.NewDecoder()
	missing, total := 0, 0
	for lead := 0x81; lead <= 0xFE; lead++ {
		for trail := 0x40; trail <= 0xFE; trail++ {
			if trail == 0x7F {
				continue
			}
			out, err := dec.Bytes([]byte{byte(lead), byte(trail)})
			if err != nil || len(out) == 0 {
				continue
			}
			r := []rune(string(out))[0]
			if r == '\uFFFD' || (r >= 0xE000 && r <= 0xF8FF) { // undefined or private use
				continue
			}
			total++
			if absentUpstream[r] {
				continue
			}
			if gi, err := f.GlyphIndex(&buf, r); err != nil || gi == 0 {
				missing++
				if missing <= 10 {
					t.Errorf("no glyph for %q (U+%04X)", r, r)
				}
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d GBK characters have no glyph", missing, total)
	}
	if total < 21000 {
		t.Fatalf("only %d GBK characters checked", total)
	}
	for _, r := range "喆堃玥珺昇ABCabc0123，。：" {
		if gi, err := f.GlyphIndex(&buf, r); err != nil || gi == 0 {
			t.Errorf("no glyph for %q", r)
		}
	}
}
