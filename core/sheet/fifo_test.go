//go:build unix

package sheet

import (
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
