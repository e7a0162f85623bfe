package wecomsim

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// pendingRow marks a batch row not processed yet (never shown to clients).
const pendingRow = -999999

type rowResult struct {
	UserID  string `json:"userid"`
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// job is one batch/syncuser job.
type job struct {
	ID     string      `json:"id"`
	Type   string      `json:"type"`
	Status int         `json:"status"` // 1 started, 2 running, 3 done
	Total  int         `json:"total"`
	Done   int         `json:"done"`
	Result []rowResult `json:"result"`
}

// csvRow is one parsed row of a batch file, or the reason it cannot be used.
type csvRow struct {
	in  userIn
	err *apiErr
}

// parseSyncCSV reads a batch/syncuser file. Header cells are matched by
// name (帐号 or 账号), so column order does not matter; 姓名 and 帐号 are
// required. Empty cells leave the field unchanged on update.
func parseSyncCSV(data []byte) ([]csvRow, *apiErr) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, fail(40058, "file is not UTF-8")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return nil, fail(40058, "invalid csv file")
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "账号" {
			h = "帐号"
		}
		col[h] = i
	}
	if _, ok := col["姓名"]; !ok {
		return nil, fail(40058, "csv header lacks 姓名")
	}
	if _, ok := col["帐号"]; !ok {
		return nil, fail(40058, "csv header lacks 帐号")
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fail(40058, "invalid csv file")
		}
		cell := func(name string) *string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return nil
			}
			v := strings.TrimSpace(rec[i])
			if v == "" {
				return nil
			}
			return &v
		}
		var r csvRow
		r.in = userIn{UserID: cell("帐号"), Name: cell("姓名"), Mobile: cell("手机号"), Email: cell("邮箱"),
			Position: cell("职位"), Alias: cell("别名"), Address: cell("地址"), Telephone: cell("座机")}
		if r.in.UserID == nil && r.in.Name == nil && r.in.Mobile == nil && r.in.Email == nil {
			continue // blank line
		}
		if v := cell("所在部门"); v != nil {
			r.in.Department, r.err = splitInts(*v, 60003, "department not found")
		}
		if v := cell("是否部门内领导"); v != nil && r.err == nil {
			r.in.IsLeaderInDept, r.err = splitFlags(*v)
		}
		if v := cell("排序"); v != nil && r.err == nil {
			r.in.Order, r.err = splitInts(*v, 40058, "invalid order")
		}
		if v := cell("性别"); v != nil && r.err == nil {
			g := map[string]string{"男": "1", "1": "1", "女": "2", "2": "2"}[*v]
			if g == "" {
				r.err = fail(60114, "invalid gender")
			}
			r.in.Gender = &g
		}
		if v := cell("禁用"); v != nil && r.err == nil {
			switch *v {
			case "1", "是", "禁用":
				r.in.Enable = new(int)
			case "0", "否", "启用":
				one := 1
				r.in.Enable = &one
			default:
				r.err = fail(40058, "invalid enable")
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func splitInts(s string, code int, msg string) ([]int, *apiErr) {
	var out []int
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '；' }) {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fail(code, "%s", msg)
		}
		out = append(out, n)
	}
	return out, nil
}

func splitFlags(s string) ([]int, *apiErr) {
	var out []int
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '；' }) {
		switch strings.TrimSpace(p) {
		case "1", "是":
			out = append(out, 1)
		case "0", "否":
			out = append(out, 0)
		default:
			return nil, fail(40058, "invalid is_leader_in_dept")
		}
	}
	return out, nil
}

func (s *Server) batchSyncUser(r *http.Request) (any, *apiErr) {
	var in struct {
		MediaID  string `json:"media_id"`
		ToInvite *bool  `json:"to_invite"`
	}
	if e := decodeBody(r, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	data, ok := s.media[in.MediaID]
	s.mu.Unlock()
	if !ok {
		return nil, fail(40007, "invalid media_id")
	}
	rows, e := parseSyncCSV(data)
	if e != nil {
		return nil, e
	}
	j := &job{ID: randomID(16), Type: "sync_user", Status: 1, Total: len(rows), Result: make([]rowResult, len(rows))}
	for i := range rows {
		j.Result[i] = rowResult{UserID: str(rows[i].in.UserID), ErrCode: pendingRow}
	}
	s.mu.Lock()
	s.jobs[j.ID] = j
	s.dirtyJobs[j.ID] = true
	s.mu.Unlock()
	if e := s.afterWrite(); e != nil {
		return nil, e
	}
	s.wg.Add(1)
	go s.runJob(j, rows)
	return map[string]any{"errcode": 0, "errmsg": "ok", "jobid": j.ID}, nil
}

// runJob applies the rows of a syncuser job one by one: upsert by userid.
func (s *Server) runJob(j *job, rows []csvRow) {
	defer s.wg.Done()
	for i := range rows {
		if d := s.Knobs().JobRowDelay; d > 0 {
			select {
			case <-time.After(d):
			case <-s.stop:
				return
			}
		} else {
			select {
			case <-s.stop:
				return
			default:
			}
		}
		s.mu.Lock()
		j.Status = 2
		res := rowResult{UserID: str(rows[i].in.UserID), ErrMsg: "ok"}
		e := rows[i].err
		if e == nil {
			if rows[i].in.UserID == nil {
				e = fail(41009, "missing userid")
			} else {
				key := strings.ToLower(*rows[i].in.UserID)
				s.t.placeUnknownDepts(&rows[i].in)
				old, ok := s.t.users[key]
				_, e = s.t.applyUser(&rows[i].in, old)
				if e == nil {
					s.creates.SyncRows[key]++
					if !ok {
						s.creates.Users[key]++
					}
				}
			}
		}
		if e != nil {
			res.ErrCode, res.ErrMsg = e.code, e.msg
		}
		j.Result[i] = res
		j.Done = i + 1
		if j.Done == j.Total {
			j.Status = 3
		}
		if j.Done%200 == 0 || j.Status == 3 {
			s.dirtyJobs[j.ID] = true
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	j.Status = 3
	s.dirtyJobs[j.ID] = true
	s.mu.Unlock()
}

func (s *Server) batchGetResult(r *http.Request) (any, *apiErr) {
	id := r.URL.Query().Get("jobid")
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return nil, fail(40058, "invalid jobid")
	}
	pct := 100
	if j.Total > 0 {
		pct = j.Done * 100 / j.Total
	}
	res := make([]rowResult, 0, j.Done)
	for _, rr := range j.Result {
		if rr.ErrCode != pendingRow {
			res = append(res, rr)
		}
	}
	return map[string]any{"errcode": 0, "errmsg": "ok", "status": j.Status, "type": j.Type,
		"total": j.Total, "percentage": pct, "result": res}, nil
}
