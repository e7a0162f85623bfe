package plan

import (
	"context"

	"exmail-upgrade/core/wecom"
	"fmt"
)

// Check is one pre-flight check.
type Check struct {
	Name   string `json:"name"` // "secret", "trusted_ip", "account_cap", "monthly_allowance"
	OK     bool   `json:"ok"`
	Known  bool   `json:"known"` // false when the check could not be decided
	Msg    Msg    `json:"msg"`
	Advice Msg    `json:"advice,omitempty"`
}

// Preflight reads the target (the secret and this network are proven by
// reading it) and checks the account cap and the monthly allowance against
// the members the contacts would add. It returns the snapshot (nil when the
// target could not be read) and the checks; ok is true when every check
// passed or could not be decided for lack of data (unknown caps only warn).
func Preflight(ctx context.Context, r Reader, opt ReadOptions, newMembers int) (snap *Snapshot, checks []Check, ok bool) {
	snap, err := ReadSnapshot(ctx, r, opt)
	if err != nil {
		code := CodeOf(err)
		detail := wecom.Explain(err)
		switch code {
		case wecom.CodeUntrustedIP:
			checks = append(checks,
				Check{Name: "secret", OK: true, Known: true, Msg: Msg{"secret_ok", "secret有效", "the secret works"}},
				Check{Name: "trusted_ip", Known: true,
					Msg:    Msg{"untrusted_ip", "当前网络不是企业可信IP（60020），企业微信拒绝了通讯录同步接口", "this network is not a trusted IP of the company (60020); WeCom refused the contact-sync API"},
					Advice: Msg{"untrusted_ip", "在企业微信管理后台 → 管理工具 → 通讯录同步 → 企业可信IP 中加入本机出口IP，或在公司网络中运行本工具", "add this network's public IP under 管理工具 → 通讯录同步 → 企业可信IP in the WeCom admin console, or run the app on the company network"}})
		case wecom.CodeBadSecret, wecom.CodeInvalidCorpID, wecom.CodeSecretInvalid, wecom.CodeMissingSecret:
			checks = append(checks, Check{Name: "secret", Known: true,
				Msg:    Msg{"secret_bad", fmt.Sprintf("企业ID或通讯录同步secret无效(%d)", code), fmt.Sprintf("the corp id or contact-sync secret is invalid (%d)", code)},
				Advice: Msg{"secret_bad", "在管理后台 → 管理工具 → 通讯录同步 中查看secret，复制完整后重试；多次错误会导致IP被封禁一小时", "copy the full secret from 管理工具 → 通讯录同步 and try again; repeated bad secrets block the IP for an hour"}})
		default:
			checks = append(checks, Check{Name: "secret", Known: true,
				Msg:    Msg{"read_failed", "读取目标企业失败：" + detail.Zh, "reading the target failed: " + detail.En},
				Advice: Msg{"read_failed", "检查网络与企业ID后重试", "check the network and the corp id, then try again"}})
		}
		return nil, checks, false
	}
	ok = true
	checks = append(checks,
		Check{Name: "secret", OK: true, Known: true, Msg: Msg{"secret_ok", "secret有效", "the secret works"}},
		Check{Name: "trusted_ip", OK: true, Known: true, Msg: Msg{"trusted_ip_ok", "当前网络是企业可信IP", "this network is a trusted IP"}})
	cc, capOK := CapChecks(snap, newMembers)
	return snap, append(checks, cc...), capOK
}

// CapChecks checks the account cap and the monthly creation allowance
// (3 × cap) for newMembers more accounts; ok is false when one is exceeded.
// The plan's conflicts come from the same rule (capLimits).
func CapChecks(snap *Snapshot, newMembers int) (checks []Check, ok bool) {
	ok = true
	for _, l := range capLimits(snap, newMembers) {
		c := Check{Name: l.Name, Known: l.Known, OK: !l.Exceeded()}
		switch {
		case !l.Known && l.Name == capAccount:
			c.Msg = Msg{"cap_unknown", "账号上限未知，未检查", "account cap unknown; not checked"}
		case !l.Known:
			c.Msg = Msg{"allowance_unknown", "本月新建账号数未知，未检查", "accounts created this month unknown; not checked"}
		case l.Name == capAccount:
			c.Msg = Msg{"cap", fmt.Sprintf("迁移后%d个账号，上限%d", l.Total, l.Limit), fmt.Sprintf("%d accounts after the migration, cap %d", l.Total, l.Limit)}
		default:
			c.Msg = Msg{"allowance", fmt.Sprintf("本月新建%d个，每月上限%d", l.Total, l.Limit), fmt.Sprintf("%d created this month, monthly allowance %d", l.Total, l.Limit)}
		}
		if !c.OK {
			c.Advice = l.advice()
			ok = false
		}
		checks = append(checks, c)
	}
	return checks, ok
}

// The two account limits.
const (
	capAccount = "account_cap"       // members after the migration ≤ cap
	capMonthly = "monthly_allowance" // accounts created this month ≤ 3 × cap
)

// capLimit is one account limit measured against the accounts a migration
// adds. It is the one answer to "do they fit?" for the pre-flight checks
// and the plan's conflicts.
type capLimit struct {
	Name  string // capAccount or capMonthly
	Known bool   // the limit and the count it applies to are known
	Base  int    // members in the target, or accounts created this month
	New   int    // accounts the migration adds
	Total int    // Base + New
	Limit int
}

// Exceeded reports whether the limit is known and the total exceeds it.
func (l capLimit) Exceeded() bool { return l.Known && l.Total > l.Limit }

// advice says how to resolve an exceeded limit.
func (l capLimit) advice() Msg {
	if l.Name == capAccount {
		return Msg{"cap_exceeded", "先在企业微信管理后台提高账号上限，或减少通讯录中的成员", "raise the account cap in the WeCom admin console first, or remove members from the contacts"}
	}
	return Msg{"monthly_exceeded", "下个月再迁移，或分批迁移", "migrate next month, or in parts"}
}

// capLimits measures newMembers more accounts against the target's account
// cap (0: unknown) and monthly allowance (3 × cap; CreatedThisMonth -1:
// unknown).
func capLimits(snap *Snapshot, newMembers int) [2]capLimit {
	cap := snap.AccountCap
	a := capLimit{Name: capAccount, Known: cap > 0, Base: len(snap.Users), New: newMembers, Limit: cap}
	m := capLimit{Name: capMonthly, Known: cap > 0 && snap.CreatedThisMonth >= 0, Base: snap.CreatedThisMonth, New: newMembers, Limit: 3 * cap}
	a.Total, m.Total = a.Base+a.New, m.Base+m.New
	return [2]capLimit{a, m}
}

// Prepare runs the pre-flight checks, builds the plan from in (in.Target is
// replaced by the snapshot read through r) and checks the caps with the
// plan's real count of members to create. err is non-nil only for bad input;
// a target that cannot be read gives a nil plan and failed checks.
func Prepare(ctx context.Context, r Reader, opt ReadOptions, in Input) (*Plan, []Check, error) {
	snap, checks, ok := Preflight(ctx, r, opt, 0)
	if !ok && snap == nil {
		return nil, checks, nil
	}
	in.Target = snap
	p, err := Build(in)
	if err != nil {
		return nil, checks, err
	}
	cc, _ := CapChecks(snap, len(p.Create))
	return p, append(checks[:2:2], cc...), nil
}
