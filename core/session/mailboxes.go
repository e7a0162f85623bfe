package session

import (
	"context"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/exmail"
)

// ReadLegacyMailboxes reads every mailbox and mail group of the live
// legacy Exmail at baseURL ("" for the real service), for comparing a sheet
// with what really exists (contacts.CompareMailboxes) and for the mailbox
// list's groups. The secret is used for the call only.
func ReadLegacyMailboxes(ctx context.Context, baseURL, corpID, secret string) (*contacts.Directory, error) {
	return exmail.ReadDirectory(ctx, exmail.Config{BaseURL: baseURL, CorpID: strings.TrimSpace(corpID), Secret: secret})
}
