// Package store keeps the app's durable state in one bbolt file: many
// projects (one per client company), each with its upgrade state, contacts
// working copy and frozen snapshots, the confirmed plan, named JSON documents,
// an append-only audit log and sub-buckets other packages own (the migration
// journal). It also exports and imports one project as a single portable file.
//
// Layout of the file:
//
//	meta/                     schema → decimal schema version
//	projects/<id>/            one bucket per project
//	    project               JSON Project record
//	    contacts/data         JSON contacts.Directory (working copy)
//	    plan/data             JSON StoredPlan (the confirmed plan)
//	    snapshots/<seq>/data  JSON Snapshot (frozen contacts, with hash)
//	    audit/<seq>           JSON AuditEntry (append-only)
//	    docs/<name>           arbitrary named JSON documents
//	    <other sub-buckets>   owned by other packages (e.g. the migration journal)
//
// The large values (working copy, plan, each snapshot) live in sub-buckets
// of their own since schema 3: bbolt rewrites a whole leaf when any key in it
// changes, and a leaf holds at least two keys (up to four unsplit), so next
// to the small project record they were rewritten (tens of MB, fsynced) by
// every state change, and each new snapshot rewrote the previous ones.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"exmail-upgrade/core/fsname"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout version this code writes. Older files are
// upgraded in place on Open by the steps in migrations.
const SchemaVersion = 3

// DefaultTimeout is how long Open waits for the file lock held by another
// instance before giving up with ErrLocked.
const DefaultTimeout = time.Second

var (
	// ErrLocked means the state file is open in another instance of the app.
	ErrLocked = errors.New("状态文件已被另一个实例使用，请先关闭另一个窗口 / state file is already open in another instance")
	// ErrNotFound means the project (or record) does not exist.
	ErrNotFound = errors.New("项目不存在 / project not found")
	// ErrProjectLocked means the project may no longer be deleted or have its
	// contacts replaced because its migration has started.
	ErrProjectLocked = errors.New("迁移已开始，项目已锁定 / migration has started, the project is locked")
	// ErrSchemaTooNew means the file was written by a newer version of the app.
	ErrSchemaTooNew = errors.New("状态文件来自更新版本的程序 / state file was written by a newer version of the app")
	// ErrBadExport means an import file is not a valid project export.
	ErrBadExport = errors.New("不是有效的项目导出文件 / not a valid project export file")
)

var (
	bucketMeta     = []byte("meta")
	bucketProjects = []byte("projects")
	keySchema      = []byte("schema")

	keyProject   = []byte("project")
	keyContacts  = []byte("contacts") // a sub-bucket since schema 3 (a value before)
	keyPlan      = []byte("plan")     // a sub-bucket since schema 3 (a value before)
	keyBlobData  = []byte("data")     // the value inside the contacts and plan sub-buckets
	bucketSnaps  = []byte("snapshots")
	bucketAudit  = []byte("audit")
	bucketDocs   = []byte("docs")
	reservedSubs = map[string]bool{"snapshots": true, "audit": true, "docs": true, "contacts": true, "plan": true}
)

// Options tune Open.
type Options struct {
	// Timeout is how long to wait for another instance's file lock
	// (DefaultTimeout when zero). On timeout Open returns ErrLocked.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock and refuses writes.
	ReadOnly bool
	// NoSync skips fsync on commit: only for tests and throwaway rehearsal
	// state, never for a real project.
	NoSync bool
	// NoBackup skips the last-good copy Open saves after a clean check.
	NoBackup bool
}

// Store is an open state file. It is safe for concurrent use.
type Store struct {
	db        *bolt.DB
	path      string
	now       func() time.Time
	backupErr error
}

// DefaultPath returns the default state file:
// os.UserConfigDir()/exmail-upgrade/state.db.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find user config dir: %w", err)
	}
	return filepath.Join(dir, "exmail-upgrade", "state.db"), nil
}

// Open opens (creating when missing) the state file at path, creating its
// directory, and upgrades its schema in place. A file held by another
// instance yields ErrLocked after opts.Timeout.
//
// An existing file is checked before use: its structure with plain reads
// (so a damaged file can never crash the process, see checkFile), then
// bbolt's consistency check. A damaged file yields a *DamagedError
// (errors.Is(err, ErrDamaged)) naming the last-good copies to Restore. After
// a clean check of a file opened for writing, a last-good copy is saved
// (see Backups) unless opts.NoBackup.
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			return nil, err
		}
		path = p
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create state dir %s: %w", filepath.Dir(path), err)
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var db *bolt.DB
	var backupErr error
	st, err := os.Stat(path)
	switch {
	case err == nil && !st.Mode().IsRegular():
		return nil, fmt.Errorf("open state file %s: not a regular file", path)
	case err == nil && st.Size() == 0:
		// bbolt would silently start a new state in an emptied file.
		if d := damaged(path, "the file is empty"); opts.ReadOnly || len(d.Backups) > 0 {
			return nil, d
		}
	case err == nil:
		vdb, m, err := verifyOpen(path, timeout)
		if err != nil {
			return nil, err
		}
		if opts.ReadOnly {
			db = vdb
			break
		}
		if !opts.NoBackup {
			backupErr = writeBackup(vdb, path, m)
		}
		vdb.Close()
	}
	if db == nil {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly})
		if err != nil {
			if errors.Is(err, berrors.ErrTimeout) {
				return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
			}
			return nil, fmt.Errorf("open state file %s: %w", path, err)
		}
	}
	db.NoSync = opts.NoSync
	s := &Store{db: db, path: path, now: time.Now, backupErr: backupErr}
	if !opts.ReadOnly {
		if err := s.upgradeSchema(); err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	} else if v, err := s.readSchema(); err != nil {
		db.Close()
		return nil, err
	} else if v > SchemaVersion {
		db.Close()
		return nil, fmt.Errorf("open %s: schema %d > %d: %w", path, v, SchemaVersion, ErrSchemaTooNew)
	}
	return s, nil
}

// BackupError is why the last-good copy could not be saved at Open (nil
// when it was saved, unchanged, or not asked for). The store works anyway;
// the app may warn.
func (s *Store) BackupError() error { return s.backupErr }

// Close closes the file and releases its lock.
func (s *Store) Close() error { return s.db.Close() }

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// DB exposes the bbolt handle so other packages (the migration engine) can
// keep their own sub-buckets inside a project, in their own batched
// transactions. Use ProjectBucket / ProjectSubBucket to find them.
func (s *Store) DB() *bolt.DB { return s.db }

// Schema returns the schema version recorded in the file.
func (s *Store) Schema() (int, error) { return s.readSchema() }

func (s *Store) readSchema() (int, error) {
	v := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = schemaOf(tx)
		return err
	})
	return v, err
}

func schemaOf(tx *bolt.Tx) (int, error) {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return 0, nil
	}
	raw := m.Get(keySchema)
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("read schema version %q: %w", raw, err)
	}
	return v, nil
}

// migration upgrades the file from version from to from+1 inside one
// transaction.
type migration struct {
	from int
	desc string
	fn   func(tx *bolt.Tx) error
}

// migrations is the table of in-place schema upgrades, in order. Version 0
// is an empty (new) file.
var migrations = []migration{
	{0, "create meta and projects buckets", migrateV0toV1},
	{1, "add updated_at, move the single snapshot into the snapshots sequence", migrateV1toV2},
	{2, "move the working copy, the plan and each snapshot into sub-buckets of their own", migrateV2toV3},
}

func (s *Store) upgradeSchema() error {
	// A file already at this version is not written at all: every commit
	// is a new transaction, and an unchanged file must keep its last-good
	// copies (see writeBackup) from rotating.
	if v, err := s.readSchema(); err == nil && v == SchemaVersion {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		v, err := schemaOf(tx)
		if err != nil {
			return err
		}
		if v > SchemaVersion {
			return fmt.Errorf("schema %d > %d: %w", v, SchemaVersion, ErrSchemaTooNew)
		}
		if v == 0 && tx.Bucket(bucketProjects) != nil {
			// A v1 file written before the meta bucket existed.
			v = 1
		}
		for _, m := range migrations {
			if m.from < v {
				continue
			}
			if err := m.fn(tx); err != nil {
				return fmt.Errorf("upgrade schema %d→%d (%s): %w", m.from, m.from+1, m.desc, err)
			}
			v = m.from + 1
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if string(meta.Get(keySchema)) == strconv.Itoa(v) {
			return nil // nothing to write: keep read-mostly opens cheap
		}
		return meta.Put(keySchema, []byte(strconv.Itoa(v)))
	})
}

func migrateV0toV1(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketMeta); err != nil {
		return err
	}
	_, err := tx.CreateBucketIfNotExists(bucketProjects)
	return err
}

// projectIDs copies the names of root's project buckets, so a migration can
// change the buckets while it walks them.
func projectIDs(root *bolt.Bucket) ([][]byte, error) {
	var ids [][]byte
	err := root.ForEachBucket(func(k []byte) error {
		ids = append(ids, append([]byte(nil), k...))
		return nil
	})
	return ids, err
}

// migrateV1toV2: v1 projects had no updated_at nor locked flag and kept one
// frozen snapshot under the key "snapshot"; v2 keeps a sequence of
// snapshots.
func migrateV1toV2(tx *bolt.Tx) error {
	root := tx.Bucket(bucketProjects)
	if root == nil {
		return nil
	}
	ids, err := projectIDs(root)
	if err != nil {
		return err
	}
	for _, id := range ids {
		b := root.Bucket(id)
		p, err := readProject(b)
		if err != nil || p.ID != string(id) {
			// An unreadable record stays as it is (nothing is lost):
			// ScanProjects reports it, the other projects upgrade.
			continue
		}
		changed := false
		if p.UpdatedAt.IsZero() {
			p.UpdatedAt, changed = p.CreatedAt, true
		}
		// v1 had no Locked flag: projects whose migration had started
		// (stage strings of core/upgrade at v1) become locked.
		switch p.Stage {
		case "migrating", "failed_items", "done":
			if !p.Locked {
				p.Locked, changed = true, true
			}
		}
		if changed {
			if err := putJSON(b, keyProject, p); err != nil {
				return err
			}
		}
		if old := b.Get([]byte("snapshot")); old != nil {
			var snap Snapshot
			if err := jsonUnmarshal(old, &snap); err != nil {
				continue // an unreadable old snapshot is kept under its v1 key
			}
			sb, err := b.CreateBucketIfNotExists(bucketSnaps)
			if errors.Is(err, berrors.ErrIncompatibleValue) {
				continue // a damaged entry where the bucket belongs: keep the old key
			}
			if err != nil {
				return err
			}
			seq, err := sb.NextSequence()
			if err != nil {
				return err
			}
			snap.Seq = seq
			if err := putJSON(sb, seqKey(seq), snap); err != nil {
				return err
			}
			if err := b.Delete([]byte("snapshot")); err != nil {
				return err
			}
		}
	}
	return nil
}

// migrateV2toV3 moves each project's contacts, plan and snapshot values
// into sub-buckets of their own (see the package doc for why).
func migrateV2toV3(tx *bolt.Tx) error {
	root := tx.Bucket(bucketProjects)
	if root == nil {
		return nil
	}
	ids, err := projectIDs(root)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := moveBlobsToBuckets(root.Bucket(id)); err != nil {
			return fmt.Errorf("project %q: %w", fsname.Prefix(string(id), 40), err)
		}
	}
	return nil
}

// moveBlobsToBuckets moves the schema-2 values "contacts", "plan" and
// snapshots/<seq> of project bucket b into their schema-3 sub-buckets (also
// used on import of a schema-2 export). Values already moved are left
// alone.
func moveBlobsToBuckets(b *bolt.Bucket) error {
	for _, name := range [][]byte{keyContacts, keyPlan} {
		v := b.Get(name)
		if v == nil {
			continue // missing, or already a bucket
		}
		if err := putBlob(b, name, append([]byte(nil), v...)); err != nil {
			return fmt.Errorf("move %s: %w", name, err)
		}
	}
	sb := b.Bucket(bucketSnaps)
	if sb == nil {
		return nil
	}
	type kv struct{ k, v []byte }
	var vals []kv
	err := sb.ForEach(func(k, v []byte) error {
		if v != nil {
			vals = append(vals, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range vals {
		if err := putBlob(sb, e.k, e.v); err != nil {
			return fmt.Errorf("move snapshot %q: %w", fsname.Prefix(string(e.k), 40), err)
		}
	}
	return nil
}
