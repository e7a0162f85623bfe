package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// craft builds an export from a header and records with a correct record
// count and checksum, as a hostile or hand-edited file would have.
func craft(t testing.TB, hdr exportHeader, recs ...exportRecord) []byte {
	t.Helper()
	var plain bytes.Buffer
	h := sha256.New()
	line := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		h.Write(b)
		plain.Write(b)
	}
	line(hdr)
	for _, r := range recs {
		line(r)
	}
	end, _ := json.Marshal(exportRecord{End: true, Records: len(recs), SHA256: hex.EncodeToString(h.Sum(nil))})
	plain.Write(append(end, '\n'))
	return regzip(plain.String())
}

func hdrFor(id, name string) exportHeader {
	return exportHeader{Format: ExportFormat, Version: ExportVersion, Schema: SchemaVersion, ProjectID: id, Name: name}
}

func projRec(t testing.TB, p Project) exportRecord {
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return exportRecord{Key: keyProject, Value: b}
}

func TestCraftedExportImports(t *testing.T) {
	// The helper itself yields an importable file (so the refusals below
	// are about what each case changes).
	dst := openTemp(t)
	data := craft(t, hdrFor("p1", "甲公司"), projRec(t, Project{ID: "p1", Name: "甲公司"}),
		exportRecord{Path: [][]byte{[]byte("journal")}, Bucket: true, Seq: 7},
		exportRecord{Path: [][]byte{[]byte("journal")}, Key: []byte("k"), Value: []byte("v")})
	p, err := dst.ImportProject(bytes.NewReader(data))
	if err != nil || p.ID != "p1" {
		t.Fatalf("crafted import: %+v %v", p, err)
	}
}

func TestImportRefusesUnsafeIDsAndNames(t *testing.T) {
	ids := []string{"../../x", "..", ".", "a/b", `a\b`, "", "CON", "p1 ", "项目", "p\x00", strings.Repeat("a", 65), "x:y"}
	for _, id := range ids {
		dst := openTemp(t)
		data := craft(t, hdrFor(id, "甲公司"), projRec(t, Project{ID: id, Name: "甲公司"}))
		if _, err := dst.ImportProject(bytes.NewReader(data)); !errors.Is(err, ErrBadExport) {
			t.Errorf("id %q: %v, want ErrBadExport", id, err)
		}
		if l, bad, _ := dst.ScanProjects(); len(l)+len(bad) != 0 {
			t.Errorf("id %q: left %d projects, %d damaged", id, len(l), len(bad))
		}
	}
	for _, name := range []string{"", "   ", "甲\x07公司", strings.Repeat("名", 201)} {
		dst := openTemp(t)
		data := craft(t, hdrFor("p1", name), projRec(t, Project{ID: "p1", Name: name}))
		if _, err := dst.ImportProject(bytes.NewReader(data)); !errors.Is(err, ErrBadExport) {
			t.Errorf("name %q: %v, want ErrBadExport", name, err)
		}
	}
	// The header is right but the project record names another project.
	dst := openTemp(t)
	data := craft(t, hdrFor("p1", "甲公司"), projRec(t, Project{ID: "../../x", Name: "甲公司"}))
	if _, err := dst.ImportProject(bytes.NewReader(data)); !errors.Is(err, ErrBadExport) {
		t.Errorf("record id: %v", err)
	}
	for name, recs := range map[string][]exportRecord{
		"no project record":   nil,
		"two project records": {projRec(t, Project{ID: "p1", Name: "甲"}), projRec(t, Project{ID: "p1", Name: "甲"})},
		"undeclared bucket":   {projRec(t, Project{ID: "p1", Name: "甲"}), {Path: [][]byte{[]byte("a"), []byte("b")}, Bucket: true}},
		"key in undeclared":   {projRec(t, Project{ID: "p1", Name: "甲"}), {Path: [][]byte{[]byte("a")}, Key: []byte("k")}},
		"bucket twice": {projRec(t, Project{ID: "p1", Name: "甲"}), {Path: [][]byte{[]byte("a")}, Bucket: true},
			{Path: [][]byte{[]byte("a")}, Bucket: true}},
		"bucket over a key": {projRec(t, Project{ID: "p1", Name: "甲"}), {Key: []byte("a"), Value: []byte("1")},
			{Path: [][]byte{[]byte("a")}, Bucket: true}},
	} {
		dst := openTemp(t)
		if _, err := dst.ImportProject(bytes.NewReader(craft(t, hdrFor("p1", "甲"), recs...))); !errors.Is(err, ErrBadExport) {
			t.Errorf("%s: %v, want ErrBadExport", name, err)
		}
		if l, _ := dst.ListProjects(); len(l) != 0 {
			t.Errorf("%s: partial import", name)
		}
	}
}

// bomb is a small valid-looking export whose records decompress to n
// bytes of zeros in records of per bytes each.
func bomb(t testing.TB, n, per int, breakSum bool) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	h := sha256.New()
	w := func(b []byte) { h.Write(b); zw.Write(b) }
	hb, _ := json.Marshal(hdrFor("p1", "甲公司"))
	w(append(hb, '\n'))
	pr, _ := json.Marshal(projRec(t, Project{ID: "p1", Name: "甲公司"}))
	w(append(pr, '\n'))
	w([]byte(`{"p":["YQ=="],"b":true}` + "\n"))
	recs := 2
	// A value of zeros in base64 is "AAAA…": the line is cheap to build.
	for done := 0; done < n; done += per {
		line := make([]byte, 0, per+40)
		line = append(line, `{"p":["YQ=="],"k":"`...)
		line = append(line, []byte(hex.EncodeToString([]byte{byte(recs >> 8), byte(recs)}))...)
		line = append(line, `","v":"`...)
		line = append(line, bytes.Repeat([]byte("A"), per/4*4)...)
		line = append(line, "\"}\n"...)
		w(line)
		recs++
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if breakSum {
		sum = strings.Repeat("0", 64)
	}
	end, _ := json.Marshal(exportRecord{End: true, Records: recs, SHA256: sum})
	zw.Write(append(end, '\n'))
	zw.Close()
	return buf.Bytes()
}

func TestImportBoundsAndChecksumBeforeWriting(t *testing.T) {
	defer func(d int64, l int) { exportDataLimit, exportLineLimit = d, l }(exportDataLimit, exportLineLimit)
	exportDataLimit, exportLineLimit = 16<<20, 2<<20
	writes := 0
	defer func(f func(*bolt.DB, func(*bolt.Tx) error) error) { importUpdate = f }(importUpdate)
	importUpdate = func(db *bolt.DB, fn func(*bolt.Tx) error) error { writes++; return db.Update(fn) }

	cases := []struct {
		name    string
		data    []byte
		wantMsg string
	}{
		{"total over the limit", bomb(t, 20<<20, 1<<20, false), "decompressed"},
		{"one record over the limit", bomb(t, 3<<20, 3<<20, false), "record is longer"},
		{"checksum wrong", bomb(t, 12<<20, 1<<20, true), "checksum"},
	}
	for _, c := range cases {
		dst := openTemp(t)
		before, _ := os.Stat(dst.Path())
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		_, err := dst.ImportProject(bytes.NewReader(c.data))
		runtime.ReadMemStats(&m1)
		if !errors.Is(err, ErrBadExport) || !strings.Contains(err.Error(), c.wantMsg) {
			t.Errorf("%s (%d KB file): %v, want %q", c.name, len(c.data)>>10, err, c.wantMsg)
		}
		after, _ := os.Stat(dst.Path())
		if after.Size() != before.Size() {
			t.Errorf("%s: state grew from %d to %d bytes", c.name, before.Size(), after.Size())
		}
		if grew := m1.HeapInuse - min(m1.HeapInuse, m0.HeapInuse); grew > 32<<20 {
			t.Errorf("%s: heap grew by %d MB", c.name, grew>>20)
		}
		if l, _ := dst.ListProjects(); len(l) != 0 || writes != 0 {
			t.Errorf("%s: %d write transactions, %d projects", c.name, writes, len(l))
		}
		t.Logf("%s: %d KB file refused, %d MB allocated while reading", c.name, len(c.data)>>10, (m1.TotalAlloc-m0.TotalAlloc)>>20)
	}
	// Within the limits the same shape imports.
	dst := openTemp(t)
	if _, err := dst.ImportProject(bytes.NewReader(bomb(t, 12<<20, 1<<20, false))); err != nil {
		t.Fatalf("file within the limits: %v", err)
	}
}

func TestImportNeverTouchesAnotherProject(t *testing.T) {
	src := openTemp(t)
	p, _ := src.CreateProject("甲公司")
	src.SaveContacts(p.ID, sampleDir())
	data := exportBytes(t, src, p.ID)

	dst := openTemp(t)
	fixed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dst.now = func() time.Time { return fixed }
	// A different project that happens to hold the same ID.
	if _, err := dst.ImportProject(bytes.NewReader(craft(t, hdrFor(p.ID, "乙公司"),
		projRec(t, Project{ID: p.ID, Name: "乙公司", Stage: "contacts_ready"}),
		exportRecord{Key: keyContacts, Value: []byte(`{"members":[]}`)}))); err != nil {
		t.Fatal(err)
	}
	var before bytes.Buffer
	dst.ExportProject(p.ID, &before)

	got, err := dst.ImportProject(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == p.ID || got.ImportedFrom != p.ID || got.Name != "甲公司" || CheckID(got.ID) != nil {
		t.Fatalf("colliding import %+v", got)
	}
	var after bytes.Buffer
	dst.ExportProject(p.ID, &after)
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Fatal("the import changed the project that held the same ID")
	}
	if d, _, _ := dst.Contacts(got.ID); d == nil || len(d.Members) != 2 {
		t.Fatalf("imported contacts %+v", d)
	}
}

func TestDoneProjectImportsDoneAndLocked(t *testing.T) {
	src := openTemp(t)
	p, _ := src.CreateProject("甲公司")
	src.SaveContacts(p.ID, sampleDir())
	src.UpdateProject(p.ID, func(q *Project) error { q.Stage = "done"; q.Locked = true; return nil })
	src.PutDoc(p.ID, "upgrade", map[string]string{"stage": "done"})
	data := exportBytes(t, src, p.ID)

	for name, data := range map[string][]byte{
		"as exported": data,
		// Edited to unlock, with the checksum recomputed: still locked,
		// since its migration is done.
		"unlocked by hand": craft(t, hdrFor("p9", "甲公司"), projRec(t, Project{ID: "p9", Name: "甲公司", Stage: "done"})),
	} {
		dst := openTemp(t)
		got, err := dst.ImportProject(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if got.Stage != "done" || !got.Locked {
			t.Fatalf("%s: imported %+v", name, got)
		}
		if err := dst.DeleteProject(got.ID); !errors.Is(err, ErrProjectLocked) {
			t.Errorf("%s: delete: %v", name, err)
		}
		if err := dst.SaveContacts(got.ID, sampleDir()); !errors.Is(err, ErrProjectLocked) {
			t.Errorf("%s: save contacts: %v", name, err)
		}
	}
	dst := openTemp(t)
	got, _ := dst.ImportProject(bytes.NewReader(data))
	var doc map[string]string
	if ok, _ := dst.GetDoc(got.ID, "upgrade", &doc); !ok || doc["stage"] != "done" {
		t.Fatalf("upgrade state not imported: %v", doc)
	}
}

// FuzzReadExport fuzzes the .exup reader alone (no store): it must refuse
// or accept without panicking, and accept only files whose project ID is
// safe.
func FuzzReadExport(f *testing.F) {
	src, err := Open(f.TempDir()+"/src.db", Options{NoSync: true, NoBackup: true})
	if err != nil {
		f.Fatal(err)
	}
	p, _ := src.CreateProject("甲公司")
	src.SaveContacts(p.ID, sampleDir())
	var buf bytes.Buffer
	src.ExportProject(p.ID, &buf)
	src.Close()
	f.Add(buf.Bytes())
	f.Add(craft(f, hdrFor("p1", "甲"), projRec(f, Project{ID: "p1", Name: "甲"}),
		exportRecord{Path: [][]byte{[]byte("j")}, Bucket: true}, exportRecord{Path: [][]byte{[]byte("j")}, Key: []byte("k")}))
	// Plain (uncompressed) lines let the fuzzer mutate the JSON itself;
	// they are compressed before reading.
	f.Add([]byte(`{"format":"exmail-upgrade-project","version":1,"schema":2,"project_id":"p1","name":"甲"}` + "\n" +
		`{"k":"cHJvamVjdA==","v":"eyJpZCI6InAxIiwibmFtZSI6IueUsiJ9"}` + "\n" + `{"end":true,"records":1,"sha256":""}` + "\n"))
	defer func(d int64, l int) { exportDataLimit, exportLineLimit = d, l }(exportDataLimit, exportLineLimit)
	exportDataLimit, exportLineLimit = 1<<20, 256<<10
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			data = regzip(string(data))
		}
		hdr, p, err := readExport(bytes.NewReader(data), nil)
		if err != nil {
			if !errors.Is(err, ErrBadExport) {
				t.Fatalf("error not ErrBadExport: %v", err)
			}
			return
		}
		if CheckID(hdr.ProjectID) != nil || p.ID != hdr.ProjectID || CheckName(p.Name) != nil {
			t.Fatalf("accepted %q / %q", hdr.ProjectID, p.Name)
		}
	})
}

// TestImportSchema2Export: a file exported before schema 3 (contacts and
// plan as values next to the project record) imports into the new layout.
func TestImportSchema2Export(t *testing.T) {
	data := schema2Export(t)
	dst := openTemp(t)
	got, err := dst.ImportProject(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok, err := dst.Contacts(got.ID); err != nil || !ok || len(c.Members) != 2 {
		t.Fatalf("imported contacts %+v %v %v", c, ok, err)
	}
	if p, ok, err := dst.Plan(got.ID); err != nil || !ok || p.Hash != "ph" || string(p.Data) != "[1]" {
		t.Fatalf("imported plan %+v %v %v", p, ok, err)
	}
	if h, ok, err := dst.PlanHeader(got.ID); err != nil || !ok || h.SnapshotHash != "sh" {
		t.Fatalf("imported plan header %+v %v %v", h, ok, err)
	}
	if snap, ok, err := dst.LatestSnapshot(got.ID); err != nil || !ok || snap.Hash != "sh" || len(snap.Directory.Members) != 2 {
		t.Fatalf("imported snapshot %+v %v %v", snap, ok, err)
	}
	dst.DB().View(func(tx *bolt.Tx) error {
		b, _ := ProjectBucket(tx, got.ID)
		if b.Get(keyContacts) != nil || b.Get(keyPlan) != nil || b.Bucket(keyPlan) == nil || b.Bucket(bucketSnaps).Bucket(seqKey(1)) == nil {
			t.Error("schema-2 values not moved into sub-buckets on import")
		}
		return nil
	})
	// Re-exported, it round-trips in the new layout.
	again := openTemp(t)
	if _, err := again.ImportProject(bytes.NewReader(exportBytes(t, dst, got.ID))); err != nil {
		t.Fatal(err)
	}
	// Schemas outside what this app reads are refused.
	hdr := hdrFor("p1", "甲公司")
	for _, v := range []int{1, SchemaVersion + 1} {
		hdr.Schema = v
		if _, err := openTemp(t).ImportProject(bytes.NewReader(craft(t, hdr, projRec(t, Project{ID: "p1", Name: "甲公司"})))); !errors.Is(err, ErrBadExport) {
			t.Errorf("schema %d: %v, want ErrBadExport", v, err)
		}
	}
}

// schema2Export is a project as exported before schema 3: working copy and
// plan as values next to the project record.
func schema2Export(t testing.TB) []byte {
	hdr := hdrFor("p1", "甲公司")
	hdr.Schema = 2
	d, _ := json.Marshal(sampleDir())
	pl, _ := json.Marshal(StoredPlan{Hash: "ph", SnapshotHash: "sh", Data: json.RawMessage(`[1]`)})
	snap, _ := json.Marshal(Snapshot{Seq: 1, Hash: "sh", Members: 2, Directory: *sampleDir()})
	return craft(t, hdr, projRec(t, Project{ID: "p1", Name: "甲公司", Stage: "plan_confirmed"}),
		exportRecord{Key: keyContacts, Value: d}, exportRecord{Key: keyPlan, Value: pl},
		exportRecord{Path: [][]byte{bucketSnaps}, Bucket: true, Seq: 1},
		exportRecord{Path: [][]byte{bucketSnaps}, Key: seqKey(1), Value: snap})
}
