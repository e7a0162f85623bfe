package session

import (
	"path/filepath"
	"reflect"
	"testing"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/store"
)

func TestParseDomains(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		bad  bool
	}{
		{"example.com", []string{"example.com"}, false},
		{" Example.COM， @corp.cn；example.com", []string{"example.com", "corp.cn"}, false},
		{"", nil, false},
		{"exa mple", nil, true},
		{"no-dot", nil, true},
		{"-bad.com", nil, true},
	}
	for _, c := range cases {
		got, err := ParseDomains(c.in)
		if (err != nil) != c.bad || (!c.bad && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("ParseDomains(%q) = %v, %v", c.in, got, err)
		}
	}
}

func TestSuggestAndStoreDomains(t *testing.T) {
	d := &contacts.Directory{}
	for i := 0; i < 60; i++ {
		d.Members = append(d.Members, contacts.Member{BizMail: "a@example.com"})
	}
	d.Members = append(d.Members, contacts.Member{BizMail: "b@exmaple.com"}) // a typo: 1 in 61
	for i := 0; i < 10; i++ {
		d.Members = append(d.Members, contacts.Member{BizMail: "c@Corp.CN"})
	}
	if got := SuggestDomains(d); !reflect.DeepEqual(got, []string{"example.com", "corp.cn"}) {
		t.Fatalf("suggest %v", got)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	must(t, err)
	defer st.Close()
	p, err := st.CreateProject("x")
	must(t, err)
	must(t, SetMailDomains(st, p.ID, []string{"example.com"}))
	got, err := MailDomains(st, p.ID)
	if err != nil || !reflect.DeepEqual(got, []string{"example.com"}) {
		t.Fatalf("stored %v %v", got, err)
	}
}
