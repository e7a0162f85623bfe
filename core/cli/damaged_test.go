package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"

	bolt "go.etcd.io/bbolt"
)

// stateWithBackup writes a state file holding names and opens it once more
// for writing, so a last-good copy (state.db.good-1) exists.
func stateWithBackup(t *testing.T, names ...string) (string, []store.Project) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var ps []store.Project
	for _, n := range names {
		p, err := s.CreateProject(n)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	s.Close()
	if s, err = store.Open(path, store.Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path + ".good-1"); err != nil {
		t.Fatal(err)
	}
	return path, ps
}

// cutShort truncates the state file to n bytes (as a stopped copy would)
// and makes sure the store finds it damaged.
func cutShort(t *testing.T, path string, n int) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:n], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(path, store.Options{ReadOnly: true}); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("cut to %d of %d bytes: %v, want ErrDamaged", n, len(data), err)
	}
	return data[:n]
}

func TestDamagedStateFileAdvisesRestore(t *testing.T) {
	path, _ := stateWithBackup(t, "甲公司", "乙公司")
	withContacts(t, map[string]*contacts.Directory{"x.xlsx": sample.Company(5, 2)})
	cut := cutShort(t, path, 5000)
	for _, c := range []struct {
		lang string
		want []string
		not  string
	}{
		{"zh", []string{"已损坏", path + ".good-1", "exmail-upgrade status --state " + path + " --restore-backup", "保留为"}, "is damaged"},
		{"en", []string{"is damaged", path + ".good-1", "exmail-upgrade status --state " + path + " --restore-backup", "kept as"}, "已损坏"},
	} {
		for _, cmd := range [][]string{
			{"status", "--state", path},
			{"report", "--state", path, "-o", filepath.Join(t.TempDir(), "r.xlsx")},
			{"migrate", "--state", path, "--contacts", "x.xlsx", "--method", "new", "--target", "sim", "--company", "甲公司", "--confirm", "甲公司"},
		} {
			code, out, errs := runCLI(t, nil, append(cmd, "--lang", c.lang)...)
			if code != ExitUsage {
				t.Fatalf("%s %s: exit %d, want 2\n%s%s", c.lang, cmd[0], code, out, errs)
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("%s %s: message lacks %q:\n%s", c.lang, cmd[0], w, errs)
				}
			}
			if strings.Contains(errs, c.not) {
				t.Errorf("%s %s: message mixes languages:\n%s", c.lang, cmd[0], errs)
			}
		}
	}
	if got, _ := os.ReadFile(path); len(got) != len(cut) {
		t.Fatalf("the damaged file was changed: %d bytes, was %d", len(got), len(cut))
	}

	code, out, errs := runCLI(t, nil, "status", "--state", path, "--restore-backup", "--lang", "en")
	if code != ExitOK {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errs)
	}
	for _, w := range []string{"restored the state file", "good-1", "kept as", "甲公司", "乙公司"} {
		if !strings.Contains(out, w) {
			t.Errorf("restore output lacks %q:\n%s", w, out)
		}
	}
	asides, _ := filepath.Glob(path + ".damaged-*")
	if len(asides) != 1 {
		t.Fatalf("damaged copies kept: %v", asides)
	}
	if got, _ := os.ReadFile(asides[0]); string(got) != string(cut) {
		t.Fatalf("the damaged file was not kept as it was")
	}
	// A good state file is never replaced by an older copy.
	if code, _, errs := runCLI(t, nil, "status", "--state", path, "--restore-backup", "--lang", "en"); code != ExitUsage || !strings.Contains(errs, "nothing to restore") {
		t.Fatalf("restore over a good file: exit %d %s", code, errs)
	}
}

func TestDamagedStateFileWithoutBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := store.Open(path, store.Options{NoSync: true, NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	s.CreateProject("甲公司")
	s.Close()
	cutShort(t, path, 5000)
	code, _, errs := runCLI(t, nil, "status", "--state", path, "--lang", "zh")
	if code != ExitUsage || !strings.Contains(errs, "没有可用的正常副本") || !strings.Contains(errs, path+".damaged") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if code, _, errs := runCLI(t, nil, "status", "--state", path, "--restore-backup", "--lang", "en"); code != ExitUsage || !strings.Contains(errs, "no good copy") {
		t.Fatalf("restore without a copy: exit %d %s", code, errs)
	}
}

func TestStatusListsDamagedProjectRecords(t *testing.T) {
	path, ps := stateWithBackup(t, "甲公司", "乙公司", "丙公司")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := store.ProjectBucket(tx, ps[1].ID)
		if err != nil {
			return err
		}
		return b.Put([]byte("project"), []byte(`{"id":"`+ps[1].ID+`","name":`)) // cut JSON
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, nil, "status", "--state", path, "--lang", "en")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "⚠ 1 project record(s) could not be read") || !strings.Contains(out, ps[1].ID) {
		t.Errorf("no warning line for the damaged record:\n%s", out)
	}
	if !strings.Contains(out, "甲公司") || !strings.Contains(out, "丙公司") || strings.Contains(out, "乙公司") {
		t.Errorf("the readable projects are not listed as usual:\n%s", out)
	}
	code, out, _ = runCLI(t, nil, "status", "--state", path, "--format", "json")
	var doc struct {
		Projects []struct{ Name string } `json:"projects"`
		Damaged  []store.DamagedProject  `json:"damaged_records"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != ExitOK {
		t.Fatalf("json exit %d: %v\n%s", code, err, out)
	}
	if len(doc.Projects) != 2 || len(doc.Damaged) != 1 || doc.Damaged[0].ID != ps[1].ID || doc.Damaged[0].Reason == "" {
		t.Fatalf("json %+v", doc)
	}
}
