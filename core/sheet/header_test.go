package sheet

import (
	"testing"

	"exmail-upgrade/core/contacts"
)

func TestNormalizeHeader(t *testing.T) {
	cases := map[string]string{
		" 姓名* ":    "姓名",
		"手机号码＊":    "手机号码",
		"ＵｓｅｒＩＤ":   "userid",
		"邮\u3000箱": "邮箱",
		"\ufeff部门": "部门",
		"企业邮箱**":   "企业邮箱",
	}
	for in, want := range cases {
		if got := NormalizeHeader(in); got != want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchHeader(t *testing.T) {
	type want struct {
		layout Layout
		fields map[contacts.Field]int
		dups   int
	}
	cases := []struct {
		name  string
		cells []string
		rows  [][]string // sample data rows for 邮箱帐号
		want  *want
	}{
		{"not a header", []string{"XX 公司通讯录"}, nil, nil},
		{"one known column", []string{"姓名", "备注"}, nil, nil},
		{"no name nor account", []string{"手机", "部门"}, nil, nil},
		{"admin", []string{"姓名", "账号", "别名", "职务", "部门", "性别", "手机", "座机", "邮箱", "地址", "企业邮箱", "视频号", "激活状态"}, nil,
			&want{LayoutWeComImport, map[contacts.Field]int{contacts.FieldName: 0, contacts.FieldEmail: 8, contacts.FieldBizMail: 10}, 0}},
		{"api csv", []string{"姓名", "帐号", "手机号", "邮箱", "所在部门", "职位", "性别", "是否部门内领导", "排序", "别名", "地址", "座机", "禁用"}, nil,
			&want{LayoutWeComCSV, map[contacts.Field]int{contacts.FieldAccount: 1, contacts.FieldMobile: 2, contacts.FieldDepartments: 4, contacts.FieldDisabled: 12}, 0}},
		{"exmail address column", []string{"邮箱帐号", "姓名", "所属部门"}, [][]string{{"a@x.cn"}, {"b@x.cn"}},
			&want{LayoutExmail, map[contacts.Field]int{contacts.FieldBizMail: 0, contacts.FieldName: 1}, 0}},
		{"exmail plain account column", []string{"邮箱帐号", "姓名", "所属部门"}, [][]string{{"a"}, {"b"}},
			&want{LayoutExmail, map[contacts.Field]int{contacts.FieldAccount: 0}, 0}},
		{"account then mail account", []string{"帐号", "邮箱帐号", "姓名", "电话"}, nil,
			&want{LayoutExmail, map[contacts.Field]int{contacts.FieldAccount: 0, contacts.FieldBizMail: 1, contacts.FieldTelephone: 3}, 0}},
		{"mail account then account", []string{"邮箱帐号", "帐号", "姓名"}, [][]string{{"a@x.cn", "a"}},
			&want{LayoutExmail, map[contacts.Field]int{contacts.FieldBizMail: 0, contacts.FieldAccount: 1}, 0}},
		{"duplicate meaning", []string{"姓名", "部门", "邮箱", "个人邮箱"}, nil,
			&want{LayoutWeComImport, map[contacts.Field]int{contacts.FieldEmail: 2}, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := matchHeader(tc.cells)
			if tc.want == nil {
				if h != nil {
					t.Fatalf("matched %+v", h)
				}
				return
			}
			if h == nil {
				t.Fatal("not matched")
			}
			h.resolveAmbiguous(tc.rows)
			if h.layout != tc.want.layout || len(h.dups) != tc.want.dups {
				t.Fatalf("layout %s dups %v", h.layout, h.dups)
			}
			for f, i := range tc.want.fields {
				if got, ok := h.byField[f]; !ok || got != i || h.columns[i].Field != f {
					t.Errorf("%s at %d, want %d", f, got, i)
				}
			}
		})
	}
}
