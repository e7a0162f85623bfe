package migrate

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"exmail-upgrade/core/store"
)

// AmendTx records inside tx that project's journal now belongs to the plan
// with hash planHash: the plan was amended after a run (core/session
// corrects failed members' values; the operations and their journal keys
// stay the same), so the records done so far still count and RetryFailed
// runs the failed ones with the new values. It refuses a journal that does
// not belong to oldHash.
func AmendTx(tx *bolt.Tx, project, oldHash, planHash string) error {
	b, err := store.ProjectSubBucket(tx, project, JournalBucket)
	if err != nil {
		return err
	}
	if b == nil {
		return fmt.Errorf("amend the migration journal of %s: no journal", project)
	}
	var m Meta
	raw := b.Get(metaKey)
	if raw == nil {
		return fmt.Errorf("amend the migration journal of %s: no journal", project)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("amend the migration journal of %s: %w", project, err)
	}
	if m.PlanHash != oldHash {
		return ErrPlanChanged
	}
	m.PlanHash = planHash
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return b.Put(metaKey, v)
}
