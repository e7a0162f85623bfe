package store

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"exmail-upgrade/core/fsname"

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

// Bounds of an import, checked while reading and before anything is
// written (a small hostile file can inflate to any size). A 100k-member
// company exports to about 3.5 MB holding 62 MB, its longest line (a frozen
// snapshot) 31 MB.
const (
	// MaxExportFileSize, MaxExportDataSize and MaxExportLineSize bound an
	// import.
	MaxExportFileSize = 256 << 20 // compressed bytes
	MaxExportDataSize = 1 << 30   // decompressed bytes in all
	MaxExportLineSize = 128 << 20 // decompressed bytes of one record
	maxExportDepth    = 16        // nested sub-buckets
	maxNameRunes      = 200       // company name
)

// The limits in force (tests lower them).
var (
	exportFileLimit int64 = MaxExportFileSize
	exportDataLimit int64 = MaxExportDataSize
	exportLineLimit       = MaxExportLineSize
)

// minExportSchema is the oldest state schema an import reads: schema 2
// differs from 3 only in where contacts and plan are kept (moved on import).
const minExportSchema = 2

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

// ImportProjectFile imports the project exported to path (a regular
// file; see ImportProject).
func (s *Store) ImportProjectFile(path string) (Project, error) {
	f, err := os.Open(path)
	if err != nil {
		return Project{}, fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return Project{}, fmt.Errorf("import %s: %w", path, badExport("not a regular file"))
	}
	p, err := s.ImportProject(f)
	if err != nil {
		return Project{}, fmt.Errorf("import %s: %w", path, err)
	}
	return p, nil
}

func badExport(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadExport, fmt.Sprintf(format, args...))
}

// ImportProject reads an export (see ExportProject) and adds the project.
//
// The whole file is verified before the store is touched: format, version,
// every ID and name, sizes (MaxExportFileSize compressed, MaxExportDataSize
// decompressed, one record at most 128 MiB), record count and checksum.
// Only then is it read a second time into one transaction, so a bad file
// writes nothing. An import never touches another project: when the ID is
// already taken here, the project is imported under a new ID
// (Project.ImportedFrom holds the original). A project whose migration had
// started stays locked. An "import" entry is appended to its audit log.
func (s *Store) ImportProject(r io.Reader) (Project, error) {
	open, err := replayable(r)
	if err != nil {
		return Project{}, err
	}
	src, err := open()
	if err != nil {
		return Project{}, err
	}
	hdr, _, err := readExport(src, nil)
	if err != nil {
		return Project{}, err
	}
	var out Project
	err = importUpdate(s.db, func(tx *bolt.Tx) error {
		src, err := open()
		if err != nil {
			return err
		}
		out, err = importTx(tx, src, hdr.ProjectID)
		return err
	})
	if err != nil {
		return Project{}, err
	}
	return out, nil
}

// importUpdate runs the import's one write transaction (a seam for the
// tests that prove a bad file never gets that far).
var importUpdate = (*bolt.DB).Update

// replayable returns a function giving r from its start on each call: by
// seeking when r can, else from a copy in memory (at most
// MaxExportFileSize bytes).
func replayable(r io.Reader) (func() (io.Reader, error), error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		if start, err := rs.Seek(0, io.SeekCurrent); err == nil {
			return func() (io.Reader, error) {
				if _, err := rs.Seek(start, io.SeekStart); err != nil {
					return nil, fmt.Errorf("import: rewind: %w", err)
				}
				return io.LimitReader(rs, exportFileLimit+1), nil
			}, nil
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, exportFileLimit+1))
	if err != nil {
		return nil, fmt.Errorf("import: read: %w", err)
	}
	if int64(len(data)) > exportFileLimit {
		return nil, badExport("file larger than %d bytes", exportFileLimit)
	}
	return func() (io.Reader, error) { return bytes.NewReader(data), nil }, nil
}

// limitedReader fails once more than n bytes were read.
type limitedReader struct {
	r    io.Reader
	n    int64
	what string
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, badExport("%s", l.what)
	}
	return n, err
}

// CheckName refuses a company name that is empty, too long, not UTF-8 or
// holds control characters.
func CheckName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("公司名不能为空 / company name is empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("公司名不是有效的 UTF-8 / company name is not valid UTF-8")
	case utf8.RuneCountInString(name) > maxNameRunes:
		return fmt.Errorf("公司名超过 %d 个字符 / company name is longer than %d characters", maxNameRunes, maxNameRunes)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("公司名含控制字符 / company name holds a control character: %q", fsname.Prefix(name, 40))
		}
	}
	return nil
}

// exportReader reads the lines of a decompressed export, bounded and
// hashed.
type exportReader struct {
	br *bufio.Reader
	h  hash.Hash
}

func (er *exportReader) line() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := er.br.ReadSlice('\n')
		if len(buf)+len(chunk) > exportLineLimit {
			return nil, badExport("a record is longer than %d bytes", exportLineLimit)
		}
		buf = append(buf, chunk...)
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
			if errors.Is(err, ErrBadExport) {
				return nil, err
			}
			return nil, badExport("read: %v", err)
		}
		return buf, nil
	}
}

// readExport reads and verifies the export in r. With put nil nothing is
// kept: it only validates (header, IDs, names, bucket structure, project
// record, sizes, count, checksum). With put set, each record is passed to
// put as it is read (the caller's transaction rolls back on a later error).
func readExport(r io.Reader, put func(rec exportRecord) error) (exportHeader, Project, error) {
	var hdr exportHeader
	var proj Project
	zr, err := gzip.NewReader(r)
	if err != nil {
		return hdr, proj, badExport("not gzip: %v", err)
	}
	defer zr.Close()
	er := &exportReader{
		br: bufio.NewReaderSize(&limitedReader{r: zr, n: exportDataLimit,
			what: fmt.Sprintf("more than %d bytes once decompressed", exportDataLimit)}, 64<<10),
		h: sha256.New(),
	}
	first, err := er.line()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return hdr, proj, badExport("empty file")
		}
		return hdr, proj, err
	}
	er.h.Write(first)
	if err := json.Unmarshal(first, &hdr); err != nil {
		return hdr, proj, badExport("header: %v", err)
	}
	switch {
	case hdr.Format != ExportFormat:
		return hdr, proj, badExport("format %q", fsname.Prefix(hdr.Format, 40))
	case hdr.Version != ExportVersion:
		return hdr, proj, badExport("export version %d, this app reads %d", hdr.Version, ExportVersion)
	case hdr.Schema < minExportSchema || hdr.Schema > SchemaVersion:
		return hdr, proj, badExport("state schema %d, this app reads %d to %d: export again with the same app version", hdr.Schema, minExportSchema, SchemaVersion)
	}
	if err := CheckID(hdr.ProjectID); err != nil {
		return hdr, proj, badExport("header: %v", err)
	}
	if err := CheckName(hdr.Name); err != nil {
		return hdr, proj, badExport("header: %v", err)
	}
	buckets := map[string]bool{"": true} // declared sub-bucket paths
	pathKey := func(path [][]byte) string {
		var b strings.Builder
		for _, p := range path {
			fmt.Fprintf(&b, "%d:%s/", len(p), p)
		}
		return b.String()
	}
	n, haveProject := 0, false
	for {
		line, err := er.line()
		if errors.Is(err, io.EOF) {
			return hdr, proj, badExport("truncated file (no trailer)")
		}
		if err != nil {
			return hdr, proj, err
		}
		var rec exportRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return hdr, proj, badExport("record %d: %v", n+1, err)
		}
		if rec.End {
			if rec.Records != n {
				return hdr, proj, badExport("trailer says %d records, file has %d", rec.Records, n)
			}
			if sum := hex.EncodeToString(er.h.Sum(nil)); sum != rec.SHA256 {
				return hdr, proj, badExport("checksum mismatch (file damaged or edited)")
			}
			if _, err := er.line(); !errors.Is(err, io.EOF) {
				return hdr, proj, badExport("data after the trailer")
			}
			break
		}
		er.h.Write(line)
		n++
		if len(rec.Path) > maxExportDepth {
			return hdr, proj, badExport("record %d: buckets nested deeper than %d", n, maxExportDepth)
		}
		for _, name := range rec.Path {
			if len(name) == 0 || len(name) > bolt.MaxKeySize {
				return hdr, proj, badExport("record %d: empty or overlong bucket name", n)
			}
		}
		if rec.Bucket {
			if len(rec.Path) == 0 {
				return hdr, proj, badExport("record %d: bucket without a name", n)
			}
			if !buckets[pathKey(rec.Path[:len(rec.Path)-1])] {
				return hdr, proj, badExport("record %d: bucket %q inside an undeclared bucket", n, fsname.Prefix(string(rec.Path[len(rec.Path)-1]), 40))
			}
			k := pathKey(rec.Path)
			if buckets[k] {
				return hdr, proj, badExport("record %d: bucket %q declared twice", n, fsname.Prefix(string(rec.Path[len(rec.Path)-1]), 40))
			}
			buckets[k] = true
		} else {
			if len(rec.Key) == 0 || len(rec.Key) > bolt.MaxKeySize {
				return hdr, proj, badExport("record %d: empty or overlong key", n)
			}
			if !buckets[pathKey(rec.Path)] {
				return hdr, proj, badExport("record %d: key in an undeclared bucket", n)
			}
			if len(rec.Path) == 0 && string(rec.Key) == string(keyProject) {
				if haveProject {
					return hdr, proj, badExport("two project records")
				}
				haveProject = true
				if err := json.Unmarshal(rec.Value, &proj); err != nil {
					return hdr, proj, badExport("project record: %v", err)
				}
				if proj.ID != hdr.ProjectID {
					return hdr, proj, badExport("project record id %q differs from header %q", fsname.Prefix(proj.ID, 40), hdr.ProjectID)
				}
				if err := CheckName(proj.Name); err != nil {
					return hdr, proj, badExport("project record: %v", err)
				}
			}
		}
		if put != nil {
			if err := put(rec); err != nil {
				return hdr, proj, err
			}
		}
	}
	if !haveProject {
		return hdr, proj, badExport("no project record")
	}
	return hdr, proj, nil
}

// migrationStarted lists the upgrade stages (core/upgrade) from which a
// project is locked for ever.
var migrationStarted = map[string]bool{"migrating": true, "failed_items": true, "done": true}

// importTx writes the export in r (already verified once) into tx as a
// new project bucket: origID when free, else a new ID.
func importTx(tx *bolt.Tx, r io.Reader, origID string) (Project, error) {
	root, err := tx.CreateBucketIfNotExists(bucketProjects)
	if err != nil {
		return Project{}, err
	}
	id := origID
	if root.Bucket([]byte(id)) != nil || root.Get([]byte(id)) != nil {
		if id, err = newID(); err != nil {
			return Project{}, err
		}
	}
	pb, err := root.CreateBucket([]byte(id))
	if err != nil {
		return Project{}, fmt.Errorf("import: create project %s: %w", id, err)
	}
	find := func(path [][]byte) (*bolt.Bucket, error) {
		b := pb
		for _, name := range path {
			if b = b.Bucket(name); b == nil {
				return nil, badExport("bucket %q used before it was declared", fsname.Prefix(string(name), 40))
			}
		}
		return b, nil
	}
	hdr, p, err := readExport(r, func(rec exportRecord) error {
		if rec.Bucket {
			parent, err := find(rec.Path[:len(rec.Path)-1])
			if err != nil {
				return err
			}
			name := rec.Path[len(rec.Path)-1]
			nb, err := parent.CreateBucket(name)
			if err != nil {
				return badExport("bucket %q: %v", fsname.Prefix(string(name), 40), err)
			}
			return nb.SetSequence(rec.Seq)
		}
		b, err := find(rec.Path)
		if err != nil {
			return err
		}
		val := rec.Value
		if val == nil {
			val = []byte{}
		}
		if err := b.Put(rec.Key, val); err != nil {
			return badExport("key %q: %v", fsname.Prefix(string(rec.Key), 40), err)
		}
		return nil
	})
	if err != nil {
		return Project{}, err
	}
	if hdr.ProjectID != origID {
		return Project{}, badExport("the file changed while it was imported")
	}
	// A schema-2 export keeps contacts and plan as values: move them (a
	// schema-3 export has none, so this is a no-op there).
	if err := moveBlobsToBuckets(pb); err != nil {
		return Project{}, fmt.Errorf("import: %w", err)
	}
	if id != p.ID {
		p.ImportedFrom = p.ID
		p.ID = id
	}
	if migrationStarted[p.Stage] {
		p.Locked = true
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
