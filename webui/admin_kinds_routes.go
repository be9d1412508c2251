package webui

import (
	"net/url"
	"strconv"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The dialplan's stored routes. The store checks each field's form; the
// whole dialplan is compiled again by the firmware on every change, and
// a route that does not compile keeps the plan in force (logged).

func inboundRouteKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "name", Type: "text", Key: true, Hint: "admin.h.key"},
			{Name: "order", Type: "number", Hint: "admin.h.order"},
			{Name: "did", Type: "text", Hint: "admin.h.pattern"},
			{Name: "caller", Type: "text", Hint: "admin.h.pattern"},
			{Name: "via", Type: "text", Hint: "admin.h.via"},
			{Name: "target", Type: "text", Hint: "admin.h.target"},
		}
	}
	to := func(r store.InboundRoute) url.Values {
		return url.Values{"name": {r.Name}, "order": {itoa(r.Order)}, "did": {r.DID}, "caller": {r.Caller},
			"via": {r.Via}, "target": {r.Target}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.InboundRoute {
		return store.InboundRoute{Name: f.Get("name"), Order: atoi(f, "order", errs, lang), DID: strings.TrimSpace(f.Get("did")),
			Caller: strings.TrimSpace(f.Get("caller")), Via: strings.TrimSpace(f.Get("via")), Target: strings.TrimSpace(f.Get("target"))}
	}
	return newKind("inroutes", fields, []string{"name", "order", "did", "caller", "via", "target"}, url.Values{}, to, from)
}

func outboundRouteKind() *adminKind {
	fields := func(s *Server, lang i18n.Lang) []adminField {
		return []adminField{
			{Name: "name", Type: "text", Key: true, Hint: "admin.h.key"},
			{Name: "order", Type: "number", Hint: "admin.h.order"},
			{Name: "pattern", Type: "text", Hint: "admin.h.pattern"},
			{Name: "strip", Type: "number"},
			{Name: "prepend", Type: "text"},
			{Name: "callerId", Type: "text"},
			{Name: "callerPrepend", Type: "text"},
			{Name: "from", Type: "text", Hint: "admin.h.pattern"},
			{Name: "gateways", Type: "lines", Hint: "admin.fmt.gateways"},
		}
	}
	to := func(r store.OutboundRoute) url.Values {
		return url.Values{"name": {r.Name}, "order": {itoa(r.Order)}, "pattern": {r.Pattern}, "strip": {itoa(r.Strip)},
			"prepend": {r.Prepend}, "callerId": {r.CallerID}, "callerPrepend": {r.CallerPrepend}, "from": {r.From},
			"gateways": {strings.Join(r.Gateways, "\n")}}
	}
	from := func(s *Server, old, f url.Values, errs map[string]string, lang i18n.Lang) store.OutboundRoute {
		return store.OutboundRoute{Name: f.Get("name"), Order: atoi(f, "order", errs, lang), Pattern: strings.TrimSpace(f.Get("pattern")),
			Strip: atoi(f, "strip", errs, lang), Prepend: strings.TrimSpace(f.Get("prepend")), CallerID: strings.TrimSpace(f.Get("callerId")),
			CallerPrepend: strings.TrimSpace(f.Get("callerPrepend")), From: strings.TrimSpace(f.Get("from")), Gateways: lines(f.Get("gateways"))}
	}
	return newKind("outroutes", fields, []string{"name", "order", "pattern", "strip", "prepend", "callerId", "gateways"},
		url.Values{"pattern": {"_X."}, "order": {strconv.Itoa(100)}}, to, from)
}
