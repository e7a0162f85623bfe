package plan

import (
	"fmt"
	"testing"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/upgrade"
)

// BenchmarkBuild100k builds the plan of a 100,000-member company (goal:
// under 1 s): into a brand-new WeCom, and binding one that already has a
// fifth of the members (with their details) and 5,000 of its own.
func BenchmarkBuild100k(b *testing.B) {
	dir := sample.Company(100_000, 1)
	b.Run("new", func(b *testing.B) {
		benchBuild(b, Input{Method: upgrade.MethodNew, Company: "示例公司", Contacts: dir})
	})
	b.Run("bind", func(b *testing.B) {
		benchBuild(b, Input{Method: upgrade.MethodBind, Company: "示例公司", Contacts: dir, Target: bindSnapshot(dir)})
	})
}

func benchBuild(b *testing.B, in Input) {
	b.ReportAllocs()
	var p *Plan
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		var err error
		p, err = Build(in)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s/build")
	}
	if len(p.Create)+len(p.Update)+countMembers(p.Untouched) < 100_000 {
		b.Fatalf("plan lost members: create %d update %d", len(p.Create), len(p.Update))
	}
}

func countMembers(items []Item) int {
	n := 0
	for _, it := range items {
		if it.Kind == KindMember {
			n++
		}
	}
	return n
}

// bindSnapshot is a target holding every fifth member of dir (same userid,
// departments by id, details known) and 5,000 members of its own.
func bindSnapshot(dir *contacts.Directory) *Snapshot {
	p, _ := Build(Input{Method: upgrade.MethodNew, Company: "示例公司", Contacts: dir})
	s := &Snapshot{CreatedThisMonth: -1, DetailsSource: "sheet", Departments: []TargetDept{{ID: RootID}}}
	for _, d := range p.Departments {
		s.Departments = append(s.Departments, TargetDept{ID: d.ID, ParentID: d.ParentID, Name: d.Name})
	}
	for i, m := range p.Create {
		if i%5 != 0 {
			continue
		}
		u := m.User
		s.Users = append(s.Users, TargetUser{UserID: u.UserID, Departments: u.Departments,
			Details: &contacts.Member{Name: u.Name, Account: u.UserID, Mobile: u.Mobile, Email: u.Email, BizMail: u.BizMail}})
	}
	for i := 0; i < 5000; i++ {
		s.Users = append(s.Users, TargetUser{UserID: fmt.Sprintf("own%05d", i), Departments: []int{RootID}})
	}
	return s
}

// BenchmarkUnmarshal100k decodes a stored 100,000-member plan, as a
// migration's start does.
func BenchmarkUnmarshal100k(b *testing.B) {
	p, _ := Build(Input{Method: upgrade.MethodNew, Company: "示例公司", Contacts: sample.Company(100_000, 1)})
	data, _ := p.Marshal()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
