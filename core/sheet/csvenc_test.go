package sheet

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCSVMixedEncodings: a GBK file with one row pasted in as UTF-8 reads
// every row right (no 寮犱紵 for 张伟), and writes them back right; lines
// that cannot be decided or decoded are refused by number.
func TestCSVMixedEncodings(t *testing.T) {
	var b bytes.Buffer
	b.Write(gbk(t, "姓名,部门,手机\n李娜,研发中心/后端组,13800000001\n"))
	b.WriteString("张伟,市场部,13800000002\n") // UTF-8
	b.Write(gbk(t, "王芳,财务部,13800000003\n"))
	res, err := ReadFrom(bytes.NewReader(b.Bytes()), int64(b.Len()), "mixed.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Encoding != EncMixed {
		t.Errorf("encoding %q", res.Encoding)
	}
	var names []string
	for _, m := range res.Dir.Members {
		names = append(names, m.Name+"/"+strings.Join(m.Departments, ""))
	}
	if got := strings.Join(names, " "); got != "李娜/研发中心/后端组 张伟/市场部 王芳/财务部" {
		t.Fatalf("members %s", got)
	}
	var out bytes.Buffer
	if err := WriteUpload(&out, res.Dir, res.ValidationOptions()); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFrom(bytes.NewReader(out.Bytes()), int64(out.Len()), "up.xlsx", Options{})
	if err != nil || back.Dir.Members[1].Name != "张伟" {
		t.Fatalf("written back: %v %+v", err, back.Dir.Members)
	}

	// a GBK-only file is still GB18030, as a whole
	g := gbk(t, "姓名,部门\n张伟,市场部\n")
	if res, err := ReadFrom(bytes.NewReader(g), int64(len(g)), "g.csv", Options{}); err != nil || res.Encoding != EncGB18030 || res.Dir.Members[0].Name != "张伟" {
		t.Fatalf("gbk: %v", err)
	}

	refused := []struct {
		name  string
		lines [][]byte
		want  string
	}{
		// GBK 伟 (CE B0) is valid UTF-8 too (ΰ): undecidable
		{"ambiguous", [][]byte{gbk(t, "姓名,部门\n"), []byte("张伟,市场部\n"), gbk(t, "伟,IT\n")}, "第 3 行的编码无法确定"},
		{"broken", [][]byte{gbk(t, "姓名,部门\n"), []byte("张伟,市场部\n"), []byte("\xff\xff,研发\n")}, "第 3 行既不是 UTF-8 也不是 GBK"},
	}
	for _, tc := range refused {
		data := bytes.Join(tc.lines, nil)
		_, err := ReadFrom(bytes.NewReader(data), int64(len(data)), tc.name+".csv", Options{})
		if !IsUnreadable(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
