package sheet

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteFileAtomicHeld: a target held open elsewhere (access denied,
// busy) gets the message to close it in Excel or WPS, naming the file.
func TestWriteFileAtomicHeld(t *testing.T) {
	p := filepath.Join(t.TempDir(), "成员.xlsx")
	defer func() { rename = os.Rename }()
	for _, e := range []error{syscall.EACCES, syscall.EPERM, syscall.EBUSY} {
		rename = func(from, to string) error { return &os.LinkError{Op: "rename", Old: from, New: to, Err: e} }
		err := WriteFileAtomic(p, func(w io.Writer) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "请在 Excel（或 WPS）中关闭该文件后重试") ||
			!strings.Contains(err.Error(), "close the file in Excel (or WPS) and try again") || !strings.Contains(err.Error(), filepath.FromSlash(p)) {
			t.Errorf("%v: %v", e, err)
		}
	}
	rename = func(from, to string) error {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.ENOSPC}
	}
	if err := WriteFileAtomic(p, func(w io.Writer) error { return nil }); err == nil || strings.Contains(err.Error(), "Excel") {
		t.Errorf("disk full: %v", err)
	}
}
