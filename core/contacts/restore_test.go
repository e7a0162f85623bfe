package contacts

import (
	"reflect"
	"testing"
)

func TestRestoreUndoesDelete(t *testing.T) {
	d := &Directory{Members: []Member{
		{Row: 2, Name: "张三", Account: "zhangsan", Mobile: "13800000001", Departments: []string{"研发部"}},
		{Row: 3, Name: "李四", Account: "lisi", Mobile: "13800000001", Departments: []string{"研发部"}},
		{Row: 4, Name: "王五", Account: "wangwu", Mobile: "13800000003", Departments: []string{"研发部"}},
	}}
	x := NewIndex(d, Options{})
	before := x.All()
	if x.Counts().Error == 0 {
		t.Fatal("duplicate mobile not found")
	}
	raw, _, _ := x.Member(3)
	if _, err := x.Delete(3); err != nil {
		t.Fatal(err)
	}
	if x.Counts().Error != 0 {
		t.Fatalf("duplicate should be gone after delete: %+v", x.All())
	}
	ch, err := x.Restore(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 2 {
		t.Fatalf("restore should change both duplicate rows, got %+v", ch)
	}
	if !reflect.DeepEqual(x.Rows(), []int{2, 3, 4}) {
		t.Fatalf("rows %v", x.Rows())
	}
	if !reflect.DeepEqual(x.All(), before) {
		t.Fatalf("problems differ after restore:\n%+v\n%+v", x.All(), before)
	}
	if _, err := x.Restore(raw); err == nil {
		t.Fatal("restoring a live row must fail")
	}
	if _, err := x.Restore(Member{Row: 99}); err == nil {
		t.Fatal("restoring a never-deleted row must fail")
	}
}
