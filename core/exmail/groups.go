package exmail

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"exmail-upgrade/core/contacts"
)

// groupBrief is one entry of group/search.
type groupBrief struct {
	GroupID   string `json:"groupid"`
	GroupName string `json:"groupname"`
}

// groupDetail is a group/get answer.
type groupDetail struct {
	GroupID    string   `json:"groupid"`
	GroupName  string   `json:"groupname"`
	UserList   []string `json:"userlist"`
	GroupList  []string `json:"grouplist"`
	Department []int64  `json:"department"`
}

// groups reads every mail group: group/search with fuzzy=0 lists them,
// group/get gives each one's members. A company whose API secret may not
// read groups (an errcode, or an API the service does not offer) has no
// groups read: nil, no error. Network failures and busy answers that
// outlast the retries are errors, so a reading is never silently partial.
func (r *reader) groups(ctx context.Context, paths map[int64]string) ([]contacts.MailGroup, error) {
	var list struct {
		Groups []groupBrief `json:"groups"`
	}
	if err := r.get(ctx, "group/search", url.Values{"fuzzy": {"0"}}, &list); err != nil {
		if notOffered(err) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]contacts.MailGroup, 0, len(list.Groups))
	for _, g := range list.Groups {
		var d groupDetail
		if err := r.get(ctx, "group/get", url.Values{"groupid": {g.GroupID}}, &d); err != nil {
			if notOffered(err) {
				return nil, nil
			}
			return nil, err
		}
		mg := contacts.MailGroup{Address: strings.TrimSpace(g.GroupID), Name: strings.TrimSpace(g.GroupName),
			Members: d.UserList, Groups: d.GroupList}
		if n := strings.TrimSpace(d.GroupName); n != "" {
			mg.Name = n
		}
		for _, id := range d.Department {
			if p, ok := paths[id]; ok && p != "" {
				mg.Depts = append(mg.Depts, p)
			}
		}
		out = append(out, mg)
	}
	return out, nil
}

// notOffered reports an answer that means "no groups for this secret"
// rather than a failure to retry: an Exmail errcode or an HTTP status
// other than a server error.
func notOffered(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch {
	case e.Code == CodeTransport, e.Code == CodeBadResponse, e.Code == -1:
		return false
	case e.Code == CodeHTTPStatus && strings.HasPrefix(e.Msg, "HTTP 5"):
		return false // the service failed: retry later rather than read no groups
	}
	return true
}
