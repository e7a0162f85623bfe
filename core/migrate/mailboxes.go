package migrate

import (
	"fmt"
	"strings"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/text"
)

// ErrOtherMailboxAsMember refuses a plan that would create or update an
// other mailbox (其他邮箱) as a WeCom member: those stay mailboxes, never
// reach user/create, user/update or a batch job.
var ErrOtherMailboxAsMember error = text.NewError("计划把其他邮箱当作成员", "the plan treats an other mailbox as a member")

// checkOtherMailboxes is the engine's guard behind the planner, which
// already keeps other mailboxes out of Create and Update: a stored or
// hand-edited plan that mixes them is refused before anything is sent.
func checkOtherMailboxes(p *plan.Plan) error {
	if len(p.OtherMailboxes) == 0 {
		return nil
	}
	others := make(map[string]bool, len(p.OtherMailboxes))
	for _, o := range p.OtherMailboxes {
		others[strings.ToLower(strings.TrimSpace(o.Address))] = true
	}
	for _, ops := range [][]plan.MemberOp{p.Create, p.Update} {
		for _, op := range ops {
			if a := strings.ToLower(strings.TrimSpace(op.User.BizMail)); a != "" && others[a] {
				return fmt.Errorf("%w: %s", ErrOtherMailboxAsMember, op.User.BizMail)
			}
		}
	}
	return nil
}
