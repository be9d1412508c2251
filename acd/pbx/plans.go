package pbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"callbox/acd/dialplan"
	"callbox/firmware/store"
)

// Plans keeps the dialplan compiled from the store's records current:
// Run follows the store's change feed and recompiles whenever settings,
// extensions, lines, trunks, queues or the stored routes change. Calls already routed keep
// the plan they were routed by; the next call sees the new one.
//
// The plan is dialplan.FromRecords (the stored inbound routes, each
// line's route, the stored outbound routes or else outbound over trunks
// then lines) followed by routes by dialled number for calls from
// trunks and lines without a route of their own: a DID (after the
// trunk's DID mapping) that is an extension rings it, a queue's number
// joins that queue, and a line's own number takes that line's route, so
// a DID can share the IVR of a PSTN line.
type Plans struct {
	st  *store.Store
	log *slog.Logger
	cur atomic.Pointer[dialplan.Plan]
}

// NewPlans compiles the dialplan from st once. A stored configuration
// that does not compile (a line routed to a target that does not parse)
// must not keep the box from booting: it is logged, and until it is
// fixed only calls between extensions are routed. The error is the
// store's, when it cannot be read.
func NewPlans(st *store.Store, log *slog.Logger) (*Plans, error) {
	if log == nil {
		log = slog.Default()
	}
	p := &Plans{st: st, log: log}
	err := p.rebuild()
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, dialplan.ErrConfig) && !errors.Is(err, dialplan.ErrTarget) && !errors.Is(err, dialplan.ErrPattern) {
		return nil, err
	}
	log.Error("dialplan: the stored configuration does not compile; only extensions are routed until it is fixed", "err", err)
	exts, lerr := store.List[store.Extension](st)
	if lerr != nil {
		return nil, fmt.Errorf("pbx: extensions: %w", lerr)
	}
	set, serr := store.GetSettings(st)
	if serr != nil {
		return nil, fmt.Errorf("pbx: settings: %w", serr)
	}
	cfg := dialplan.Config{Country: set.Country}
	for _, e := range exts {
		cfg.Extensions = append(cfg.Extensions, e.Number)
	}
	plan, cerr := dialplan.Compile(cfg)
	if cerr != nil {
		return nil, cerr
	}
	p.cur.Store(plan)
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
		case store.KindSettings, store.KindExtension, store.KindLine, store.KindTrunk, store.KindQueue,
			store.KindInboundRoute, store.KindOutboundRoute:
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
	queues, err := store.List[store.Queue](p.st)
	if err != nil {
		return fmt.Errorf("pbx: queues: %w", err)
	}
	routes, err := dialplan.ListRoutes(p.st)
	if err != nil {
		return fmt.Errorf("pbx: %w", err)
	}
	cfg, err := dialplan.FromRecords(set, exts, lines, trunks, routes)
	if err != nil {
		return err
	}
	cfg.Inbound = append(cfg.Inbound, byNumber(exts, lines, queues)...)
	plan, err := dialplan.Compile(cfg)
	if err != nil {
		return err
	}
	p.cur.Store(plan)
	return nil
}

// byNumber are the inbound routes by dialled number (see Plans).
func byNumber(exts []store.Extension, lines []store.Line, queues []store.Queue) []dialplan.InboundRoute {
	var out []dialplan.InboundRoute
	taken := map[string]bool{}
	add := func(name, number string, t dialplan.Target) {
		if number == "" || taken[number] {
			return
		}
		if _, err := dialplan.CompilePattern(number); err != nil || strings.HasPrefix(number, "_") {
			return
		}
		taken[number] = true
		out = append(out, dialplan.InboundRoute{Name: name, DID: number, Target: t})
	}
	for _, e := range exts {
		add("did-ext-"+e.Number, e.Number, dialplan.Target{Kind: dialplan.TargetExtension, Value: e.Number})
	}
	for _, q := range queues {
		add("did-queue-"+q.Name, q.Number, dialplan.Target{Kind: dialplan.TargetQueue, Value: q.Name})
	}
	for _, l := range lines {
		if !l.Enabled || l.Route == "" {
			continue
		}
		// FromRecords has checked the route; a bad one fails there first.
		if t, err := lineRoute(l.Route); err == nil {
			add("did-line-"+l.ID, l.Number, t)
		}
	}
	return out
}

// lineRoute reads a line's Route as dialplan.FromRecords does:
// "kind:value", a bare extension number, or else a flow ID.
func lineRoute(route string) (dialplan.Target, error) {
	if strings.Contains(route, ":") {
		return dialplan.ParseTarget(route)
	}
	if strings.Trim(route, "0123456789") == "" {
		return dialplan.Target{Kind: dialplan.TargetExtension, Value: route}, nil
	}
	return dialplan.Target{Kind: dialplan.TargetFlow, Value: route}, nil
}
