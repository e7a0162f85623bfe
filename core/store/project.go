package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"exmail-upgrade/core/fsname"

	bolt "go.etcd.io/bbolt"
)

// Project is one client company's upgrade. The upgrade stage and its
// mirrored fields are written by core/upgrade (the only place deciding
// transitions); the store only enforces Locked. No secret is ever stored:
// only the target's corp id.
type Project struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"` // company name (公司名)
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"` // last activity; List sorts by it
	Stage      string    `json:"stage"`      // an upgrade.Stage value; "" before the first transition
	Method     string    `json:"method,omitempty"`
	TargetKind string    `json:"target_kind,omitempty"`
	CorpID     string    `json:"corp_id,omitempty"`
	TargetName string    `json:"target_name,omitempty"`
	Notes      string    `json:"notes,omitempty"`
	// Locked is set once migration has started and can never be cleared:
	// a locked project can be neither deleted nor have its contacts replaced.
	Locked bool `json:"locked,omitempty"`
	// ImportedFrom is the original ID when the project was imported under a
	// new ID.
	ImportedFrom string `json:"imported_from,omitempty"`
}

// newID returns a fresh random project ID ("p" + 16 hex digits).
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new project id: %w", err)
	}
	return "p" + hex.EncodeToString(b[:]), nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return b.Put(key, data)
}

func jsonUnmarshal(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	return d.Decode(v)
}

func readProject(b *bolt.Bucket) (Project, error) {
	var p Project
	raw := b.Get(keyProject)
	if raw == nil {
		return p, fmt.Errorf("project record missing: %w", ErrNotFound)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("decode project record: %w", err)
	}
	return p, nil
}

// ProjectBucket returns the bucket of project id inside tx, or an error
// wrapping ErrNotFound. Other packages keep their own sub-buckets in it
// (see ProjectSubBucket); the key "project" and the sub-buckets "contacts",
// "plan", "snapshots", "audit", "docs" belong to the store.
func ProjectBucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	root := tx.Bucket(bucketProjects)
	if root == nil || CheckID(id) != nil {
		return nil, fmt.Errorf("project %q: %w", fsname.Prefix(id, 40), ErrNotFound)
	}
	b := root.Bucket([]byte(id))
	if b == nil {
		return nil, fmt.Errorf("project %q: %w", id, ErrNotFound)
	}
	return b, nil
}

// ProjectSubBucket returns the named sub-bucket of project id, creating it
// when tx is writable. In a read-only tx a missing sub-bucket yields
// (nil, nil). Names reserved by the store are refused.
func ProjectSubBucket(tx *bolt.Tx, id, name string) (*bolt.Bucket, error) {
	if reservedSubs[name] || name == "" {
		return nil, fmt.Errorf("sub-bucket name %q is reserved", name)
	}
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return nil, err
	}
	if !tx.Writable() {
		return b.Bucket([]byte(name)), nil
	}
	sb, err := b.CreateBucketIfNotExists([]byte(name))
	if err != nil {
		return nil, fmt.Errorf("project %s sub-bucket %s: %w", id, name, err)
	}
	return sb, nil
}

// GetProjectTx reads project id inside tx.
func GetProjectTx(tx *bolt.Tx, id string) (Project, error) {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return Project{}, err
	}
	p, err := readProject(b)
	if err != nil {
		return p, fmt.Errorf("project %s: %w", id, err)
	}
	return p, nil
}

// PutProjectTx writes p inside tx (the project must exist). Locked is
// sticky: a stored Locked=true is kept whatever p says. UpdatedAt is set to
// now.
func PutProjectTx(tx *bolt.Tx, p Project) error {
	b, err := ProjectBucket(tx, p.ID)
	if err != nil {
		return err
	}
	old, err := readProject(b)
	if err != nil {
		return fmt.Errorf("project %s: %w", p.ID, err)
	}
	if old.Locked {
		p.Locked = true
	}
	p.CreatedAt = old.CreatedAt
	p.UpdatedAt = time.Now().UTC()
	if !p.UpdatedAt.After(old.UpdatedAt) {
		// Keep activity strictly increasing so List order is deterministic.
		p.UpdatedAt = old.UpdatedAt.Add(time.Nanosecond)
	}
	return putJSON(b, keyProject, p)
}

// TouchTx marks activity on project id (UpdatedAt = now).
func TouchTx(tx *bolt.Tx, id string) error {
	p, err := GetProjectTx(tx, id)
	if err != nil {
		return err
	}
	return PutProjectTx(tx, p)
}

// CreateProject adds a project for company name (trimmed, not empty).
func (s *Store) CreateProject(name string) (Project, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Project{}, fmt.Errorf("公司名不能为空 / company name is empty")
	}
	id, err := newID()
	if err != nil {
		return Project{}, err
	}
	now := s.now().UTC()
	p := Project{ID: id, Name: name, CreatedAt: now, UpdatedAt: now}
	err = s.db.Update(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(bucketProjects)
		if err != nil {
			return err
		}
		b, err := root.CreateBucket([]byte(id))
		if err != nil {
			return fmt.Errorf("create project %s: %w", id, err)
		}
		if err := putJSON(b, keyProject, p); err != nil {
			return err
		}
		_, err = AppendAuditTx(tx, id, AuditEntry{Time: now, Actor: CurrentUser(), Action: "create",
			Details: map[string]string{"name": name}})
		return err
	})
	if err != nil {
		return Project{}, err
	}
	return p, nil
}

// GetProject returns project id or an error wrapping ErrNotFound.
func (s *Store) GetProject(id string) (Project, error) {
	var p Project
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = GetProjectTx(tx, id)
		return err
	})
	return p, err
}

// UpdateProject applies fn to project id and saves it (ID, CreatedAt and a
// set Locked flag cannot be changed). It returns the saved project.
func (s *Store) UpdateProject(id string, fn func(*Project) error) (Project, error) {
	var out Project
	err := s.db.Update(func(tx *bolt.Tx) error {
		p, err := GetProjectTx(tx, id)
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.ID = id
		p.Name = strings.TrimSpace(p.Name)
		if p.Name == "" {
			return fmt.Errorf("公司名不能为空 / company name is empty")
		}
		if err := PutProjectTx(tx, p); err != nil {
			return err
		}
		out, err = GetProjectTx(tx, id)
		return err
	})
	return out, err
}

// DamagedProject is a project entry of the state file that cannot be read
// (record missing or undecodable, or an ID that is not a safe path
// element). It is reported, never returned as a project.
type DamagedProject struct {
	ID     string `json:"id"` // the bucket key, quoted when not printable
	Reason string `json:"reason"`
}

// ListProjects returns every readable project, most recent activity first
// (ties by name, then ID). Damaged entries are skipped: ScanProjects lists
// them.
func (s *Store) ListProjects() ([]Project, error) {
	out, _, err := s.ScanProjects()
	return out, err
}

// ScanProjects returns every readable project (ordered as ListProjects) and
// the damaged entries, so one damaged record never hides the others.
func (s *Store) ScanProjects() ([]Project, []DamagedProject, error) {
	var out []Project
	var bad []DamagedProject
	err := s.db.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketProjects)
		if root == nil {
			return nil
		}
		return root.ForEach(func(k, v []byte) error {
			id := string(k)
			if err := CheckID(id); err != nil {
				bad = append(bad, DamagedProject{ID: fmt.Sprintf("%q", fsname.Prefix(id, 40)), Reason: err.Error()})
				return nil
			}
			if v != nil {
				bad = append(bad, DamagedProject{ID: id, Reason: "a value where a project bucket belongs"})
				return nil
			}
			p, err := readProject(root.Bucket(k))
			switch {
			case err != nil:
				bad = append(bad, DamagedProject{ID: id, Reason: err.Error()})
			case p.ID != id:
				bad = append(bad, DamagedProject{ID: id, Reason: fmt.Sprintf("record names project %q", fsname.Prefix(p.ID, 40))})
			default:
				out = append(out, p)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.After(b.UpdatedAt)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return out, bad, err
}

// maxIDLen bounds a project ID (ours are 17 characters).
const maxIDLen = 64

// CheckID refuses a project ID that could not safely become a path element
// (other packages join it into file paths): 1–64 ASCII letters, digits, '-'
// or '_', and accepted by fsname.Component. IDs this store creates always
// pass; imports and reads are checked with it.
func CheckID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("项目 ID 无效 / invalid project id %q: empty or longer than %d", fsname.Prefix(id, 40), maxIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("项目 ID 无效 / invalid project id %q: only letters, digits, - and _", fsname.Prefix(id, 40))
		}
	}
	if _, err := fsname.Component(id); err != nil {
		return fmt.Errorf("项目 ID 无效 / invalid project id: %w", err)
	}
	return nil
}

// DeleteProject removes project id and everything in it. A Locked project
// (migration started) is refused with ErrProjectLocked.
func (s *Store) DeleteProject(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		p, err := GetProjectTx(tx, id)
		if err != nil {
			return err
		}
		if p.Locked {
			return fmt.Errorf("delete project %s (%s): %w", id, p.Name, ErrProjectLocked)
		}
		return tx.Bucket(bucketProjects).DeleteBucket([]byte(id))
	})
}
