package migrate

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/wecom"
)

// Target is what the engine writes to and reads back: the WeCom contacts API
// as the engine needs it. WeCom (over core/wecom's client) implements it;
// tests use fakes.
type Target interface {
	plan.Reader
	// CreateDepartment creates d with its planned id.
	CreateDepartment(ctx context.Context, d plan.Department) error
	// CreateUser creates a member (user/create).
	CreateUser(ctx context.Context, u plan.User) error
	// UpdateUser changes the non-empty fields of u (user/update).
	UpdateUser(ctx context.Context, u plan.User) error
	// SyncUsers upserts users through one batch/syncuser job and returns one
	// result per row it reported; progress sees the job's percentage.
	SyncUsers(ctx context.Context, users []plan.User, progress func(percent int)) ([]RowResult, error)
}

// RowResult is the outcome of one row of a batch job (Err nil: done).
type RowResult struct {
	UserID string
	Err    error
}

// WeCom adapts core/wecom's client to Target (and plan.Reader).
type WeCom struct {
	C *wecom.Client
	// PollInterval is how often batch jobs are polled (default 1 s).
	PollInterval time.Duration
}

// NewWeCom returns the Target of a WeCom client.
func NewWeCom(c *wecom.Client) *WeCom { return &WeCom{C: c, PollInterval: time.Second} }

// ListUserIDs implements plan.Reader through user/list_id.
func (w *WeCom) ListUserIDs(ctx context.Context) ([]plan.TargetUser, error) {
	pairs, err := w.C.ListUserIDs(ctx)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	var out []plan.TargetUser
	for _, p := range pairs {
		i, ok := idx[p.UserID]
		if !ok {
			i = len(out)
			idx[p.UserID] = i
			out = append(out, plan.TargetUser{UserID: p.UserID})
		}
		out[i].Departments = append(out[i].Departments, p.Department)
	}
	return out, nil
}

// ListDepartmentIDs implements plan.Reader through department/simplelist.
func (w *WeCom) ListDepartmentIDs(ctx context.Context) ([]plan.TargetDept, error) {
	ds, err := w.C.ListDepartmentIDs(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := make([]plan.TargetDept, len(ds))
	for i, d := range ds {
		out[i] = plan.TargetDept{ID: d.ID, ParentID: d.ParentID}
	}
	return out, nil
}

// ListDepartments implements plan.Reader through department/list (48009
// from a new IP).
func (w *WeCom) ListDepartments(ctx context.Context) ([]plan.TargetDept, error) {
	ds, err := w.C.ListDepartments(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := make([]plan.TargetDept, len(ds))
	for i, d := range ds {
		out[i] = plan.TargetDept{ID: d.ID, ParentID: d.ParentID, Name: d.Name}
	}
	return out, nil
}

// CreateDepartment implements Target.
func (w *WeCom) CreateDepartment(ctx context.Context, d plan.Department) error {
	id, err := w.C.CreateDepartment(ctx, wecom.Department{ID: d.ID, Name: d.Name, ParentID: d.ParentID, Order: d.Order})
	if err != nil {
		return err
	}
	if id != d.ID {
		return fmt.Errorf("department %s created with id %d instead of the planned %d", d.Path, id, d.ID)
	}
	return nil
}

func toWire(u plan.User, create bool) *wecom.User {
	w := &wecom.User{UserID: u.UserID, Name: u.Name, Alias: u.Alias, Mobile: u.Mobile, Department: u.Departments,
		Position: u.Position, Gender: u.Gender, Email: u.Email, BizMail: u.BizMail, Telephone: u.Telephone,
		MainDepartment: u.MainDepartment, Address: u.Address}
	if create {
		enable := 1
		if u.Disabled {
			enable = 0
		}
		w.Enable = &enable
	}
	return w
}

// CreateUser implements Target.
func (w *WeCom) CreateUser(ctx context.Context, u plan.User) error {
	return w.C.CreateUser(ctx, toWire(u, true))
}

// UpdateUser implements Target.
func (w *WeCom) UpdateUser(ctx context.Context, u plan.User) error {
	return w.C.UpdateUser(ctx, toWire(u, false))
}

// SyncCSV renders users as the batch/syncuser CSV (wecom.SyncCSVHeader).
// The format has no biz-mail column.
func SyncCSV(users []plan.User) ([]byte, error) {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if err := cw.Write(wecom.SyncCSVHeader); err != nil {
		return nil, err
	}
	join := func(v []int, f func(int) int) string {
		s := make([]string, len(v))
		for i, n := range v {
			s[i] = strconv.Itoa(f(n))
		}
		return strings.Join(s, ";")
	}
	for _, u := range users {
		gender := map[string]string{"1": "男", "2": "女"}[u.Gender]
		disabled := "0"
		if u.Disabled {
			disabled = "1"
		}
		depts := u.Departments
		if u.MainDepartment != 0 && len(depts) > 0 && depts[0] != u.MainDepartment {
			return nil, fmt.Errorf("user %s: main department must be listed first", u.UserID)
		}
		rec := []string{u.Name, u.UserID, u.Mobile, u.Email, join(depts, func(n int) int { return n }), u.Position, gender,
			join(depts, func(int) int { return 0 }), join(depts, func(int) int { return 0 }), u.Alias, u.Address, u.Telephone, disabled}
		if err := cw.Write(rec); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	return buf.Bytes(), cw.Error()
}

// MaxInFlight is the client's bound of calls in flight: the engine runs
// that many at most and the client's adaptive limiter paces them.
func (w *WeCom) MaxInFlight() int { return w.C.MaxInFlight() }

// SyncUsers implements Target: upload the CSV, start batch/syncuser, wait.
func (w *WeCom) SyncUsers(ctx context.Context, users []plan.User, progress func(int)) ([]RowResult, error) {
	job, err := w.SubmitSync(ctx, users)
	if err != nil {
		return nil, err
	}
	return w.AwaitSync(ctx, job, progress)
}

// SubmitSync implements BatchTarget: upload the CSV and start
// batch/syncuser; it returns the job id.
func (w *WeCom) SubmitSync(ctx context.Context, users []plan.User) (string, error) {
	data, err := SyncCSV(users)
	if err != nil {
		return "", fmt.Errorf("batch CSV: %w", err)
	}
	media, err := w.C.UploadMedia(ctx, "members.csv", data)
	if err != nil {
		return "", err
	}
	return w.C.SyncUser(ctx, media)
}

// AwaitSync implements BatchTarget: poll job until it finishes and return
// one result per row it reported.
func (w *WeCom) AwaitSync(ctx context.Context, job string, progress func(int)) ([]RowResult, error) {
	iv := w.PollInterval
	if iv <= 0 {
		iv = time.Second
	}
	res, err := w.C.WaitBatch(ctx, job, iv, func(r *wecom.BatchResult) {
		if progress != nil {
			progress(r.Percentage)
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]RowResult, len(res.Result))
	for i, r := range res.Result {
		out[i] = RowResult{UserID: r.UserID, Err: r.Err()}
	}
	return out, nil
}
