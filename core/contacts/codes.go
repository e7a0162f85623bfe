package contacts

import "strings"

// Code is a stable problem code of the contacts-sheet rule catalogue
// (../shared/reference/contacts-rules.md). Codes are part of the
// `check --format json` contract: never rename one.
type Code string

// Field-rule codes (errors or warnings).
const (
	CodeNameMissing           Code = "name_missing"
	CodeNameTooLong           Code = "name_too_long"
	CodeAccountInvalid        Code = "account_invalid"
	CodeAccountDuplicate      Code = "account_duplicate"
	CodeAliasTooLong          Code = "alias_too_long"
	CodePositionTooLong       Code = "position_too_long"
	CodeDepartmentTooMany     Code = "department_too_many"
	CodeDepartmentNameInvalid Code = "department_name_invalid"
	CodeDepartmentNameTooLong Code = "department_name_too_long"
	CodeDepartmentTooDeep     Code = "department_too_deep"
	CodeGenderInvalid         Code = "gender_invalid"
	CodeMobileInvalid         Code = "mobile_invalid"
	CodeMobileDuplicate       Code = "mobile_duplicate"
	CodeContactMissing        Code = "contact_missing"
	CodeTelephoneInvalid      Code = "telephone_invalid"
	CodeEmailInvalid          Code = "email_invalid"
	CodeEmailDuplicate        Code = "email_duplicate"
	CodeAddressTooLong        Code = "address_too_long"
	CodeBizMailInvalid        Code = "bizmail_invalid"
	CodeBizMailDomain         Code = "bizmail_domain"
	CodeBizMailDuplicate      Code = "bizmail_duplicate"
	CodeValueTooLong          Code = "value_too_long" // a cell longer than a spreadsheet cell can hold
)

// Sheet-level codes.
const (
	CodeHeaderMissing   Code = "header_missing"
	CodeHeaderDuplicate Code = "header_duplicate"
	CodeSheetEmpty      Code = "sheet_empty"
	CodeFileUnreadable  Code = "file_unreadable"
)

// Codes of the safe automatic fixes; always reported with severity fixed.
const (
	CodeSpaceTrimmed       Code = "space_trimmed"                   // leading/trailing spaces removed
	CodeFullWidth          Code = "fullwidth_converted"             // full-width digits/letters/＠/． to ASCII
	CodeMobileFromNumber   Code = "mobile_number_recovered"         // 13800000000 stored as a number / 1.38E+10 text
	CodeMobilePrefix       Code = "mobile_prefix_normalised"        // +86 / 0086 / 86- removed from a mainland mobile
	CodeGenderWord         Code = "gender_normalised"               // M/F, male/female, 1/2 to 男/女
	CodeDepartmentSep      Code = "department_separator_normalised" // ／ \ to /, ; ， 、 to ；
	CodeEmailDomainLowered Code = "email_domain_lowercased"         // upper-case e-mail domain lowered
)

// Severity of a problem.
type Severity string

// Severities: an error blocks the upload-ready export and the migration, a
// warning does not, fixed records an automatic change.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityFixed   Severity = "fixed"
)

// Field names a member column by meaning, independent of the header text.
type Field string

// The member fields of a contacts sheet.
const (
	FieldName        Field = "name"
	FieldAccount     Field = "account"
	FieldAlias       Field = "alias"
	FieldPosition    Field = "position"
	FieldDepartments Field = "departments"
	FieldGender      Field = "gender"
	FieldMobile      Field = "mobile"
	FieldTelephone   Field = "telephone"
	FieldEmail       Field = "email"
	FieldAddress     Field = "address"
	FieldBizMail     Field = "bizmail"
	FieldDisabled    Field = "disabled"
)

// Fields lists the editable member fields in the WeCom admin import order.
var Fields = []Field{FieldName, FieldAccount, FieldAlias, FieldPosition, FieldDepartments,
	FieldGender, FieldMobile, FieldTelephone, FieldEmail, FieldAddress, FieldBizMail, FieldMailboxType}

// Header returns the WeCom admin-template header of a field (姓名, 账号, ...).
func (f Field) Header() string {
	switch f {
	case FieldName:
		return "姓名"
	case FieldAccount:
		return "账号"
	case FieldAlias:
		return "别名"
	case FieldPosition:
		return "职务"
	case FieldDepartments:
		return "部门"
	case FieldGender:
		return "性别"
	case FieldMobile:
		return "手机"
	case FieldTelephone:
		return "座机"
	case FieldEmail:
		return "邮箱"
	case FieldAddress:
		return "地址"
	case FieldBizMail:
		return "企业邮箱"
	case FieldDisabled:
		return "禁用"
	case FieldMailboxType:
		return "邮箱类型"
	}
	return string(f)
}

// DepartmentsText joins department paths the way a sheet cell holds them
// (several paths separated by the full-width ；).
func DepartmentsText(paths []string) string {
	s := ""
	for i, p := range paths {
		if i > 0 {
			s += "；"
		}
		s += p
	}
	return s
}

// Get returns the value of a field as the sheet cell would show it.
func (m *Member) Get(f Field) string {
	switch f {
	case FieldName:
		return m.Name
	case FieldAccount:
		return m.Account
	case FieldAlias:
		return m.Alias
	case FieldPosition:
		return m.Position
	case FieldDepartments:
		return DepartmentsText(m.Departments)
	case FieldGender:
		return m.Gender
	case FieldMobile:
		return m.Mobile
	case FieldTelephone:
		return m.Telephone
	case FieldEmail:
		return m.Email
	case FieldAddress:
		return m.Address
	case FieldBizMail:
		return m.BizMail
	case FieldMailboxType:
		return m.Mailbox
	case FieldDisabled:
		if m.Disabled {
			return "1"
		}
		return ""
	}
	return ""
}

// Set stores a cell value into a field. Departments are split on ；
// (and ;) without any other change: normalisation is the fixer's job.
func (m *Member) Set(f Field, v string) {
	switch f {
	case FieldName:
		m.Name = v
	case FieldAccount:
		m.Account = v
	case FieldAlias:
		m.Alias = v
	case FieldPosition:
		m.Position = v
	case FieldDepartments:
		m.Departments = splitDepartmentsRaw(v)
	case FieldGender:
		m.Gender = v
	case FieldMobile:
		m.Mobile = v
	case FieldTelephone:
		m.Telephone = v
	case FieldEmail:
		m.Email = v
	case FieldAddress:
		m.Address = v
	case FieldBizMail:
		m.BizMail = v
	case FieldMailboxType:
		m.Mailbox = v
	case FieldDisabled:
		m.Disabled = parseBool(v)
	}
}

// splitDepartmentsRaw splits a departments cell on the canonical ；only,
// keeping every other character so that the fixer can report what it
// normalises. Empty cells give no paths.
func splitDepartmentsRaw(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, "；")
}

// parseBool reads the 禁用/是否 style flags of WeCom sheets.
func parseBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "是", "true", "yes", "y", "禁用", "已禁用":
		return true
	}
	return false
}
