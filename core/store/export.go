package store

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ExportFormat names the portable project file format; ExportVersion is
// its version. The file is gzip-compressed JSON lines: a header line, one
// line per bucket or key of the project (keys and values base64), and a
// trailer with the record count and the SHA-256 of every preceding line.
const (
	ExportFormat    = "exmail-upgrade-project"
	ExportVersion   = 1
	ExportExtension = ".exup"
)

// maxExportLine bounds one line of an export file (a frozen snapshot of a
// very large company is the biggest value).
const maxExportLine = 256 << 20

type exportHeader struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Schema     int       `json:"schema"`
	ProjectID  string    `json:"project_id"`
	Name       string    `json:"name"`
	ExportedAt time.Time `json:"exported_at"`
}

type exportRecord struct {
	Path   [][]byte `json:"p,omitempty"` // sub-bucket path below the project bucket
	Bucket bool     `json:"b,omitempty"` // the record creates the bucket Path
	Seq    uint64   `json:"s,omitempty"` // the bucket's sequence (NextSequence state)
	Key    []byte   `json:"k,omitempty"`
	Value  []byte   `json:"v,omitempty"`
	// Trailer fields (End true on the last line only).
	End     bool   `json:"end,omitempty"`
	Records int    `json:"records,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
}

// hashingWriter writes lines and hashes them.
type lineWriter struct {
	w   io.Writer
	h   hash.Hash
	n   int
	err error
}

func (lw *lineWriter) line(v any) {
	if lw.err != nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		lw.err = err
		return
	}
	data = append(data, '\n')
	lw.h.Write(data)
	_, lw.err = lw.w.Write(data)
}

// ExportProject writes project id as one portable file to w (see
// ExportFormat). Everything in the project bucket travels, including
// sub-buckets owned by other packages; no secret is ever in the store.
func (s *Store) ExportProject(id string, w io.Writer) error {
	zw := gzip.NewWriter(w)
	lw := &lineWriter{w: zw, h: sha256.New()}
	err := s.db.View(func(tx *bolt.Tx) error {
		p, err := GetProjectTx(tx, id)
		if err != nil {
			return err
		}
		lw.line(exportHeader{Format: ExportFormat, Version: ExportVersion, Schema: SchemaVersion,
			ProjectID: p.ID, Name: p.Name, ExportedAt: s.now().UTC()})
		b, _ := ProjectBucket(tx, id)
		var walk func(b *bolt.Bucket, path [][]byte) error
		walk = func(b *bolt.Bucket, path [][]byte) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					sub := append(append([][]byte(nil), path...), k)
					lw.line(exportRecord{Path: sub, Bucket: true, Seq: b.Bucket(k).Sequence()})
					lw.n++
					return walk(b.Bucket(k), sub)
				}
				lw.line(exportRecord{Path: path, Key: k, Value: v})
				lw.n++
				return lw.err
			})
		}
		return walk(b, nil)
	})
	if err != nil {
		return fmt.Errorf("export project %s: %w", id, err)
	}
	sum := hex.EncodeToString(lw.h.Sum(nil))
	lw.line(exportRecord{End: true, Records: lw.n, SHA256: sum})
	if lw.err != nil {
		return fmt.Errorf("export project %s: %w", id, lw.err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export project %s: %w", id, err)
	}
	return nil
}

// ExportProjectFile writes project id to path (atomically: a temp file
// renamed into place).
func (s *Store) ExportProjectFile(id, path string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("export to %s: %w", path, err)
	}
	if err := s.ExportProject(id, f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("export to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("export to %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("export to %s: %w", path, err)
	}
	return nil
}

// ImportProjectFile imports the project exported to path.
func (s *Store) ImportProjectFile(path string) (Project, error) {
	f, err := os.Open(path)
	if err != nil {
		return Project{}, fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	p, err := s.ImportProject(f)
	if err != nil {
		return Project{}, fmt.Errorf("import %s: %w", path, err)
	}
	return p, nil
}

func badExport(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadExport, fmt.Sprintf(format, args...))
}

// ImportProject reads an export (see ExportProject) and adds the project,
// under a new ID when its ID already exists here (Project.ImportedFrom then
// holds the original). Nothing is written unless the whole file is valid
// (format, version, record count and checksum). An "import" entry is
// appended to the project's audit log.
func (s *Store) ImportProject(r io.Reader) (Project, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Project{}, badExport("not gzip: %v", err)
	}
	defer zr.Close()
	var out Project
	err = s.db.Update(func(tx *bolt.Tx) error {
		var err error
		out, err = importTx(tx, zr)
		return err
	})
	if err != nil {
		return Project{}, err
	}
	return out, nil
}

func importTx(tx *bolt.Tx, r io.Reader) (Project, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	h := sha256.New()
	readLine := func() ([]byte, error) {
		var buf []byte
		for {
			chunk, err := br.ReadSlice('\n')
			buf = append(buf, chunk...)
			if len(buf) > maxExportLine {
				return nil, badExport("line longer than %d bytes", maxExportLine)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if len(buf) == 0 {
					return nil, io.EOF
				}
				return nil, badExport("truncated file (no final newline)")
			}
			if err != nil {
				return nil, badExport("read: %v", err)
			}
			return buf, nil
		}
	}
	first, err := readLine()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Project{}, badExport("empty file")
		}
		return Project{}, err
	}
	h.Write(first)
	var hdr exportHeader
	if err := json.Unmarshal(first, &hdr); err != nil {
		return Project{}, badExport("header: %v", err)
	}
	if hdr.Format != ExportFormat {
		return Project{}, badExport("format %q", hdr.Format)
	}
	if hdr.Version != ExportVersion {
		return Project{}, badExport("export version %d, this app reads %d", hdr.Version, ExportVersion)
	}
	if hdr.Schema != SchemaVersion {
		return Project{}, badExport("state schema %d, this app uses %d: export again with the same app version", hdr.Schema, SchemaVersion)
	}
	if hdr.ProjectID == "" {
		return Project{}, badExport("header without project id")
	}
	root, err := tx.CreateBucketIfNotExists(bucketProjects)
	if err != nil {
		return Project{}, err
	}
	id := hdr.ProjectID
	if root.Bucket([]byte(id)) != nil {
		if id, err = newID(); err != nil {
			return Project{}, err
		}
	}
	pb, err := root.CreateBucket([]byte(id))
	if err != nil {
		return Project{}, badExport("project id %q: %v", id, err)
	}
	find := func(path [][]byte, create bool) (*bolt.Bucket, error) {
		b := pb
		for i, name := range path {
			next := b.Bucket(name)
			if next == nil {
				if !create || i != len(path)-1 {
					return nil, badExport("bucket %q used before it was declared", name)
				}
				var err error
				if next, err = b.CreateBucket(name); err != nil {
					return nil, badExport("bucket %q: %v", name, err)
				}
			} else if create && i == len(path)-1 {
				return nil, badExport("bucket %q declared twice", name)
			}
			b = next
		}
		return b, nil
	}
	n := 0
	for {
		line, err := readLine()
		if errors.Is(err, io.EOF) {
			return Project{}, badExport("truncated file (no trailer)")
		}
		if err != nil {
			return Project{}, err
		}
		var rec exportRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return Project{}, badExport("record %d: %v", n+1, err)
		}
		if rec.End {
			if rec.Records != n {
				return Project{}, badExport("trailer says %d records, file has %d", rec.Records, n)
			}
			if sum := hex.EncodeToString(h.Sum(nil)); sum != rec.SHA256 {
				return Project{}, badExport("checksum mismatch (file damaged or edited)")
			}
			if _, err := readLine(); !errors.Is(err, io.EOF) {
				return Project{}, badExport("data after the trailer")
			}
			break
		}
		h.Write(line)
		n++
		if rec.Bucket {
			if len(rec.Path) == 0 {
				return Project{}, badExport("record %d: bucket without a name", n)
			}
			for _, name := range rec.Path {
				if len(name) == 0 {
					return Project{}, badExport("record %d: empty bucket name", n)
				}
			}
			nb, err := find(rec.Path, true)
			if err != nil {
				return Project{}, err
			}
			if err := nb.SetSequence(rec.Seq); err != nil {
				return Project{}, badExport("record %d: %v", n, err)
			}
			continue
		}
		if len(rec.Key) == 0 {
			return Project{}, badExport("record %d: empty key", n)
		}
		b, err := find(rec.Path, false)
		if err != nil {
			return Project{}, err
		}
		if b.Bucket(rec.Key) != nil {
			return Project{}, badExport("record %d: key %q is a bucket", n, rec.Key)
		}
		val := rec.Value
		if val == nil {
			val = []byte{}
		}
		if err := b.Put(rec.Key, val); err != nil {
			return Project{}, badExport("record %d: %v", n, err)
		}
	}
	p, err := readProject(pb)
	if err != nil {
		return Project{}, badExport("no project record")
	}
	if p.ID != hdr.ProjectID {
		return Project{}, badExport("project record id %q differs from header %q", p.ID, hdr.ProjectID)
	}
	if id != p.ID {
		p.ImportedFrom = p.ID
		p.ID = id
	}
	if err := putJSON(pb, keyProject, p); err != nil {
		return Project{}, err
	}
	if err := PutProjectTx(tx, p); err != nil {
		return Project{}, err
	}
	details := map[string]string{"exported_at": hdr.ExportedAt.Format(time.RFC3339)}
	if p.ImportedFrom != "" {
		details["original_id"] = p.ImportedFrom
	}
	if _, err := AppendAuditTx(tx, id, AuditEntry{Actor: CurrentUser(), Action: "import", Details: details}); err != nil {
		return Project{}, err
	}
	return GetProjectTx(tx, id)
}
