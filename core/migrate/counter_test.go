package migrate

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// createCounter stands in front of the simulator and counts every create
// the target accepts, per key ("u/<userid>", "d/<id>"). It plays a WeCom
// that ACCEPTS duplicates: a user/create of a userid the tenant has (60102)
// and a department/create of an id it has (60008) are answered as created
// and counted, and a batch/syncuser row whose userid the tenant already has
// when the job is submitted counts as another create. So any create sent
// twice shows as a count of 2, which the real WeCom would have hidden.
type createCounter struct {
	sim *wecomsim.Server

	mu      sync.Mutex
	created map[string]int
	media   map[string][]string // media id → userids of its CSV rows
}

func newCreateCounter(sim *wecomsim.Server) *createCounter {
	return &createCounter{sim: sim, created: map[string]int{}, media: map[string][]string{}}
}

func (c *createCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api := strings.TrimPrefix(r.URL.Path, "/cgi-bin/")
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		UserID  string `json:"userid"`
		ID      int    `json:"id"`
		MediaID string `json:"media_id"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || api != "media/upload" {
		_ = json.Unmarshal(body, &in)
	}
	if api == "batch/syncuser" {
		// Counted at submission: rows new to the tenant are created by the
		// job, rows it has already would be created again by a WeCom that
		// accepts duplicates.
		c.mu.Lock()
		rows := c.media[in.MediaID]
		c.mu.Unlock()
		for _, uid := range rows {
			c.add("u/" + strings.ToLower(uid))
		}
	}
	rec := httptest.NewRecorder()
	c.sim.ServeHTTP(rec, r)
	out := rec.Body.Bytes()
	var ans struct {
		ErrCode int    `json:"errcode"`
		MediaID string `json:"media_id"`
	}
	_ = json.Unmarshal(out, &ans)
	switch api {
	case "user/create":
		switch ans.ErrCode {
		case 0:
			c.add("u/" + strings.ToLower(in.UserID))
		case wecom.CodeUserIDExists:
			c.add("u/" + strings.ToLower(in.UserID))
			out = []byte(`{"errcode":0,"errmsg":"created"}`)
		}
	case "department/create":
		switch {
		case ans.ErrCode == 0:
			c.add(fmt.Sprintf("d/%d", in.ID))
		case ans.ErrCode == wecom.CodeDeptExists && c.deptExists(in.ID):
			c.add(fmt.Sprintf("d/%d", in.ID))
			out = fmt.Appendf(nil, `{"errcode":0,"errmsg":"created","id":%d}`, in.ID)
		}
	case "media/upload":
		if ans.ErrCode == 0 {
			uids := csvUserIDs(r.Header.Get("Content-Type"), body)
			c.mu.Lock()
			c.media[ans.MediaID] = uids
			c.mu.Unlock()
		}
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	w.Write(out)
}

func (c *createCounter) add(key string) {
	c.mu.Lock()
	c.created[key]++
	c.mu.Unlock()
}

func (c *createCounter) deptExists(id int) bool {
	for _, d := range c.sim.State().Departments {
		if d.ID == id {
			return true
		}
	}
	return false
}

// csvUserIDs reads the userids of a batch CSV uploaded as multipart.
func csvUserIDs(contentType string, body []byte) []string {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	part, err := mr.NextPart()
	if err != nil {
		return nil
	}
	recs, err := csv.NewReader(part).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil
	}
	col := -1
	for i, h := range recs[0] {
		if h == wecom.SyncCSVHeader[1] {
			col = i
		}
	}
	var out []string
	for _, r := range recs[1:] {
		if col >= 0 && col < len(r) {
			out = append(out, r[col])
		}
	}
	return out
}

// assertOnce fails t unless every member and department of p was created
// exactly once, and nothing else more than once.
func (c *createCounter) assertOnce(t testing.TB, p *plan.Plan) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	want := map[string]bool{}
	for _, m := range p.Create {
		want["u/"+strings.ToLower(m.User.UserID)] = true
	}
	for _, d := range p.Departments {
		want[fmt.Sprintf("d/%d", d.ID)] = true
	}
	var bad []string
	for k := range want {
		if n := c.created[k]; n != 1 {
			bad = append(bad, fmt.Sprintf("%s created %d times", k, n))
		}
	}
	for k, n := range c.created {
		if !want[k] && n > 1 {
			bad = append(bad, fmt.Sprintf("%s (not planned) created %d times", k, n))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("not exactly once (%d): %s", len(bad), strings.Join(bad[:min(len(bad), 20)], "; "))
	}
}

// TestCreateCounterSeesDuplicates: the counter is able to fail — a member
// and a department created twice are counted twice.
func TestCreateCounterSeesDuplicates(t *testing.T) {
	sim, err := wecomsim.New(wecomsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cc := newCreateCounter(sim)
	srv := httptest.NewServer(cc)
	defer srv.Close()
	tgt, hc := simTarget(t, srv.URL, sim)
	defer hc.CloseIdleConnections()
	p := mustPlan(t, tgt, company(30, true), plan.MethodNew)
	e := newEnv(t)
	res, err := run(t, e, p, tgt, Options{Batch: BatchAlways, ChunkSize: 10}, t.Context())
	if err != nil || !res.OK() {
		t.Fatalf("%v %+v", err, res)
	}
	cc.assertOnce(t, p)
	if t.Failed() {
		return
	}
	// Send one of each again: the counter must see both.
	if err := tgt.CreateUser(t.Context(), p.Create[3].User); err != nil {
		t.Fatal(err)
	}
	if err := tgt.CreateDepartment(t.Context(), p.Departments[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.SyncUsers(t.Context(), []plan.User{p.Create[5].User}, nil); err != nil {
		t.Fatal(err)
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.created["u/"+strings.ToLower(p.Create[3].User.UserID)] != 2 || cc.created[fmt.Sprintf("d/%d", p.Departments[0].ID)] != 2 ||
		cc.created["u/"+strings.ToLower(p.Create[5].User.UserID)] != 2 {
		t.Errorf("duplicates not counted: %v", cc.created)
	}
}
