package sheet

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"exmail-upgrade/core/contacts"
)

func TestReadMailboxTypeSynonyms(t *testing.T) {
	for _, header := range []string{"邮箱类型", "类型", "账号类型", "邮箱类别", "Mailbox Type", "TYPE", "邮箱类型*"} {
		t.Run(header, func(t *testing.T) {
			p := tempPath(t, "c.csv")
			csv := "姓名,部门,手机,企业邮箱," + header + "\n" +
				"张伟,研发部,13800000000,zhangwei@example.com,成员\n" +
				"客服,,,service@example.com,共享邮箱\n" +
				"王五,研发部,13900000000,wangwu@example.com,\n" +
				"赵六,研发部,13700000000,zhaoliu@example.com,部门邮箱\n"
			if err := os.WriteFile(p, []byte(csv), 0o644); err != nil {
				t.Fatal(err)
			}
			res, ps, err := Check(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			types := []contacts.MailboxType{}
			for i := range res.Dir.Members {
				types = append(types, res.Dir.Members[i].Type())
			}
			if len(types) != 4 || types[0] != contacts.MailboxMember || types[1] != contacts.MailboxOther || types[2] != contacts.MailboxMember {
				t.Fatalf("types %v", types)
			}
			var invalid *contacts.Problem
			for i := range ps {
				switch ps[i].Code {
				case contacts.CodeMailboxTypeInvalid:
					invalid = &ps[i]
				case contacts.CodeContactMissing:
					t.Fatalf("an other mailbox needs no mobile: %+v", ps[i])
				}
			}
			if invalid == nil || invalid.Row != 5 || invalid.Column != strings.TrimSpace(header) || invalid.Value != "部门邮箱" {
				t.Fatalf("invalid type not reported on row 5 column %q: %+v", header, ps)
			}
		})
	}
}

func typedCompany() *contacts.Directory {
	d := smallCompany()
	d.Members = append(d.Members,
		contacts.Member{Row: 20, Name: "客服邮箱", Account: "service", BizMail: "service@example.com", Mailbox: "其他邮箱"},
		contacts.Member{Row: 21, Name: "人事", BizMail: "hr@example.com", Mailbox: "other"})
	return d
}

func TestUploadHoldsMemberMailboxesOnly(t *testing.T) {
	d := typedCompany()
	var buf bytes.Buffer
	if err := WriteUpload(&buf, d, contacts.Options{Domains: []string{"example.com"}}); err != nil {
		t.Fatal(err)
	}
	dm := dumpWorkbook(t, buf.Bytes())
	if len(dm.Sheets) != 2 || dm.Sheets[0].Name != SheetMembers || dm.Sheets[1].Name != SheetOtherMailboxes {
		t.Fatalf("sheets %+v", dm.Sheets)
	}
	if n := len(dm.Sheets[0].Rows); n != 7 {
		t.Fatalf("members sheet has %d rows, want header + 6 members", n)
	}
	if len(dm.Sheets[0].Rows[0]) != len(ImportFields) {
		t.Fatalf("upload header must stay the import layout: %v", dm.Sheets[0].Rows[0])
	}
	for _, r := range dm.Sheets[0].Rows {
		for _, c := range r {
			if strings.Contains(c, "service@") || strings.Contains(c, "hr@") {
				t.Fatalf("other mailbox in the members sheet: %v", r)
			}
		}
	}
	others := dm.Sheets[1].Rows
	if len(others) != 4 || others[2][1] != "service@example.com" || others[3][1] != "hr@example.com" {
		t.Fatalf("other mailboxes sheet %v", others)
	}
	// the importer (and our reader) sees the members only
	p := tempPath(t, "u.xlsx")
	os.WriteFile(p, buf.Bytes(), 0o644)
	res, ps, err := Check(p, Options{Domains: []string{"example.com"}})
	if err != nil || len(ps) != 0 || len(res.Dir.Members) != 6 {
		t.Fatalf("read back: %v %+v %d", err, ps, len(res.Dir.Members))
	}
}

func TestCSVKeepsMailboxType(t *testing.T) {
	d := typedCompany()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, d); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(buf.String(), "\n")
	if !strings.HasSuffix(strings.TrimSpace(first), ",邮箱类型") {
		t.Fatalf("csv header %q", first)
	}
	p := tempPath(t, "e.csv")
	os.WriteFile(p, buf.Bytes(), 0o644)
	res := mustRead(t, p)
	n := 0
	for i := range res.Dir.Members {
		if res.Dir.Members[i].IsOther() {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("read back %d other mailboxes, want 2", n)
	}
	// an untyped sheet keeps exactly the import layout
	buf.Reset()
	if err := WriteCSV(&buf, smallCompany()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "邮箱类型") {
		t.Fatal("untyped export grew a type column")
	}
}

func TestWriteMailboxList(t *testing.T) {
	d := typedCompany()
	d.Members = append(d.Members, contacts.Member{Row: 22, Name: "没有邮箱"})
	d.MailGroups = []contacts.MailGroup{{Address: "all@example.com", Name: "全员", Members: []string{"a@example.com", "b@example.com"}}}
	var buf bytes.Buffer
	if err := WriteMailboxList(&buf, d); err != nil {
		t.Fatal(err)
	}
	dm := dumpWorkbook(t, buf.Bytes())
	if len(dm.Sheets) != 2 || dm.Sheets[0].Name != SheetMailboxList || dm.Sheets[1].Name != SheetMailGroups {
		t.Fatalf("sheets %+v", dm.Sheets)
	}
	rows := dm.Sheets[0].Rows
	if strings.Join(rows[0], ",") != strings.Join(MailboxListHeaders, ",") {
		t.Fatalf("header %v", rows[0])
	}
	if len(rows) != 1+8 {
		t.Fatalf("want 8 mailboxes (the row without an address is not one), got %d rows", len(rows))
	}
	m0 := d.Members[0]
	if rows[1][0] != m0.BizMail || rows[1][1] != "成员邮箱" || rows[1][2] != m0.Name || rows[1][3] != m0.Account || rows[1][4] != contacts.DepartmentsText(m0.Departments) {
		t.Fatalf("member row %v for %+v", rows[1], m0)
	}
	last := rows[len(rows)-1]
	if last[0] != "hr@example.com" || last[1] != "其他邮箱" || len(last) > 3 && (last[3] != "" || last[4] != "") {
		t.Fatalf("other row %v", last)
	}
	g := dm.Sheets[1].Rows
	if len(g) != 2 || g[1][2] != "T-全员" {
		t.Fatalf("groups %v", g)
	}
}
