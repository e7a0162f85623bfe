package session

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/store"
)

// domainsDoc names the document holding a project's mail domains.
const domainsDoc = "mail_domains"

var domainRe = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// ParseDomains reads a list of mail domains separated by commas, spaces,
// semicolons or 、, lower-cased; an invalid one is an error naming it.
func ParseDomains(s string) ([]string, error) {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '、' || r == '，' || r == '；' || r == '\n' || r == '\t'
	})
	seen := map[string]bool{}
	var out []string
	for _, d := range f {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if !domainRe.MatchString(d) {
			return nil, fmt.Errorf("“%s” 不是有效的域名 / %q is not a valid domain", d, d)
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// MailDomains returns the project's mail domains (none: not checked).
func MailDomains(st *store.Store, id string) ([]string, error) {
	var d []string
	_, err := st.GetDoc(id, domainsDoc, &d)
	return d, err
}

// SetMailDomains stores the project's mail domains.
func SetMailDomains(st *store.Store, id string, domains []string) error {
	return st.PutDoc(id, domainsDoc, domains)
}

// SuggestDomains returns the domains of the directory's business mail,
// most used first, leaving out those used by fewer than 1 in 50 addresses
// (likely typos, which the check should then report).
func SuggestDomains(d *contacts.Directory) []string {
	count := map[string]int{}
	total := 0
	for i := range d.Members {
		b := strings.ToLower(strings.TrimSpace(d.Members[i].BizMail))
		if at := strings.LastIndexByte(b, '@'); at > 0 && at < len(b)-1 {
			count[b[at+1:]]++
			total++
		}
	}
	var out []string
	for dom, n := range count {
		if n*50 >= total && domainRe.MatchString(dom) {
			out = append(out, dom)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if count[out[i]] != count[out[j]] {
			return count[out[i]] > count[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}
