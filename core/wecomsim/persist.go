package wecomsim

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketDepts = []byte("departments")
	bucketUsers = []byte("users")
	bucketJobs  = []byte("jobs")
	bucketMeta  = []byte("meta")

	keyMailDomains = []byte("mail_domains")
)

func deptKey(id int) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(id))
	return k[:]
}

// load reads the tenant and finished jobs from db (creating the buckets).
func load(db *bolt.DB, t *tenant, jobs map[string]*job) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDepts, bucketUsers, bucketJobs, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		err := tx.Bucket(bucketDepts).ForEach(func(k, v []byte) error {
			var d Department
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("department %x: %w", k, err)
			}
			if d.ID != rootID {
				t.putDept(&d)
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("user %s: %w", k, err)
			}
			t.putUser(&u, nil)
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			var j job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("job %s: %w", k, err)
			}
			if j.Status != 3 {
				// The process stopped while the job ran; its applied rows
				// are saved, the rest is reported as not processed.
				j.Status = 3
				for i := range j.Result {
					if j.Result[i].ErrCode == pendingRow {
						j.Result[i] = rowResult{UserID: j.Result[i].UserID, ErrCode: -1, ErrMsg: "system busy: job interrupted"}
					}
				}
				j.Done = j.Total
			}
			jobs[j.ID] = &j
			return nil
		})
		if err != nil {
			return err
		}
		if v := tx.Bucket(bucketMeta).Get(keyMailDomains); v != nil {
			if err := json.Unmarshal(v, &t.ownDomains); err != nil {
				return fmt.Errorf("mail domains: %w", err)
			}
		}
		clear(t.dirtyDepts)
		clear(t.dirtyUsers)
		t.dirtyMeta = false
		return nil
	})
}

// Flush writes every change accepted so far to the bbolt file in one
// transaction. The server calls it every FlushInterval and on Close.
func (s *Server) Flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	type kv struct{ k, v []byte }
	var depts, users, jobs []kv
	// Stored departments and users are never mutated in place (an update
	// stores a new value), so their pointers can be encoded outside the
	// lock; jobs change while they run and are encoded under it.
	var dp []*Department
	var up []*User
	s.mu.Lock()
	for id := range s.t.dirtyDepts {
		dp = append(dp, s.t.depts[id])
	}
	for key := range s.t.dirtyUsers {
		up = append(up, s.t.users[key])
	}
	for id := range s.dirtyJobs {
		v, _ := json.Marshal(s.jobs[id])
		jobs = append(jobs, kv{[]byte(id), v})
	}
	var meta []kv
	if s.t.dirtyMeta {
		v, _ := json.Marshal(s.t.ownDomains)
		meta = append(meta, kv{keyMailDomains, v})
		s.t.dirtyMeta = false
	}
	clear(s.t.dirtyDepts)
	clear(s.t.dirtyUsers)
	clear(s.dirtyJobs)
	s.mu.Unlock()
	for _, d := range dp {
		v, _ := json.Marshal(d)
		depts = append(depts, kv{deptKey(d.ID), v})
	}
	for _, u := range up {
		v, _ := json.Marshal(u)
		users = append(users, kv{[]byte(strings.ToLower(u.UserID)), v})
	}
	if len(depts)+len(users)+len(jobs)+len(meta) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, set := range []struct {
			b   []byte
			kvs []kv
		}{{bucketDepts, depts}, {bucketUsers, users}, {bucketJobs, jobs}, {bucketMeta, meta}} {
			b := tx.Bucket(set.b)
			for _, e := range set.kvs {
				if err := b.Put(e.k, e.v); err != nil {
					return fmt.Errorf("put %s %s: %w", set.b, strings.ToValidUTF8(string(e.k), "?"), err)
				}
			}
		}
		return nil
	})
	if err != nil {
		// Keep the changes dirty so the next flush tries again.
		s.mu.Lock()
		for _, e := range depts {
			s.t.dirtyDepts[int(binary.BigEndian.Uint64(e.k))] = true
		}
		for _, e := range users {
			s.t.dirtyUsers[string(e.k)] = true
		}
		for _, e := range jobs {
			s.dirtyJobs[string(e.k)] = true
		}
		if len(meta) > 0 {
			s.t.dirtyMeta = true
		}
		s.mu.Unlock()
		return fmt.Errorf("wecomsim: save state: %w", err)
	}
	return nil
}
