package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"

	bolt "go.etcd.io/bbolt"
)

// buildState writes a state file with three projects, one of them with a
// contacts copy large enough for branch and overflow pages, and returns its
// bytes. It is opened twice so a last-good copy exists.
func buildState(t testing.TB, path string, members int) []byte {
	t.Helper()
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"甲公司", "乙公司", "丙公司"} {
		p, err := s.CreateProject(name)
		if err != nil {
			t.Fatal(err)
		}
		d := sampleDir()
		if i == 0 {
			d = bigDir(members)
		}
		if err := s.SaveContacts(p.ID, d); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 30; j++ {
			s.AppendAudit(p.ID, AuditEntry{Actor: "u", Action: "note", Details: map[string]string{"n": fmt.Sprint(j)}})
		}
	}
	s.Close()
	s, err = Open(path, Options{NoSync: true}) // clean open: saves the last-good copy
	if err != nil {
		t.Fatal(err)
	}
	if err := s.BackupError(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// exercise reads everything a caller would; it must never panic.
func exercise(t *testing.T, s *Store) {
	t.Helper()
	ps, _, _ := s.ScanProjects()
	for _, p := range ps {
		s.Contacts(p.ID)
		s.Audit(p.ID)
		s.LatestSnapshot(p.ID)
		s.ExportProject(p.ID, io.Discard)
	}
}

func metaOf(t testing.TB, data []byte) boltMeta {
	t.Helper()
	m, err := readMeta(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTruncatedStateFileIsDamagedNotACrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	data := buildState(t, path, 3000)
	m := metaOf(t, data)
	used := int(m.hwm * m.pageSize)
	ps := int(m.pageSize)
	cuts := []int{0, 1, 100, ps - 1, ps, ps + 100, 2 * ps, 3*ps + 7, used / 3, used / 2, used - ps, used - 1}
	for _, n := range cuts {
		if err := os.WriteFile(path, data[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, Options{NoBackup: true})
		if err == nil {
			s.Close()
			t.Errorf("cut at %d of %d bytes: opened without error", n, used)
			continue
		}
		var de *DamagedError
		if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) {
			t.Errorf("cut at %d: %v, want a DamagedError", n, err)
			continue
		}
		if len(de.Backups) == 0 || !strings.Contains(err.Error(), "restore the good copy") || !strings.Contains(err.Error(), "恢复") {
			t.Errorf("cut at %d: error does not offer the backup: %v", n, err)
		}
		if got, _ := os.ReadFile(path); len(got) != n {
			t.Errorf("cut at %d: the damaged file was changed to %d bytes", n, len(got))
		}
	}
	// Read-only opens (status) are checked the same way.
	os.WriteFile(path, data[:used/2], 0o600)
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("read-only open of a cut file: %v", err)
	}
}

func TestGarbageMetaPages(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	data := buildState(t, path, 500)
	ps := int(metaOf(t, data).pageSize)
	garbage := bytes.Repeat([]byte{0xA5, 0x17, 0x00, 0xFF}, ps/4)
	for _, c := range []struct {
		name      string
		pages     []int
		mustBreak bool
	}{
		{"meta 0", []int{0}, false},
		{"meta 1", []int{1}, false},
		{"both", []int{0, 1}, true},
	} {
		bad := append([]byte(nil), data...)
		for _, p := range c.pages {
			copy(bad[p*ps:(p+1)*ps], garbage)
		}
		os.WriteFile(path, bad, 0o600)
		s, err := Open(path, Options{NoBackup: true})
		if err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("%s: %v, want ErrDamaged", c.name, err)
			}
			continue
		}
		if c.mustBreak {
			t.Errorf("%s: opened a file without a valid meta page", c.name)
		}
		exercise(t, s)
		s.Close()
	}
	// A meta whose checksum is right but whose high-water mark lies beyond
	// the file (what a cut file looks like) is refused before bbolt maps it.
	bad := append([]byte(nil), data...)
	for p := 0; p < 2; p++ {
		meta := bad[p*ps+pageHeaderSize : p*ps+pageHeaderSize+metaSize]
		ne.PutUint64(meta[40:], uint64(len(data)/ps+1000))
		resum(meta)
	}
	os.WriteFile(path, bad, 0o600)
	if _, err := Open(path, Options{NoBackup: true}); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("high-water mark past the end: %v", err)
	}
}

func resum(meta []byte) {
	ne.PutUint64(meta[metaSumOffset:], fnvSum(meta[:metaSumOffset]))
}

// TestFlippedBytesNeverCrash damages every data page in turn at offsets
// in its header, its element table and its data, and opens each file in
// this process: the open either fails with ErrDamaged or the store reads
// as usual (a flipped byte inside a value is bbolt-consistent).
func TestFlippedBytesNeverCrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	data := buildState(t, path, 600)
	m := metaOf(t, data)
	ps := int(m.pageSize)
	damagedN, opened := 0, 0
	for page := 2; page < int(m.hwm); page++ {
		// Only pages that start a node or the freelist: the pages an
		// overflowing value continues on hold plain value bytes.
		hdr := data[page*ps:]
		if ne.Uint64(hdr) != uint64(page) {
			continue
		}
		for _, off := range []int{0, 8, 9, 10, 11, 12, 15, 16, 20, 24, 28, 33, 47, ps / 2, ps - 1} {
			bad := append([]byte(nil), data...)
			bad[page*ps+off] ^= 0x5A
			os.WriteFile(path, bad, 0o600)
			s, err := Open(path, Options{NoBackup: true, NoSync: true})
			if err != nil {
				if !errors.Is(err, ErrDamaged) {
					t.Fatalf("page %d offset %d: %v, want ErrDamaged", page, off, err)
				}
				damagedN++
				continue
			}
			opened++
			exercise(t, s)
			s.Close()
		}
	}
	if damagedN == 0 || opened == 0 {
		t.Fatalf("damaged %d, opened %d: the damage did not reach both outcomes", damagedN, opened)
	}
	t.Logf("%d pages: %d damaged files refused, %d opened", m.hwm, damagedN, opened)
}

func TestCorruptProjectRecordIsSkipped(t *testing.T) {
	s := openTemp(t)
	a, _ := s.CreateProject("甲公司")
	b, _ := s.CreateProject("乙公司")
	c, _ := s.CreateProject("丙公司")
	s.DB().Update(func(tx *bolt.Tx) error {
		pb, _ := ProjectBucket(tx, b.ID)
		pb.Put(keyProject, []byte(`{"id":"`+b.ID+`","name":`)) // cut JSON
		root := tx.Bucket(bucketProjects)
		root.Put([]byte("stray"), []byte("x")) // a value, not a bucket
		root.CreateBucket([]byte("../../x"))   // an unsafe ID
		other, _ := root.CreateBucket([]byte("p0000000000000000"))
		other.Put(keyProject, []byte(`{"id":"`+a.ID+`","name":"冒名"}`)) // names another project
		return nil
	})
	list, bad, err := s.ScanProjects()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != c.ID || list[1].ID != a.ID {
		t.Fatalf("listed %+v", list)
	}
	if len(bad) != 4 {
		t.Fatalf("damaged entries %+v", bad)
	}
	reasons := fmt.Sprint(bad)
	for _, want := range []string{b.ID, "decode project record", "stray", `"../../x"`, "names project"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("damaged entries lack %q: %s", want, reasons)
		}
	}
	if l, err := s.ListProjects(); err != nil || len(l) != 2 {
		t.Fatalf("ListProjects = %d, %v", len(l), err)
	}
	if _, err := s.GetProject("../../x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unsafe id looked up: %v", err)
	}
}

func TestRestoreLastGoodCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	data := buildState(t, path, 200)
	// Another clean session rotates the copies.
	s, _ := Open(path, Options{})
	p, _ := s.CreateProject("丁公司")
	s.Close()
	s, _ = Open(path, Options{})
	s.Close()
	bs := Backups(path)
	if len(bs) != 2 || bs[0].Err != nil || bs[1].Err != nil || bs[0].Path != path+".good-1" {
		t.Fatalf("backups %+v", bs)
	}
	// good-2 is the state of two sessions ago, good-1 the last one; reopening
	// an unchanged file does not rotate them.
	for _, c := range []struct {
		n    int
		want int
	}{{1, 4}, {2, 3}} {
		b, err := Open(backupPath(path, c.n), Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if l, _ := b.ListProjects(); len(l) != c.want {
			t.Errorf("good-%d holds %d projects, want %d", c.n, len(l), c.want)
		}
		b.Close()
	}
	_ = data
	cur, _ := os.ReadFile(path)
	os.WriteFile(path, cur[:len(cur)/2], 0o600)
	_, err := Open(path, Options{})
	var de *DamagedError
	if !errors.As(err, &de) || len(de.Backups) != 2 {
		t.Fatalf("open damaged: %v", err)
	}
	if tx := de.Text(); !strings.Contains(tx.Zh, "已损坏") || !strings.Contains(tx.Zh, "state.db.good-1") ||
		!strings.Contains(tx.En, "is damaged") || !strings.Contains(tx.En, "state.db.good-1") || strings.Contains(tx.Zh, "is damaged") {
		t.Fatalf("text of the damage: %+v", tx)
	}
	aside, err := Restore(path, de.Backups[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(aside); len(got) != len(cur)/2 {
		t.Fatalf("damaged file not kept aside: %d bytes at %s", len(got), aside)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.GetProject(p.ID); err != nil || got.Name != "丁公司" {
		t.Fatalf("restored store lacks the last project: %+v %v", got, err)
	}
	if l, _ := s.ListProjects(); len(l) != 4 {
		t.Fatalf("restored %d projects", len(l))
	}
	// Restore refuses while the file is open, and refuses a damaged copy.
	if _, err := Restore(path, path+".good-2"); !errors.Is(err, ErrLocked) {
		t.Fatalf("restore over an open store: %v", err)
	}
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, cur[:len(cur)/3], 0o600)
	if _, err := Restore(filepath.Join(dir, "other.db"), bad); !errors.Is(err, ErrDamaged) {
		t.Fatalf("restore from a damaged copy: %v", err)
	}
}

func TestEmptiedFileWithBackupsIsDamaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	buildState(t, path, 10)
	os.WriteFile(path, nil, 0o600)
	if _, err := Open(path, Options{}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("emptied file: %v", err)
	}
	aside, err := MoveAside(path)
	if err != nil || !strings.Contains(aside, ".damaged-") {
		t.Fatalf("MoveAside = %q, %v", aside, err)
	}
	s, err := Open(path, Options{}) // a new, empty state
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l, _ := s.ListProjects(); len(l) != 0 {
		t.Fatalf("fresh state lists %d", len(l))
	}
	if err := os.Mkdir(filepath.Join(dir, "d.db"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(dir, "d.db"), Options{}); err == nil || !strings.Contains(err.Error(), "regular") {
		t.Fatalf("directory as state file: %v", err)
	}
}

// FuzzOpenState opens damaged state files in this process: none may crash.
// The fuzz input is a small description of the damage — a truncation
// length, whether the meta checksums are recomputed (so damage inside the
// meta pages gets past their checksum), then 3-byte edits (offset u16 little
// endian, XOR byte) — applied to one valid state file built once. Fuzzing
// the description instead of the whole ~8 KB file keeps every input, its
// mutation and its minimisation cheap, so CI's 10 s run thousands.
func FuzzOpenState(f *testing.F) {
	// 1 KiB pages keep the base file small (bbolt keeps a file's page size).
	path := filepath.Join(f.TempDir(), "seed.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: 1024})
	if err != nil {
		f.Fatal(err)
	}
	db.Close()
	s, err := Open(path, Options{NoSync: true, NoBackup: true})
	if err != nil {
		f.Fatal(err)
	}
	p, _ := s.CreateProject("甲公司")
	s.SaveContacts(p.ID, &contacts.Directory{Members: bigDir(8).Members})
	s.AppendAudit(p.ID, AuditEntry{Action: "note"})
	s.Close()
	base, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	m := metaOf(f, base)
	ps := int(m.pageSize)
	edit := func(off int, x byte) []byte { return []byte{byte(off), byte(off >> 8), x} }
	f.Add(uint16(0), false, []byte{})                                         // the valid file
	f.Add(uint16(len(base)/2), false, []byte{})                               // cut short
	f.Add(uint16(0), true, edit(pageHeaderSize+40, 0x01))                     // meta 0's high-water mark, checksum fixed
	f.Add(uint16(0), true, edit(ps+pageHeaderSize+16, 0x03))                  // meta 1's root
	f.Add(uint16(0), false, append(edit(2*ps+10, 0x40), edit(3*ps, 0x01)...)) // a page's count, another's id
	for page := 2; page < int(m.hwm); page++ {
		f.Add(uint16(0), false, edit(page*ps+pageHeaderSize+4, 0x20)) // an element's position
	}
	dir := f.TempDir()
	n := 0
	f.Fuzz(func(t *testing.T, cut uint16, fixMeta bool, edits []byte) {
		data := append([]byte(nil), base...)
		for i := 0; i+3 <= len(edits); i += 3 {
			off := int(edits[i]) | int(edits[i+1])<<8
			data[off%len(data)] ^= edits[i+2]
		}
		if fixMeta {
			for pos := 0; pos < 2; pos++ {
				resum(data[pos*ps+pageHeaderSize : pos*ps+pageHeaderSize+metaSize])
			}
		}
		if cut != 0 {
			data = data[:int(cut)%len(data)]
		}
		// The check alone, in memory: most damage stops here, cheaply.
		if _, err := checkReader(bytes.NewReader(data), int64(len(data))); err != nil {
			return
		}
		n++
		p := filepath.Join(dir, fmt.Sprintf("f%d.db", n))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		s, err := Open(p, Options{NoSync: true, NoBackup: true})
		if err != nil {
			// A damaged schema version can read as a newer one.
			if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrSchemaTooNew) {
				t.Fatalf("open: %v, want ErrDamaged", err)
			}
			return
		}
		ps, _, _ := s.ScanProjects()
		for _, p := range ps {
			s.Contacts(p.ID)
			s.Audit(p.ID)
		}
		s.Close()
	})
}

// TestAppLayoutDamageIsDamaged: files bbolt finds consistent but whose
// top-level layout is not the app's (a flipped bucket flag turns a bucket
// into a value) are damaged, not an "incompatible value" from Open.
func TestAppLayoutDamageIsDamaged(t *testing.T) {
	for name, put := range map[string]func(tx *bolt.Tx) error{
		"projects value": func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bucketProjects); err != nil {
				return err
			}
			return tx.Cursor().Bucket().Put(bucketProjects, []byte("x"))
		},
		"meta value": func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bucketMeta); err != nil {
				return err
			}
			return errors.Join(tx.DeleteBucket(bucketProjects), tx.Cursor().Bucket().Put(bucketMeta, []byte("x")))
		},
		"schema bucket": func(tx *bolt.Tx) error {
			m := tx.Bucket(bucketMeta)
			if err := m.Delete(keySchema); err != nil {
				return err
			}
			_, err := m.CreateBucket(keySchema)
			return err
		},
		"schema not a number": func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("two")) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			s, err := Open(path, Options{NoSync: true, NoBackup: true})
			if err != nil {
				t.Fatal(err)
			}
			s.CreateProject("甲公司")
			if err := s.DB().Update(put); err != nil {
				t.Fatal(err)
			}
			s.Close()
			for _, ro := range []bool{false, true} {
				if _, err := Open(path, Options{ReadOnly: ro, NoBackup: true}); !errors.Is(err, ErrDamaged) {
					t.Fatalf("read-only %v: %v, want ErrDamaged", ro, err)
				}
			}
		})
	}
}

// TestUpgradeV1SkipsDamagedRecords: one unreadable project record (or old
// snapshot) in a v1 file does not stop the upgrade; it is kept as it was
// and reported, and the other projects upgrade.
func TestUpgradeV1SkipsDamagedRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	writeV1(t, path, true)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketProjects)
		b, _ := root.CreateBucket([]byte("p3"))
		if err := b.Put(keyProject, []byte(`{"id":"p3","na`)); err != nil { // cut short
			return err
		}
		p4, _ := root.CreateBucket([]byte("p4"))
		p4.Put(keyProject, []byte(`{"id":"p4","name":"丁公司","created_at":"2025-01-01T00:00:00Z"}`))
		return p4.Put([]byte("snapshot"), []byte(`{"hash":`))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, bad, err := s.ScanProjects()
	if err != nil || len(list) != 3 || len(bad) != 1 || bad[0].ID != "p3" {
		t.Fatalf("listed %d, damaged %+v, %v", len(list), bad, err)
	}
	if p, err := s.GetProject("p4"); err != nil || p.UpdatedAt.IsZero() {
		t.Fatalf("p4 not upgraded: %+v %v", p, err)
	}
	s.DB().View(func(tx *bolt.Tx) error {
		b, _ := ProjectBucket(tx, "p4")
		if string(b.Get([]byte("snapshot"))) != `{"hash":` {
			t.Error("the unreadable old snapshot was not kept")
		}
		return nil
	})
}
