package migrate

import (
	"errors"
	"testing"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/upgrade"
)

// TestEngineRefusesOtherMailboxAsMember: a plan (stored or edited) that
// would create an other mailbox as a member never reaches the target.
func TestEngineRefusesOtherMailboxAsMember(t *testing.T) {
	e := newEnv(t)
	f := newFake()
	p := &plan.Plan{Version: plan.FormatVersion, Method: upgrade.MethodNew,
		Create:         []plan.MemberOp{{User: plan.User{UserID: "info", Name: "信息", BizMail: "Info@example.com", Departments: []int{1}}}},
		OtherMailboxes: []plan.OtherMailbox{{Address: "info@example.com"}}}
	if _, err := New(e.st.DB(), e.project, p, f, Options{}); !errors.Is(err, ErrOtherMailboxAsMember) {
		t.Fatalf("want ErrOtherMailboxAsMember, got %v", err)
	}
	p.Create[0].User.BizMail = "zhangwei@example.com"
	eng, err := New(e.st.DB(), e.project, p, f, Options{})
	if err != nil {
		t.Fatalf("a plan keeping them apart must start: %v", err)
	}
	eng.Close()
}
