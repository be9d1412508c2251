package pbx

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"callbox/acd/dialplan"
	"callbox/firmware/store"
)

// Plans keeps the dialplan compiled from the store's records current:
// Run follows the store's change feed and recompiles whenever settings,
// extensions, lines or trunks change. Calls already routed keep the plan
// they were routed by; the next call sees the new one.
type Plans struct {
	st  *store.Store
	log *slog.Logger
	cur atomic.Pointer[dialplan.Plan]
}

// NewPlans compiles the dialplan from st once; an error means the stored
// configuration does not compile.
func NewPlans(st *store.Store, log *slog.Logger) (*Plans, error) {
	if log == nil {
		log = slog.Default()
	}
	p := &Plans{st: st, log: log}
	if err := p.rebuild(); err != nil {
		return nil, err
	}
	return p, nil
}

// Current is the plan in force.
func (p *Plans) Current() *dialplan.Plan { return p.cur.Load() }

// Name names the service for the supervisor.
func (p *Plans) Name() string { return "dialplan" }

// Run follows the store until ctx ends. A configuration that does not
// compile is logged and the previous plan stays in force.
func (p *Plans) Run(ctx context.Context) error {
	changes := p.st.Subscribe(ctx, p.st.Seq())
	// Changes made between NewPlans and Subscribe would be missed.
	p.refresh()
	for ch := range changes {
		switch ch.Kind {
		case store.KindSettings, store.KindExtension, store.KindLine, store.KindTrunk:
			p.refresh()
		}
	}
	return nil
}

func (p *Plans) refresh() {
	if err := p.rebuild(); err != nil {
		p.log.Error("dialplan: the new configuration does not compile; the previous plan stays", "err", err)
	}
}

func (p *Plans) rebuild() error {
	set, err := store.GetSettings(p.st)
	if err != nil {
		return fmt.Errorf("pbx: settings: %w", err)
	}
	exts, err := store.List[store.Extension](p.st)
	if err != nil {
		return fmt.Errorf("pbx: extensions: %w", err)
	}
	lines, err := store.List[store.Line](p.st)
	if err != nil {
		return fmt.Errorf("pbx: lines: %w", err)
	}
	trunks, err := store.List[store.Trunk](p.st)
	if err != nil {
		return fmt.Errorf("pbx: trunks: %w", err)
	}
	cfg, err := dialplan.FromRecords(set, exts, lines, trunks)
	if err != nil {
		return err
	}
	plan, err := dialplan.Compile(cfg)
	if err != nil {
		return err
	}
	p.cur.Store(plan)
	return nil
}
