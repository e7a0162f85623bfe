package cli

import (
	"fmt"
	"os"
	"path/filepath"
)

// samePath reports whether two paths name the same file: equal once made
// absolute and cleaned, or (when both exist) the same file by os.SameFile,
// which also sees through links and case-insensitive file systems.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && filepath.Clean(aa) == filepath.Clean(bb) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// checkOutputs refuses an output that would replace the input or another
// output: it returns the message to print in Chinese and English, or "".
func checkOutputs(input string, outputs ...[2]string) (zh, en string) {
	for i, o := range outputs {
		if o[1] == "" {
			continue
		}
		p := filepath.FromSlash(o[1])
		if samePath(input, o[1]) {
			return fmt.Sprintf("%s 不能写到输入文件 %s 本身，请换一个文件名", o[0], p),
				fmt.Sprintf("%s would replace the input file %s; choose another file name", o[0], p)
		}
		for _, q := range outputs[:i] {
			if q[1] != "" && samePath(q[1], o[1]) {
				return fmt.Sprintf("%s 与 %s 是同一个文件 %s，请换一个文件名", q[0], o[0], p),
					fmt.Sprintf("%s and %s are the same file %s; choose another file name", q[0], o[0], p)
			}
		}
	}
	return "", ""
}
