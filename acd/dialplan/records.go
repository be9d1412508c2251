package dialplan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"callbox/firmware/store"
)

// Routes are the hand-written routes the store keeps (store.KindInboundRoute,
// store.KindOutboundRoute), in any order; FromRecords sorts them.
type Routes struct {
	Inbound  []store.InboundRoute
	Outbound []store.OutboundRoute
}

// ListRoutes reads the stored routes.
func ListRoutes(st *store.Store) (Routes, error) {
	in, err := store.List[store.InboundRoute](st)
	if err != nil {
		return Routes{}, fmt.Errorf("dialplan: inbound routes: %w", err)
	}
	out, err := store.List[store.OutboundRoute](st)
	if err != nil {
		return Routes{}, fmt.Errorf("dialplan: outbound routes: %w", err)
	}
	return Routes{Inbound: in, Outbound: out}, nil
}

// Load reads every record the dialplan is built from and returns
// FromRecords of them.
func Load(st *store.Store) (Config, error) {
	set, err := store.GetSettings(st)
	if err != nil {
		return Config{}, fmt.Errorf("dialplan: settings: %w", err)
	}
	exts, err := store.List[store.Extension](st)
	if err != nil {
		return Config{}, fmt.Errorf("dialplan: extensions: %w", err)
	}
	lines, err := store.List[store.Line](st)
	if err != nil {
		return Config{}, fmt.Errorf("dialplan: lines: %w", err)
	}
	trunks, err := store.List[store.Trunk](st)
	if err != nil {
		return Config{}, fmt.Errorf("dialplan: trunks: %w", err)
	}
	routes, err := ListRoutes(st)
	if err != nil {
		return Config{}, err
	}
	return FromRecords(set, exts, lines, trunks, routes)
}

// FromRecords builds a Config from the store's records: the site's
// country, emergency numbers and feature codes (Settings), the
// extensions, the stored inbound routes (by Order, then name) followed
// by each enabled line's own route, and the stored outbound routes (by
// Order, then name).
//
// A line's Route is "kind:value" (see ParseTarget), or a bare extension
// number, or else a flow ID. When no outbound route is stored, any
// number of two digits or more that is not an extension or feature code
// goes out over every enabled trunk (in name order) and then FXO and GSM
// line, with the trunk's own caller ID.
func FromRecords(set store.Settings, exts []store.Extension, lines []store.Line, trunks []store.Trunk, routes Routes) (Config, error) {
	c := Config{Country: set.Country, Numbering: NumberingFor(set.Country), Emergency: set.Emergency, EmergencyCallerID: set.EmergencyCallerID}
	if len(set.FeatureCodes) > 0 {
		c.Features = DefaultFeatureCodes()
		for f, code := range set.FeatureCodes {
			c.Features[Feature(f)] = code
		}
	}
	for _, e := range exts {
		c.Extensions = append(c.Extensions, e.Number)
	}
	in, err := storedInbound(routes.Inbound)
	if err != nil {
		return Config{}, err
	}
	c.Inbound = in
	var gws []Gateway
	for _, t := range trunks {
		if t.Enabled {
			gws = append(gws, Gateway{GatewayTrunk, t.Name})
		}
	}
	for _, l := range lines {
		if !l.Enabled {
			continue
		}
		if l.Type == store.LineFXO || l.Type == store.LineGSM {
			gws = append(gws, Gateway{GatewayLine, l.ID})
		}
		if l.Route == "" {
			continue
		}
		t, err := lineTarget(l.Route)
		if err != nil {
			return Config{}, fmt.Errorf("%w: line %s: %w", ErrConfig, l.ID, err)
		}
		c.Inbound = append(c.Inbound, InboundRoute{Name: "line-" + l.ID, Via: l.ID, Target: t})
	}
	out, err := storedOutbound(routes.Outbound)
	if err != nil {
		return Config{}, err
	}
	c.Outbound = out
	if len(out) == 0 && len(gws) > 0 {
		c.Outbound = append(c.Outbound, OutboundRoute{Name: "default", Pattern: "_XX!", Gateways: gws})
	}
	return c, nil
}

// byOrder sorts routes by Order, then name, so that the installer's
// order is kept and equal orders stay stable across restarts.
func byOrder[R any](rs []R, key func(R) (int, string)) []R {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b R) int {
		ao, an := key(a)
		bo, bn := key(b)
		return cmp.Or(cmp.Compare(ao, bo), strings.Compare(an, bn))
	})
	return rs
}

func storedInbound(rs []store.InboundRoute) ([]InboundRoute, error) {
	var out []InboundRoute
	for _, r := range byOrder(rs, func(r store.InboundRoute) (int, string) { return r.Order, r.Name }) {
		t, err := ParseTarget(r.Target)
		if err != nil {
			return nil, fmt.Errorf("%w: inbound route %s: %w", ErrConfig, r.Name, err)
		}
		out = append(out, InboundRoute{Name: r.Name, Via: r.Via, DID: r.DID, Caller: r.Caller, Target: t})
	}
	return out, nil
}

func storedOutbound(rs []store.OutboundRoute) ([]OutboundRoute, error) {
	var out []OutboundRoute
	for _, r := range byOrder(rs, func(r store.OutboundRoute) (int, string) { return r.Order, r.Name }) {
		o := OutboundRoute{Name: r.Name, Pattern: r.Pattern, Strip: r.Strip, Prepend: r.Prepend,
			CallerID: r.CallerID, CallerPrepend: r.CallerPrepend, From: r.From}
		for _, g := range r.Gateways {
			k, v, ok := strings.Cut(g, ":")
			gw := Gateway{GatewayKind(k), v}
			if !ok || v == "" || (gw.Kind != GatewayTrunk && gw.Kind != GatewayLine) {
				return nil, fmt.Errorf("%w: outbound route %s: gateway %q", ErrConfig, r.Name, g)
			}
			o.Gateways = append(o.Gateways, gw)
		}
		out = append(out, o)
	}
	return out, nil
}

func lineTarget(route string) (Target, error) {
	if strings.Contains(route, ":") {
		return ParseTarget(route)
	}
	if allDigits(route) {
		return Target{TargetExtension, route}, nil
	}
	return Target{TargetFlow, route}, nil
}
