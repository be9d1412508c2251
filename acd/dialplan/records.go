package dialplan

import (
	"fmt"
	"strings"

	"callbox/firmware/store"
)

// FromRecords builds a Config from what the store holds today: the
// site's country, the extensions, each enabled line's inbound route and
// one outbound route over every enabled trunk and FXO line. The store
// has no record for hand-written routes yet; until it does, this is the
// whole dialplan.
//
// A line's Route is "kind:value" (see ParseTarget), or a bare extension
// number, or else a flow ID. Outbound, any number of two digits or more
// that is not an extension or feature code goes out, over trunks (in
// name order) and then lines, with the trunk's own caller ID.
func FromRecords(set store.Settings, exts []store.Extension, lines []store.Line, trunks []store.Trunk) (Config, error) {
	c := Config{Country: set.Country}
	for _, e := range exts {
		c.Extensions = append(c.Extensions, e.Number)
	}
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
	if len(gws) > 0 {
		c.Outbound = append(c.Outbound, OutboundRoute{Name: "default", Pattern: "_XX!", Gateways: gws})
	}
	return c, nil
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
