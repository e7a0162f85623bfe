package sheet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"exmail-upgrade/core/text"
)

// TestUnreadableSaysOneLanguage: an unreadable file's error and its
// file_unreadable problem each hold a whole Chinese and a whole English
// text (the code's base message, then the reason), so front ends show one.
func TestUnreadableSaysOneLanguage(t *testing.T) {
	dir := t.TempDir()
	xls := filepath.Join(dir, "旧表.xls")
	os.WriteFile(xls, append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), 0o644)
	_, err := Read(xls, Options{})
	var u *UnreadableError
	if !errors.As(err, &u) {
		t.Fatalf("want an UnreadableError, got %v", err)
	}
	tx := text.Of(err)
	if !strings.HasPrefix(tx.Zh, "无法读取 旧表.xls：") || !strings.Contains(tx.Zh, "另存为") || !strings.HasPrefix(tx.En, "cannot read 旧表.xls: ") || strings.Contains(tx.En, "另存为") {
		t.Errorf("error text: %q | %q", tx.Zh, tx.En)
	}
	p := u.Problem()
	pt := p.Text()
	if !strings.HasPrefix(pt.Zh, "无法读取文件：") || !strings.HasPrefix(pt.En, "the file cannot be read: ") || strings.Contains(pt.En, "另存为") || !strings.Contains(pt.Zh, "另存为") {
		t.Errorf("problem text: %q | %q", pt.Zh, pt.En)
	}
	if pt.Joined() != p.Message {
		t.Errorf("message %q is not the joined text", p.Message)
	}
}
