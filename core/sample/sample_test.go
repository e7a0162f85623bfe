package sample

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"exmail-upgrade/core/contacts"
)

func TestCompanyDeterministicAndUnique(t *testing.T) {
	a, b := Company(2000, 7), Company(2000, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different companies")
	}
	if c := Company(2000, 8); reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same company")
	}
	mob := regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	acc := regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	accounts, mobiles := map[string]bool{}, map[string]bool{}
	gbkOnly := false
	depth := map[int]bool{}
	for i, m := range a.Members {
		if m.Row != i+2 {
			t.Fatalf("member %d row %d", i, m.Row)
		}
		if m.Name == "" || utf8.RuneCountInString(m.Name) > 4 {
			t.Fatalf("bad name %q", m.Name)
		}
		if strings.ContainsAny(m.Name, "喆堃玥珺昇") {
			gbkOnly = true
		}
		if !acc.MatchString(m.Account) || accounts[strings.ToLower(m.Account)] {
			t.Fatalf("bad or duplicate account %q", m.Account)
		}
		accounts[m.Account] = true
		if !mob.MatchString(m.Mobile) || mobiles[m.Mobile] {
			t.Fatalf("bad or duplicate mobile %q", m.Mobile)
		}
		mobiles[m.Mobile] = true
		if m.BizMail != m.Account+"@example.com" {
			t.Fatalf("biz mail %q for %q", m.BizMail, m.Account)
		}
		if m.Gender != "男" && m.Gender != "女" {
			t.Fatalf("gender %q", m.Gender)
		}
		for _, p := range m.Departments {
			depth[len(contacts.SplitPath(p))] = true
		}
	}
	if !gbkOnly {
		t.Error("no GBK-only character in 2000 names")
	}
	for _, l := range []int{1, 2, 3, 4} {
		if !depth[l] {
			t.Errorf("no department of %d levels", l)
		}
	}
	if d := CompanyDomain(3, 1, "corp.cn"); !strings.HasSuffix(d.Members[0].BizMail, "@corp.cn") {
		t.Errorf("domain not used: %q", d.Members[0].BizMail)
	}
}

func TestPlant(t *testing.T) {
	d := Company(1000, 3)
	clean := Company(1000, 3)
	pl := Plant(d, 0.05, 9)
	if len(pl) < 50 {
		t.Fatalf("planted %d, want >= 50", len(pl))
	}
	codes := map[contacts.Code]bool{}
	rows := map[int]bool{}
	for _, p := range pl {
		codes[p.Code] = true
		if p.Row != d.Members[p.Index].Row {
			t.Errorf("row mismatch %+v", p)
		}
		if rows[p.Row] {
			t.Errorf("row %d planted twice", p.Row)
		}
		rows[p.Row] = true
	}
	if len(codes) < len(planters)-2 {
		t.Errorf("only %d kinds planted", len(codes))
	}
	changed := 0
	for i := range d.Members {
		if !reflect.DeepEqual(d.Members[i], clean.Members[i]) {
			changed++
			if !rows[d.Members[i].Row] {
				t.Errorf("row %d changed but not reported", d.Members[i].Row)
			}
		}
	}
	if changed == 0 {
		t.Fatal("nothing changed")
	}
	if !reflect.DeepEqual(Plant(Company(1000, 3), 0.05, 9), pl) {
		t.Error("Plant not deterministic")
	}
}

func TestAddSharedBoxes(t *testing.T) {
	d := Company(20, 3)
	AddSharedBoxes(d, "")
	typed, untyped := SharedBoxAddresses("")
	if len(d.Members) != 24 || len(typed) != 3 || len(untyped) != 1 || len(d.MailGroups) != 1 || len(d.MailGroups[0].Members) != 10 {
		t.Fatalf("members %d typed %v untyped %v groups %+v", len(d.Members), typed, untyped, d.MailGroups)
	}
	ps := contacts.Validate(d, contacts.Options{Domains: []string{DefaultDomain}})
	warned := 0
	for _, p := range ps {
		switch {
		case p.Code == contacts.CodeMailboxMaybeShared:
			warned++
		case p.Severity == contacts.SeverityError:
			t.Fatalf("shared boxes must be clean: %+v", p)
		}
	}
	if warned != 1 {
		t.Fatalf("want the untyped jobs@ flagged once, got %d", warned)
	}
}
