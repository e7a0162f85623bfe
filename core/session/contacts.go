package session

import (
	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/store"
)

// headDoc names the document holding the first rows of the working copy,
// so the editor can show a large sheet at once while the rest loads.
const headDoc = "contacts_head"

// HeadRows is how many rows the head document keeps.
const HeadRows = 200

// Head is the start of a project's working copy and its full size.
type Head struct {
	Total   int               `json:"total"`
	Members []contacts.Member `json:"members"`
}

// SaveWorkingCopy stores the contacts working copy and its head.
func SaveWorkingCopy(st *store.Store, id string, d *contacts.Directory) error {
	if err := st.SaveContacts(id, d); err != nil {
		return err
	}
	h := Head{Total: len(d.Members), Members: d.Members[:min(HeadRows, len(d.Members))]}
	return st.PutDoc(id, headDoc, h)
}

// LoadHead returns the head of the working copy; ok is false when none was
// saved (a copy written by an older version or by the CLI).
func LoadHead(st *store.Store, id string) (h Head, ok bool, err error) {
	ok, err = st.GetDoc(id, headDoc, &h)
	return h, ok, err
}

// contactsOptions are the validation options of project f's contacts (its
// mail domains).
func contactsOptions(f *Flow) contacts.Options {
	d, _ := MailDomains(f.Store, f.ID)
	return contacts.Options{Domains: d}
}
