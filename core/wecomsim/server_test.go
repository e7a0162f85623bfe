package wecomsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"

	bolt "go.etcd.io/bbolt"
)

func TestListIDPaging(t *testing.T) {
	f := newFixture(t, Knobs{})
	// 25 more members, some in two departments: 1 + 25 users, 2 + 25 + 5 pairs.
	for i := 0; i < 25; i++ {
		dept := "[2]"
		if i%5 == 0 {
			dept = "[3,2]" // unsorted: the cursor must not skip department 2
		}
		body := fmt.Sprintf(`{"userid":"u%02d","name":"U","mobile":"1350000%04d","department":%s}`, i, i, dept)
		if code, b := f.call(t, "POST", "user/create", nil, body, f.token, ""); code != 0 {
			t.Fatal(b)
		}
	}
	var got []string
	cursor := ""
	pages := 0
	for {
		code, body := f.call(t, "POST", "user/list_id", nil, fmt.Sprintf(`{"cursor":%q,"limit":7}`, cursor), f.token, "")
		if code != 0 {
			t.Fatal(body)
		}
		var a struct {
			NextCursor string `json:"next_cursor"`
			DeptUser   []struct {
				UserID     string `json:"userid"`
				Department int    `json:"department"`
			} `json:"dept_user"`
		}
		json.Unmarshal([]byte(body), &a)
		pages++
		if len(a.DeptUser) > 7 {
			t.Fatalf("page of %d", len(a.DeptUser))
		}
		for _, du := range a.DeptUser {
			got = append(got, fmt.Sprintf("%s/%d", du.UserID, du.Department))
		}
		if a.NextCursor == "" {
			break
		}
		cursor = a.NextCursor
	}
	if len(got) != 32 || pages != 5 {
		t.Fatalf("%d pairs in %d pages: %v", len(got), pages, got)
	}
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			t.Fatalf("pair %s twice", g)
		}
		seen[g] = true
	}
	if !seen["zhangsan/3"] || !seen["u05/3"] || !seen["u24/2"] {
		t.Fatalf("pairs missing: %v", got)
	}
	if code, _ := f.call(t, "POST", "user/list_id", nil, `{"cursor":"zz"}`, f.token, ""); code != 40058 {
		t.Fatalf("bad cursor: %d", code)
	}
}

func upload(t *testing.T, f *fixture, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("media", "members.csv")
	w.Write(data)
	mw.Close()
	req := httptest.NewRequest("POST", "/cgi-bin/media/upload?type=file&access_token="+f.token, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	f.s.ServeHTTP(rec, req)
	var a struct {
		ErrCode int    `json:"errcode"`
		MediaID string `json:"media_id"`
	}
	body, _ := io.ReadAll(rec.Body)
	json.Unmarshal(body, &a)
	if a.ErrCode != 0 || a.MediaID == "" {
		t.Fatalf("upload: %s", body)
	}
	return a.MediaID
}

type jobAnswer struct {
	Status     int         `json:"status"`
	Total      int         `json:"total"`
	Percentage int         `json:"percentage"`
	Result     []rowResult `json:"result"`
}

func waitJob(t *testing.T, f *fixture, jobid string) jobAnswer {
	t.Helper()
	for {
		code, body := f.call(t, "GET", "batch/getresult", url.Values{"jobid": {jobid}}, "", f.token, "")
		if code != 0 {
			t.Fatal(body)
		}
		var a jobAnswer
		json.Unmarshal([]byte(body), &a)
		if a.Status < 1 || a.Status > 3 || a.Percentage < 0 || a.Percentage > 100 {
			t.Fatalf("bad job answer %s", body)
		}
		if a.Status == 3 {
			return a
		}
	}
}

func TestSyncUserJob(t *testing.T) {
	f := newFixture(t, Knobs{})
	csv := "\ufeff姓名,帐号,手机号,邮箱,所在部门,职位,性别,是否部门内领导,排序,别名,地址,座机,禁用\n" +
		"张三丰,zhangsan,,,3,掌门,男,1,0,,,,0\n" + // update: name, dept, position; mobile kept
		"李四,lisi,13900000002,,2;3,工程师,女,0;1,1;2,,,010-1234,1\n" + // create
		"王五,wangwu,13800000001,,2,,,,,,,,\n" + // mobile of zhangsan → 60104
		"赵六,zhaoliu,,,99,,,,,,,,\n" // bad department (and no mobile/email): error
	if code, _ := f.call(t, "POST", "user/create", nil, `{"userid":"keep","name":"留","email":"keep@example.org"}`, f.token, ""); code != 0 {
		t.Fatal("create keep")
	}
	media := upload(t, f, []byte(csv))
	code, body := f.call(t, "POST", "batch/syncuser", nil, `{"media_id":"`+media+`","to_invite":false}`, f.token, "")
	if code != 0 {
		t.Fatal(body)
	}
	var a struct {
		JobID string `json:"jobid"`
	}
	json.Unmarshal([]byte(body), &a)
	res := waitJob(t, f, a.JobID)
	if res.Total != 4 || res.Percentage != 100 || len(res.Result) != 4 {
		t.Fatalf("job result %+v", res)
	}
	codes := []int{res.Result[0].ErrCode, res.Result[1].ErrCode, res.Result[2].ErrCode, res.Result[3].ErrCode}
	if codes[0] != 0 || codes[1] != 0 || codes[2] != 60104 || codes[3] == 0 || res.Result[2].UserID != "wangwu" {
		t.Fatalf("row codes %v", codes)
	}
	st := f.s.State()
	if len(st.Users) != 3 {
		t.Fatalf("%d users", len(st.Users))
	}
	zs, _ := st.User("zhangsan")
	if zs.Name != "张三丰" || zs.Mobile != "13800000001" || !reflect.DeepEqual(zs.Department, []int{3}) || zs.IsLeaderInDept[0] != 1 || zs.Gender != "1" {
		t.Fatalf("zhangsan %+v", zs)
	}
	ls, _ := st.User("lisi")
	if ls.Enable != 0 || ls.Telephone != "010-1234" || !reflect.DeepEqual(ls.Order, []int{1, 2}) || ls.Gender != "2" {
		t.Fatalf("lisi %+v", ls)
	}
	if k, ok := st.User("keep"); !ok || k.Name != "留" {
		t.Fatal("member not in file was touched")
	}
	// a file without the required header is refused at once
	media = upload(t, f, []byte("名字,电话\n张三,1\n"))
	if code, _ := f.call(t, "POST", "batch/syncuser", nil, `{"media_id":"`+media+`"}`, f.token, ""); code != 40058 {
		t.Fatalf("bad header: %d", code)
	}
}

func TestPersistAcrossRestart(t *testing.T) {
	path := t.TempDir() + "/tenant.db"
	s, err := New(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	dir := sample.Company(300, 3)
	ids, err := s.Seed(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := s.State()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	after := s2.State()
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("state differs after restart: %d/%d users, %d/%d departments",
			len(before.Users), len(after.Users), len(before.Departments), len(after.Departments))
	}
	if len(after.Departments) != len(ids)+1 {
		t.Fatalf("%d departments for %d paths", len(after.Departments), len(ids))
	}
	// new departments continue after the stored ones; uniqueness indexes were rebuilt
	f := &fixture{s: s2}
	f.token = f.getToken(t)
	if code, body := f.call(t, "POST", "user/create", nil,
		`{"userid":"x1","name":"X","mobile":"`+dir.Members[0].Mobile+`"}`, f.token, ""); code != 60104 {
		t.Fatalf("mobile index lost: %s", body)
	}
	code, body := f.call(t, "POST", "department/create", nil, `{"name":"新部门","parentid":1}`, f.token, "")
	if code != 0 || !strings.Contains(body, fmt.Sprintf(`"id":%d`, len(ids)+2)) {
		t.Fatalf("next id: %s", body)
	}
}

func TestSeedDirectoryRoundTrip(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := sample.Company(500, 11)
	if _, err := s.Seed(dir); err != nil {
		t.Fatal(err)
	}
	got := s.State().Directory()
	want := map[string]contacts.Member{}
	for _, m := range dir.Members {
		m.Row = 0
		want[strings.ToLower(m.Account)] = m
	}
	if len(got.Members) != len(want) {
		t.Fatalf("%d members, want %d", len(got.Members), len(want))
	}
	for _, m := range got.Members {
		w := want[strings.ToLower(m.Account)]
		sort.Strings(m.Departments)
		sort.Strings(w.Departments)
		if !reflect.DeepEqual(m, w) {
			t.Fatalf("member differs:\n got %+v\nwant %+v", m, w)
		}
	}
	gotDepts := got.Departments
	wantDepts := dir.AllDepartments()
	sort.Strings(gotDepts)
	sort.Strings(wantDepts)
	if !reflect.DeepEqual(gotDepts, wantDepts) {
		t.Fatalf("departments differ: %d vs %d", len(gotDepts), len(wantDepts))
	}
}

// FuzzParseSyncCSV feeds arbitrary files to the batch CSV parser: it must
// never panic, and every row it accepts must carry a userid or name.
func FuzzParseSyncCSV(f *testing.F) {
	f.Add([]byte("姓名,帐号,手机号,邮箱,所在部门,职位,性别,是否部门内领导,排序,别名,地址,座机,禁用\n张三,zs,13800000000,,2;3,,男,0;1,1;2,,,,0\n"))
	f.Add([]byte("\ufeff姓名,账号\n\"a,b\",x\n"))
	f.Add([]byte("姓名,帐号,所在部门\nA,b,x;;y\n"))
	f.Add([]byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, e := parseSyncCSV(data)
		if e != nil {
			return
		}
		for _, r := range rows {
			if r.in.UserID == nil && r.in.Name == nil && r.in.Mobile == nil && r.in.Email == nil {
				t.Fatal("blank row accepted")
			}
		}
	})
}

func TestSyncWritesCommitBeforeAnswer(t *testing.T) {
	s, err := New(Options{DBPath: t.TempDir() + "/s.db", SyncWrites: true, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := &fixture{s: s}
	f.token = f.getToken(t)
	if code, body := f.call(t, "POST", "user/create", nil, `{"userid":"Durable","name":"D","mobile":"13800000000"}`, f.token, ""); code != 0 {
		t.Fatal(body)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketUsers).Get([]byte("durable")) == nil {
			return fmt.Errorf("user not committed when the answer was sent")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestJobInterruptedByRestart(t *testing.T) {
	path := t.TempDir() + "/s.db"
	s, err := New(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{s: s}
	f.token = f.getToken(t)
	s.SetKnobs(Knobs{JobRowDelay: time.Hour}) // the job never gets past its first row
	media := upload(t, f, []byte("姓名,帐号,手机号\n甲,a1,13800000001\n乙,a2,13800000002\n"))
	code, body := f.call(t, "POST", "batch/syncuser", nil, `{"media_id":"`+media+`"}`, f.token, "")
	if code != 0 {
		t.Fatal(body)
	}
	var a struct {
		JobID string `json:"jobid"`
	}
	json.Unmarshal([]byte(body), &a)
	code, body = f.call(t, "GET", "batch/getresult", url.Values{"jobid": {a.JobID}}, "", f.token, "")
	if code != 0 || !strings.Contains(body, `"status":1`) {
		t.Fatalf("job not at status 1: %s", body)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	f = &fixture{s: s2}
	f.token = f.getToken(t)
	res := waitJob(t, f, a.JobID)
	if res.Total != 2 || len(res.Result) != 2 || res.Result[0].ErrCode != -1 || res.Result[1].ErrCode != -1 {
		t.Fatalf("interrupted job %+v", res)
	}
}

// TestMailDomainsPersist: the domains a bind tenant learned from its seed
// survive a restart and keep refusing foreign business mail.
func TestMailDomainsPersist(t *testing.T) {
	path := t.TempDir() + "/sim.db"
	s, err := New(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	d := &contacts.Directory{Members: []contacts.Member{
		{Name: "甲", Account: "a1", Mobile: "13700000001", BizMail: "a1@Corp.cn", Departments: []string{"部"}},
		{Name: "乙", Account: "a2", Mobile: "13700000002", BizMail: "a2@corp.cn"},
		{Name: "丙", Account: "a3", Mobile: "13700000003", BizMail: "a3@sub.corp.cn"},
	}}
	if _, err := s.Seed(d); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = New(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.MailDomains(); fmt.Sprint(got) != "[corp.cn sub.corp.cn]" {
		t.Fatalf("domains after restart %v", got)
	}
	f := &fixture{s: s}
	f.token = f.getToken(t)
	for body, want := range map[string]int{
		`{"userid":"b1","name":"丁","mobile":"13700000004","biz_mail":"b1@other.cn"}`:    60143,
		`{"userid":"b2","name":"戊","mobile":"13700000005","biz_mail":"b2@sub.corp.cn"}`: 0,
	} {
		if code, answer := f.call(t, "POST", "user/create", nil, body, f.token, ""); code != want {
			t.Fatalf("%s: %s, want %d", body, answer, want)
		}
	}
}

// TestTokenInvalidateEvery: every N-th call invalidates the tokens issued
// so far; a fresh token works again.
func TestTokenInvalidateEvery(t *testing.T) {
	f := newFixture(t, Knobs{TokenInvalidateEvery: 3})
	var codes []int
	for i := 0; i < 6; i++ {
		code, _ := f.call(t, "GET", "department/simplelist", nil, "", f.token, "")
		codes = append(codes, code)
		if code == 40014 {
			f.token = f.getToken(t)
		}
	}
	if fmt.Sprint(codes) != "[0 0 40014 0 0 40014]" {
		t.Fatalf("codes %v", codes)
	}
}
