package gui

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/gui/i18n"
)

// One edit on a 100,000-row sheet in the editor: revalidate, then refresh
// what is visible (cells, problems list, counts). Goal: under 16 ms.
func BenchmarkEditorEdit100k(b *testing.B) {
	a := test.NewTempApp(b)
	ui := New(a, Options{StatePath: filepath.Join(b.TempDir(), "state.db"), Language: i18n.Chinese})
	defer ui.Close()
	ui.Win.Resize(fyne.NewSize(1100, 720))
	d := sample.Company(100000, 1)
	sample.Plant(d, 0.01, 2)
	t := &testing.T{}
	wz := projectAtContacts(t, ui, d)
	cv := wz.contacts
	// The autosaver would write the 100k-row working copy in the middle of
	// the measurement; it is measured by core/store's benchmarks instead.
	close(cv.stopSave)
	cv.stopSave = nil
	view := cv.model.View()
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		row := view[i%1000]
		if _, err := cv.model.Set(row, contacts.FieldPosition, fmt.Sprintf("职位%d", i)); err != nil {
			b.Fatal(err)
		}
		cv.refresh()
	}
}
