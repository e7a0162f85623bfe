package migrate

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"exmail-upgrade/core/text"
	"exmail-upgrade/core/wecom"
)

// TestLegacyRecordExplain: journals written before Record.Explain became a
// text hold one "中文 / English" string; they still decode, each language
// whole (the rate-limit advice holds a " / " inside its Chinese), and a
// record written now reads back the same.
func TestLegacyRecordExplain(t *testing.T) {
	b, err := os.ReadFile("testdata/records_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var recs map[string]Record
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	want := map[string]text.T{
		"c:lisi": (&wecom.Error{Code: wecom.CodeMobileExists}).Explain(),
		"c:wang": (&wecom.Error{Code: wecom.CodeRateLimit}).Explain(),
		"c:zhao": {},
	}
	for k, w := range want {
		if got := recs[k].Explain; got != w {
			t.Errorf("%s: Explain = %+v, want %+v", k, got, w)
		}
	}
	if r := recs["c:wang"]; r.State != StateSent || r.Code != wecom.CodeRateLimit || r.Attempts != 2 || r.Note != "transient" {
		t.Errorf("other fields lost: %+v", r)
	}
	for k, r := range recs {
		nb, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Record
		if err := json.Unmarshal(nb, &back); err != nil || back != r {
			t.Errorf("%s: round trip %s → %+v (%v)", k, nb, back, err)
		}
	}
}

// The engine's errors say themselves in each language (text.Of), not as one
// joined string a front end would have to cut.
func TestErrorsInBothLanguages(t *testing.T) {
	_, batchErr := ParseBatchMode("sometimes")
	for _, err := range []error{ErrContactsChanged, ErrPlanChanged, ErrPlanBlocked, ErrInterrupted, ErrOtherMailboxAsMember, batchErr} {
		tx := text.Of(fmt.Errorf("run: %w", err))
		if !tx.Complete() || tx.Zh == tx.En || strings.Contains(tx.En, " / ") || !strings.HasPrefix(tx.En, "run: ") {
			t.Errorf("%v: %+v", err, tx)
		}
	}
}
