package migrate

import (
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"time"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// RehearsalOptions configure StartRehearsal.
type RehearsalOptions struct {
	// TenantPath is the simulator's bbolt file; kept between runs so a
	// resumed rehearsal sees the same tenant. Empty: a temp file.
	TenantPath string
	// Existing pre-fills a brand-new tenant (method bind) with this company.
	// Ignored when the tenant file already holds data.
	Existing *contacts.Directory
	// RatePerMinute bounds the client (0 or negative: unlimited).
	RatePerMinute int
	Knobs         wecomsim.Knobs
}

// Rehearsal is the simulator served on 127.0.0.1 with a client to it.
type Rehearsal struct {
	Server  *wecomsim.Server
	BaseURL string
	Client  *wecom.Client
	Target  *WeCom
	Seeded  bool // the tenant was pre-filled by this start
	hc      *http.Client
	stop    func() error
}

// StartRehearsal starts core/wecomsim in-process on a free loopback port.
func StartRehearsal(opt RehearsalOptions) (*Rehearsal, error) {
	fresh := true
	if opt.TenantPath != "" {
		if fi, err := os.Stat(opt.TenantPath); err == nil && fi.Size() > 0 {
			fresh = false
		}
	}
	sim, err := wecomsim.New(wecomsim.Options{DBPath: opt.TenantPath, Knobs: opt.Knobs})
	if err != nil {
		return nil, fmt.Errorf("start the rehearsal simulator: %w", err)
	}
	r := &Rehearsal{Server: sim}
	if fresh && opt.Existing != nil {
		if _, err := sim.Seed(opt.Existing); err != nil {
			sim.Close()
			return nil, fmt.Errorf("seed the rehearsal company: %w", err)
		}
		if err := sim.Flush(); err != nil {
			sim.Close()
			return nil, fmt.Errorf("seed the rehearsal company: %w", err)
		}
		r.Seeded = true
	}
	base, stop, err := sim.Start("")
	if err != nil {
		sim.Close()
		return nil, err
	}
	r.BaseURL, r.stop = base, stop
	rate := opt.RatePerMinute
	if rate <= 0 {
		rate = -1
	}
	r.hc = &http.Client{Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second}}
	r.Client, err = wecom.New(wecom.Config{BaseURL: base, CorpID: sim.CorpID(), Secret: sim.Secret(), RatePerMinute: rate,
		HTTPClient: r.hc, RetryBackoff: 50 * time.Millisecond, RateLimitWait: 2 * time.Second})
	if err != nil {
		r.Close()
		return nil, err
	}
	r.Target = NewWeCom(r.Client)
	r.Target.PollInterval = 20 * time.Millisecond
	return r, nil
}

// Close stops serving and closes the tenant (everything accepted is kept).
func (r *Rehearsal) Close() error {
	if r.hc != nil {
		r.hc.CloseIdleConnections()
	}
	if r.stop != nil {
		r.stop()
	}
	return r.Server.Close()
}

// ExistingCompany generates the target of a bind rehearsal from the
// contacts being migrated: about a fifth of its members already there (same
// account and departments), a few members only the target has, and a few
// conflicts — a target member with another userid owning the mobile of one
// of ours. Deterministic for a seed.
func ExistingCompany(d *contacts.Directory, seed int64) *contacts.Directory {
	r := rand.New(rand.NewSource(seed))
	out := &contacts.Directory{}
	conflicts := 0
	for i, m := range d.Members {
		if m.IsOther() {
			continue // a shared box is nobody's account in the target (and must not shift the draws)
		}
		switch {
		case m.Account != "" && r.Intn(5) == 0:
			out.Members = append(out.Members, m)
		case conflicts < 3 && m.Mobile != "" && r.Intn(50) == 0:
			conflicts++
			out.Members = append(out.Members, contacts.Member{Name: m.Name + "（旧）", Account: fmt.Sprintf("legacy%d", i+1),
				Mobile: m.Mobile, Departments: []string{"原有部门"}})
		}
	}
	for i := 0; i < 5; i++ {
		out.Members = append(out.Members, contacts.Member{Name: fmt.Sprintf("目标成员%d", i+1), Account: fmt.Sprintf("wecom.only%d", i+1),
			Mobile: fmt.Sprintf("1990000%04d", i+1), Departments: []string{"原有部门"}})
	}
	return out
}
