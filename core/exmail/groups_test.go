package exmail

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
)

// TestReadSharedCandidatesAndGroups: the reader lists every mailbox, the
// shared-looking one is left untyped and flagged by the rules (never typed
// 其他邮箱 silently), and the groups carry the tags they become.
func TestReadSharedCandidatesAndGroups(t *testing.T) {
	srv := fakeExmail(t, depts, users, 0)
	d, err := ReadDirectory(context.Background(), Config{BaseURL: srv.URL, CorpID: "wmcorp", Secret: secret, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for _, p := range contacts.Validate(d, contacts.Options{}) {
		if p.Code == contacts.CodeMailboxMaybeShared {
			flagged++
			if p.Row != 4 { // members read from the API are numbered 1.. in order
				t.Errorf("flagged row %d", p.Row)
			}
		}
	}
	if flagged != 1 || d.Members[3].IsOther() {
		t.Fatalf("info@ flagged %d times, typed %q", flagged, d.Members[3].Mailbox)
	}
	if len(d.MailGroups) != 1 || d.MailGroups[0].Tag() != "T-研发全员" {
		t.Fatalf("groups %+v", d.MailGroups)
	}
	// the live Exmail against a sheet: what is missing, what is unknown
	sheet := &contacts.Directory{Members: []contacts.Member{{Row: 2, BizMail: "zhangsan@example.com"}, {Row: 3, BizMail: "nobody@example.com"}}}
	codes := map[contacts.Code]int{}
	for _, p := range contacts.CompareMailboxes(sheet, d, &contacts.Options{}) {
		codes[p.Code]++
	}
	if codes[contacts.CodeMailboxMissing] != 3 || codes[contacts.CodeMailboxNotInExmail] != 1 {
		t.Fatalf("compare %v", codes)
	}
}

// TestGroupsNotOffered: a secret that may not read groups (an errcode)
// still reads the directory, without groups; a server failure is an error.
func TestGroupsNotOffered(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  func(w http.ResponseWriter)
		wantErr bool
	}{
		{"errcode", func(w http.ResponseWriter) { fmt.Fprint(w, `{"errcode":60011,"errmsg":"no privilege"}`) }, false},
		{"not found", func(w http.ResponseWriter) { http.Error(w, "no", http.StatusNotFound) }, false},
		{"server error", func(w http.ResponseWriter) { http.Error(w, "down", http.StatusBadGateway) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := fakeExmail(t, depts, users, 0)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/cgi-bin/group/search" {
					tc.answer(w)
					return
				}
				resp, err := http.Get(inner.URL + r.URL.RequestURI())
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				w.WriteHeader(resp.StatusCode)
				buf := make([]byte, 64<<10)
				n, _ := resp.Body.Read(buf)
				w.Write(buf[:n])
			}))
			defer srv.Close()
			d, err := ReadDirectory(context.Background(), Config{BaseURL: srv.URL, CorpID: "wmcorp", Secret: secret, RetryBackoff: time.Millisecond})
			if tc.wantErr {
				if err == nil {
					t.Fatal("a failing service must not read as a company without groups")
				}
				return
			}
			if err != nil || len(d.Members) != 4 || d.MailGroups != nil {
				t.Fatalf("%v %+v", err, d)
			}
		})
	}
}

// TestSixtyFourBitDepartmentIDs: Exmail department IDs beyond 32 bits (and
// beyond float precision) are read exactly; they never become WeCom IDs.
func TestSixtyFourBitDepartmentIDs(t *testing.T) {
	big := `[{"id":1,"name":"公司","parentid":0},{"id":6755399441055744,"name":"研发部","parentid":1,"order":1},{"id":6755399441055745,"name":"后端组","parentid":6755399441055744}]`
	us := `[{"userid":"a@example.com","name":"甲","department":[6755399441055745],"mobile":"13800000000"}]`
	srv := fakeExmail(t, big, us, 0)
	d, err := ReadDirectory(context.Background(), Config{BaseURL: srv.URL, CorpID: "wmcorp", Secret: secret, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Members) != 1 || len(d.Members[0].Departments) != 1 || d.Members[0].Departments[0] != "研发部/后端组" {
		t.Fatalf("%+v", d.Members)
	}
}
