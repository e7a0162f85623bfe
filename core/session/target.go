package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/core/wecomsim"
)

// TargetConfig says where the directory goes. The secret is held in memory
// only: it is never written to the state file.
type TargetConfig struct {
	Kind    upgrade.TargetKind // upgrade.TargetSim or upgrade.TargetWeCom
	CorpID  string             // real WeCom: 企业ID
	Secret  string             // real WeCom: 通讯录同步 secret
	APIBase string             // real WeCom: API base URL (empty: the real service)
	// SimPath is the rehearsal tenant's bbolt file; it persists between runs
	// so a resumed migration sees the same tenant (Flow.Connect sets it to
	// RehearsalTenantPath).
	SimPath string
	// Rate bounds the client's calls per minute (0: the client default;
	// rehearsals then run unlimited).
	Rate int
	// Existing is the company a new bind rehearsal tenant holds (nil: one
	// derived from the contacts, see Connect).
	Existing *contacts.Directory
}

// Connection is an open target: a WeCom client, the migration target over
// it and, for rehearsals, the simulator serving it on 127.0.0.1.
type Connection struct {
	Client *wecom.Client
	// Target is what plans read and the engine writes (rehearsals poll
	// batch jobs faster than the real WeCom).
	Target  *migrate.WeCom
	Sim     *wecomsim.Server // nil for the real WeCom
	BaseURL string           // the simulator's address; empty for the real WeCom
	Kind    upgrade.TargetKind
	CorpID  string
	stop    func() error
}

// target returns the migration target (one over Client when the connection
// was assembled without one).
func (c *Connection) target() *migrate.WeCom {
	if c.Target != nil {
		return c.Target
	}
	return migrate.NewWeCom(c.Client)
}

// Close stops the simulator (flushing its tenant) when there is one.
func (c *Connection) Close() error {
	if c == nil || c.stop == nil {
		return nil
	}
	err := c.stop()
	c.stop = nil
	return err
}

// Connect opens the target. For a rehearsal it starts the simulator on
// 127.0.0.1 over cfg.SimPath; when the tenant is new and method is bind, the
// tenant is filled with cfg.Existing or else an existing company derived
// from dir (see ExistingCompany), so the rehearsal has members to merge and
// conflicts to resolve.
func Connect(cfg TargetConfig, method upgrade.Method, dir *contacts.Directory) (*Connection, error) {
	switch cfg.Kind {
	case upgrade.TargetSim:
		return connectSim(cfg, method, dir)
	case upgrade.TargetWeCom:
		if strings.TrimSpace(cfg.CorpID) == "" || cfg.Secret == "" {
			return nil, text.NewError("需要企业ID和通讯录同步Secret", "corp ID and contact-sync secret are required")
		}
		c, err := wecom.New(wecom.Config{BaseURL: cfg.APIBase, CorpID: strings.TrimSpace(cfg.CorpID),
			Secret: cfg.Secret, RatePerMinute: cfg.Rate})
		if err != nil {
			return nil, err
		}
		return &Connection{Client: c, Target: migrate.NewWeCom(c), Kind: upgrade.TargetWeCom, CorpID: strings.TrimSpace(cfg.CorpID)}, nil
	}
	return nil, text.Errorf("未知目标 %q", "unknown target %q", cfg.Kind)
}

// RehearsalSeed generates the existing company of a bind rehearsal tenant
// (migrate.ExistingCompany): the same in every front end.
const RehearsalSeed = 7

func connectSim(cfg TargetConfig, method upgrade.Method, dir *contacts.Directory) (*Connection, error) {
	if cfg.SimPath == "" {
		return nil, fmt.Errorf("rehearsal target needs a tenant file")
	}
	if err := os.MkdirAll(filepath.Dir(cfg.SimPath), 0o700); err != nil {
		return nil, fmt.Errorf("create rehearsal folder: %w", err)
	}
	opt := migrate.RehearsalOptions{TenantPath: cfg.SimPath, RatePerMinute: cfg.Rate}
	if method == upgrade.MethodBind {
		opt.Existing = cfg.Existing
		if opt.Existing == nil && dir != nil {
			opt.Existing = migrate.ExistingCompany(validRows(dir), RehearsalSeed)
		}
	}
	r, err := migrate.StartRehearsal(opt)
	if err != nil {
		return nil, err
	}
	return &Connection{Client: r.Client, Target: r.Target, Sim: r.Server, BaseURL: r.BaseURL, Kind: upgrade.TargetSim,
		CorpID: r.Server.CorpID(), stop: r.Close}, nil
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
		if c.Kind == upgrade.TargetSim {
			name = "演练企业微信 Rehearsal WeCom"
		} else {
			name = c.CorpID
		}
	}
	return upgrade.Target{Kind: c.Kind, CorpID: c.CorpID, Name: name,
		Members: len(seen), Departments: nd}, nil
}

// validRows returns the members of d without errors, with the safe fixes
// applied: what a real existing WeCom company could hold.
func validRows(d *contacts.Directory) *contacts.Directory {
	ix := contacts.NewIndex(d, contacts.Options{})
	out := &contacts.Directory{}
	for _, m := range ix.Fixed().Members {
		if !contacts.HasErrors(ix.Problems(m.Row)) {
			out.Members = append(out.Members, m)
		}
	}
	return out
}
