package editor

import (
	"fmt"
	"reflect"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
)

func small() *contacts.Directory {
	return &contacts.Directory{Members: []contacts.Member{
		{Row: 2, Name: "张三", Account: "zhangsan", Mobile: "13800000001", Departments: []string{"研发部"}},
		{Row: 3, Name: "李四", Account: "lisi", Mobile: "13800000002", Departments: []string{"研发部/后端组"}},
		{Row: 4, Name: "王五", Account: "wangwu", Mobile: " 13800000003", Departments: []string{"市场部"}},
	}}
}

func TestEditUndoRedo(t *testing.T) {
	m := New(small(), contacts.Options{})
	base := m.Index().All()
	steps := []struct {
		name string
		do   func() error
	}{
		{"set duplicate mobile", func() error {
			_, err := m.Set(3, contacts.FieldMobile, "13800000001")
			if m.Index().Counts().Error == 0 {
				t.Fatal("duplicate mobile should be an error")
			}
			return err
		}},
		{"delete row", func() error { _, err := m.Delete(2); return err }},
		{"add row", func() error { _, _, err := m.Add(contacts.Member{Name: "赵六", Mobile: "13800000009"}); return err }},
		{"safe fixes", func() error {
			n, err := m.ApplySafeFixes()
			if n != 1 {
				t.Fatalf("safe fixes changed %d rows, want 1 (the mobile with a space)", n)
			}
			return err
		}},
	}
	var states [][]contacts.Problem
	var dirs []*contacts.Directory
	states = append(states, base)
	d0, _ := m.Snapshot()
	dirs = append(dirs, d0)
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		states = append(states, m.Index().All())
		d, _ := m.Snapshot()
		dirs = append(dirs, d)
	}
	// Undo everything, checking each intermediate state, then redo.
	for i := len(steps) - 1; i >= 0; i-- {
		if _, err := m.Undo(); err != nil {
			t.Fatal(err)
		}
		d, _ := m.Snapshot()
		if !reflect.DeepEqual(d, dirs[i]) || !reflect.DeepEqual(m.Index().All(), states[i]) {
			t.Fatalf("after undoing %q: state differs", steps[i].name)
		}
	}
	if m.CanUndo() {
		t.Fatal("undo history should be empty")
	}
	for i := range steps {
		if _, err := m.Redo(); err != nil {
			t.Fatal(err)
		}
		d, _ := m.Snapshot()
		if !reflect.DeepEqual(d, dirs[i+1]) {
			t.Fatalf("after redoing %q: directory differs", steps[i].name)
		}
	}
	// A new edit clears the redo history.
	m.Undo()
	if _, err := m.Set(3, contacts.FieldPosition, "经理"); err != nil {
		t.Fatal(err)
	}
	if m.CanRedo() {
		t.Fatal("redo should be cleared by a new edit")
	}
}

func TestFilterAndSearch(t *testing.T) {
	m := New(small(), contacts.Options{})
	if got := m.View(); !reflect.DeepEqual(got, []int{2, 3, 4}) {
		t.Fatalf("view %v", got)
	}
	m.Set(3, contacts.FieldMobile, "12")
	m.SetFilter(true, "")
	if got := m.View(); !reflect.DeepEqual(got, []int{3}) {
		t.Fatalf("problem rows %v", got)
	}
	m.SetFilter(false, "后端")
	if got := m.View(); !reflect.DeepEqual(got, []int{3}) {
		t.Fatalf("search 后端: %v", got)
	}
	m.SetFilter(false, "WANGWU")
	if got := m.View(); !reflect.DeepEqual(got, []int{4}) {
		t.Fatalf("case-folded search: %v", got)
	}
	p, ok := m.CellProblem(3, contacts.FieldMobile)
	if !ok || p.Code != "mobile_invalid" || p.Severity != contacts.SeverityError {
		t.Fatalf("cell problem %+v %v", p, ok)
	}
	if issues := m.Issues(); len(issues) == 0 || issues[0].Severity != contacts.SeverityError {
		t.Fatalf("issues %+v", issues)
	}
}

func TestReadOnlyAndDirty(t *testing.T) {
	m := New(small(), contacts.Options{})
	if dirty, _ := m.Dirty(); dirty {
		t.Fatal("new model is dirty")
	}
	m.Set(2, contacts.FieldName, "张叁")
	dirty, v := m.Dirty()
	if !dirty {
		t.Fatal("edit did not make the model dirty")
	}
	m.Saved(v)
	if dirty, _ := m.Dirty(); dirty {
		t.Fatal("still dirty after save")
	}
	m.SetReadOnly(true)
	if _, err := m.Set(2, contacts.FieldName, "x"); err != ErrReadOnly {
		t.Fatalf("edit while read-only: %v", err)
	}
	if _, err := m.Undo(); err != ErrReadOnly {
		t.Fatalf("undo while read-only: %v", err)
	}
}

// One edit on a 100,000-row sheet: revalidate and recompute the view.
func BenchmarkEdit100k(b *testing.B) {
	d := sample.Company(100000, 1)
	m := New(d, contacts.Options{})
	rows := m.View()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		row := rows[i%len(rows)]
		v := "1390000" + string(rune('0'+i%10)) + "000"
		if _, err := m.Set(row, contacts.FieldMobile, v); err != nil {
			b.Fatal(err)
		}
		_ = m.View()
	}
}

// The incrementally kept problems list must equal a full revalidation after
// any sequence of edits.
func TestIssuesMatchFullScan(t *testing.T) {
	d := sample.Company(300, 3)
	sample.Plant(d, 0.05, 4)
	m := New(d, contacts.Options{})
	full := func() []contacts.Problem {
		var out []contacts.Problem
		for _, p := range m.Index().All() {
			if p.Severity != contacts.SeverityFixed {
				out = append(out, p)
			}
		}
		return out
	}
	check := func(step string) {
		got := map[string]int{}
		for _, p := range m.Issues() {
			got[string(p.Code)+"@"+itoa(p.Row)]++
		}
		want := map[string]int{}
		for _, p := range full() {
			want[string(p.Code)+"@"+itoa(p.Row)]++
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: incremental issues differ from a full scan\n got %v\nwant %v", step, got, want)
		}
	}
	check("start")
	rows := m.View()
	m.Set(rows[1], contacts.FieldMobile, d.Members[0].Mobile)
	check("duplicate mobile")
	m.Delete(rows[0])
	check("delete")
	m.Undo()
	check("undo delete")
	m.Add(contacts.Member{Name: "新人"})
	check("add")
	m.ApplySafeFixes()
	check("safe fixes")
	m.Undo()
	m.Undo()
	check("undo twice")
}

func itoa(i int) string { return fmt.Sprint(i) }
