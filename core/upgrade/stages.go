// Package upgrade is the wizard's state machine: the only place that decides
// which step may follow which, for the GUI and the CLI alike. An Upgrade is
// loaded from core/store; every transition is checked, persisted and appended
// to the project's audit log in one transaction.
//
// Forward path:
//
//	new → notice_acknowledged → method_chosen → target_identified →
//	target_confirmed → contacts_ready → plan_confirmed → migrating →
//	done (locked for ever) | failed_items (retry → migrating, or accept → done)
//
// Before migrating, Back moves to an earlier stage (never to new: the notice
// is acknowledged once) and forgets what the later stages decided.
package upgrade

import (
	"errors"
	"fmt"

	"exmail-upgrade/core/text"
)

// Stage is a step of the upgrade. Its string value is stored in
// store.Project.Stage.
type Stage string

// The stages in order.
const (
	StageNew                Stage = "new"
	StageNoticeAcknowledged Stage = "notice_acknowledged"
	StageMethodChosen       Stage = "method_chosen"
	StageTargetIdentified   Stage = "target_identified"
	StageTargetConfirmed    Stage = "target_confirmed"
	StageContactsReady      Stage = "contacts_ready"
	StagePlanConfirmed      Stage = "plan_confirmed"
	StageMigrating          Stage = "migrating"
	StageFailedItems        Stage = "failed_items" // migration finished with failures
	StageDone               Stage = "done"         // locked for ever
)

// Stages lists every stage in order.
var Stages = []Stage{StageNew, StageNoticeAcknowledged, StageMethodChosen, StageTargetIdentified,
	StageTargetConfirmed, StageContactsReady, StagePlanConfirmed, StageMigrating, StageFailedItems, StageDone}

var stageLabels = map[Stage][2]string{
	StageNew:                {"新建", "new"},
	StageNoticeAcknowledged: {"已阅读升级须知", "notice acknowledged"},
	StageMethodChosen:       {"已选择升级方式", "method chosen"},
	StageTargetIdentified:   {"已识别目标企业", "target identified"},
	StageTargetConfirmed:    {"已确认目标企业", "target confirmed"},
	StageContactsReady:      {"通讯录已就绪", "contacts ready"},
	StagePlanConfirmed:      {"迁移计划已确认", "plan confirmed"},
	StageMigrating:          {"迁移中", "migrating"},
	StageFailedItems:        {"迁移完成但有失败项", "finished with failed items"},
	StageDone:               {"升级完成（已锁定）", "done (locked)"},
}

// Index is the position of s in Stages (-1 when unknown).
func (s Stage) Index() int {
	for i, x := range Stages {
		if x == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool { return s.Index() >= 0 }

// Text is the name of the stage for people.
func (s Stage) Text() text.T {
	l, ok := stageLabels[s]
	if !ok {
		return text.New(string(s), string(s))
	}
	return text.New(l[0], l[1])
}

// ContactsEditable reports whether the contacts may be edited at stage s:
// never once migration has started (migrating, failed_items, done). Editing
// after contacts_ready requires Back(StageTargetConfirmed) first, which
// invalidates the frozen snapshot and any confirmed plan.
func ContactsEditable(s Stage) bool {
	switch s {
	case StageMigrating, StageFailedItems, StageDone:
		return false
	}
	return s.Valid()
}

// MigrationStarted reports whether s is at or after the start of migration
// (the project is locked against deletion and contact edits).
func MigrationStarted(s Stage) bool {
	return s == StageMigrating || s == StageFailedItems || s == StageDone
}

// BackTargets lists the stages Back may move to from s (empty once
// migration has started).
func BackTargets(s Stage) []Stage {
	if MigrationStarted(s) || !s.Valid() {
		return nil
	}
	var out []Stage
	for _, t := range []Stage{StageNoticeAcknowledged, StageMethodChosen, StageTargetIdentified,
		StageTargetConfirmed, StageContactsReady} {
		if t.Index() < s.Index() {
			out = append(out, t)
		}
	}
	return out
}

// Method is how the company upgrades.
type Method string

// The two upgrade methods.
const (
	MethodNew  Method = "new"  // 开通新的企业微信
	MethodBind Method = "bind" // 绑定已有企业微信
)

// Text is the name of the method for people.
func (m Method) Text() text.T {
	switch m {
	case MethodNew:
		return text.New("开通新的企业微信", "open a new WeCom")
	case MethodBind:
		return text.New("绑定已有企业微信", "bind an existing WeCom")
	}
	return text.New(string(m), string(m))
}

// Label is Text joined ("开通新的企业微信 / open a new WeCom"), for the phone
// confirmation page, which shows both.
func (m Method) Label() string { return m.Text().Joined() }

// Valid reports whether m is a known method.
func (m Method) Valid() bool { return m == MethodNew || m == MethodBind }

// RequiredConfirmations is how many explicit target confirmations the
// method needs (bind 2, new 1).
func (m Method) RequiredConfirmations() int {
	if m == MethodBind {
		return 2
	}
	return 1
}

// TargetKind says whether the target is the rehearsal simulator or a real
// WeCom.
type TargetKind string

// Target kinds.
const (
	TargetSim   TargetKind = "sim"
	TargetWeCom TargetKind = "wecom"
)

// Target is the WeCom company the directory migrates into, as identified
// through the API (no secret: only the corp id).
type Target struct {
	Kind        TargetKind `json:"kind"`
	CorpID      string     `json:"corp_id,omitempty"`
	Name        string     `json:"name"`
	Members     int        `json:"members"`
	Departments int        `json:"departments"`
}

func (t Target) validate() error {
	switch {
	case t.Kind != TargetSim && t.Kind != TargetWeCom:
		return fmt.Errorf("未知目标类型 %q / unknown target kind %q", t.Kind, t.Kind)
	case t.Name == "":
		return errors.New("目标企业名称为空 / target name is empty")
	case t.Kind == TargetWeCom && t.CorpID == "":
		return errors.New("缺少企业ID / target corp id is empty")
	case t.Members < 0 || t.Departments < 0:
		return errors.New("成员数或部门数为负 / negative member or department count")
	}
	return nil
}

// NoticePoint is one point of the upgrade notice (升级须知) the creator
// must tick before anything else.
type NoticePoint struct {
	Key  string
	Text text.T
}

func point(key, zh, en string) NoticePoint { return NoticePoint{Key: key, Text: text.New(zh, en)} }

// NoticeKeys returns the key of every notice point: what a caller passes to
// AcknowledgeNotice once the user has ticked them all.
func NoticeKeys() []string {
	var keys []string
	for _, n := range NoticePoints() {
		keys = append(keys, n.Key)
	}
	return keys
}

// NoticePoints returns every point of the notice, in display order. All
// must be ticked for AcknowledgeNotice.
func NoticePoints() []NoticePoint {
	return []NoticePoint{
		point("once_only", "升级只能进行一次。", "The upgrade can be done only once."),
		point("irreversible", "升级开始后不可撤销、不可回退。", "Once started, the upgrade cannot be undone or rolled back."),
		point("old_console_gone", "升级后无法再登录原腾讯企业邮箱管理后台，升级入口也会消失。",
			"Afterwards the old Exmail admin console cannot be logged into and the upgrade entry disappears."),
		point("confirm_target", "开始前必须反复确认目标企业是否正确。", "The target company must be confirmed again and again before starting."),
		point("no_contact_edits", "迁移期间任何人不得修改通讯录，否则可能丢失数据。",
			"Nobody may edit the contacts during migration, or data may be lost."),
		point("what_changes", "升级后管理员不能再设置或重置成员密码；RTX 关联、强制定期改密、网盘等功能不再支持；部分功能（公告、企业签名、公共通讯录、名片、旧单点登录接口）暂不支持。",
			"After upgrading admins can no longer set or reset member passwords; RTX linking, forced password changes and the network disk are gone; notices, company signature, public address book, business cards and the old SSO API are not yet supported."),
		point("bind_deletes_mail", "若绑定已有企业微信：该企业微信原有的邮箱数据将被永久删除，请先备份。",
			"When binding an existing WeCom, that WeCom's previous mailbox data is deleted permanently: back it up first."),
	}
}
