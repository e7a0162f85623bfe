package store

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"

	bolt "go.etcd.io/bbolt"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "state.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sampleDir() *contacts.Directory {
	return &contacts.Directory{
		Members: []contacts.Member{
			{Name: "张三", Account: "zhangsan", Departments: []string{"研发部/后端组"}, Mobile: "13800000000"},
			{Name: "李四", Account: "lisi", Departments: []string{"市场部"}, BizMail: "lisi@example.com"},
		},
		Departments: []string{"行政部"},
	}
}

func TestOpenCreatesCurrentSchema(t *testing.T) {
	s := openTemp(t)
	v, err := s.Schema()
	if err != nil || v != SchemaVersion {
		t.Fatalf("schema = %d, %v; want %d", v, err, SchemaVersion)
	}
	if s.DB() == nil || !strings.HasSuffix(s.Path(), "state.db") {
		t.Fatalf("DB/Path not exposed: %v %q", s.DB(), s.Path())
	}
}

func TestDefaultPath(t *testing.T) {
	p, err := DefaultPath()
	if err != nil {
		t.Skip("no user config dir:", err)
	}
	if filepath.Base(p) != "state.db" || filepath.Base(filepath.Dir(p)) != "exmail-upgrade" {
		t.Fatalf("DefaultPath = %q", p)
	}
}

func TestSecondInstanceGetsErrLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(path, Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "另一个实例") || !strings.Contains(err.Error(), "another instance") {
		t.Fatalf("message not bilingual: %v", err)
	}
	s.Close()
	s2, err := Open(path, Options{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s2.Close()
}

// writeV1 builds a schema-1 file by hand: meta schema=1, a project without
// updated_at and a single frozen snapshot under the key "snapshot".
func writeV1(t *testing.T, path string, withMeta bool) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		if withMeta {
			m, _ := tx.CreateBucket([]byte("meta"))
			m.Put([]byte("schema"), []byte("1"))
		}
		root, _ := tx.CreateBucket([]byte("projects"))
		b, _ := root.CreateBucket([]byte("p1"))
		b.Put([]byte("project"), []byte(`{"id":"p1","name":"旧公司","created_at":"2025-01-02T03:04:05Z","stage":"contacts_ready"}`))
		snap, _ := json.Marshal(Snapshot{Hash: "abc", Members: 2, Directory: *sampleDir()})
		b2, _ := root.CreateBucket([]byte("p2"))
		b2.Put([]byte("project"), []byte(`{"id":"p2","name":"已完成公司","created_at":"2025-01-01T00:00:00Z","stage":"done"}`))
		return b.Put([]byte("snapshot"), snap)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpgradeV1File(t *testing.T) {
	for _, withMeta := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "v1.db")
		writeV1(t, path, withMeta)
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Schema(); v != SchemaVersion {
			t.Fatalf("schema after upgrade = %d", v)
		}
		p, err := s.GetProject("p1")
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		if !p.UpdatedAt.Equal(want) || p.Stage != "contacts_ready" || p.Locked {
			t.Fatalf("upgraded project = %+v", p)
		}
		if err := s.DeleteProject("p2"); !errors.Is(err, ErrProjectLocked) {
			t.Fatalf("v1 project already done was not locked: %v", err)
		}
		snap, ok, err := s.LatestSnapshot("p1")
		if err != nil || !ok || snap.Hash != "abc" || snap.Seq != 1 || len(snap.Directory.Members) != 2 {
			t.Fatalf("upgraded snapshot = %+v ok=%v err=%v", snap, ok, err)
		}
		s.DB().View(func(tx *bolt.Tx) error {
			b, _ := ProjectBucket(tx, "p1")
			if b.Get([]byte("snapshot")) != nil {
				t.Error("old snapshot key kept")
			}
			return nil
		})
		s.Close()
		// Reopening is a no-op.
		s, err = Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if snaps, _, _ := s.LatestSnapshot("p1"); snaps.Seq != 1 {
			t.Fatalf("reopen changed snapshots: %+v", snaps)
		}
		s.Close()
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db, _ := bolt.Open(path, 0o600, nil)
	db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket([]byte("meta"))
		return m.Put([]byte("schema"), []byte("99"))
	})
	db.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("open: %v, want ErrSchemaTooNew", err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("open read-only: %v, want ErrSchemaTooNew", err)
	}
}

func TestProjectCRUDAndOrder(t *testing.T) {
	s := openTemp(t)
	if _, err := s.CreateProject("  "); err == nil {
		t.Fatal("empty name accepted")
	}
	a, err := s.CreateProject(" 甲公司 ")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "甲公司" || a.ID == "" || a.CreatedAt.IsZero() {
		t.Fatalf("created %+v", a)
	}
	b, _ := s.CreateProject("乙公司")
	c, _ := s.CreateProject("丙公司")
	// Activity on a makes it first.
	if _, err := s.UpdateProject(a.ID, func(p *Project) error { p.Notes = "on site Monday"; return nil }); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListProjects()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range list {
		got = append(got, p.ID)
	}
	if len(got) != 3 || got[0] != a.ID {
		t.Fatalf("order = %v, want %s first", got, a.ID)
	}
	if _, err := s.AppendAudit(b.ID, AuditEntry{Actor: "t", Action: "note"}); err != nil {
		t.Fatal(err)
	}
	list, _ = s.ListProjects()
	if list[0].ID != b.ID || list[1].ID != a.ID || list[2].ID != c.ID {
		t.Fatalf("order after audit = %v %v %v", list[0].Name, list[1].Name, list[2].Name)
	}
	got2, _ := s.GetProject(a.ID)
	if got2.Notes != "on site Monday" || !got2.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("get = %+v", got2)
	}
	if _, err := s.UpdateProject(a.ID, func(p *Project) error { p.ID = "x"; p.Name = ""; return nil }); err == nil {
		t.Fatal("empty name accepted on update")
	}
	if err := s.DeleteProject(c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetProject(c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := s.DeleteProject(c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestLockedProjectIsKept(t *testing.T) {
	s := openTemp(t)
	p, _ := s.CreateProject("甲公司")
	if _, err := s.UpdateProject(p.ID, func(p *Project) error { p.Locked = true; return nil }); err != nil {
		t.Fatal(err)
	}
	// Locked is sticky.
	got, _ := s.UpdateProject(p.ID, func(p *Project) error { p.Locked = false; return nil })
	if !got.Locked {
		t.Fatal("Locked was cleared")
	}
	if err := s.DeleteProject(p.ID); !errors.Is(err, ErrProjectLocked) {
		t.Fatalf("delete locked: %v", err)
	}
	if err := s.SaveContacts(p.ID, sampleDir()); !errors.Is(err, ErrProjectLocked) {
		t.Fatalf("save contacts when locked: %v", err)
	}
	if _, err := s.FreezeSnapshot(p.ID, sampleDir()); !errors.Is(err, ErrProjectLocked) {
		t.Fatalf("freeze when locked: %v", err)
	}
}

func TestBlobs(t *testing.T) {
	s := openTemp(t)
	p, _ := s.CreateProject("甲公司")
	if _, ok, err := s.Contacts(p.ID); ok || err != nil {
		t.Fatalf("contacts before save: ok=%v err=%v", ok, err)
	}
	d := sampleDir()
	if err := s.SaveContacts(p.ID, d); err != nil {
		t.Fatal(err)
	}
	back, ok, err := s.Contacts(p.ID)
	if err != nil || !ok || back.Hash() != d.Hash() {
		t.Fatalf("contacts round trip: ok=%v err=%v", ok, err)
	}
	s1, err := s.FreezeSnapshot(p.ID, d)
	if err != nil || s1.Seq != 1 || s1.Hash != d.Hash() || s1.Members != 2 {
		t.Fatalf("freeze: %+v %v", s1, err)
	}
	d2 := sampleDir()
	d2.Members[0].Mobile = "13900000000"
	s2, _ := s.FreezeSnapshot(p.ID, d2)
	if s2.Seq != 2 || s2.Hash == s1.Hash {
		t.Fatalf("second snapshot %+v", s2)
	}
	last, ok, _ := s.LatestSnapshot(p.ID)
	if !ok || last.Seq != 2 {
		t.Fatalf("latest = %+v", last)
	}
	byHash, ok, _ := s.SnapshotByHash(p.ID, s1.Hash)
	if !ok || byHash.Seq != 1 || byHash.Directory.Hash() != s1.Hash {
		t.Fatalf("by hash = %+v ok=%v", byHash, ok)
	}
	if _, ok, _ := s.SnapshotByHash(p.ID, "nope"); ok {
		t.Fatal("found unknown hash")
	}
	for _, h := range []string{s1.Hash, s2.Hash} {
		if ok, err := s.HasSnapshot(p.ID, h); !ok || err != nil {
			t.Fatalf("HasSnapshot(%s) = %v %v", h, ok, err)
		}
	}
	if ok, _ := s.HasSnapshot(p.ID, "nope"); ok {
		t.Fatal("HasSnapshot found an unknown hash")
	}

	if _, ok, _ := s.Plan(p.ID); ok {
		t.Fatal("plan before save")
	}
	plan := StoredPlan{Hash: "ph", SnapshotHash: s2.Hash, Data: json.RawMessage(`{"create":3}`)}
	if err := s.SavePlan(p.ID, plan); err != nil {
		t.Fatal(err)
	}
	gotPlan, ok, _ := s.Plan(p.ID)
	if !ok || gotPlan.Hash != "ph" || string(gotPlan.Data) != `{"create":3}` || gotPlan.ConfirmedAt.IsZero() {
		t.Fatalf("plan = %+v", gotPlan)
	}
	head, ok, err := s.PlanHeader(p.ID)
	if !ok || err != nil || head.Hash != "ph" || head.SnapshotHash != s2.Hash || !head.ConfirmedAt.Equal(gotPlan.ConfirmedAt) || head.Data != nil {
		t.Fatalf("plan header = %+v ok=%v err=%v", head, ok, err)
	}
	s.DB().Update(func(tx *bolt.Tx) error { return DeletePlanTx(tx, p.ID) })
	if _, ok, _ := s.Plan(p.ID); ok {
		t.Fatal("plan not deleted")
	}

	for i := 0; i < 3; i++ {
		seq, err := s.AppendAudit(p.ID, AuditEntry{Actor: "u", Action: "a", Details: map[string]string{"i": string(rune('0' + i))}})
		if err != nil || seq != uint64(i+2) { // 1 is the "create" entry
			t.Fatalf("append %d: seq %d err %v", i, seq, err)
		}
	}
	log, _ := s.Audit(p.ID)
	if len(log) != 4 || log[0].Action != "create" || log[0].Details["name"] != "甲公司" ||
		log[3].Details["i"] != "2" || log[1].Time.IsZero() {
		t.Fatalf("audit = %+v", log)
	}

	type doc struct{ A int }
	var v doc
	if ok, _ := s.GetDoc(p.ID, "x", &v); ok {
		t.Fatal("doc before put")
	}
	if err := s.PutDoc(p.ID, "x", doc{7}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.GetDoc(p.ID, "x", &v); !ok || err != nil || v.A != 7 {
		t.Fatalf("doc = %+v ok=%v err=%v", v, ok, err)
	}
	if err := s.PutDoc(p.ID, "", doc{}); err == nil {
		t.Fatal("empty doc name accepted")
	}
	s.DeleteDoc(p.ID, "x")
	if ok, _ := s.GetDoc(p.ID, "x", &v); ok {
		t.Fatal("doc not deleted")
	}
	if _, err := s.AppendAudit("missing", AuditEntry{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("audit on missing project: %v", err)
	}
}

func TestSubBuckets(t *testing.T) {
	s := openTemp(t)
	p, _ := s.CreateProject("甲公司")
	err := s.DB().Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"audit", "snapshots", "docs", ""} {
			if _, err := ProjectSubBucket(tx, p.ID, name); err == nil {
				t.Errorf("reserved name %q accepted", name)
			}
		}
		j, err := ProjectSubBucket(tx, p.ID, "journal")
		if err != nil {
			return err
		}
		return j.Put([]byte("op1"), []byte("done"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.DB().View(func(tx *bolt.Tx) error {
		j, err := ProjectSubBucket(tx, p.ID, "journal")
		if err != nil || j == nil || string(j.Get([]byte("op1"))) != "done" {
			t.Errorf("read journal: %v %v", j, err)
		}
		if j, err := ProjectSubBucket(tx, p.ID, "other"); j != nil || err != nil {
			t.Errorf("missing sub-bucket in read tx: %v %v", j, err)
		}
		if _, err := ProjectSubBucket(tx, "nope", "journal"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing project: %v", err)
		}
		return nil
	})
}

func exportBytes(t *testing.T, s *Store, id string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.ExportProject(id, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t *testing.T, data []byte) string {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(zr)
	return string(out)
}

func regzip(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

func TestExportImport(t *testing.T) {
	src := openTemp(t)
	p, _ := src.CreateProject("甲公司")
	src.UpdateProject(p.ID, func(q *Project) error { q.CorpID = "ww123"; q.Stage = "contacts_ready"; return nil })
	src.SaveContacts(p.ID, sampleDir())
	snap, _ := src.FreezeSnapshot(p.ID, sampleDir())
	src.AppendAudit(p.ID, AuditEntry{Actor: "u", Action: "transition", From: "new", To: "notice_acknowledged"})
	src.DB().Update(func(tx *bolt.Tx) error {
		j, _ := ProjectSubBucket(tx, p.ID, "journal")
		n, _ := j.CreateBucketIfNotExists([]byte("nested"))
		n.Put([]byte("k"), []byte{})
		return j.Put([]byte("op"), []byte("pending"))
	})
	data := exportBytes(t, src, p.ID)

	dst := openTemp(t)
	got, err := dst.ImportProject(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != p.ID || got.Name != "甲公司" || got.CorpID != "ww123" || got.ImportedFrom != "" {
		t.Fatalf("imported %+v", got)
	}
	s2, ok, _ := dst.LatestSnapshot(got.ID)
	if !ok || s2.Hash != snap.Hash {
		t.Fatalf("snapshot lost: %+v", s2)
	}
	log, _ := dst.Audit(got.ID)
	if len(log) != 3 || log[0].Action != "create" || log[1].To != "notice_acknowledged" || log[2].Action != "import" {
		t.Fatalf("audit after import = %+v", log)
	}
	dst.DB().View(func(tx *bolt.Tx) error {
		j, _ := ProjectSubBucket(tx, got.ID, "journal")
		if j == nil || string(j.Get([]byte("op"))) != "pending" || j.Bucket([]byte("nested")) == nil {
			t.Error("journal sub-bucket not imported")
		}
		return nil
	})

	// Same ID again: imported under a new ID.
	again, err := dst.ImportProject(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == p.ID || again.ImportedFrom != p.ID || again.Name != "甲公司" {
		t.Fatalf("second import %+v", again)
	}
	if list, _ := dst.ListProjects(); len(list) != 2 {
		t.Fatalf("projects after two imports: %d", len(list))
	}

	// File helpers.
	path := filepath.Join(t.TempDir(), "p"+ExportExtension)
	if err := src.ExportProjectFile(p.ID, path); err != nil {
		t.Fatal(err)
	}
	if _, err := openTemp(t).ImportProjectFile(path); err != nil {
		t.Fatal(err)
	}
	if err := src.ExportProject("missing", io.Discard); !errors.Is(err, ErrNotFound) {
		t.Fatalf("export missing: %v", err)
	}
}

func TestImportRejectsDamagedFiles(t *testing.T) {
	src := openTemp(t)
	p, _ := src.CreateProject("甲公司")
	src.SaveContacts(p.ID, sampleDir())
	plain := gunzip(t, exportBytes(t, src, p.ID))
	lines := strings.SplitAfter(plain, "\n")
	cases := map[string][]byte{
		"not gzip":      []byte("hello"),
		"empty":         regzip(""),
		"tampered":      regzip(strings.Replace(plain, "甲公司", "乙公司", 1)),
		"no trailer":    regzip(strings.Join(lines[:len(lines)-2], "")),
		"dropped line":  regzip(lines[0] + strings.Join(lines[2:], "")),
		"trailing junk": regzip(plain + "{}\n"),
		"bad format":    regzip(strings.Replace(plain, ExportFormat, "other", 1)),
		"no newline":    regzip(strings.TrimSuffix(plain, "\n")),
	}
	for name, data := range cases {
		dst := openTemp(t)
		if _, err := dst.ImportProject(bytes.NewReader(data)); !errors.Is(err, ErrBadExport) {
			t.Errorf("%s: err = %v, want ErrBadExport", name, err)
		}
		if list, _ := dst.ListProjects(); len(list) != 0 {
			t.Errorf("%s: partial import left %d projects", name, len(list))
		}
	}
}

func FuzzImport(f *testing.F) {
	src, err := Open(filepath.Join(f.TempDir(), "src.db"), Options{NoSync: true, NoBackup: true})
	if err != nil {
		f.Fatal(err)
	}
	p, _ := src.CreateProject("甲公司")
	src.SaveContacts(p.ID, sampleDir())
	var buf bytes.Buffer
	src.ExportProject(p.ID, &buf)
	src.Close()
	f.Add(buf.Bytes())
	f.Add(schema2Export(f))
	f.Add(regzip(`{"format":"exmail-upgrade-project","version":1,"schema":2,"project_id":"x"}` + "\n"))
	f.Add(regzip(`{"format":"exmail-upgrade-project","version":1,"schema":2,"project_id":"x"}` + "\n" + `{"b":true}` + "\n"))
	dst, err := Open(filepath.Join(f.TempDir(), "dst.db"), Options{NoSync: true, NoBackup: true})
	if err != nil {
		f.Fatal(err)
	}
	defer dst.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := dst.ImportProject(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadExport) {
				t.Fatalf("error not ErrBadExport: %v", err)
			}
			return
		}
		if _, err := dst.GetProject(got.ID); err != nil {
			t.Fatalf("imported project unreadable: %v", err)
		}
	})
}

// writeV2 builds a schema-2 file by hand: the working copy and the plan
// are values next to the project record.
func writeV2(t *testing.T, path string, plan StoredPlan) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket([]byte("meta"))
		m.Put([]byte("schema"), []byte("2"))
		root, _ := tx.CreateBucket([]byte("projects"))
		b, _ := root.CreateBucket([]byte("p1"))
		b.Put([]byte("project"), []byte(`{"id":"p1","name":"旧公司","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z","stage":"plan_confirmed"}`))
		d, _ := json.Marshal(sampleDir())
		b.Put([]byte("contacts"), d)
		pl, _ := json.Marshal(plan)
		b.Put([]byte("plan"), pl)
		sb, _ := b.CreateBucket([]byte("snapshots"))
		sb.SetSequence(2)
		for seq, h := range []string{"s1", "sh"} {
			snap, _ := json.Marshal(Snapshot{Seq: uint64(seq + 1), Hash: h, Members: 2, Directory: *sampleDir()})
			sb.Put(seqKey(uint64(seq+1)), snap)
		}
		b2, _ := root.CreateBucket([]byte("p2"))
		return b2.Put([]byte("project"), []byte(`{"id":"p2","name":"空公司","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpgradeV2FileMovesLargeValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	want := StoredPlan{Hash: "ph", SnapshotHash: "sh", ConfirmedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		ConfirmedBy: "u", Data: json.RawMessage(`{"ops":[1,2,3]}`)}
	writeV2(t, path, want)
	check := func(s *Store) {
		t.Helper()
		d, ok, err := s.Contacts("p1")
		if err != nil || !ok || len(d.Members) != 2 {
			t.Fatalf("contacts = %+v ok=%v err=%v", d, ok, err)
		}
		pl, ok, err := s.Plan("p1")
		if err != nil || !ok || pl.Hash != "ph" || string(pl.Data) != string(want.Data) || !pl.ConfirmedAt.Equal(want.ConfirmedAt) {
			t.Fatalf("plan = %+v ok=%v err=%v", pl, ok, err)
		}
		h, ok, err := s.PlanHeader("p1")
		if err != nil || !ok || h.Hash != "ph" || h.SnapshotHash != "sh" || h.ConfirmedBy != "u" || h.Data != nil {
			t.Fatalf("plan header = %+v ok=%v err=%v", h, ok, err)
		}
		if _, ok, _ := s.Plan("p2"); ok {
			t.Fatal("p2 has a plan")
		}
		if _, ok, _ := s.Contacts("p2"); ok {
			t.Fatal("p2 has contacts")
		}
		if snap, ok, err := s.LatestSnapshot("p1"); err != nil || !ok || snap.Seq != 2 || snap.Hash != "sh" || len(snap.Directory.Members) != 2 {
			t.Fatalf("latest snapshot = %+v ok=%v err=%v", snap, ok, err)
		}
		if snap, ok, err := s.SnapshotByHash("p1", "s1"); err != nil || !ok || snap.Seq != 1 {
			t.Fatalf("snapshot s1 = %+v ok=%v err=%v", snap, ok, err)
		}
		for h, want := range map[string]bool{"s1": true, "sh": true, "zz": false} {
			if ok, err := s.HasSnapshot("p1", h); err != nil || ok != want {
				t.Fatalf("HasSnapshot(%s) = %v, %v", h, ok, err)
			}
		}
	}
	// A read-only open does not upgrade, and still reads the old layout.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	check(ro)
	ro.Close()

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.Schema(); v != SchemaVersion {
		t.Fatalf("schema after upgrade = %d", v)
	}
	check(s)
	s.DB().View(func(tx *bolt.Tx) error {
		b, _ := ProjectBucket(tx, "p1")
		for _, k := range []string{"contacts", "plan"} {
			if v := b.Get([]byte(k)); v != nil {
				t.Errorf("%s still a value next to the project record", k)
			}
			if sb := b.Bucket([]byte(k)); sb == nil || sb.Get(keyBlobData) == nil {
				t.Errorf("%s not moved into its sub-bucket", k)
			}
		}
		sb := b.Bucket(bucketSnaps)
		for seq := uint64(1); seq <= 2; seq++ {
			if sb.Get(seqKey(seq)) != nil || sb.Bucket(seqKey(seq)) == nil {
				t.Errorf("snapshot %d not moved into its sub-bucket", seq)
			}
		}
		if sb.Sequence() != 2 {
			t.Errorf("snapshot sequence = %d after the move", sb.Sequence())
		}
		return nil
	})
	// The moved values keep working: replace, delete.
	if err := s.SaveContacts("p1", &contacts.Directory{}); err != nil {
		t.Fatal(err)
	}
	if d, ok, _ := s.Contacts("p1"); !ok || len(d.Members) != 0 {
		t.Fatalf("saved contacts = %+v", d)
	}
	if err := s.DB().Update(func(tx *bolt.Tx) error { return DeletePlanTx(tx, "p1") }); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Plan("p1"); ok {
		t.Fatal("plan not deleted")
	}
	if _, ok, _ := s.PlanHeader("p1"); ok {
		t.Fatal("plan header after delete")
	}
}

// TestStateChangeKeepsLargeValuesUnwritten: a project record update must
// not rewrite the working copy or the plan (bbolt rewrites the whole leaf
// a changed key is in), whatever their size.
func TestStateChangeKeepsLargeValuesUnwritten(t *testing.T) {
	s := openTemp(t)
	p, _ := s.CreateProject("甲公司")
	if err := s.SaveContacts(p.ID, bigDir(5000)); err != nil {
		t.Fatal(err)
	}
	big := StoredPlan{Hash: "h", Data: json.RawMessage(`"` + strings.Repeat("x", 2<<20) + `"`)}
	if err := s.SavePlan(p.ID, big); err != nil {
		t.Fatal(err)
	}
	before := s.DB().Stats()
	if _, err := s.UpdateProject(p.ID, func(p *Project) error { p.Stage = "migrating"; return nil }); err != nil {
		t.Fatal(err)
	}
	after := s.DB().Stats()
	if n := after.TxStats.GetPageAlloc() - before.TxStats.GetPageAlloc(); n > 64<<10 {
		t.Fatalf("a state change wrote %d bytes of pages; want the project record's leaf only", n)
	}
}

// TestFreezeKeepsEarlierSnapshotsUnwritten: freezing again writes the new
// snapshot, not the earlier ones next to it.
func TestFreezeKeepsEarlierSnapshotsUnwritten(t *testing.T) {
	s := openTemp(t)
	p, _ := s.CreateProject("甲公司")
	d := bigDir(5000)
	var first int64
	for i := 0; i < 4; i++ {
		before := s.DB().Stats()
		if _, err := s.FreezeSnapshot(p.ID, d); err != nil {
			t.Fatal(err)
		}
		after := s.DB().Stats()
		n := after.TxStats.GetPageAlloc() - before.TxStats.GetPageAlloc()
		if i == 0 {
			first = n
		} else if n > first+first/2 {
			t.Fatalf("freeze %d wrote %d bytes of pages, the first %d: earlier snapshots rewritten", i+1, n, first)
		}
	}
	if snap, ok, err := s.LatestSnapshot(p.ID); err != nil || !ok || snap.Seq != 4 {
		t.Fatalf("latest = %d %v %v", snap.Seq, ok, err)
	}
}
