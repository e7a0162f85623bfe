package gui

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"exmail-upgrade/gui/i18n"
)

// phoneGet fetches the page as a phone that states no language.
func phoneGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The language switch keeps the code and puts the phone page's first
// language in step; "new QR code" renews the code on the same listener and
// the old link says it was replaced.
func TestQRLanguageSwitchAndRenewKeepTheListener(t *testing.T) {
	ui := newTestUI(t)
	defer i18n.SetLanguage(i18n.Chinese)
	must(t, ui.openDemo("qr"))
	first := shownURL(ui)
	if first == "" {
		t.Fatal("no URL on the QR screen")
	}
	if code, page := phoneGet(t, first); code != 200 || strings.Index(page, "此链接在") > strings.Index(page, "This link expires at") {
		t.Fatalf("the page does not put Chinese first: %d\n%s", code, pageLead(page))
	}

	ui.SetLanguage(i18n.English)
	if got := shownURL(ui); got != first {
		t.Fatalf("the language switch changed the code: %s → %s", first, got)
	}
	if _, page := phoneGet(t, first); !strings.Contains(page, "This link expires at") || strings.Index(page, "This link expires at") > strings.Index(page, "此链接在") {
		t.Fatalf("the page does not put English first after the switch:\n%s", pageLead(page))
	}

	test.Tap(findButton(t, ui.Win.Content(), "New QR code"))
	renewed := shownURL(ui)
	a, _ := url.Parse(first)
	b, _ := url.Parse(renewed)
	if renewed == first || a.Host != b.Host {
		t.Fatalf("renew: %s → %s, want a new code on the same listener", first, renewed)
	}
	if code, _ := phoneGet(t, first); code != http.StatusGone {
		t.Fatalf("old link after renew: %d, want 410", code)
	}
	if code, _ := phoneGet(t, renewed); code != 200 {
		t.Fatalf("new link: %d", code)
	}
}

// pageLead is the start of a page's text, for failure messages.
func pageLead(page string) string {
	if i := strings.Index(page, "<body"); i >= 0 {
		page = page[i:]
	}
	if len(page) > 600 {
		page = page[:600]
	}
	return page
}
