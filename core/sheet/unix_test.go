//go:build unix

package sheet

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFIFOIsRefused: a named pipe given as the sheet is refused at once
// instead of blocking the reader for ever.
func TestFIFOIsRefused(t *testing.T) {
	p := tempPath(t, "pipe.csv")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Read(p, Options{})
		done <- err
	}()
	select {
	case err := <-done:
		if !IsUnreadable(err) {
			t.Fatalf("got %v, want file_unreadable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read blocked on a FIFO")
	}
}

// TestWriteFileAtomicMode: the written file has ordinary permissions
// (0644 less the umask), not CreateTemp's 0600, and no temp file is left.
func TestWriteFileAtomicMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.xlsx")
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	if err := WriteFileAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	// a failed write leaves the old file and nothing else
	if err := WriteFileAtomic(p, func(w io.Writer) error { return errors.New("boom") }); err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(p); string(b) != "x" {
		t.Errorf("old file changed: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}
