package sheet

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"exmail-upgrade/core/sample"
)

// progressSheet builds a workbook of n members (names in shared strings,
// departments inline) with a <dimension ref> when dim is set.
func progressSheet(t testing.TB, n int, dim bool) []byte {
	t.Helper()
	var sh, sst strings.Builder
	sh.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	if dim {
		fmt.Fprintf(&sh, `<dimension ref="A1:C%d"/>`, n+1)
	}
	sh.WriteString(`<sheetData><row r="1">` + inl("A1", "姓名") + inl("B1", "部门") + inl("C1", "手机") + `</row>`)
	fmt.Fprintf(&sst, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d">`, n)
	for i := 0; i < n; i++ {
		r := i + 2
		fmt.Fprintf(&sh, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c>%s<c r="C%d"><v>%d</v></c></row>`, r, r, i, inl(fmt.Sprintf("B%d", r), "研发"), r, 13800000000+i)
		fmt.Fprintf(&sst, `<si><t>成员%d</t></si>`, i)
	}
	sh.WriteString(sheetTail)
	sst.WriteString(`</sst>`)
	return pkgParts(t, sh.String(), sst.String(), zip.Deflate)
}

// progressLog records the reports of a read and checks them as they come.
type progressLog struct {
	t       *testing.T
	reports []Progress
}

func (l *progressLog) add(p Progress) {
	if n := len(l.reports); n > 0 {
		last := l.reports[n-1]
		if last.Done {
			l.t.Errorf("report %+v after the last one", p)
		}
		if p.Rows < last.Rows || p.Bytes < last.Bytes && !p.Done {
			l.t.Errorf("progress went back: %+v after %+v", p, last)
		}
	}
	if p.Size > 0 && p.Bytes > p.Size {
		l.t.Errorf("%d bytes read of %d", p.Bytes, p.Size)
	}
	if f := p.Fraction(); f < 0 || f > 1 {
		l.t.Errorf("fraction %v", f)
	}
	l.reports = append(l.reports, p)
}

// Progress counts up to the rows read and ends with one report Done whose
// total is the row count; the total is known at once from an .xlsx's
// dimension, and otherwise the bytes read of the sheet tell how far.
func TestReadProgress(t *testing.T) {
	const n = 5000
	csvPath := filepath.Join(t.TempDir(), "表.csv")
	if err := WriteCSVFile(csvPath, sample.Company(n, 1)); err != nil {
		t.Fatal(err)
	}
	csvData := mustFile(t, csvPath)
	cases := []struct {
		name      string
		data      []byte
		wantTotal bool // the total is known before the end
	}{
		{"dimension.xlsx", progressSheet(t, n, true), true},
		{"no-dimension.xlsx", progressSheet(t, n, false), false},
		{"表.csv", csvData, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log := &progressLog{t: t}
			res, err := ReadFrom(bytes.NewReader(c.data), int64(len(c.data)), c.name, Options{Progress: log.add})
			if err != nil {
				t.Fatal(err)
			}
			rs := log.reports
			if len(rs) < n/progressEvery+2 {
				t.Fatalf("%d reports for %d rows", len(rs), n)
			}
			last := rs[len(rs)-1]
			if !last.Done || last.Rows != len(res.Dir.Members) || last.Total != last.Rows || len(res.Dir.Members) != n {
				t.Fatalf("last report %+v, %d members", last, len(res.Dir.Members))
			}
			first := rs[0]
			if c.wantTotal && first.Total != n {
				t.Errorf("first report %+v: want the total %d from the dimension", first, n)
			}
			if !c.wantTotal && first.Total != 0 {
				t.Errorf("first report %+v: no total is known", first)
			}
			mid := rs[len(rs)/2]
			if mid.Rows == 0 || mid.Rows >= n || mid.Size == 0 || mid.Bytes == 0 || mid.Bytes >= mid.Size {
				t.Errorf("report half way %+v", mid)
			}
			if f := mid.Fraction(); f <= 0.1 || f >= 0.95 {
				t.Errorf("half way the fraction is %.2f (%+v)", f, mid)
			}
		})
	}
}

// A cancelled read stops within a few thousand rows of the cancel with an
// error that says so (not a file_unreadable one); so does one cancelled
// before it starts or while the shared strings load.
func TestReadCancel(t *testing.T) {
	const n = 100000
	data := progressSheet(t, n, true)
	csvPath := filepath.Join(t.TempDir(), "表.csv")
	if err := WriteCSVFile(csvPath, sample.Company(n, 1)); err != nil {
		t.Fatal(err)
	}
	csvData := mustFile(t, csvPath)
	for _, c := range []struct {
		name string
		data []byte
	}{{"表.xlsx", data}, {"表.csv", csvData}} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			at, last := 0, 0
			_, err := ReadFrom(bytes.NewReader(c.data), int64(len(c.data)), c.name, Options{Context: ctx,
				Progress: func(p Progress) {
					last = p.Rows
					if p.Rows >= 10000 && at == 0 {
						at = p.Rows
						cancel()
					}
				}})
			if !errors.Is(err, context.Canceled) || IsUnreadable(err) || !strings.Contains(err.Error(), c.name) {
				t.Fatalf("cancelled read: %v", err)
			}
			if at == 0 || last > at+2*progressEvery {
				t.Fatalf("cancelled at row %d, still read to row %d", at, last)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadFrom(bytes.NewReader(data), int64(len(data)), "表.xlsx", Options{Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Fatalf("read cancelled before it started: %v", err)
	}
	// shared strings: the context is looked at while they load
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := openFastXLSX(ctx, bytes.NewReader(data), int64(len(data)), 1<<30, "表.xlsx"); !errors.Is(err, context.Canceled) {
		t.Fatalf("shared strings cancelled: %v", err)
	}
}

// FirstRows receives the header's result and the first rows as soon as
// they are read, before the rest; a short sheet gets them at its end.
func TestReadFirstRows(t *testing.T) {
	const n = 5000
	data := progressSheet(t, n, true)
	for _, k := range []int{0, 50, 2 * n} {
		var first *Result
		calls, rowsAtFirst := 0, -1
		seen := 0
		res, err := ReadFrom(bytes.NewReader(data), int64(len(data)), "表.xlsx", Options{FirstRowsCount: k,
			Progress: func(p Progress) { seen = p.Rows },
			FirstRows: func(r *Result) {
				calls++
				first, rowsAtFirst = r, seen
			}})
		if err != nil {
			t.Fatal(err)
		}
		want := k
		if want == 0 {
			want = DefaultFirstRows
		}
		want = min(want, n)
		if calls != 1 || len(first.Dir.Members) != want {
			t.Fatalf("k=%d: %d calls, %d rows", k, calls, len(first.Dir.Members))
		}
		if want < n && rowsAtFirst >= progressEvery {
			t.Errorf("k=%d: the first rows came after %d rows were reported read", k, rowsAtFirst)
		}
		if !reflect.DeepEqual(first.Dir.Members, res.Dir.Members[:want]) {
			t.Errorf("k=%d: first rows differ from the result's", k)
		}
		if first.Layout != res.Layout || first.HeaderRow != res.HeaderRow || !reflect.DeepEqual(first.ValidationOptions(), res.ValidationOptions()) {
			t.Errorf("k=%d: first rows' header %v/%d, result's %v/%d", k, first.Layout, first.HeaderRow, res.Layout, res.HeaderRow)
		}
		// the result read on is not the one handed out
		first.Dir.Members[0].Name = "改"
		if res.Dir.Members[0].Name == "改" {
			t.Fatalf("first rows share members with the result")
		}
	}
	// no header: no first rows
	called := false
	csv := []byte("a,b\n1,2\n")
	if _, err := ReadFrom(bytes.NewReader(csv), int64(len(csv)), "x.csv", Options{FirstRows: func(*Result) { called = true }}); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Errorf("first rows of a sheet without header")
	}
}

func mustFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
