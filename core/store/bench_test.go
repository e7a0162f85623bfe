package store

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
)

func bigDir(n int) *contacts.Directory {
	d := &contacts.Directory{Members: make([]contacts.Member, n)}
	for i := range d.Members {
		d.Members[i] = contacts.Member{Name: fmt.Sprintf("成员%d", i), Account: fmt.Sprintf("u%06d", i),
			Departments: []string{fmt.Sprintf("部门%d/组%d", i%50, i%7)}, Mobile: fmt.Sprintf("138%08d", i),
			BizMail: fmt.Sprintf("u%06d@example.com", i)}
	}
	return d
}

// BenchmarkFreezeSnapshot100k freezes a 100k-member directory (one fsync)
// again and again: alloc-bytes/op must stay one snapshot's size.
func BenchmarkFreezeSnapshot100k(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "s.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p, _ := s.CreateProject("甲公司")
	d := bigDir(100000)
	before := s.DB().Stats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.FreezeSnapshot(p.ID, d); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after := s.DB().Stats()
	b.ReportMetric(float64(after.TxStats.GetPageAlloc()-before.TxStats.GetPageAlloc())/float64(b.N), "alloc-bytes/op")
}

// BenchmarkExportImport100k exports and imports a project holding a
// 100k-member working copy and snapshot.
func BenchmarkExportImport100k(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "s.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p, _ := s.CreateProject("甲公司")
	d := bigDir(100000)
	s.SaveContacts(p.ID, d)
	s.FreezeSnapshot(p.ID, d)
	dst, err := Open(filepath.Join(b.TempDir(), "d.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer dst.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := s.ExportProject(p.ID, &buf); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(buf.Len()), "file-bytes")
		if _, err := dst.ImportProject(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendAudit is one audited write (one transaction, one fsync).
func BenchmarkAppendAudit(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "s.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p, _ := s.CreateProject("甲公司")
	for i := 0; i < b.N; i++ {
		if _, err := s.AppendAudit(p.ID, AuditEntry{Actor: "u", Action: "x"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenChecked100k is Open of a state file holding a 100k-member
// working copy and snapshot: the structure walk and bbolt's consistency
// check run on every open; the last-good copy only when the file changed.
func BenchmarkOpenChecked100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	p, _ := s.CreateProject("甲公司")
	d := bigDir(100000)
	s.SaveContacts(p.ID, d)
	s.FreezeSnapshot(p.ID, d)
	s.Close()
	for _, c := range []struct {
		name  string
		touch bool
	}{{"unchanged", false}, {"changed-backup", true}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s, err := Open(path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if c.touch {
					b.StopTimer()
					s.AppendAudit(p.ID, AuditEntry{Action: "note"})
					b.StartTimer()
				}
				s.Close()
			}
		})
	}
}

// bigPlan is a stored plan about the size core/plan writes for n members
// (~200 bytes of JSON each).
func bigPlan(n int) StoredPlan {
	var data bytes.Buffer
	data.WriteString(`{"ops":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			data.WriteByte(',')
		}
		fmt.Fprintf(&data, `{"kind":"create_user","userid":"u%06d","name":"成员%d","department":[%d],"mobile":"138%08d","biz_mail":"u%06d@example.com","position":"工程师","enable":1}`, i, i, i%50+2, i, i)
	}
	data.WriteString(`]}`)
	return StoredPlan{Hash: "h", SnapshotHash: "s", ConfirmedAt: time.Now().UTC(), Data: data.Bytes()}
}

// BenchmarkStateChange100k is one upgrade state change (UpdateProject, the
// transaction core/upgrade makes: PutProjectTx, one fsync) on a project
// holding a 100k-member working copy, snapshot and confirmed plan. A
// state change must not rewrite the large values: alloc-bytes/op is the
// page space the commit wrote (bbolt's TxStats.PageAlloc).
func BenchmarkStateChange100k(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "s.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p, _ := s.CreateProject("甲公司")
	d := bigDir(100000)
	if err := s.SaveContacts(p.ID, d); err != nil {
		b.Fatal(err)
	}
	if _, err := s.FreezeSnapshot(p.ID, d); err != nil {
		b.Fatal(err)
	}
	if err := s.SavePlan(p.ID, bigPlan(100000)); err != nil {
		b.Fatal(err)
	}
	before := s.DB().Stats().TxStats
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.UpdateProject(p.ID, func(p *Project) error {
			p.Stage = fmt.Sprintf("stage%d", i)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after := s.DB().Stats().TxStats
	b.ReportMetric(float64(after.GetPageAlloc()-before.GetPageAlloc())/float64(b.N), "alloc-bytes/op")
	b.ReportMetric(float64(after.GetWrite()-before.GetWrite())/float64(b.N), "writes/op")
}
