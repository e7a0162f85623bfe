package exmail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
)

const secret = "exmail-secret-XYZ-123"

// fakeExmail serves the three Exmail APIs from fixed data; busy makes the
// first n department/list calls answer -1.
func fakeExmail(t *testing.T, depts, users string, busy int32) *httptest.Server {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			if q.Get("corpid") != "wmcorp" || q.Get("corpsecret") != secret {
				fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
				return
			}
			fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","access_token":"tok-exmail","expires_in":7200}`)
			return
		}
		if q.Get("access_token") != "tok-exmail" {
			fmt.Fprint(w, `{"errcode":40014,"errmsg":"invalid access_token"}`)
			return
		}
		switch r.URL.Path {
		case "/cgi-bin/department/list":
			if q.Get("id") != "1" {
				t.Errorf("department/list id=%s", q.Get("id"))
			}
			if n.Add(1) <= busy {
				fmt.Fprint(w, `{"errcode":-1,"errmsg":"system busy"}`)
				return
			}
			fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","department":%s}`, depts)
		case "/cgi-bin/user/list":
			if q.Get("department_id") != "1" || q.Get("fetch_child") != "1" {
				t.Errorf("user/list query %s", r.URL.RawQuery)
			}
			fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","userlist":%s}`, users)
		case "/cgi-bin/group/search":
			if q.Get("fuzzy") != "0" {
				t.Errorf("group/search query %s", r.URL.RawQuery)
			}
			fmt.Fprint(w, groupSearch)
		case "/cgi-bin/group/get":
			g, ok := groupGet[q.Get("groupid")]
			if !ok {
				fmt.Fprint(w, `{"errcode":60000,"errmsg":"group not found"}`)
				return
			}
			fmt.Fprint(w, g)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

const depts = `[
 {"id":1,"name":"示例公司","parentid":0,"order":0},
 {"id":5,"name":"后端组","parentid":2,"order":1},
 {"id":2,"name":"研发部","parentid":1,"order":10},
 {"id":3,"name":"市场/销售","parentid":1,"order":5},
 {"id":6,"name":"空部门","parentid":5,"order":0}]`

// the fake's mail groups (group/search with fuzzy=0, group/get)
var groupSearch = `{"errcode":0,"errmsg":"ok","count":1,"groups":[{"groupid":"dev@example.com","groupname":"研发全员"}]}`

var groupGet = map[string]string{
	"dev@example.com": `{"errcode":0,"errmsg":"ok","groupid":"dev@example.com","groupname":"研发全员","userlist":["zhangsan@example.com","wangwu@example.com"],"grouplist":[],"department":[5]}`,
}

const users = `[
 {"userid":"zhangsan@example.com","name":"张三","department":[5,3],"position":"工程师","mobile":"13800000000","tel":"010-1234","extid":"01","gender":"1","slaves":["sam@example.com"],"enable":1},
 {"userid":"lisi@example.com","name":"李四","department":[1],"gender":"2","enable":0},
 {"userid":"wangwu@example.com","name":"王五","department":[2,2],"gender":"0"},
 {"userid":"info@example.com","name":"公司信息","department":[1],"enable":1}]`

func TestReadDirectory(t *testing.T) {
	srv := fakeExmail(t, depts, users, 2)
	d, err := ReadDirectory(context.Background(), Config{BaseURL: srv.URL, CorpID: "wmcorp", Secret: secret, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := &contacts.Directory{
		Departments: []string{"研发部/后端组", "研发部", "市场／销售", "研发部/后端组/空部门"},
		Members: []contacts.Member{
			{Name: "张三", Account: "zhangsan", BizMail: "zhangsan@example.com", Departments: []string{"研发部/后端组", "市场／销售"},
				Position: "工程师", Mobile: "13800000000", Telephone: "010-1234", Gender: "男", Mailbox: "成员邮箱"},
			{Name: "李四", Account: "lisi", BizMail: "lisi@example.com", Gender: "女", Disabled: true, Mailbox: "成员邮箱"},
			{Name: "王五", Account: "wangwu", BizMail: "wangwu@example.com", Departments: []string{"研发部"}, Mailbox: "成员邮箱"},
			// no mobile and a role-like name: a candidate, left untyped for the rules to flag
			{Name: "公司信息", Account: "info", BizMail: "info@example.com"},
		},
		MailGroups: []contacts.MailGroup{{Address: "dev@example.com", Name: "研发全员",
			Members: []string{"zhangsan@example.com", "wangwu@example.com"}, Groups: []string{}, Depts: []string{"研发部/后端组"}}},
		// Exmail shows 市场 (order 5) before 研发部 (order 10); WeCom puts the larger order first
		DeptOrder: map[string]int{"市场／销售": 2, "研发部": 1, "研发部/后端组": 1, "研发部/后端组/空部门": 1},
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("directory:\n got %+v\nwant %+v", d, want)
	}
	if got := d.AllDepartments(); len(got) != 4 {
		t.Fatalf("all departments %v", got)
	}
}

func TestReadDirectoryErrors(t *testing.T) {
	cases := []struct {
		name         string
		depts, users string
		busy         int32
		secret       string
		code         int
		text         string
	}{
		{name: "bad secret", depts: depts, users: users, secret: "wrong-" + secret, code: 40001},
		{name: "busy too long", depts: depts, users: users, busy: 10, secret: secret, code: -1},
		{name: "unknown parent", depts: `[{"id":4,"name":"X","parentid":99}]`, users: `[]`, secret: secret, text: "department 99"},
		{name: "parent cycle", depts: `[{"id":4,"name":"X","parentid":7},{"id":7,"name":"Y","parentid":4}]`, users: `[]`, secret: secret, text: "cycle"},
		{name: "member in unknown department", depts: depts, users: `[{"userid":"a@b.c","name":"A","department":[42]}]`, secret: secret, text: "unknown department 42"},
		{name: "empty department name", depts: `[{"id":4,"name":" ","parentid":1}]`, users: `[]`, secret: secret, text: "empty name"},
		{name: "malformed", depts: `[{"id":`, users: `[]`, secret: secret, code: CodeBadResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeExmail(t, tc.depts, tc.users, tc.busy)
			_, err := ReadDirectory(context.Background(), Config{BaseURL: srv.URL, CorpID: "wmcorp", Secret: tc.secret, RetryBackoff: time.Millisecond})
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "tok-exmail") {
				t.Fatalf("credential leaked: %v", err)
			}
			if tc.code != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Code != tc.code || !strings.Contains(e.Explain(), " / ") {
					t.Fatalf("error %v, want code %d", err, tc.code)
				}
			}
			if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %q lacks %q", err, tc.text)
			}
		})
	}
	// unreachable: the URL with corpsecret must not show
	_, err := ReadDirectory(context.Background(), Config{BaseURL: "http://127.0.0.1:1", CorpID: "wmcorp", Secret: secret, RetryBackoff: time.Millisecond})
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "REDACTED") {
		t.Fatalf("unreachable: %v", err)
	}
}

// FuzzDepartmentPaths: any department/list answer gives paths or an error,
// never a panic; every path has no empty level.
func FuzzDepartmentPaths(f *testing.F) {
	f.Add([]byte(depts))
	f.Add([]byte(`[{"id":4,"name":"X","parentid":7},{"id":7,"name":"Y","parentid":4}]`))
	f.Add([]byte(`[{"id":2,"name":"","parentid":1},{"id":3,"name":"a/b","parentid":2}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var list []department
		if json.Unmarshal(data, &list) != nil {
			return
		}
		paths, err := departmentPaths(list)
		if err != nil {
			return
		}
		for id, p := range paths {
			if id == rootID {
				continue
			}
			for _, level := range contacts.SplitPath(p) {
				if level == "" {
					t.Fatalf("department %d path %q has an empty level", id, p)
				}
			}
			if p == "" {
				t.Fatalf("department %d has an empty path", id)
			}
		}
	})
}
