package gui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	bolt "go.etcd.io/bbolt"

	"exmail-upgrade/core/store"
	"exmail-upgrade/gui/i18n"
)

// damagedState writes a state file holding names, opens it once more so a
// last-good copy exists, then cuts the file short as a stopped copy would.
func damagedState(t *testing.T, names ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	for i := 0; i < 2; i++ {
		s, err := store.Open(path, store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			for _, n := range names {
				if _, err := s.CreateProject(n); err != nil {
					t.Fatal(err)
				}
			}
		}
		s.Close()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:5000], 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func openUI(t *testing.T, path, lang string) *UI {
	t.Helper()
	a := test.NewTempApp(t)
	ui := New(a, Options{StatePath: path, Language: lang, queueUpdates: true})
	t.Cleanup(func() {
		ui.Close()
		i18n.SetLanguage(i18n.Chinese)
	})
	ui.Win.Resize(fyne.NewSize(1100, 720))
	return ui
}

// buttonWithPrefix returns the first visible button whose text starts with p.
func buttonWithPrefix(t *testing.T, o fyne.CanvasObject, p string) *widget.Button {
	t.Helper()
	var found *widget.Button
	var all []string
	walk(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Visible() {
			all = append(all, b.Text)
			if strings.HasPrefix(b.Text, p) && found == nil {
				found = b
			}
		}
	})
	if found == nil {
		t.Fatalf("no button starting %q on screen; buttons: %q", p, all)
	}
	return found
}

func TestDamagedStateRecoveryRestoresLastGoodCopy(t *testing.T) {
	path := damagedState(t, "甲公司", "乙公司")
	cut, _ := os.ReadFile(path)
	ui := openUI(t, path, i18n.Chinese)
	if ui.Store != nil {
		t.Fatal("a damaged state file was opened")
	}
	c := ui.Win.Content()
	if l := labels(c); !strings.Contains(l, "状态文件已损坏") || !strings.Contains(l, path) {
		t.Fatalf("no recovery screen:\n%s", l)
	}
	good := store.Backups(path)[0]
	buttonWithPrefix(t, c, "恢复最近的正常副本（"+good.SavedAt.Local().Format("2006-01-02 15:04")+"）")
	buttonWithPrefix(t, c, "移到一旁，从空白开始")

	// The screen follows a language switch.
	ui.SetLanguage(i18n.English)
	buttonWithPrefix(t, ui.Win.Content(), "Restore the last good copy (")
	buttonWithPrefix(t, ui.Win.Content(), "Move it aside and start empty")
	ui.SetLanguage(i18n.Chinese)
	test.Tap(buttonWithPrefix(t, ui.Win.Content(), "恢复最近的正常副本（"))
	if ui.Store == nil {
		t.Fatal("the state was not opened after the restore")
	}
	l := labels(ui.Win.Content())
	for _, want := range []string{"本机上的客户企业", "甲公司", "乙公司"} {
		if !strings.Contains(l, want) {
			t.Errorf("projects list lacks %q after the restore:\n%s", want, l)
		}
	}
	asides, _ := filepath.Glob(path + ".damaged-*")
	if len(asides) != 1 {
		t.Fatalf("damaged file kept as %v", asides)
	}
	if got, _ := os.ReadFile(asides[0]); string(got) != string(cut) {
		t.Fatal("the damaged file was not kept as it was")
	}
}

func TestDamagedStateRecoveryMoveAsideStartsEmpty(t *testing.T) {
	path := damagedState(t, "甲公司")
	ui := openUI(t, path, i18n.English)
	test.Tap(buttonWithPrefix(t, ui.Win.Content(), "Move it aside and start empty"))
	if ui.Store == nil {
		t.Fatal("no state after moving the damaged file aside")
	}
	if l := labels(ui.Win.Content()); !strings.Contains(l, "No projects yet") {
		t.Fatalf("not an empty projects list:\n%s", l)
	}
	if asides, _ := filepath.Glob(path + ".damaged-*"); len(asides) != 1 {
		t.Fatalf("damaged file kept as %v", asides)
	}
}

func TestProjectsListShowsDamagedRecordLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	s.CreateProject("甲公司")
	b, _ := s.CreateProject("乙公司")
	s.CreateProject("丙公司")
	err = s.DB().Update(func(tx *bolt.Tx) error {
		pb, err := store.ProjectBucket(tx, b.ID)
		if err != nil {
			return err
		}
		return pb.Put([]byte("project"), []byte(`{"id":"`+b.ID+`","name":`)) // cut JSON
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	ui := openUI(t, path, i18n.Chinese)
	l := labels(ui.Win.Content())
	if !strings.Contains(l, "有 1 个项目记录无法读取") || !strings.Contains(l, b.ID) || !strings.Contains(l, "其他项目都正常") {
		t.Errorf("no line for the damaged record:\n%s", l)
	}
	if !strings.Contains(l, "甲公司") || !strings.Contains(l, "丙公司") {
		t.Errorf("the readable projects are not listed:\n%s", l)
	}
}

func TestDamagedStateWithoutGoodCopyOffersMoveAsideOnly(t *testing.T) {
	path := damagedState(t, "甲公司")
	// The only copy is damaged too: it is not offered.
	if err := os.WriteFile(path+".good-1", []byte("not a state file"), 0o600); err != nil {
		t.Fatal(err)
	}
	ui := openUI(t, path, i18n.Chinese)
	c := ui.Win.Content()
	if l := labels(c); !strings.Contains(l, "没有可用的正常副本") {
		t.Fatalf("does not say there is no good copy:\n%s", l)
	}
	walk(c, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, "恢复") {
			t.Errorf("offers %q with no good copy", b.Text)
		}
	})
	test.Tap(buttonWithPrefix(t, c, "移到一旁，从空白开始"))
	if ui.Store == nil {
		t.Fatal("no state after moving the damaged file aside")
	}
}

// TestBackupFailureWarnsOnProjects: when the last-good copy cannot be
// written at start, the projects list says so in one line, in the current
// language, and still lists the projects.
func TestBackupFailureWarnsOnProjects(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{i18n.Chinese, "未能保存状态文件的正常副本"},
		{i18n.English, "The last-good copy of the state file could not be saved"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			s, err := store.Open(path, store.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateProject("甲公司"); err != nil {
				t.Fatal(err)
			}
			s.Close()
			// A directory where the copy is first written: writing it fails.
			if err := os.Mkdir(path+".good.tmp", 0o700); err != nil {
				t.Fatal(err)
			}
			ui := openUI(t, path, tc.lang)
			if ui.Store == nil || ui.Store.BackupError() == nil {
				t.Fatal("the test did not make the backup fail")
			}
			l := labels(ui.Win.Content())
			if !strings.Contains(l, tc.want) || !strings.Contains(l, "甲公司") {
				t.Fatalf("projects list lacks the backup warning %q or the project:\n%s", tc.want, l)
			}
		})
	}
	// A clean start shows no warning.
	ui := newTestUI(t)
	if l := labels(ui.Win.Content()); strings.Contains(l, "未能保存状态文件的正常副本") {
		t.Fatalf("warning without a backup failure:\n%s", l)
	}
}
