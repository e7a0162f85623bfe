package session

import (
	"context"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/exmail"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/wecom"
)

// ReadContactsFile reads a contacts sheet (core/sheet: any layout), applies
// the safe fixes and returns the directory with every remaining problem.
// The CLI's contacts and every target's exported sheet are read this way.
func ReadContactsFile(path string) (*contacts.Directory, []contacts.Problem, error) {
	res, err := sheet.Read(path, sheet.Options{})
	if err != nil {
		return nil, nil, err
	}
	problems := append([]contacts.Problem(nil), res.Problems...)
	problems = append(problems, contacts.Fix(res.Dir, res.ValidationOptions())...)
	return res.Dir, problems, nil
}

// ReadTargetSheet reads the target company's own exported contacts sheet
// for the planner (department names, members' mobiles and mails), the same
// way in every front end. Call it off the UI thread: a large sheet takes
// seconds.
func ReadTargetSheet(path string) (*contacts.Directory, error) {
	d, _, err := ReadContactsFile(path)
	return d, err
}

// Explain turns a target error into the words users need: what a WeCom
// error code means (60020, 48009, 40001 …) and what to do; other errors as
// they say themselves (text.Of).
func Explain(err error) text.T { return wecom.Explain(err) }

// ReadLegacyExmail reads the live legacy Exmail company's directory through
// its open API (corp ID and the 通讯录管理 secret) and the validation
// options its contacts follow (the stricter legacy biz-mail rule).
func ReadLegacyExmail(ctx context.Context, corpID, secret string) (*contacts.Directory, contacts.Options, error) {
	d, err := exmail.ReadDirectory(ctx, exmail.Config{CorpID: strings.TrimSpace(corpID), Secret: secret})
	return d, contacts.Options{Legacy: true}, err
}
