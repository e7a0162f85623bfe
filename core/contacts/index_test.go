package contacts_test

import (
	"fmt"
	"reflect"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
)

func codesAt(ps []contacts.Problem) map[int]map[contacts.Code]contacts.Severity {
	out := map[int]map[contacts.Code]contacts.Severity{}
	for _, p := range ps {
		if out[p.Row] == nil {
			out[p.Row] = map[contacts.Code]contacts.Severity{}
		}
		out[p.Row][p.Code] = p.Severity
	}
	return out
}

func TestValidateFindsEveryPlanted(t *testing.T) {
	d := sample.Company(3000, 11)
	opts := contacts.Options{Domains: []string{"example.com"}}
	if ps := contacts.Validate(d, opts); len(ps) != 0 {
		t.Fatalf("clean company has %d problems, first %+v", len(ps), ps[0])
	}
	planted := sample.Plant(d, 0.03, 5)
	ps := contacts.Validate(d, opts)
	at := codesAt(ps)
	plantedRows := map[int]bool{}
	for _, p := range planted {
		plantedRows[p.Row] = true
		if sev, ok := at[p.Row][p.Code]; !ok || sev != p.Severity {
			t.Errorf("planted %+v not found (row has %v)", p, at[p.Row])
		}
	}
	for _, p := range ps {
		if !plantedRows[p.Row] {
			t.Errorf("false problem on clean row: %+v", p)
		}
		if p.Code == contacts.CodeMobileDuplicate && len(p.Related) == 0 {
			t.Errorf("duplicate without related rows: %+v", p)
		}
	}
	// Fix: afterwards only the unfixable planted errors remain, no fixes.
	fixes := contacts.Fix(d, opts)
	if !reflect.DeepEqual(codesAt(fixes), at) {
		t.Error("Fix reported other problems than Validate")
	}
	after := codesAt(contacts.Validate(d, opts))
	for _, p := range planted {
		_, still := after[p.Row][p.Code]
		if (p.Severity == contacts.SeverityFixed) == still {
			t.Errorf("after Fix, planted %+v still there = %v", p, still)
		}
	}
}

func TestIndexEdits(t *testing.T) {
	d := sample.Company(50, 1)
	x := contacts.NewIndex(d, contacts.Options{})
	if c := x.Counts(); c != (contacts.Counts{}) {
		t.Fatalf("clean counts %+v", c)
	}
	r2, r3 := d.Members[0].Row, d.Members[1].Row
	// make row 3 share row 2's mobile: both rows change
	ch, err := x.Set(r3, contacts.FieldMobile, d.Members[0].Mobile)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 2 || ch[0].Row != r2 || ch[1].Row != r3 || len(ch[0].Problems) != 1 ||
		ch[0].Problems[0].Code != contacts.CodeMobileDuplicate || ch[0].Problems[0].Related[0] != r3 {
		t.Fatalf("changes %+v", ch)
	}
	if c := x.Counts(); c.Error != 2 {
		t.Fatalf("counts %+v", c)
	}
	// a third row joins the group, then the edited row leaves it
	r4 := d.Members[2].Row
	if ch, _ = x.Set(r4, contacts.FieldMobile, "+86 "+d.Members[0].Mobile); len(ch) != 3 {
		t.Fatalf("join: %+v", ch)
	}
	if c := x.Counts(); c.Error != 3 || c.Fixed != 1 {
		t.Fatalf("counts %+v", c)
	}
	if ch, _ = x.Set(r3, contacts.FieldMobile, "13912345678"); len(ch) != 3 {
		t.Fatalf("leave: %+v", ch)
	}
	if c := x.Counts(); c.Error != 2 {
		t.Fatalf("counts %+v", c)
	}
	// delete one of the pair: the other is clean again
	if ch, _ = x.Delete(r2); len(ch) != 2 || len(ch[0].Problems) != 0 || len(ch[1].Problems) != 1 {
		t.Fatalf("delete: %+v", ch)
	}
	if c := x.Counts(); c.Error != 0 || c.Fixed != 1 || x.Len() != 49 {
		t.Fatalf("counts %+v len %d", c, x.Len())
	}
	// add a row with a missing name and a duplicate account
	row, ch := x.Add(contacts.Member{Account: d.Members[5].Account, Mobile: "13700000001"})
	if row != d.Members[49].Row+1 || len(ch) != 2 {
		t.Fatalf("add row %d: %+v", row, ch)
	}
	if c := x.Counts(); c.Error != 3 {
		t.Fatalf("counts %+v", c)
	}
	if _, err := x.Set(9999, contacts.FieldName, "x"); err == nil {
		t.Error("unknown row accepted")
	}
	if _, err := x.Set(row, contacts.Field("nope"), "x"); err == nil {
		t.Error("unknown field accepted")
	}
	// the incremental state equals a fresh validation of the same rows
	fresh := contacts.NewIndex(x.Directory(), contacts.Options{})
	if !reflect.DeepEqual(fresh.All(), x.All()) || fresh.Counts() != x.Counts() {
		t.Errorf("incremental index diverged:\n%+v\n%+v", fresh.All(), x.All())
	}
}

func TestIndexMatchesFreshAfterRandomEdits(t *testing.T) {
	d := sample.Company(300, 2)
	sample.Plant(d, 0.1, 3)
	x := contacts.NewIndex(d, contacts.Options{Domains: []string{"example.com"}})
	rows := x.Rows()
	vals := []string{"", "13800000000", "zhangwei", "zhangwei@example.com", "ZHANGWEI", "+86 13800000000", "bad value!"}
	fields := []contacts.Field{contacts.FieldMobile, contacts.FieldAccount, contacts.FieldBizMail, contacts.FieldEmail, contacts.FieldName}
	for i := 0; i < 400; i++ {
		row := rows[(i*37)%len(rows)]
		if _, _, ok := x.Member(row); !ok {
			continue // deleted below
		}
		if _, err := x.Set(row, fields[i%len(fields)], vals[(i*7)%len(vals)]); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			if _, err := x.Delete(row); err != nil {
				t.Fatal(err)
			}
		}
	}
	fresh := contacts.NewIndex(x.Directory(), contacts.Options{Domains: []string{"example.com"}})
	if !reflect.DeepEqual(fresh.All(), x.All()) || fresh.Counts() != x.Counts() {
		t.Error("incremental index diverged from a fresh one")
	}
	if got := contacts.Count(x.All()); got != x.Counts() {
		t.Errorf("counts %+v vs tally %+v", x.Counts(), got)
	}
}

func BenchmarkIndexEdit(b *testing.B) {
	d := sample.Company(100000, 1)
	x := contacts.NewIndex(d, contacts.Options{Domains: []string{"example.com"}})
	rows := x.Rows()
	b.ReportAllocs()
	b.ResetTimer()
	// Each edit either copies another row's mobile (joining its duplicate
	// group) or types a fresh number (leaving it), as a user fixing rows does.
	for i := 0; i < b.N; i++ {
		row := rows[(i*7919)%len(rows)]
		v := fmt.Sprintf("139%08d", i%100000000)
		if i%2 == 0 {
			v = d.Members[(i*104729)%len(rows)].Mobile
		}
		if _, err := x.Set(row, contacts.FieldMobile, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate100k(b *testing.B) {
	d := sample.Company(100000, 1)
	sample.Plant(d, 0.01, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		contacts.Validate(d, contacts.Options{Domains: []string{"example.com"}})
	}
}
