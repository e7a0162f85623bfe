package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"exmail-upgrade/core/contacts"

	bolt "go.etcd.io/bbolt"
)

// Snapshot is a frozen copy of a project's contacts with its content hash
// (contacts.Directory.Hash), taken when the contacts are declared ready.
type Snapshot struct {
	Seq       uint64             `json:"seq"`
	Hash      string             `json:"hash"`
	CreatedAt time.Time          `json:"created_at"`
	Members   int                `json:"members"`
	Directory contacts.Directory `json:"directory"`
}

// StoredPlan is the confirmed migration plan: its hash, the snapshot it was
// computed from, and the plan itself as opaque JSON (core/plan's type).
type StoredPlan struct {
	Hash         string          `json:"hash"`
	SnapshotHash string          `json:"snapshot_hash"`
	ConfirmedAt  time.Time       `json:"confirmed_at"`
	ConfirmedBy  string          `json:"confirmed_by,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
}

// AuditEntry is one line of a project's append-only audit log.
type AuditEntry struct {
	Seq     uint64            `json:"seq"`
	Time    time.Time         `json:"time"`
	Actor   string            `json:"actor"`  // OS user name
	Action  string            `json:"action"` // e.g. "transition", "import"
	From    string            `json:"from,omitempty"`
	To      string            `json:"to,omitempty"`
	Details map[string]string `json:"details,omitempty"`
}

// SaveContacts stores the working copy of the project's contacts. Refused
// with ErrProjectLocked once migration has started.
func (s *Store) SaveContacts(id string, d *contacts.Directory) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		p, err := GetProjectTx(tx, id)
		if err != nil {
			return err
		}
		if p.Locked {
			return fmt.Errorf("save contacts of %s: %w", id, ErrProjectLocked)
		}
		b, _ := ProjectBucket(tx, id)
		data, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encode contacts of %s: %w", id, err)
		}
		if err := putBlob(b, keyContacts, data); err != nil {
			return fmt.Errorf("save contacts of %s: %w", id, err)
		}
		return PutProjectTx(tx, p)
	})
}

// Contacts returns the working copy of the project's contacts; ok is false
// when none was saved yet.
func (s *Store) Contacts(id string) (d *contacts.Directory, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b, err := ProjectBucket(tx, id)
		if err != nil {
			return err
		}
		raw := getBlob(b, keyContacts)
		if raw == nil {
			return nil
		}
		d = &contacts.Directory{}
		if err := json.Unmarshal(raw, d); err != nil {
			return fmt.Errorf("decode contacts of %s: %w", id, err)
		}
		ok = true
		return nil
	})
	return d, ok, err
}

// FreezeSnapshot stores a frozen copy of d with its content hash
// (d.Hash()) and returns it. Refused with ErrProjectLocked once migration
// has started. core/upgrade records the hash in the upgrade state (see
// upgrade.FreezeDirectory, which does both in one transaction).
func (s *Store) FreezeSnapshot(id string, d *contacts.Directory) (Snapshot, error) {
	var snap Snapshot
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		snap, err = FreezeSnapshotTx(tx, id, d)
		return err
	})
	return snap, err
}

// FreezeSnapshotTx is FreezeSnapshot inside tx.
func FreezeSnapshotTx(tx *bolt.Tx, id string, d *contacts.Directory) (Snapshot, error) {
	p, err := GetProjectTx(tx, id)
	if err != nil {
		return Snapshot{}, err
	}
	if p.Locked {
		return Snapshot{}, fmt.Errorf("freeze contacts of %s: %w", id, ErrProjectLocked)
	}
	snap := Snapshot{Hash: d.Hash(), CreatedAt: time.Now().UTC(), Members: len(d.Members), Directory: *d}
	b, _ := ProjectBucket(tx, id)
	sb, err := b.CreateBucketIfNotExists(bucketSnaps)
	if err != nil {
		return Snapshot{}, err
	}
	if snap.Seq, err = sb.NextSequence(); err != nil {
		return Snapshot{}, err
	}
	data, err := json.Marshal(snap)
	if err != nil {
		return Snapshot{}, fmt.Errorf("freeze contacts of %s: %w", id, err)
	}
	if err := putBlob(sb, seqKey(snap.Seq), data); err != nil {
		return Snapshot{}, fmt.Errorf("freeze contacts of %s: %w", id, err)
	}
	return snap, PutProjectTx(tx, p)
}

// LatestSnapshot returns the most recent frozen snapshot; ok is false when
// there is none.
func (s *Store) LatestSnapshot(id string) (snap Snapshot, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b, err := ProjectBucket(tx, id)
		if err != nil {
			return err
		}
		sb := b.Bucket(bucketSnaps)
		if sb == nil {
			return nil
		}
		k, _ := sb.Cursor().Last()
		if k == nil {
			return nil
		}
		v := getBlob(sb, k)
		if v == nil {
			return fmt.Errorf("snapshot %d of %s: empty", binary.BigEndian.Uint64(k), id)
		}
		ok = true
		return json.Unmarshal(v, &snap)
	})
	return snap, ok, err
}

// SnapshotByHash returns the latest frozen snapshot with the given hash.
func (s *Store) SnapshotByHash(id, hash string) (snap Snapshot, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		snap, ok, err = SnapshotByHashTx(tx, id, hash)
		return err
	})
	return snap, ok, err
}

// SnapshotByHashTx is SnapshotByHash inside tx.
func SnapshotByHashTx(tx *bolt.Tx, id, hash string) (Snapshot, bool, error) {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return Snapshot{}, false, err
	}
	sb := b.Bucket(bucketSnaps)
	if sb == nil || hash == "" {
		return Snapshot{}, false, nil
	}
	c := sb.Cursor()
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		v := getBlob(sb, k)
		// Cheap pre-check before decoding a possibly large directory.
		if !bytes.Contains(v, []byte(`"hash":"`+hash+`"`)) {
			continue
		}
		var cand Snapshot
		if err := json.Unmarshal(v, &cand); err != nil {
			return Snapshot{}, false, fmt.Errorf("decode snapshot %d of %s: %w", binary.BigEndian.Uint64(k), id, err)
		}
		if cand.Hash == hash {
			return cand, true, nil
		}
	}
	return Snapshot{}, false, nil
}

// HasSnapshot reports whether a frozen snapshot with the given hash is
// stored, reading only the head of each record (not its directory), so it
// costs next to nothing for a 100,000-member snapshot.
func (s *Store) HasSnapshot(id, hash string) (ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b, err := ProjectBucket(tx, id)
		if err != nil {
			return err
		}
		sb := b.Bucket(bucketSnaps)
		if sb == nil || hash == "" {
			return nil
		}
		c := sb.Cursor()
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			v := getBlob(sb, k)
			var h string
			if err := readHead(v, "directory", func(key string, dec *json.Decoder) (bool, error) {
				if key != "hash" {
					return false, nil
				}
				return true, dec.Decode(&h)
			}); err != nil {
				return fmt.Errorf("decode snapshot %d of %s: %w", binary.BigEndian.Uint64(k), id, err)
			}
			if h == hash {
				ok = true
				return nil
			}
		}
		return nil
	})
	return ok, err
}

// readHead walks the top-level fields of the JSON object raw in order,
// calling fn with each key and the decoder positioned at its value, until
// fn reports it is done or the key stop is reached; a field fn does not
// decode is skipped. What follows is never read: the head of a large
// record costs what the head is.
func readHead(raw []byte, stop string, fn func(key string, dec *json.Decoder) (done bool, err error)) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil {
		return err
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		if key == stop {
			return nil
		}
		off := dec.InputOffset()
		done, err := fn(key, dec)
		if err != nil || done {
			return err
		}
		if dec.InputOffset() == off { // not decoded by fn: skip the value
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	return nil
}

// PlanHeader is Plan without the plan itself (Data stays nil): only the
// fields stored before it are read, so it costs next to nothing however
// large the plan.
func (s *Store) PlanHeader(id string) (p StoredPlan, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		p, ok, err = PlanHeaderTx(tx, id)
		return err
	})
	return p, ok, err
}

// PlanHeaderTx is PlanHeader inside tx.
func PlanHeaderTx(tx *bolt.Tx, id string) (p StoredPlan, ok bool, err error) {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return p, false, err
	}
	raw := getBlob(b, keyPlan)
	if raw == nil {
		return p, false, nil
	}
	err = readHead(raw, "data", func(key string, dec *json.Decoder) (bool, error) {
		switch key {
		case "hash":
			return false, dec.Decode(&p.Hash)
		case "snapshot_hash":
			return false, dec.Decode(&p.SnapshotHash)
		case "confirmed_at":
			return false, dec.Decode(&p.ConfirmedAt)
		case "confirmed_by":
			return false, dec.Decode(&p.ConfirmedBy)
		}
		return false, nil
	})
	if err != nil {
		return p, true, fmt.Errorf("decode plan of %s: %w", id, err)
	}
	if p.Hash == "" { // not written by SavePlan (data first?): read it all
		full, ok, err := PlanTx(tx, id)
		full.Data = nil
		return full, ok, err
	}
	return p, true, nil
}

// SavePlan stores the confirmed plan (replacing any previous one).
func (s *Store) SavePlan(id string, p StoredPlan) error {
	if p.ConfirmedAt.IsZero() {
		p.ConfirmedAt = s.now().UTC()
	}
	return s.db.Update(func(tx *bolt.Tx) error { return SavePlanTx(tx, id, p) })
}

// SavePlanTx is SavePlan inside tx (core/session amends the plan of failed
// items in the same transaction as the upgrade state); ConfirmedAt must be
// set by the caller.
func SavePlanTx(tx *bolt.Tx, id string, p StoredPlan) error {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode plan of %s: %w", id, err)
	}
	if err := putBlob(b, keyPlan, data); err != nil {
		return fmt.Errorf("save plan of %s: %w", id, err)
	}
	return TouchTx(tx, id)
}

// Plan returns the stored plan; ok is false when none is stored.
func (s *Store) Plan(id string) (p StoredPlan, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		p, ok, err = PlanTx(tx, id)
		return err
	})
	return p, ok, err
}

// PlanTx reads the stored plan inside tx; ok is false when none is stored.
func PlanTx(tx *bolt.Tx, id string) (p StoredPlan, ok bool, err error) {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return p, false, err
	}
	raw := getBlob(b, keyPlan)
	if raw == nil {
		return p, false, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, true, fmt.Errorf("decode plan of %s: %w", id, err)
	}
	return p, true, nil
}

// DeletePlanTx removes the stored plan inside tx (core/upgrade calls it when
// a backward move invalidates the confirmed plan).
func DeletePlanTx(tx *bolt.Tx, id string) error {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return err
	}
	return deleteBlob(b, keyPlan)
}

// putBlob stores a large value of bucket b in the sub-bucket name (under
// keyBlobData), so that writing a key next to it (the small project record,
// the next snapshot) never rewrites it. A schema-2 value under name is
// replaced.
func putBlob(b *bolt.Bucket, name, data []byte) error {
	if b.Get(name) != nil {
		if err := b.Delete(name); err != nil {
			return err
		}
	}
	sb, err := b.CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	return sb.Put(keyBlobData, data)
}

// getBlob returns the large value name of bucket b, or nil. A schema-2
// value is read too: a file opened read-only is not upgraded.
func getBlob(b *bolt.Bucket, name []byte) []byte {
	if sb := b.Bucket(name); sb != nil {
		return sb.Get(keyBlobData)
	}
	return b.Get(name)
}

// deleteBlob removes the large value name of project bucket b (no error
// when missing).
func deleteBlob(b *bolt.Bucket, name []byte) error {
	if b.Bucket(name) != nil {
		return b.DeleteBucket(name)
	}
	return b.Delete(name)
}

// AppendAuditTx appends e to project id's audit log inside tx and returns
// its sequence number. Time defaults to now.
func AppendAuditTx(tx *bolt.Tx, id string, e AuditEntry) (uint64, error) {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return 0, err
	}
	ab, err := b.CreateBucketIfNotExists(bucketAudit)
	if err != nil {
		return 0, err
	}
	e.Seq, err = ab.NextSequence()
	if err != nil {
		return 0, err
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	return e.Seq, putJSON(ab, seqKey(e.Seq), e)
}

// AppendAudit appends e to the project's audit log (append-only: there is
// no way to change or delete an entry).
func (s *Store) AppendAudit(id string, e AuditEntry) (uint64, error) {
	var seq uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if seq, err = AppendAuditTx(tx, id, e); err != nil {
			return err
		}
		return TouchTx(tx, id)
	})
	return seq, err
}

// Audit returns the project's audit log in order.
func (s *Store) Audit(id string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := ProjectBucket(tx, id)
		if err != nil {
			return err
		}
		ab := b.Bucket(bucketAudit)
		if ab == nil {
			return nil
		}
		return ab.ForEach(func(k, v []byte) error {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode audit entry: %w", err)
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// PutDocTx stores v as JSON under name in the project's docs inside tx.
func PutDocTx(tx *bolt.Tx, id, name string, v any) error {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return err
	}
	db, err := b.CreateBucketIfNotExists(bucketDocs)
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("document name is empty")
	}
	return putJSON(db, []byte(name), v)
}

// GetDocTx decodes the named document into v inside tx; ok is false when it
// does not exist.
func GetDocTx(tx *bolt.Tx, id, name string, v any) (bool, error) {
	b, err := ProjectBucket(tx, id)
	if err != nil {
		return false, err
	}
	db := b.Bucket(bucketDocs)
	if db == nil {
		return false, nil
	}
	raw := db.Get([]byte(name))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode document %s of %s: %w", name, id, err)
	}
	return true, nil
}

// PutDoc stores v as a named JSON document of the project.
func (s *Store) PutDoc(id, name string, v any) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := PutDocTx(tx, id, name, v); err != nil {
			return err
		}
		return TouchTx(tx, id)
	})
}

// GetDoc decodes the named JSON document into v; ok is false when missing.
func (s *Store) GetDoc(id, name string, v any) (ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		ok, err = GetDocTx(tx, id, name, v)
		return err
	})
	return ok, err
}

// DeleteDoc removes a named document (no error when missing).
func (s *Store) DeleteDoc(id, name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := ProjectBucket(tx, id)
		if err != nil {
			return err
		}
		if db := b.Bucket(bucketDocs); db != nil {
			return db.Delete([]byte(name))
		}
		return nil
	})
}
