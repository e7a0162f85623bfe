package session

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/sample"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// Target kinds.
const (
	TargetSim   = "sim"   // the embedded rehearsal WeCom
	TargetWeCom = "wecom" // the real WeCom contacts API
)

// TargetConfig says where the directory goes. The secret is held in memory
// only: it is never written to the state file.
type TargetConfig struct {
	Kind    string // TargetSim or TargetWeCom
	CorpID  string // real WeCom: 企业ID
	Secret  string // real WeCom: 通讯录同步 secret
	APIBase string // real WeCom: API base URL (empty: the real service)
	// SimPath is the rehearsal tenant's bbolt file; it persists between runs
	// so a resumed migration sees the same tenant.
	SimPath string
	// Rate bounds the client's calls per minute (0: the client default;
	// rehearsals run unlimited).
	Rate int
}

// Connection is an open target: a WeCom client and, for rehearsals, the
// simulator serving it on 127.0.0.1.
type Connection struct {
	Client *wecom.Client
	Sim    *wecomsim.Server // nil for the real WeCom
	Kind   string
	CorpID string
	stop   func() error
}

// Close stops the simulator (flushing its tenant) when there is one.
func (c *Connection) Close() error {
	if c == nil || c.stop == nil {
		return nil
	}
	err := c.stop()
	if c.Sim != nil {
		err = errors.Join(err, c.Sim.Close())
	}
	c.stop = nil
	return err
}

// Connect opens the target. For a rehearsal it starts the simulator on
// 127.0.0.1 over cfg.SimPath; when the tenant is new and method is bind, the
// tenant is filled with an existing company derived from dir (see
// ExistingCompany), so the rehearsal has members to merge and conflicts to
// resolve.
func Connect(cfg TargetConfig, method upgrade.Method, dir *contacts.Directory) (*Connection, error) {
	switch cfg.Kind {
	case TargetSim:
		return connectSim(cfg, method, dir)
	case TargetWeCom:
		if strings.TrimSpace(cfg.CorpID) == "" || cfg.Secret == "" {
			return nil, fmt.Errorf("需要企业ID和通讯录同步Secret / corp ID and contact-sync secret are required")
		}
		c, err := wecom.New(wecom.Config{BaseURL: cfg.APIBase, CorpID: strings.TrimSpace(cfg.CorpID),
			Secret: cfg.Secret, RatePerMinute: cfg.Rate})
		if err != nil {
			return nil, err
		}
		return &Connection{Client: c, Kind: TargetWeCom, CorpID: strings.TrimSpace(cfg.CorpID)}, nil
	}
	return nil, fmt.Errorf("未知目标 %q / unknown target %q", cfg.Kind, cfg.Kind)
}

func connectSim(cfg TargetConfig, method upgrade.Method, dir *contacts.Directory) (*Connection, error) {
	if cfg.SimPath == "" {
		return nil, fmt.Errorf("rehearsal target needs a tenant file")
	}
	if err := os.MkdirAll(filepath.Dir(cfg.SimPath), 0o700); err != nil {
		return nil, fmt.Errorf("create rehearsal folder: %w", err)
	}
	_, statErr := os.Stat(cfg.SimPath)
	fresh := os.IsNotExist(statErr)
	sim, err := wecomsim.New(wecomsim.Options{DBPath: cfg.SimPath})
	if err != nil {
		return nil, fmt.Errorf("start rehearsal WeCom: %w", err)
	}
	if fresh && method == upgrade.MethodBind && dir != nil {
		if _, err := sim.Seed(ExistingCompany(dir, 7)); err != nil {
			sim.Close()
			return nil, fmt.Errorf("fill rehearsal WeCom: %w", err)
		}
		if err := sim.Flush(); err != nil {
			sim.Close()
			return nil, err
		}
	}
	base, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		sim.Close()
		return nil, fmt.Errorf("start rehearsal WeCom: %w", err)
	}
	c, err := wecom.New(wecom.Config{BaseURL: base, CorpID: sim.CorpID(), Secret: sim.Secret(), RatePerMinute: -1})
	if err != nil {
		stop()
		sim.Close()
		return nil, err
	}
	return &Connection{Client: c, Sim: sim, Kind: TargetSim, CorpID: sim.CorpID(), stop: stop}, nil
}

// Identify checks the connection (token, trusted IP) and counts what the
// target already holds, for the confirmation the creator gives.
func (c *Connection) Identify(ctx context.Context, name string) (upgrade.Target, error) {
	if err := c.Client.Check(ctx); err != nil {
		return upgrade.Target{}, err
	}
	users, err := c.Client.ListUserIDs(ctx)
	if err != nil {
		return upgrade.Target{}, err
	}
	depts, err := c.Client.ListDepartmentIDs(ctx, 0)
	if err != nil {
		return upgrade.Target{}, err
	}
	seen := map[string]bool{}
	for _, u := range users {
		seen[strings.ToLower(u.UserID)] = true
	}
	nd := len(depts)
	if nd > 0 {
		nd-- // the root is the company itself
	}
	if name == "" {
		if c.Kind == TargetSim {
			name = "演练企业微信 Rehearsal WeCom"
		} else {
			name = c.CorpID
		}
	}
	return upgrade.Target{Kind: upgrade.TargetKind(c.Kind), CorpID: c.CorpID, Name: name,
		Members: len(seen), Departments: nd}, nil
}

// ExistingCompany derives, from the contacts to migrate, the WeCom company a
// bind rehearsal starts from: about a fifth of the members already exist
// (same account; some with another position or mobile, which the target
// keeps), a few people exist only in WeCom (left untouched), and one member
// of WeCom holds the mobile of a different person in the sheet (a conflict
// the plan must block). Deterministic for a seed.
func ExistingCompany(dir *contacts.Directory, seed int64) *contacts.Directory {
	r := rand.New(rand.NewSource(seed))
	out := &contacts.Directory{}
	used := map[string]bool{}
	for i := range dir.Members {
		m := dir.Members[i]
		if m.Account == "" || r.Intn(5) != 0 {
			continue
		}
		m.Row = 0
		if r.Intn(3) == 0 {
			m.Position = "（企业微信）" + m.Position
		}
		out.Members = append(out.Members, m)
		used[strings.ToLower(m.Account)] = true
	}
	extra := sample.CompanyDomain(12, seed, "wecom-existing.example")
	for _, m := range extra.Members {
		if used[strings.ToLower(m.Account)] {
			continue
		}
		m.Account = "wx_" + m.Account
		m.Mobile = ""
		if m.Email == "" {
			m.Email = m.Account + "@wecom-existing.example"
		}
		m.Row = 0
		out.Members = append(out.Members, m)
	}
	// One conflict: a WeCom-only member owning the mobile of someone in the
	// sheet who does not exist in WeCom yet.
	for i := range dir.Members {
		m := dir.Members[i]
		if m.Mobile != "" && m.Account != "" && !used[strings.ToLower(m.Account)] && len(out.Members) > 0 {
			c := out.Members[len(out.Members)-1]
			c.Mobile = m.Mobile
			out.Members[len(out.Members)-1] = c
			break
		}
	}
	return out
}
