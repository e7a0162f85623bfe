package migrate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"exmail-upgrade/core/store"
	"exmail-upgrade/core/text"
)

// JournalBucket is the project sub-bucket that holds the migration journal.
const JournalBucket = "journal"

// metaKey holds the journal's Meta; operation keys never start with '!'.
var metaKey = []byte("!meta")

// Operation states in the journal.
const (
	StatePending = "pending" // planned, never sent (also: no record at all)
	StateSent    = "sent"    // may have been sent: verified against the target before it is sent again
	StateDone    = "done"    // done (by us, or found present when reconciling)
	StateFailed  = "failed"  // failed for good; RetryFailed runs it again
)

// Record is the journal entry of one operation.
type Record struct {
	State    string    `json:"s"`
	Code     int       `json:"c,omitempty"` // WeCom errcode of the last failure
	Error    string    `json:"e,omitempty"` // the error as the client reported it
	Explain  text.T    `json:"x,omitzero"`  // what it means and what to do; older journals hold one "zh / en" string, which text.T still reads
	Note     string    `json:"n,omitempty"` // how it was done ("created", "exists", "reconciled", "batch")
	Attempts int       `json:"a,omitempty"` // runs that tried it
	At       time.Time `json:"t,omitzero"`  // last change
}

// Meta describes the journal as a whole.
type Meta struct {
	PlanHash     string        `json:"plan_hash"`
	ContactsHash string        `json:"contacts_hash"`
	Runs         int           `json:"runs"`
	StartedAt    time.Time     `json:"started_at"`
	FinishedAt   time.Time     `json:"finished_at,omitzero"`
	Finished     bool          `json:"finished"` // the last run ended with nothing pending
	Verification *Verification `json:"verification,omitempty"`
	Elapsed      time.Duration `json:"elapsed"`
	Commits      int64         `json:"commits"`
	Mode         string        `json:"mode,omitempty"` // "per-member" or "batch"
	// Intent: every call is recorded as "sent" before it leaves, and an
	// operation without a record was never sent. Journals without it
	// (older versions) treat every unfinished operation as maybe sent.
	Intent bool `json:"intent,omitempty"`
}

// jobPrefix starts the key of a batch job submitted and not yet applied.
const jobPrefix = "!job/"

// Journal is a project's migration journal: one record per operation, kept
// in bbolt and written in batched transactions — Put buffers, a background
// flusher commits every FlushEvery or FlushOps records, so many operations
// share one fsync. Records lost in a crash are recovered by reconciling with
// the target, never by repeating blindly.
type Journal struct {
	db      *bolt.DB
	project string

	mu      sync.Mutex
	writeMu sync.Mutex // one Flush at a time, so newer records never lose to older ones
	buf     map[string]Record
	flushOp int
	kick    chan struct{}
	done    chan struct{}
	stopped chan struct{}
	err     error
	every   time.Duration
	commits atomic.Int64
	closeMu sync.Once
}

// OpenJournal opens the journal of project in db (created on first write).
// flushEvery and flushOps bound how long and how many records wait before a
// commit (defaults 200 ms and 2000).
func OpenJournal(db *bolt.DB, project string, flushEvery time.Duration, flushOps int) *Journal {
	if flushEvery <= 0 {
		flushEvery = 200 * time.Millisecond
	}
	if flushOps <= 0 {
		flushOps = 2000
	}
	j := &Journal{db: db, project: project, buf: map[string]Record{}, flushOp: flushOps, every: flushEvery,
		kick: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go j.loop()
	return j
}

func (j *Journal) loop() {
	defer close(j.stopped)
	t := time.NewTicker(j.every)
	defer t.Stop()
	for {
		select {
		case <-j.done:
			return
		case <-t.C:
		case <-j.kick:
		}
		_ = j.Flush()
	}
}

// Put records the state of operation key (buffered).
func (j *Journal) Put(key string, r Record) {
	j.mu.Lock()
	j.buf[key] = r
	n := len(j.buf)
	j.mu.Unlock()
	if n >= j.flushOp {
		select {
		case j.kick <- struct{}{}:
		default:
		}
	}
}

// Flush commits every buffered record in one transaction. When it returns
// nil, every record Put before the call is durable.
func (j *Journal) Flush() error {
	j.writeMu.Lock()
	defer j.writeMu.Unlock()
	j.mu.Lock()
	if len(j.buf) == 0 {
		err := j.err
		j.mu.Unlock()
		return err
	}
	buf := j.buf
	j.buf = make(map[string]Record, len(buf))
	j.mu.Unlock()
	err := j.write(buf)
	if err == nil {
		j.mu.Lock()
		j.err = nil
		j.mu.Unlock()
	} else {
		j.mu.Lock()
		// Keep the records for the next attempt (newer ones win).
		for k, r := range buf {
			if _, ok := j.buf[k]; !ok {
				j.buf[k] = r
			}
		}
		j.err = err
		j.mu.Unlock()
	}
	return err
}

// Commits returns how many transactions (each one fsync) the journal made.
func (j *Journal) Commits() int64 { return j.commits.Load() }

// Close stops the flusher and flushes what is buffered.
func (j *Journal) Close() error {
	j.closeMu.Do(func() { close(j.done) })
	<-j.stopped
	return j.Flush()
}

// PutMeta writes the journal's meta record at once (its own transaction).
func (j *Journal) PutMeta(m Meta) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	err = j.db.Update(func(tx *bolt.Tx) error {
		b, err := store.ProjectSubBucket(tx, j.project, JournalBucket)
		if err != nil {
			return err
		}
		return b.Put(metaKey, v)
	})
	j.commits.Add(1)
	if err != nil {
		return fmt.Errorf("write migration journal meta: %w", err)
	}
	return nil
}

// PutJob durably records that batch job id was submitted (before its
// result is awaited), so a resumed run awaits it instead of submitting its
// rows again.
func (j *Journal) PutJob(id string) error { return j.putRaw(jobPrefix+id, []byte("{}")) }

// DeleteJob forgets job id once its rows are applied.
func (j *Journal) DeleteJob(id string) error { return j.putRaw(jobPrefix+id, nil) }

// putRaw writes (v nil: deletes) one key in its own transaction.
func (j *Journal) putRaw(key string, v []byte) error {
	err := j.db.Update(func(tx *bolt.Tx) error {
		b, err := store.ProjectSubBucket(tx, j.project, JournalBucket)
		if err != nil {
			return err
		}
		if v == nil {
			return b.Delete([]byte(key))
		}
		return b.Put([]byte(key), v)
	})
	j.commits.Add(1)
	if err != nil {
		return fmt.Errorf("write migration journal: %w", err)
	}
	return nil
}

// Jobs lists the batch jobs submitted and not yet applied.
func (j *Journal) Jobs() ([]string, error) {
	var out []string
	err := j.db.View(func(tx *bolt.Tx) error {
		b, err := store.ProjectSubBucket(tx, j.project, JournalBucket)
		if err != nil || b == nil {
			return err
		}
		c := b.Cursor()
		for k, _ := c.Seek([]byte(jobPrefix)); k != nil && strings.HasPrefix(string(k), jobPrefix); k, _ = c.Next() {
			out = append(out, string(k[len(jobPrefix):]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read migration journal: %w", err)
	}
	return out, nil
}

// PutAll writes records in one transaction at once (used to record every
// planned operation as pending before the first call).
func (j *Journal) PutAll(recs map[string]Record) error { return j.write(recs) }

// write commits recs in one transaction, in key order (bbolt inserts in
// order without shifting large nodes).
func (j *Journal) write(recs map[string]Record) error {
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	err := j.db.Update(func(tx *bolt.Tx) error {
		b, err := store.ProjectSubBucket(tx, j.project, JournalBucket)
		if err != nil {
			return err
		}
		for _, k := range keys {
			v, err := json.Marshal(recs[k])
			if err != nil {
				return err
			}
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	j.commits.Add(1)
	if err != nil {
		return fmt.Errorf("write migration journal: %w", err)
	}
	return nil
}

// Load reads the whole journal: its meta (ok false when never started) and
// every operation record (buffered records included).
func (j *Journal) Load() (Meta, bool, map[string]Record, error) {
	meta, ok, recs, err := LoadJournal(j.db, j.project)
	if err != nil {
		return meta, ok, recs, err
	}
	j.mu.Lock()
	for k, r := range j.buf {
		recs[k] = r
	}
	j.mu.Unlock()
	return meta, ok, recs, nil
}

// LoadJournal reads project's journal from db: its meta (ok false when the
// migration never started) and every operation record by key.
func LoadJournal(db *bolt.DB, project string) (meta Meta, ok bool, recs map[string]Record, err error) {
	recs = map[string]Record{}
	err = db.View(func(tx *bolt.Tx) error {
		b, err := store.ProjectSubBucket(tx, project, JournalBucket)
		if err != nil || b == nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			if string(k) == string(metaKey) {
				ok = true
				return json.Unmarshal(v, &meta)
			}
			if len(k) > 0 && k[0] == '!' {
				return nil // jobs and future bookkeeping
			}
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("journal record %q: %w", k, err)
			}
			recs[string(k)] = r
			return nil
		})
	})
	if err != nil {
		err = fmt.Errorf("read migration journal: %w", err)
	}
	return meta, ok, recs, err
}
