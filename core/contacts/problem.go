package contacts

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"exmail-upgrade/core/fsname"
)

// Problem is one finding about a contacts sheet: a broken rule (error or
// warning) or an automatic change (fixed).
type Problem struct {
	Row      int      `json:"row"`               // spreadsheet row as the user sees it; 0 for sheet-level problems
	Column   string   `json:"column"`            // header as the user sees it ("手机号码"), "" for sheet-level problems
	Field    Field    `json:"field"`             // field by meaning
	Code     Code     `json:"code"`              // stable code (codes.go)
	Severity Severity `json:"severity"`          // error, warning or fixed
	Message  string   `json:"message"`           // "中文 / English"
	Value    string   `json:"value"`             // the cell value as found (before any fix), at most QuoteRunes runes (see Quote)
	Related  []int    `json:"related,omitempty"` // other rows involved (duplicates)
}

// QuoteRunes bounds how much of a value a problem carries: messages and
// Problem.Value quote at most this many runes (then "…"), so a huge cell
// used by thousands of rows costs nothing per problem.
const QuoteRunes = 64

// Quote returns at most QuoteRunes runes of a value for a message.
func Quote(v string) string { return fsname.Prefix(v, QuoteRunes) }

// Counts tallies problems by severity.
type Counts struct {
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Fixed   int `json:"fixed"`
}

// Add counts one problem of severity s (n may be negative).
func (c *Counts) add(s Severity, n int) {
	switch s {
	case SeverityError:
		c.Error += n
	case SeverityWarning:
		c.Warning += n
	case SeverityFixed:
		c.Fixed += n
	}
}

// Count tallies a list of problems.
func Count(ps []Problem) Counts {
	var c Counts
	for i := range ps {
		c.add(ps[i].Severity, 1)
	}
	return c
}

// HasErrors reports whether any problem is an error.
func HasErrors(ps []Problem) bool {
	for i := range ps {
		if ps[i].Severity == SeverityError {
			return true
		}
	}
	return false
}

// message texts per code: Chinese, English.
var messages = map[Code][2]string{
	CodeNameMissing:           {"姓名不能为空", "name is required"},
	CodeNameTooLong:           {"姓名超过 64 个字", "name longer than 64 characters"},
	CodeAccountInvalid:        {"账号只能用字母、数字和 . - _ @，以字母或数字开头，最多 64 字节", "account may hold only letters, digits and . - _ @, must start with a letter or digit, at most 64 bytes"},
	CodeAccountDuplicate:      {"账号重复（不区分大小写）", "duplicate account (ignoring case)"},
	CodeAliasTooLong:          {"别名超过 64 个字", "alias longer than 64 characters"},
	CodePositionTooLong:       {"职务超过 128 个字", "position longer than 128 characters"},
	CodeDepartmentTooMany:     {"部门太多", "too many departments"},
	CodeDepartmentNameInvalid: {"部门名称无效", "invalid department name"},
	CodeDepartmentNameTooLong: {"部门名称超过 32 个字", "department name longer than 32 characters"},
	CodeDepartmentTooDeep:     {"部门层级超过 15 级", "department deeper than 15 levels"},
	CodeGenderInvalid:         {"性别只能填 男 或 女", "gender must be 男 or 女"},
	CodeMobileInvalid:         {"手机号无效", "invalid mobile"},
	CodeMobileDuplicate:       {"手机号重复", "duplicate mobile"},
	CodeContactMissing:        {"手机和邮箱至少填一项", "give a mobile or an e-mail"},
	CodeTelephoneInvalid:      {"座机只能用数字和 - + ,，最多 32 个字符", "telephone may hold only digits and - + , (at most 32)"},
	CodeEmailInvalid:          {"邮箱地址无效", "invalid e-mail address"},
	CodeEmailDuplicate:        {"邮箱重复", "duplicate e-mail"},
	CodeAddressTooLong:        {"地址超过 128 个字", "address longer than 128 characters"},
	CodeBizMailInvalid:        {"企业邮箱地址无效", "invalid business mail address"},
	CodeBizMailDomain:         {"企业邮箱的域名不属于本企业", "business mail domain is not one of the company's domains"},
	CodeBizMailDuplicate:      {"企业邮箱重复", "duplicate business mail"},
	CodeValueTooLong:          {"内容超过 32767 个字符（表格单元格的上限）", "value longer than 32,767 characters (the limit of a spreadsheet cell)"},
	CodeHeaderMissing:         {"缺少必需的列", "a required column is missing"},
	CodeHeaderDuplicate:       {"两列表示同一项", "two columns mean the same field"},
	CodeSheetEmpty:            {"表格里没有成员", "the sheet holds no members"},
	CodeFileUnreadable:        {"无法读取文件", "the file cannot be read"},
	CodeSpaceTrimmed:          {"已去掉首尾空格", "leading/trailing spaces removed"},
	CodeFullWidth:             {"已把全角字符改为半角", "full-width characters changed to ASCII"},
	CodeMobileFromNumber:      {"已把数字格式的手机号还原", "mobile stored as a number restored"},
	CodeMobilePrefix:          {"已去掉 +86 前缀", "+86 prefix removed"},
	CodeGenderWord:            {"已改为 男/女", "gender changed to 男/女"},
	CodeDepartmentSep:         {"已统一部门分隔符（层级用 /，多个部门用 ；）", "department separators normalised (/ for levels, ； between departments)"},
	CodeEmailDomainLowered:    {"已把邮箱域名改为小写", "e-mail domain lower-cased"},
}

// Describe returns the bilingual base message of a code ("中文 / English").
func Describe(c Code) string {
	m, ok := messages[c]
	if !ok {
		return string(c)
	}
	return m[0] + " / " + m[1]
}

// msg builds a message from a code plus optional detail in both languages.
func msg(c Code, zh, en string) string {
	m := messages[c]
	if zh != "" {
		m[0] += "：" + zh
	}
	if en != "" {
		m[1] += ": " + en
	}
	return m[0] + " / " + m[1]
}

// relatedMessage describes a duplicate with the other rows involved.
// total is the number of other rows (others may be capped).
func relatedMessage(c Code, others []int, total int) string {
	const show = 5
	var zh, en []string
	for i, r := range others {
		if i == show {
			break
		}
		zh = append(zh, strconv.Itoa(r))
		en = append(en, strconv.Itoa(r))
	}
	zs, es := strings.Join(zh, "、"), strings.Join(en, ", ")
	if total > show {
		zs += fmt.Sprintf(" 等 %d", total) // the format adds 行
		es += fmt.Sprintf(" and %d more", total-show)
	}
	m := messages[c]
	return fmt.Sprintf("%s（另见第 %s 行） / %s (also row %s)", m[0], zs, m[1], es)
}

// fieldOrder ranks fields in the admin-template column order for sorting.
func fieldOrder(f Field) int {
	for i, g := range Fields {
		if g == f {
			return i
		}
	}
	return len(Fields)
}

// SortProblems orders problems by row, then column order, then code.
func SortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := &ps[i], &ps[j]
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		if fa, fb := fieldOrder(a.Field), fieldOrder(b.Field); fa != fb {
			return fa < fb
		}
		return a.Code < b.Code
	})
}
