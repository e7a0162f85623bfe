package contacts

import (
	"strings"
	"testing"
)

// TestProblemText: every message the rules write splits into its Chinese
// and its English part, also when a quoted value holds " / " itself.
func TestProblemText(t *testing.T) {
	cases := []struct {
		name   string
		p      Problem
		zh, en string
	}{
		{"base", Problem{Code: CodeSheetEmpty, Message: Describe(CodeSheetEmpty)},
			"表格里没有成员", "the sheet holds no members"},
		{"detail with a slash in the value", Problem{Code: CodeDepartmentTooDeep,
			Message: msg(CodeDepartmentTooDeep, "“销售 / 北京” 有 16 级", `"销售 / 北京" has 16 levels`)},
			"部门层级超过 15 级：“销售 / 北京” 有 16 级", `department deeper than 15 levels: "销售 / 北京" has 16 levels`},
		{"fixed, Chinese detail only", Problem{Code: CodeDepartmentSep,
			Message: msg(CodeDepartmentSep, "“销售 / 北京” → “销售/北京”", "")},
			"已统一部门分隔符（层级用 /，多个部门用 ；）：“销售 / 北京” → “销售/北京”", "department separators normalised (/ for levels, ； between departments)"},
		{"duplicate", Problem{Code: CodeMobileDuplicate, Message: relatedMessage(CodeMobileDuplicate, []int{2, 3, 4, 5, 6, 7}, 7)},
			"手机号重复（另见第 2、3、4、5、6 等 7 行）", "duplicate mobile (also row 2, 3, 4, 5, 6 and 2 more)"},
		{"sheet-level text", Problem{Code: CodeHeaderMissing, Message: "缺少“姓名”列 / the 姓名 column is missing"},
			"缺少“姓名”列", "the 姓名 column is missing"},
		{"one language only", Problem{Code: "other", Message: "plain"}, "plain", "plain"},
	}
	for _, c := range cases {
		got := c.p.Text()
		if got.Zh != c.zh || got.En != c.en {
			t.Errorf("%s: %q\n got zh %q en %q\nwant zh %q en %q", c.name, c.p.Message, got.Zh, got.En, c.zh, c.en)
		}
	}
}

// TestProblemTextOfRules runs the rules on values holding " / " and checks
// that no part of a message lands in the other language.
func TestProblemTextOfRules(t *testing.T) {
	long := strings.Repeat("部", MaxDepartmentName+1)
	m := Member{Row: 2, Name: " 张 / 三 ", Departments: []string{"销售 / 北京/" + long}, Gender: "X / Y", Mobile: "12 / 3"}
	_, ps := CheckMember(&m, &Options{})
	if len(ps) < 4 {
		t.Fatalf("only %d problems: %+v", len(ps), ps)
	}
	for _, p := range ps {
		tx := p.Text()
		if !tx.Complete() || tx.Joined() != p.Message {
			t.Errorf("%s: %q splits into %q | %q", p.Code, p.Message, tx.Zh, tx.En)
		}
		if base := DescribeText(p.Code); !strings.HasPrefix(tx.Zh, base.Zh) || !strings.HasPrefix(tx.En, base.En) {
			t.Errorf("%s: %q | %q do not start with %q | %q", p.Code, tx.Zh, tx.En, base.Zh, base.En)
		}
	}
}
