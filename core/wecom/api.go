package wecom

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"time"
)

// RootDepartment is the ID of every company's top department.
const RootDepartment = 1

// Department is the wire form of a department (department/create body,
// department/list item).
type Department struct {
	ID       int    `json:"id,omitempty"` // 0 on create lets WeCom assign one
	Name     string `json:"name"`
	NameEn   string `json:"name_en,omitempty"`
	ParentID int    `json:"parentid"`
	Order    int    `json:"order,omitempty"`
}

// DepartmentID is one item of department/simplelist.
type DepartmentID struct {
	ID       int `json:"id"`
	ParentID int `json:"parentid"`
	Order    int `json:"order"`
}

// User is the wire form of a member (user/create and user/update body).
// Empty fields are left out, so an update changes only the fields given.
type User struct {
	UserID         string `json:"userid"`
	Name           string `json:"name,omitempty"`
	Alias          string `json:"alias,omitempty"`
	Mobile         string `json:"mobile,omitempty"`
	Department     []int  `json:"department,omitempty"`
	Order          []int  `json:"order,omitempty"`
	Position       string `json:"position,omitempty"`
	Gender         string `json:"gender,omitempty"` // "1" male, "2" female
	Email          string `json:"email,omitempty"`
	BizMail        string `json:"biz_mail,omitempty"`
	Telephone      string `json:"telephone,omitempty"`
	IsLeaderInDept []int  `json:"is_leader_in_dept,omitempty"`
	MainDepartment int    `json:"main_department,omitempty"`
	Enable         *int   `json:"enable,omitempty"` // 1 enabled, 0 disabled
	Address        string `json:"address,omitempty"`
}

// DeptUser is one item of user/list_id: a member and one of its departments
// (a member in several departments appears once per department).
type DeptUser struct {
	UserID     string `json:"userid"`
	Department int    `json:"department"`
}

// BatchResult is the answer of batch/getresult.
type BatchResult struct {
	Status     int              `json:"status"` // 1 started, 2 running, 3 done
	Type       string           `json:"type"`
	Total      int              `json:"total"`
	Percentage int              `json:"percentage"`
	Result     []BatchRowResult `json:"result"`
}

// Batch job states of BatchResult.Status.
const (
	BatchStarted = 1
	BatchRunning = 2
	BatchDone    = 3
)

// BatchRowResult is the outcome of one row of a batch job.
type BatchRowResult struct {
	UserID  string `json:"userid"`
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Err returns the row's failure as an *Error, nil when it succeeded.
func (r BatchRowResult) Err() error {
	if r.ErrCode == 0 {
		return nil
	}
	return &Error{API: "batch/syncuser", Code: r.ErrCode, Msg: r.ErrMsg, Item: r.UserID}
}

// Check verifies the connection settings: it gets a token and lists the
// department IDs. It returns nil or a typed *Error (Explain() tells the user
// what to do, e.g. for 40001, 60020 or 48009).
func (c *Client) Check(ctx context.Context) error {
	_, err := c.ListDepartmentIDs(ctx, 0)
	return err
}

// CreateDepartment creates d and returns its ID. Parents must exist first.
// A network failure is not retried (the department may have been created).
func (c *Client) CreateDepartment(ctx context.Context, d Department) (int, error) {
	var a struct {
		ID int `json:"id"`
	}
	if err := c.postJSON(ctx, "department/create", d.Name, false, d, &a); err != nil {
		return 0, err
	}
	if a.ID == 0 {
		a.ID = d.ID
	}
	return a.ID, nil
}

// ListDepartmentIDs returns department id (and all below it) from
// department/simplelist; id 0 lists the whole company. Allowed for the
// contact-sync secret from any IP.
func (c *Client) ListDepartmentIDs(ctx context.Context, id int) ([]DepartmentID, error) {
	q := url.Values{}
	if id > 0 {
		q.Set("id", strconv.Itoa(id))
	}
	var a struct {
		DepartmentID []DepartmentID `json:"department_id"`
	}
	if err := c.get(ctx, "department/simplelist", q, &a); err != nil {
		return nil, err
	}
	return a.DepartmentID, nil
}

// ListDepartments returns the departments with their names from
// department/list (id 0: all). The contact-sync secret gets 48009 from a new
// IP; use ListDepartmentIDs then.
func (c *Client) ListDepartments(ctx context.Context, id int) ([]Department, error) {
	q := url.Values{}
	if id > 0 {
		q.Set("id", strconv.Itoa(id))
	}
	var a struct {
		Department []Department `json:"department"`
	}
	if err := c.get(ctx, "department/list", q, &a); err != nil {
		return nil, err
	}
	return a.Department, nil
}

// CreateUser creates a member. A network failure is not retried (the member
// may have been created; a later retry may answer 60102).
func (c *Client) CreateUser(ctx context.Context, u *User) error {
	return c.postJSON(ctx, "user/create", u.UserID, false, u, nil)
}

// UpdateUser changes the given (non-empty) fields of member u.UserID.
func (c *Client) UpdateUser(ctx context.Context, u *User) error {
	return c.postJSON(ctx, "user/update", u.UserID, true, u, nil)
}

// ListUserIDs returns every (member, department) pair of the company from
// user/list_id, following the cursor through all pages.
func (c *Client) ListUserIDs(ctx context.Context) ([]DeptUser, error) {
	var all []DeptUser
	cursor := ""
	for page := 0; ; page++ {
		var a struct {
			NextCursor string     `json:"next_cursor"`
			DeptUser   []DeptUser `json:"dept_user"`
		}
		in := map[string]any{"cursor": cursor, "limit": 10000}
		if err := c.postJSON(ctx, "user/list_id", "", true, in, &a); err != nil {
			return nil, fmt.Errorf("list members page %d: %w", page+1, err)
		}
		all = append(all, a.DeptUser...)
		if a.NextCursor == "" {
			return all, nil
		}
		if a.NextCursor == cursor {
			return nil, &Error{API: "user/list_id", Code: CodeBadResponse, Msg: "cursor did not advance"}
		}
		cursor = a.NextCursor
	}
}

// UploadMedia uploads a file (for batch/syncuser: the CSV) and returns its
// media_id. WeCom accepts 5 B to 20 MB.
func (c *Client) UploadMedia(ctx context.Context, filename string, data []byte) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename=%q; filelength=%d`, filename, len(data)))
	h.Set("Content-Type", "application/octet-stream")
	w, err := mw.CreatePart(h)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("build upload of %s: %w", filename, err)
	}
	var a struct {
		MediaID string `json:"media_id"`
	}
	err = c.do(ctx, request{api: "media/upload", method: http.MethodPost, query: url.Values{"type": {"file"}},
		body: buf.Bytes(), contentType: mw.FormDataContentType(), idempotent: true, item: filename}, &a)
	if err != nil {
		return "", err
	}
	if a.MediaID == "" {
		return "", &Error{API: "media/upload", Code: CodeBadResponse, Msg: "no media_id in answer"}
	}
	return a.MediaID, nil
}

// SyncUser starts a batch/syncuser job (upsert by userid; members not in
// the file are untouched; no invitations) and returns its job ID.
func (c *Client) SyncUser(ctx context.Context, mediaID string) (string, error) {
	var a struct {
		JobID string `json:"jobid"`
	}
	in := map[string]any{"media_id": mediaID, "to_invite": false}
	if err := c.postJSON(ctx, "batch/syncuser", "", true, in, &a); err != nil {
		return "", err
	}
	if a.JobID == "" {
		return "", &Error{API: "batch/syncuser", Code: CodeBadResponse, Msg: "no jobid in answer"}
	}
	return a.JobID, nil
}

// GetBatchResult returns the state of a batch job.
func (c *Client) GetBatchResult(ctx context.Context, jobID string) (*BatchResult, error) {
	var a BatchResult
	if err := c.get(ctx, "batch/getresult", url.Values{"jobid": {jobID}}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// WaitBatch polls GetBatchResult every interval until the job is done
// (status 3) or ctx ends. progress, when not nil, sees every answer.
func (c *Client) WaitBatch(ctx context.Context, jobID string, interval time.Duration, progress func(*BatchResult)) (*BatchResult, error) {
	if interval <= 0 {
		interval = time.Second
	}
	for {
		r, err := c.GetBatchResult(ctx, jobID)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(r)
		}
		if r.Status == BatchDone {
			return r, nil
		}
		if err := c.cfg.Sleep(ctx, interval); err != nil {
			return nil, &Error{API: "batch/getresult", Code: CodeTransport, Msg: err.Error(), Err: err}
		}
	}
}
