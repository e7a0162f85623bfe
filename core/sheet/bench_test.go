package sheet

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
