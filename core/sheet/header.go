// Package sheet reads contacts sheets (.xlsx, .csv, .txt in UTF-8, GBK/GB18030
// or UTF-16) in any of the layouts the app knows, recognising the header by
// meaning, and writes the WeCom admin-import template, upload-ready sheets,
// review workbooks and safe CSV exports.
package sheet

import (
	"strings"
	"unicode"

	"exmail-upgrade/core/contacts"
)

// Layout names the kind of sheet a header matches.
type Layout string

// The layouts of contacts-rules.md.
const (
	LayoutWeComImport Layout = "wecom-import" // WeCom admin console import/export
	LayoutWeComCSV    Layout = "wecom-csv"    // WeCom API batch/syncuser CSV
	LayoutExmail      Layout = "exmail"       // legacy Exmail member export
)

// Column is one column of the header row.
type Column struct {
	Index  int            // 0-based column index
	Header string         // header text as the user sees it
	Field  contacts.Field // meaning; "" when the column is not used
}

// fieldSynonyms maps a normalised header to its field. 邮箱帐号 is decided by
// the data (an address means biz mail, see ambiguousAccount).
var fieldSynonyms = map[string]contacts.Field{
	"姓名": contacts.FieldName, "名字": contacts.FieldName, "成员姓名": contacts.FieldName, "name": contacts.FieldName,
	"帐号": contacts.FieldAccount, "账号": contacts.FieldAccount, "账户": contacts.FieldAccount, "帐户": contacts.FieldAccount,
	"userid": contacts.FieldAccount, "成员帐号": contacts.FieldAccount, "成员账号": contacts.FieldAccount,
	"邮箱帐号": contacts.FieldAccount, "邮箱账号": contacts.FieldAccount,
	"别名": contacts.FieldAlias, "英文名": contacts.FieldAlias, "alias": contacts.FieldAlias,
	"职务": contacts.FieldPosition, "职位": contacts.FieldPosition, "position": contacts.FieldPosition,
	"部门": contacts.FieldDepartments, "所属部门": contacts.FieldDepartments, "所在部门": contacts.FieldDepartments,
	"department": contacts.FieldDepartments,
	"性别":         contacts.FieldGender, "gender": contacts.FieldGender,
	"手机": contacts.FieldMobile, "手机号": contacts.FieldMobile, "手机号码": contacts.FieldMobile,
	"移动电话": contacts.FieldMobile, "mobile": contacts.FieldMobile,
	"座机": contacts.FieldTelephone, "电话": contacts.FieldTelephone, "分机": contacts.FieldTelephone,
	"办公电话": contacts.FieldTelephone, "固定电话": contacts.FieldTelephone, "telephone": contacts.FieldTelephone,
	"邮箱": contacts.FieldEmail, "个人邮箱": contacts.FieldEmail, "email": contacts.FieldEmail, "电子邮箱": contacts.FieldEmail,
	"地址": contacts.FieldAddress, "办公地点": contacts.FieldAddress, "办公地址": contacts.FieldAddress, "address": contacts.FieldAddress,
	"企业邮箱": contacts.FieldBizMail, "邮箱地址": contacts.FieldBizMail, "企业邮箱地址": contacts.FieldBizMail,
	"bizmail": contacts.FieldBizMail, "biz_mail": contacts.FieldBizMail,
	"禁用": contacts.FieldDisabled,
}

// layoutMarkers are headers that only one layout uses.
var layoutMarkers = map[string]Layout{
	"是否部门内领导": LayoutWeComCSV, "排序": LayoutWeComCSV, "所在部门": LayoutWeComCSV, "手机号": LayoutWeComCSV,
	"所属部门": LayoutExmail, "编号": LayoutExmail, "邮箱帐号": LayoutExmail, "邮箱账号": LayoutExmail, "电话": LayoutExmail,
}

// NormalizeHeader folds a header cell for matching: spaces (also full-width
// and non-breaking) removed, full-width letters to ASCII, lower case, a
// trailing required marker * dropped.
func NormalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range h {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case unicode.IsSpace(r) || r == '\u3000' || r == '\u00a0' || r == '\ufeff' || r == '\u200b':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	s := strings.TrimRight(b.String(), "*")
	return s
}

// headerInfo is a recognised header row.
type headerInfo struct {
	columns []Column
	layout  Layout
	byField map[contacts.Field]int // field → column index (first column wins)
	dups    []Column               // columns repeating a field
	ambig   int                    // index of a 邮箱帐号 column, -1 if none
}

// matchHeader recognises a header row: at least two known columns, one of
// them 姓名 or an account. It returns nil when the row is not a header.
func matchHeader(cells []string) *headerInfo {
	h := &headerInfo{byField: map[contacts.Field]int{}, ambig: -1}
	votes := map[Layout]int{}
	known := 0
	for i, c := range cells {
		n := NormalizeHeader(c)
		col := Column{Index: i, Header: contacts.Quote(strings.TrimSpace(c))} // every problem names it: keep it short
		if l, ok := layoutMarkers[n]; ok {
			votes[l]++
		}
		if f, ok := fieldSynonyms[n]; ok {
			if _, acc := h.byField[contacts.FieldAccount]; acc && f == contacts.FieldAccount && (n == "邮箱帐号" || n == "邮箱账号") {
				f = contacts.FieldBizMail // 帐号 came first: this one holds the address
				n = ""
			}
			col.Field = f
			known++
			if _, seen := h.byField[f]; seen {
				h.dups = append(h.dups, col)
				col.Field = ""
			} else {
				h.byField[f] = i
				if n == "邮箱帐号" || n == "邮箱账号" {
					h.ambig = i
				}
			}
		}
		h.columns = append(h.columns, col)
	}
	_, hasName := h.byField[contacts.FieldName]
	_, hasAccount := h.byField[contacts.FieldAccount]
	if known < 2 || !(hasName || hasAccount) {
		return nil
	}
	h.layout = LayoutWeComImport
	switch {
	case votes[LayoutWeComCSV] > votes[LayoutExmail]:
		h.layout = LayoutWeComCSV
	case votes[LayoutExmail] > 0:
		h.layout = LayoutExmail
	}
	return h
}

// resolveAmbiguous turns a 邮箱帐号 column into biz mail when its values are
// addresses (and no other column holds biz mail).
func (h *headerInfo) resolveAmbiguous(sampleRows [][]string) {
	if h.ambig < 0 {
		return
	}
	if _, has := h.byField[contacts.FieldBizMail]; has {
		return
	}
	addr, total := 0, 0
	for _, r := range sampleRows {
		if h.ambig < len(r) && strings.TrimSpace(r[h.ambig]) != "" {
			total++
			if strings.ContainsAny(r[h.ambig], "@＠") {
				addr++
			}
		}
	}
	if total > 0 && addr*2 > total {
		delete(h.byField, contacts.FieldAccount)
		h.byField[contacts.FieldBizMail] = h.ambig
		h.columns[h.ambig].Field = contacts.FieldBizMail
		// another account column repeated earlier becomes the account
		for i, d := range h.dups {
			if fieldSynonyms[NormalizeHeader(d.Header)] == contacts.FieldAccount {
				h.byField[contacts.FieldAccount] = d.Index
				h.columns[d.Index].Field = contacts.FieldAccount
				h.dups = append(h.dups[:i], h.dups[i+1:]...)
				break
			}
		}
	}
}

// required lists the columns a layout must have.
func required(l Layout) []contacts.Field {
	if l == LayoutWeComImport {
		return []contacts.Field{contacts.FieldName, contacts.FieldDepartments}
	}
	return []contacts.Field{contacts.FieldName}
}
