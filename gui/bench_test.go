package gui

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/editor"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/gui/i18n"
)

// One edit on a 100,000-row sheet in the editor: revalidate, then refresh
// what is visible (cells, problems list, counts). Goal: under 16 ms.
func BenchmarkEditorEdit100k(b *testing.B) {
	a := test.NewTempApp(b)
	ui := New(a, Options{StatePath: filepath.Join(b.TempDir(), "state.db"), Language: i18n.Chinese, queueUpdates: true})
	defer ui.Close()
	ui.Win.Resize(fyne.NewSize(1100, 720))
	d := sample.Company(100000, 1)
	sample.Plant(d, 0.01, 2)
	wz := projectAtContacts(b, ui, d)
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

// Opening a 100,000-row working copy: the time until the first rows show
// (the rest loads in the background).
func BenchmarkEditorOpenFirstRows100k(b *testing.B) {
	a := test.NewTempApp(b)
	ui := New(a, Options{StatePath: filepath.Join(b.TempDir(), "state.db"), Language: i18n.Chinese, queueUpdates: true})
	defer ui.Close()
	ui.Win.Resize(fyne.NewSize(1100, 720))
	p, err := ui.Store.CreateProject("大公司")
	if err != nil {
		b.Fatal(err)
	}
	if err := session.SaveWorkingCopy(ui.Store, p.ID, sample.Company(100000, 1)); err != nil {
		b.Fatal(err)
	}
	wz := projectAtContacts(b, ui, nil, p.ID)
	waitIdle := func() { waitForB(b, ui, func() bool { return wz.contacts.loadingRest == 0 }) }
	waitIdle()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wz.showContacts()
		if wz.contacts.loadingRest == 0 {
			b.Fatal("100k rows were loaded before the first rows showed")
		}
		b.StopTimer()
		waitIdle()
		b.StartTimer()
	}
}

func waitForB(b *testing.B, ui *UI, cond func() bool) {
	for ui.Pump(); !cond(); ui.Pump() {
		time.Sleep(10 * time.Millisecond)
	}
}

// Importing a 100,000-row sheet in the editor, from the file to the new
// model shown, next to `check` (sheet.Check) on the same file: the import
// should take at most 1.2× check's time ("ratio").
func BenchmarkImport100k(b *testing.B) {
	d := sample.Company(100000, 1)
	path := filepath.Join(b.TempDir(), "通讯录.xlsx")
	if err := sheet.WriteUploadFile(path, d, contacts.Options{}); err != nil {
		b.Fatal(err)
	}
	a := test.NewTempApp(b)
	ui := New(a, Options{StatePath: filepath.Join(b.TempDir(), "state.db"), Language: i18n.Chinese, queueUpdates: true})
	defer ui.Close()
	wz := projectAtContacts(b, ui, &contacts.Directory{})
	cv := wz.contacts
	close(cv.stopSave) // the autosaver is measured by core/store
	cv.stopSave = nil
	var check time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t0 := time.Now()
		if _, _, err := sheet.Check(path, sheet.Options{}); err != nil {
			b.Fatal(err)
		}
		check += time.Since(t0)
		cv.model = editor.New(&contacts.Directory{}, contacts.Options{})
		runtime.GC()
		b.StartTimer()
		cv.importFile(path)
		waitForB(b, ui, func() bool { return cv.model.Index().Len() == len(d.Members) })
	}
	b.StopTimer()
	b.ReportMetric(check.Seconds()/float64(b.N), "check-s")
	b.ReportMetric(b.Elapsed().Seconds()/check.Seconds(), "ratio")
}
