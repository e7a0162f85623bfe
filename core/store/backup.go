package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"exmail-upgrade/core/text"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrDamaged means the state file failed its check; the error is a
// *DamagedError saying what to do.
var ErrDamaged = errors.New("状态文件已损坏 / state file is damaged")

// backupCount is how many last-good copies are kept (path.good-1 newest).
const backupCount = 2

// DamagedError is returned by Open for a state file that fails its check
// (cut short, damaged meta or data pages, inconsistent tree). Nothing was
// changed: the app offers Restore with one of Backups, or MoveAside.
type DamagedError struct {
	Path    string
	Reason  string   // what the check found (English, technical)
	Backups []Backup // last-good copies that pass the check, newest first
}

func (e *DamagedError) Error() string { return e.Text().Joined() }

// Text says what happened and what to do, in both languages (front ends
// show one).
func (e *DamagedError) Text() text.T {
	zh, en := "请把该文件移到一边（MoveAside）后重新开始", "move the file aside and start again"
	if len(e.Backups) > 0 {
		at := e.Backups[0].SavedAt.Local().Format("2006-01-02 15:04")
		zh = fmt.Sprintf("请恢复 %s 自动保存的完好副本 %s，或把该文件移到一边", at, filepath.Base(e.Backups[0].Path))
		en = fmt.Sprintf("restore the good copy %s saved automatically at %s, or move the file aside", filepath.Base(e.Backups[0].Path), at)
	}
	return text.New(fmt.Sprintf("状态文件 %s 已损坏（%s）：%s", e.Path, e.Reason, zh),
		fmt.Sprintf("state file %s is damaged (%s): %s", e.Path, e.Reason, en))
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

func damaged(path, reason string) *DamagedError {
	e := &DamagedError{Path: path, Reason: reason}
	for _, b := range Backups(path) {
		if b.Err == nil {
			e.Backups = append(e.Backups, b)
		}
	}
	return e
}

// Backup is one automatic last-good copy of a state file.
type Backup struct {
	Path    string
	SavedAt time.Time // when it was written
	Size    int64
	Err     error // nil when the copy passes the structure check
}

func backupPath(path string, n int) string { return fmt.Sprintf("%s.good-%d", path, n) }

// Backups lists the last-good copies of the state file at path, newest
// first. Each was written after a clean open and check of the file; Err is
// set on one that no longer passes the structure check.
func Backups(path string) []Backup {
	var out []Backup
	for n := 1; n <= backupCount; n++ {
		p := backupPath(path, n)
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		b := Backup{Path: p, SavedAt: st.ModTime(), Size: st.Size()}
		if _, err := checkFile(p); err != nil {
			b.Err = fmt.Errorf("backup %s: %w", p, err)
		}
		out = append(out, b)
	}
	return out
}

// verifyOpen opens the file read-only (shared lock: no writer runs while it
// is checked), checks its structure with plain reads and then runs bbolt's
// consistency check. A damaged file yields a *DamagedError.
func verifyOpen(path string, timeout time.Duration) (*bolt.DB, boltMeta, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, boltMeta{}, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return nil, boltMeta{}, fmt.Errorf("open state file %s: %w", path, err)
		}
		reason := err.Error()
		if _, cerr := checkFile(path); cerr != nil {
			reason = cerr.Error()
		}
		return nil, boltMeta{}, damaged(path, reason)
	}
	m, err := checkFile(path)
	if err == nil {
		err = txCheck(db)
	}
	if err == nil {
		err = layoutCheck(db)
	}
	if err != nil {
		db.Close()
		return nil, m, damaged(path, err.Error())
	}
	return db, m, nil
}

// txCheck runs bbolt's consistency check (only safe once checkFile passed:
// it follows page ids without bounds checks) and reports its first errors.
func txCheck(db *bolt.DB) error {
	var errs []string
	n := 0
	err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if n++; n <= 3 {
				errs = append(errs, err.Error())
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("consistency check: %d problems: %s", n, strings.Join(errs, "; "))
	}
	return nil
}

// layoutCheck checks what Open relies on beyond bbolt's own structure: the
// top-level meta and projects entries are buckets and the schema version is
// a number stored as a value. A flipped flag bit passes bbolt's check yet
// would make Open fail with bbolt's "incompatible value".
func layoutCheck(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		c := tx.Cursor()
		for _, name := range [][]byte{bucketMeta, bucketProjects} {
			if k, v := c.Seek(name); bytes.Equal(k, name) && v != nil {
				return fmt.Errorf("top-level %q is a value, not a bucket", name)
			}
		}
		if m := tx.Bucket(bucketMeta); m != nil {
			if k, v := m.Cursor().Seek(keySchema); bytes.Equal(k, keySchema) && v == nil {
				return fmt.Errorf("schema version is a bucket, not a value")
			}
		}
		_, err := schemaOf(tx)
		return err
	})
}

// writeBackup saves a copy of db (checked, meta m) as path.good-1, keeping
// the previous one as path.good-2. It skips the copy when good-1 already
// holds this transaction. The copy is written to a temporary file, fsynced
// and renamed, so a crash never leaves a half-written backup.
func writeBackup(db *bolt.DB, path string, m boltMeta) error {
	newest := backupPath(path, 1)
	if f, err := os.Open(newest); err == nil {
		st, _ := f.Stat()
		bm, err := readMeta(f, st.Size())
		f.Close()
		if err == nil && bm.txid == m.txid {
			return nil
		}
	}
	tmp := path + ".good.tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write backup of %s: %w", path, err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write backup of %s: %w", path, err)
	}
	for n := backupCount; n > 1; n-- {
		if err := os.Rename(backupPath(path, n-1), backupPath(path, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return fmt.Errorf("rotate backups of %s: %w", path, err)
		}
	}
	if err := os.Rename(tmp, newest); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write backup of %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes renames in dir durable where the OS allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// probeLock fails with ErrLocked when another instance holds the state
// file at path (a missing file is not locked).
func probeLock(path string, timeout time.Duration) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("%s: %w", path, ErrLocked)
	}
	if err == nil {
		db.Close()
	}
	return nil
}

// MoveAside renames the (damaged) state file at path to
// path.damaged-<time>, so that the next Open starts a new, empty state and
// nothing is lost. It returns the new name. The file must not be open.
func MoveAside(path string) (string, error) {
	if err := probeLock(path, DefaultTimeout); err != nil {
		return "", fmt.Errorf("move %s aside: %w", path, err)
	}
	aside := path + ".damaged-" + time.Now().UTC().Format("20060102T150405")
	for i := 2; ; i++ {
		if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s.damaged-%s-%d", path, time.Now().UTC().Format("20060102T150405"), i)
	}
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("move %s aside: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return aside, nil
}

// Restore replaces the state file at path with the last-good copy backup
// (one of Backups(path)): the copy is checked first, the current file is
// kept as path.damaged-<time> (see MoveAside), then the copy is written in
// place atomically. The file must not be open.
func Restore(path, backup string) (aside string, err error) {
	db, _, err := verifyOpen(backup, DefaultTimeout)
	if err != nil {
		return "", fmt.Errorf("restore %s from %s: %w", path, backup, err)
	}
	db.Close()
	if err := probeLock(path, DefaultTimeout); err != nil {
		return "", fmt.Errorf("restore %s: %w", path, err)
	}
	tmp := path + ".restore.tmp"
	if err := copyFile(backup, tmp); err != nil {
		return "", fmt.Errorf("restore %s from %s: %w", path, backup, err)
	}
	if _, err := os.Stat(path); err == nil {
		if aside, err = MoveAside(path); err != nil {
			os.Remove(tmp)
			return "", err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return aside, fmt.Errorf("restore %s from %s: %w", path, backup, err)
	}
	syncDir(filepath.Dir(path))
	return aside, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return err
}
