// Package session ties one project's pieces together for the wizard and the
// CLI: its state file entries, its upgrade state machine, its contacts
// working copy and its migration target.
package session

import (
	"fmt"
	"time"

	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/store"
)

// RehearsalCompany is the name of the generated sample company.
const RehearsalCompany = "示例科技有限公司"

// RehearsalMembers is the size of the generated sample company.
const RehearsalMembers = 240

// NewRehearsal creates a project holding a generated sample company (with a
// few planted problems to fix), named after now so several rehearsals can
// sit side by side. Its target will be the embedded rehearsal WeCom.
func NewRehearsal(st *store.Store, now time.Time) (store.Project, error) {
	name := fmt.Sprintf("%s（演练 %s）", RehearsalCompany, now.Format("01-02 15:04:05"))
	p, err := st.CreateProject(name)
	if err != nil {
		return store.Project{}, err
	}
	seed := now.UnixNano()
	dir := sample.Company(RehearsalMembers, seed)
	sample.Plant(dir, 0.02, seed+1)
	sample.AddSharedBoxes(dir, "") // info@, hr@, service@ as 其他邮箱, an untyped jobs@, a mail group
	if err := SaveWorkingCopy(st, p.ID, dir); err != nil {
		return store.Project{}, fmt.Errorf("save sample contacts: %w", err)
	}
	return st.UpdateProject(p.ID, func(p *store.Project) error {
		p.TargetKind = "sim"
		p.Notes = "rehearsal"
		return nil
	})
}
