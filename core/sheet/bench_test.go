package sheet

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
)

const benchRows = 100000

var benchOnce sync.Once
var benchPath string
var benchErr error

// benchFile writes (once, cached in os.TempDir) an admin-layout workbook of
// 100,000 generated members with 1% planted problems.
func benchFile(b *testing.B) string {
	benchOnce.Do(func() {
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("exmail-upgrade-bench-%d-v1.xlsx", benchRows))
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		d := sample.Company(benchRows, 1)
		sample.Plant(d, 0.01, 1)
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			benchErr = err
			return
		}
		h := make([]any, len(ImportFields))
		for i, fd := range ImportFields {
			h[i] = fd.Header()
		}
		sw.SetRow("A1", h)
		row := make([]any, len(ImportFields))
		for i := range d.Members {
			for j, fd := range ImportFields {
				row[j] = d.Members[i].Get(fd)
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if benchErr = sw.SetRow(cell, row); benchErr != nil {
				return
			}
		}
		if benchErr = sw.Flush(); benchErr != nil {
			return
		}
		tmp := benchPath + ".tmp.xlsx"
		if benchErr = f.SaveAs(tmp); benchErr == nil {
			benchErr = os.Rename(tmp, benchPath)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// peakHeap samples the heap while f runs and returns the largest in-use
// heap seen (bytes).
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	return peak
}

func BenchmarkCheck100k(b *testing.B) {
	p := benchFile(b)
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		peak = max(peak, peakHeap(func() {
			res, ps, err := Check(p, Options{Domains: []string{"example.com"}})
			if err != nil || len(res.Dir.Members) != benchRows || !contacts.HasErrors(ps) {
				b.Fatalf("check: %v rows %d", err, len(res.Dir.Members))
			}
		}))
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peakMB")
}

func BenchmarkReadOnly100k(b *testing.B) {
	p := benchFile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Read(p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkStreamOnly(b *testing.B) {
	p := benchFile(b)
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		peak = max(peak, peakHeap(func() {
			f, err := excelize.OpenFile(p)
			if err != nil {
				b.Fatal(err)
			}
			rows, err := f.Rows("Sheet1")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if _, err := rows.Columns(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			f.Close()
			if n != benchRows+1 {
				b.Fatalf("rows %d", n)
			}
		}))
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peakMB")
}

// BenchmarkHostile reads the hostile files of TestCorruptWorkbooksAreUnreadable
// and friends at full size: a cell at column XFD on each of 300,000 rows,
// one 10 MB shared string used by 2,000 rows, and 20 MB of commas. Each
// must be answered well within 30 s and 1 GB (see peakMB).
func BenchmarkHostile(b *testing.B) {
	var xfd strings.Builder
	xfd.WriteString(sheetHead + `<row r="1">` + inl("A1", "姓名") + inl("B1", "部门") + inl("C1", "手机") + `</row>`)
	for r := 2; r <= 300001; r++ {
		fmt.Fprintf(&xfd, `<row r="%d">%s%s<c r="C%d"><v>%d</v></c>%s</row>`, r, inl(fmt.Sprintf("A%d", r), "张三"), inl(fmt.Sprintf("B%d", r), "研发"), r, 13800000000+r, inl(fmt.Sprintf("XFD%d", r), "far"))
	}
	xfd.WriteString(sheetTail)
	huge := strings.Repeat("张", 10<<20/3)
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>姓名</t></si><si><t>部门</t></si><si><t>` + huge + `</t></si></sst>`
	var hs strings.Builder
	hs.WriteString(sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`)
	for r := 2; r <= 2001; r++ {
		fmt.Fprintf(&hs, `<row r="%d"><c r="A%d" t="s"><v>2</v></c><c r="B%d" t="s"><v>2</v></c></row>`, r, r, r)
	}
	hs.WriteString(sheetTail)
	files := []struct {
		name string
		data []byte
	}{
		{"xfd.xlsx", pkgParts(b, xfd.String(), "", zip.Deflate)},
		{"sst.xlsx", pkgParts(b, hs.String(), sst, zip.Deflate)},
		{"commas.csv", []byte("姓名,部门\n张三," + strings.Repeat(",", 20<<20) + "\n")},
	}
	for _, f := range files {
		b.Run(f.name, func(b *testing.B) {
			var peak uint64
			for i := 0; i < b.N; i++ {
				peak = max(peak, peakHeap(func() {
					res, err := ReadFrom(bytes.NewReader(f.data), int64(len(f.data)), f.name, Options{})
					if err == nil {
						contacts.Validate(res.Dir, res.ValidationOptions())
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peakMB")
		})
	}
}
