package wecomsim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
)

// fakeClock is a settable clock for token expiry and rate windows.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a tenant with 研发部(2)/后端组(3) and member zhangsan.
type fixture struct {
	s     *Server
	clock *fakeClock
	token string
}

func newFixture(t *testing.T, knobs Knobs) *fixture {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := New(Options{DBPath: t.TempDir() + "/sim.db", Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{s: s, clock: clock}
	f.token = f.getToken(t)
	for _, req := range []struct{ api, body string }{
		{"department/create", `{"name":"研发部","parentid":1}`},
		{"department/create", `{"name":"后端组","parentid":2}`},
		{"user/create", `{"userid":"zhangsan","name":"张三","mobile":"13800000001","email":"zs@example.org",
			"biz_mail":"zhangsan@example.com","department":[2,3],"is_leader_in_dept":[1,0],"order":[1,2]}`},
	} {
		if code, body := f.call(t, "POST", req.api, nil, req.body, f.token, ""); code != 0 {
			t.Fatalf("fixture %s: %s", req.api, body)
		}
	}
	s.SetKnobs(knobs)
	return f
}

func (f *fixture) getToken(t *testing.T) string {
	t.Helper()
	code, body := f.call(t, "GET", "gettoken", url.Values{"corpid": {DefaultCorpID}, "corpsecret": {DefaultSecret}}, "", "", "")
	if code != 0 {
		t.Fatalf("gettoken: %s", body)
	}
	var a struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	json.Unmarshal([]byte(body), &a)
	if a.AccessToken == "" || a.ExpiresIn != 7200 {
		t.Fatalf("gettoken answer %s", body)
	}
	return a.AccessToken
}

// call sends one request through the handler and returns errcode and body.
func (f *fixture) call(t *testing.T, method, api string, q url.Values, body, token, remote string) (int, string) {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	if token != "" {
		q.Set("access_token", token)
	}
	req := httptest.NewRequest(method, "/cgi-bin/"+api+"?"+q.Encode(), strings.NewReader(body))
	if remote != "" {
		req.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	f.s.ServeHTTP(rec, req)
	data, _ := io.ReadAll(rec.Result().Body)
	var st struct {
		ErrCode *int `json:"errcode"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.ErrCode == nil {
		t.Fatalf("%s %s: answer without errcode: %q", method, api, data)
	}
	return *st.ErrCode, string(data)
}

func strs(n int, s string) string { return strings.Repeat(s, n) }

// TestConformance runs one table of requests written from wecom-api.md
// (and the error list of contacts-rules.md) against the simulator: each
// case gives the request, the errcode it must answer and what the tenant
// must look like afterwards.
func TestConformance(t *testing.T) {
	ok := func(st *State) string { return "" }
	memberCount := func(n int) func(*State) string {
		return func(st *State) string {
			if len(st.Users) != n {
				return "want " + itoa(n) + " members, have " + itoa(len(st.Users))
			}
			return ""
		}
	}
	deptCount := func(n int) func(*State) string {
		return func(st *State) string {
			if len(st.Departments) != n {
				return "want " + itoa(n) + " departments, have " + itoa(len(st.Departments))
			}
			return ""
		}
	}
	unchanged := func(st *State) string {
		if s := memberCount(1)(st); s != "" {
			return s
		}
		return deptCount(3)(st)
	}
	user := func(id string, check func(User) string) func(*State) string {
		return func(st *State) string {
			u, ok := st.User(id)
			if !ok {
				return "member " + id + " missing"
			}
			return check(u)
		}
	}
	cases := []struct {
		name    string
		knobs   Knobs
		token   string // "": valid, "-": none, "bad", "expired"
		remote  string
		method  string
		api     string
		query   url.Values
		body    string
		code    int
		check   func(*State) string
		prepare func(t *testing.T, f *fixture)
		// csv, when set, is uploaded first; "$media" in body becomes its
		// media_id, and the started job's rows must answer rowCodes.
		csv      string
		rowCodes []int
		server   func(*Server) string // further checks on the server
	}{
		// gettoken
		{name: "gettoken bad secret", token: "-", method: "GET", api: "gettoken",
			query: url.Values{"corpid": {DefaultCorpID}, "corpsecret": {"wrong"}}, code: 40001, check: unchanged},
		{name: "gettoken bad corpid", token: "-", method: "GET", api: "gettoken",
			query: url.Values{"corpid": {"ww0"}, "corpsecret": {DefaultSecret}}, code: 40013, check: unchanged},
		{name: "missing token", token: "-", method: "GET", api: "department/simplelist", code: 41001, check: unchanged},
		{name: "invalid token", token: "bad", method: "GET", api: "department/simplelist", code: 40014, check: unchanged},
		{name: "expired token", token: "expired", method: "GET", api: "department/simplelist", code: 42001, check: unchanged},
		{name: "wrong method", method: "GET", api: "user/create", code: 43002, check: unchanged},

		// departments
		{name: "department create", method: "POST", api: "department/create",
			body: `{"name":"市场部","parentid":1,"order":5}`, code: 0, check: func(st *State) string {
				for _, d := range st.Departments {
					if d.Path == "市场部" && d.ParentID == 1 && d.Order == 5 && d.ID == 4 {
						return ""
					}
				}
				return "市场部 not created as id 4"
			}},
		{name: "department create with id", method: "POST", api: "department/create",
			body: `{"name":"市场部","parentid":2,"id":100}`, code: 0, check: func(st *State) string {
				if st.Departments[len(st.Departments)-1].ID != 100 {
					return "id 100 not used"
				}
				return ""
			}},
		{name: "department same name under other parent", method: "POST", api: "department/create",
			body: `{"name":"后端组","parentid":1}`, code: 0, check: deptCount(4)},
		{name: "department name empty", method: "POST", api: "department/create", body: `{"name":"","parentid":1}`, code: 60001, check: unchanged},
		{name: "department name 65 chars", method: "POST", api: "department/create", body: `{"name":"` + strs(65, "部") + `","parentid":1}`, code: 60001, check: unchanged},
		{name: "department name 64 chars", method: "POST", api: "department/create", body: `{"name":"` + strs(64, "部") + `","parentid":1}`, code: 0, check: deptCount(4)},
		{name: "department name forbidden char", method: "POST", api: "department/create", body: `{"name":"A|B","parentid":1}`, code: 60009, check: unchanged},
		{name: "department name colon", method: "POST", api: "department/create", body: `{"name":"A:B","parentid":1}`, code: 60009, check: unchanged},
		{name: "department parent missing", method: "POST", api: "department/create", body: `{"name":"X","parentid":99}`, code: 60004, check: unchanged},
		{name: "department sibling exists", method: "POST", api: "department/create", body: `{"name":"后端组","parentid":2}`, code: 60008, check: unchanged},
		{name: "department id exists", method: "POST", api: "department/create", body: `{"name":"新部门","parentid":1,"id":2}`, code: 60008, check: unchanged},
		{name: "department too deep", method: "POST", api: "department/create", body: `{"name":"L16","parentid":16}`, code: 60002,
			prepare: func(t *testing.T, f *fixture) { // levels 1..15 below the root: ids 4..16 continue 研发部/后端组
				parent := 3
				for i := 3; i <= 15; i++ {
					code, body := f.call(t, "POST", "department/create", nil, `{"name":"L`+itoa(i)+`","parentid":`+itoa(parent)+`}`, f.token, "")
					if code != 0 {
						t.Fatalf("level %d: %s", i, body)
					}
					parent = 4 + i - 3
				}
			}, check: deptCount(16)},
		{name: "simplelist all", method: "GET", api: "department/simplelist", code: 0, check: unchanged},
		{name: "simplelist unknown id", method: "GET", api: "department/simplelist", query: url.Values{"id": {"77"}}, code: 60003, check: unchanged},
		{name: "department list", method: "GET", api: "department/list", code: 0, check: unchanged},
		{name: "department list denied", knobs: Knobs{DenyDetails: true}, method: "GET", api: "department/list", code: 48009, check: unchanged},
		{name: "untrusted ip", knobs: Knobs{TrustedIPs: []string{"203.0.113.9"}}, remote: "198.51.100.1:5000",
			method: "GET", api: "department/simplelist", code: 60020, check: unchanged},
		{name: "trusted ip", knobs: Knobs{TrustedIPs: []string{"203.0.113.9"}}, remote: "203.0.113.9:5000",
			method: "GET", api: "department/simplelist", code: 0, check: unchanged},

		// members
		{name: "user create", method: "POST", api: "user/create",
			body: `{"userid":"lisi","name":"李四","mobile":"+86 13900000002","department":[3],"gender":"2","position":"工程师","enable":0}`,
			code: 0, check: user("LISI", func(u User) string {
				if u.Name != "李四" || u.MainDepartment != 3 || u.Gender != "2" || u.Enable != 0 || len(u.Order) != 1 {
					return "lisi stored wrongly"
				}
				return ""
			})},
		{name: "user create no department goes to root", method: "POST", api: "user/create",
			body: `{"userid":"wangwu","name":"王五","email":"ww@example.org"}`, code: 0,
			check: user("wangwu", func(u User) string {
				if len(u.Department) != 1 || u.Department[0] != 1 {
					return "not in root"
				}
				return ""
			})},
		{name: "userid exists ignoring case", method: "POST", api: "user/create", body: `{"userid":"ZhangSan","name":"张三","mobile":"13800000009"}`, code: 60102, check: unchanged},
		{name: "userid invalid char", method: "POST", api: "user/create", body: `{"userid":"li si","name":"李四","mobile":"13800000009"}`, code: 40003, check: unchanged},
		{name: "userid starts with dot", method: "POST", api: "user/create", body: `{"userid":".lisi","name":"李四","mobile":"13800000009"}`, code: 40003, check: unchanged},
		{name: "userid 65 bytes", method: "POST", api: "user/create", body: `{"userid":"` + strs(65, "a") + `","name":"李四","mobile":"13800000009"}`, code: 40003, check: unchanged},
		{name: "userid with @ allowed", method: "POST", api: "user/create", body: `{"userid":"li.si@x","name":"李四","mobile":"13800000009"}`, code: 0, check: memberCount(2)},
		{name: "userid missing", method: "POST", api: "user/create", body: `{"name":"李四","mobile":"13800000009"}`, code: 41009, check: unchanged},
		{name: "name missing", method: "POST", api: "user/create", body: `{"userid":"lisi","mobile":"13800000009"}`, code: 60112, check: unchanged},
		{name: "name 65 chars", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"` + strs(65, "李") + `","mobile":"13800000009"}`, code: 60112, check: unchanged},
		{name: "mobile invalid", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"1380000"}`, code: 60103, check: unchanged},
		{name: "mobile exists", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"+86-13800000001"}`, code: 60104, check: unchanged},
		{name: "foreign mobile", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"+852 61234567"}`, code: 0, check: memberCount(2)},
		{name: "email invalid", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","email":"not-an-email"}`, code: 60105, check: unchanged},
		{name: "email exists", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","email":"ZS@example.org"}`, code: 60106, check: unchanged},
		{name: "biz mail invalid", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","biz_mail":"li--si@example.com"}`, code: 60143, check: unchanged},
		{name: "biz mail wrong domain", knobs: Knobs{MailDomains: []string{"example.com"}}, method: "POST", api: "user/create",
			body: `{"userid":"lisi","name":"李四","mobile":"13800000009","biz_mail":"lisi@other.com"}`, code: 60143, check: unchanged},
		{name: "biz mail exists", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","biz_mail":"ZhangSan@example.com"}`, code: 60145, check: unchanged},
		{name: "mobile and email empty", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","biz_mail":"lisi@example.com"}`, code: 60129, check: unchanged},
		{name: "department not found", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","department":[2,42]}`, code: 60003, check: unchanged},
		{name: "leader length mismatch", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","department":[2,3],"is_leader_in_dept":[1]}`, code: 60132, check: unchanged},
		{name: "order length mismatch", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","department":[2,3],"order":[1]}`, code: 40058, check: unchanged},
		{name: "position too long", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","position":"` + strs(129, "职") + `"}`, code: 301012, check: unchanged},
		{name: "telephone invalid", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","telephone":"010 8888"}`, code: 301013, check: unchanged},
		{name: "gender invalid", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","gender":"男"}`, code: 60114, check: unchanged},
		{name: "too many departments", method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009","department":[` + strings.TrimSuffix(strs(101, "2,"), ",") + `]}`, code: 60110, check: unchanged},
		{name: "account cap", knobs: Knobs{AccountCap: 1}, method: "POST", api: "user/create", body: `{"userid":"lisi","name":"李四","mobile":"13800000009"}`, code: 45024, check: unchanged},
		{name: "body not json", method: "POST", api: "user/create", body: `{"userid":`, code: 47001, check: unchanged},
		{name: "user update", method: "POST", api: "user/update", body: `{"userid":"ZHANGSAN","position":"经理","department":[2]}`, code: 0,
			check: user("zhangsan", func(u User) string {
				if u.Position != "经理" || len(u.Department) != 1 || u.MainDepartment != 2 || u.Mobile != "13800000001" || u.Name != "张三" {
					return "update wrong: " + u.Position
				}
				return ""
			})},
		{name: "user update unknown", method: "POST", api: "user/update", body: `{"userid":"nobody","name":"无"}`, code: 60111, check: unchanged},
		{name: "user update biz mail set at creation", method: "POST", api: "user/update", body: `{"userid":"zhangsan","biz_mail":"zs2@example.com"}`, code: 60144, check: unchanged},
		{name: "user update mobile taken", method: "POST", api: "user/update", body: `{"userid":"zhangsan","mobile":"13900000002"}`, code: 60104,
			prepare: func(t *testing.T, f *fixture) {
				if code, body := f.call(t, "POST", "user/create", nil, `{"userid":"lisi","name":"李四","mobile":"13900000002"}`, f.token, ""); code != 0 {
					t.Fatal(body)
				}
			}, check: user("zhangsan", func(u User) string {
				if u.Mobile != "13800000001" {
					return "mobile changed"
				}
				return ""
			})},
		{name: "list_id", method: "POST", api: "user/list_id", body: `{"cursor":"","limit":10000}`, code: 0, check: unchanged},
		{name: "list_id bad limit", method: "POST", api: "user/list_id", body: `{"limit":10001}`, code: 40058, check: unchanged},

		// limits and faults
		{name: "busy fault changes nothing", knobs: Knobs{FaultRate: 1}, method: "POST", api: "user/create",
			body: `{"userid":"lisi","name":"李四","mobile":"13800000009"}`, code: -1, check: unchanged},
		{name: "rate limit", knobs: Knobs{RateLimit: 2}, method: "POST", api: "user/create",
			body: `{"userid":"lisi","name":"李四","mobile":"13800000009"}`, code: 45009,
			prepare: func(t *testing.T, f *fixture) {
				for i := 0; i < 2; i++ {
					f.call(t, "GET", "department/simplelist", nil, "", f.token, "")
					f.call(t, "POST", "user/create", nil, `{"userid":"x`+itoa(i)+`","name":"X","mobile":"1370000000`+itoa(i)+`"}`, f.token, "")
				}
			}, check: memberCount(3)},
		{name: "media type missing", method: "POST", api: "media/upload", body: "", code: 40004, check: unchanged},
		{name: "syncuser unknown media", method: "POST", api: "batch/syncuser", body: `{"media_id":"nope"}`, code: 40007, check: unchanged},
		{name: "getresult unknown job", method: "GET", api: "batch/getresult", query: url.Values{"jobid": {"nope"}}, code: 40058, check: unchanged},

		// batch rows with unknown department IDs go to 其他(待设置部门)
		{name: "batch row unknown department placed under 其他(待设置部门)", method: "POST", api: "batch/syncuser",
			csv:  "姓名,帐号,手机号,所在部门,是否部门内领导\n李四,lisi,13900000002,42,1\n王五,wangwu,13900000003,2;43;44,0;1;0\n",
			body: `{"media_id":"$media","to_invite":false}`, code: 0, rowCodes: []int{0, 0},
			check: func(st *State) string {
				pending := 0
				for _, d := range st.Departments {
					if d.Name == PendingDeptName && d.ParentID == 1 {
						pending = d.ID
					}
				}
				if pending == 0 || len(st.Departments) != 4 {
					return "其他(待设置部门) not created once under the root"
				}
				ls, _ := st.User("lisi")
				ww, _ := st.User("wangwu")
				if fmt.Sprint(ls.Department, ls.IsLeaderInDept) != fmt.Sprintf("[%d] [1]", pending) ||
					fmt.Sprint(ww.Department, ww.IsLeaderInDept) != fmt.Sprintf("[2 %d] [0 1]", pending) {
					return fmt.Sprintf("placed wrongly: lisi %v %v, wangwu %v %v", ls.Department, ls.IsLeaderInDept, ww.Department, ww.IsLeaderInDept)
				}
				return ""
			}},
		{name: "batch row known department unchanged", method: "POST", api: "batch/syncuser",
			csv:  "姓名,帐号,手机号,所在部门\n李四,lisi,13900000002,3\n",
			body: `{"media_id":"$media"}`, code: 0, rowCodes: []int{0},
			check: user("lisi", func(u User) string {
				if fmt.Sprint(u.Department) != "[3]" {
					return fmt.Sprint("departments ", u.Department)
				}
				return ""
			})},

		// the deleting APIs answer in WeCom's JSON form and refuse
		{name: "user delete refused", method: "GET", api: "user/delete", query: url.Values{"userid": {"zhangsan"}}, code: CodeDeleteRefused, check: unchanged},
		{name: "user batchdelete refused", method: "POST", api: "user/batchdelete", body: `{"useridlist":["zhangsan"]}`, code: CodeDeleteRefused, check: unchanged},
		{name: "department delete refused", method: "GET", api: "department/delete", query: url.Values{"id": {"3"}}, code: CodeDeleteRefused, check: unchanged},
		{name: "replaceuser guarded by 45026", method: "POST", api: "batch/replaceuser", body: `{"media_id":"x"}`, code: 45026, check: unchanged},
		{name: "replaceparty guarded by 45026", method: "POST", api: "batch/replaceparty", body: `{"media_id":"x"}`, code: 45026, check: unchanged},
		{name: "delete with a bad token", token: "bad", method: "GET", api: "user/delete", query: url.Values{"userid": {"zhangsan"}}, code: 40014, check: unchanged},

		// a method-2 tenant knows its mail domains
		{name: "biz mail outside the seeded company's domains", method: "POST", api: "user/create", prepare: seedOld,
			body: `{"userid":"lisi","name":"李四","mobile":"13800000009","biz_mail":"lisi@other.com"}`, code: 60143, check: memberCount(2)},
		{name: "biz mail inside the seeded company's domains", method: "POST", api: "user/create", prepare: seedOld,
			body: `{"userid":"lisi","name":"李四","mobile":"13800000009","biz_mail":"lisi@Corp.CN"}`, code: 0, check: memberCount(3)},
		{name: "biz mail domains set explicitly", method: "POST", api: "user/create",
			prepare: func(t *testing.T, f *fixture) { f.s.SetMailDomains([]string{"example.net"}) },
			body:    `{"userid":"lisi","name":"李四","mobile":"13800000009","biz_mail":"lisi@example.com"}`, code: 60143, check: unchanged},

		// test knobs
		{name: "duplicate create refused and not counted", method: "POST", api: "user/create",
			body: `{"userid":"zhangsan","name":"张三","mobile":"13800000001"}`, code: 60102, check: unchanged,
			server: creates("zhangsan", 1, 0, "研发部", 1)},
		{name: "duplicate user create accepted by knob", knobs: Knobs{AcceptDuplicateCreates: true}, method: "POST", api: "user/create",
			body: `{"userid":"ZhangSan","name":"张三","mobile":"13800000001"}`, code: 0, check: unchanged,
			server: creates("zhangsan", 2, 1, "研发部", 1)},
		{name: "duplicate department create accepted by knob", knobs: Knobs{AcceptDuplicateCreates: true}, method: "POST", api: "department/create",
			body: `{"name":"研发部","parentid":1}`, code: 0, check: unchanged,
			server: creates("zhangsan", 1, 1, "研发部", 2)},
		{name: "token invalidated early by knob", knobs: Knobs{TokenInvalidateEvery: 1}, method: "GET", api: "department/simplelist", code: 40014, check: unchanged},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.knobs)
			if tc.prepare != nil {
				tc.prepare(t, f)
			}
			token := f.token
			switch tc.token {
			case "-":
				token = ""
			case "bad":
				token = "0123456789abcdef"
			case "expired":
				f.clock.Advance(7201 * time.Second)
			}
			q := url.Values{}
			for k, v := range tc.query {
				q[k] = v
			}
			reqBody := tc.body
			if tc.csv != "" {
				reqBody = strings.ReplaceAll(reqBody, "$media", upload(t, f, []byte(tc.csv)))
			}
			code, body := f.call(t, tc.method, tc.api, q, reqBody, token, tc.remote)
			if code != tc.code {
				t.Fatalf("errcode %d, want %d: %s", code, tc.code, body)
			}
			if tc.csv != "" {
				var a struct {
					JobID string `json:"jobid"`
				}
				json.Unmarshal([]byte(body), &a)
				res := waitJob(t, f, a.JobID)
				var got []int
				for _, r := range res.Result {
					got = append(got, r.ErrCode)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.rowCodes) {
					t.Fatalf("row codes %v, want %v: %+v", got, tc.rowCodes, res.Result)
				}
			}
			if tc.server != nil {
				if msg := tc.server(f.s); msg != "" {
					t.Fatal(msg)
				}
			}
			if tc.check == nil {
				tc.check = ok
			}
			if msg := tc.check(f.s.State()); msg != "" {
				t.Fatal(msg)
			}
		})
	}
}

// seedOld pre-fills the tenant as a method-2 (bind) rehearsal does: an
// existing member whose business mail is on corp.cn.
func seedOld(t *testing.T, f *fixture) {
	t.Helper()
	_, err := f.s.Seed(&contacts.Directory{Members: []contacts.Member{{Name: "老员工", Account: "old1",
		Mobile: "13700000001", BizMail: "old1@corp.cn", Departments: []string{"原有部门"}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// creates checks the create counters of the fixture's member and of 研发部
// under the root (department 2), and the duplicates the counters report.
func creates(userid string, users, dups int, dept string, depts int) func(*Server) string {
	return func(s *Server) string {
		c := s.Creates()
		if c.UserCreates(userid) != users || c.DepartmentCreates(1, dept) != depts || len(c.Duplicates()) != dups {
			return fmt.Sprintf("creates: %s %d (want %d), %s %d (want %d), duplicates %v (want %d)",
				userid, c.UserCreates(userid), users, dept, c.DepartmentCreates(1, dept), depts, c.Duplicates(), dups)
		}
		return ""
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRateLimitBlock checks that 45009 lasts BlockFor even when the
// window turns, then calls pass again.
func TestRateLimitBlock(t *testing.T) {
	f := newFixture(t, Knobs{RateLimit: 3, RateWindow: time.Second, BlockFor: 60 * time.Second})
	get := func() int {
		code, _ := f.call(t, "GET", "department/simplelist", nil, "", f.token, "")
		return code
	}
	for i := 0; i < 3; i++ {
		if c := get(); c != 0 {
			t.Fatalf("call %d: %d", i, c)
		}
	}
	if c := get(); c != 45009 {
		t.Fatalf("4th call %d, want 45009", c)
	}
	f.clock.Advance(30 * time.Second) // new window, still blocked
	if c := get(); c != 45009 {
		t.Fatalf("during block %d, want 45009", c)
	}
	// other APIs have their own counters
	if code, body := f.call(t, "POST", "user/list_id", nil, `{}`, f.token, ""); code != 0 {
		t.Fatalf("other API blocked: %s", body)
	}
	f.clock.Advance(31 * time.Second)
	if c := get(); c != 0 {
		t.Fatalf("after block %d, want 0", c)
	}
}

// TestConcurrencyLimit holds one call in the server (long latency) and
// checks that a second concurrent call gets 45033.
func TestConcurrencyLimit(t *testing.T) {
	f := newFixture(t, Knobs{})
	srv := httptest.NewServer(f.s)
	defer srv.Close()
	f.s.SetKnobs(Knobs{MaxConcurrent: 1, Latency: time.Hour})
	done := make(chan struct{})
	req, _ := http.NewRequest("GET", srv.URL+"/cgi-bin/department/simplelist?access_token="+f.token, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(done)
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err == nil {
			resp.Body.Close()
		}
	}()
	for f.s.inflight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	code, body := f.call(t, "GET", "department/simplelist", nil, "", f.token, "")
	// WeCom counts concurrency per API: another API is not held back.
	f.s.SetKnobs(Knobs{MaxConcurrent: 1})
	other, obody := f.call(t, "POST", "user/list_id", nil, `{}`, f.token, "")
	cancel()
	<-done
	if code != 45033 {
		t.Fatalf("errcode %d, want 45033: %s", code, body)
	}
	if other != 0 {
		t.Fatalf("other API: %s", obody)
	}
}
