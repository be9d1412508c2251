package store

import "strings"

// Hand-written dialplan routes (acd/dialplan compiles them). Like the
// CTI's kinds the buckets came without a schema step: Open creates a
// bucket a file of the current schema lacks, and older firmware never
// reads it. The store checks the form of each field; the dialplan
// compile checks the whole (targets that exist, patterns that overlap).

// The route kinds.
const (
	// KindInboundRoute keeps the inbound routes by DID and caller number.
	KindInboundRoute Kind = "inroutes"
	// KindOutboundRoute keeps the outbound routes by dialled prefix.
	KindOutboundRoute Kind = "outroutes"
)

// The message keys of the route checks (firmware/i18n/store.go).
const (
	codePattern     = "store.err.pattern"
	codeTarget      = "store.err.target"
	codeGateway     = "store.err.gateway"
	codeFeatureCode = "store.err.feature_code"
)

// MaxRouteOrder bounds InboundRoute.Order and OutboundRoute.Order.
const MaxRouteOrder = 9999

// MaxRouteGateways bounds OutboundRoute.Gateways.
const MaxRouteGateways = 16

// Route target kinds: the "kind:" of InboundRoute.Target, the same as
// acd/dialplan's target kinds.
var RouteTargetKinds = []string{"ext", "queue", "flow", "external", "voicemail"}

// InboundRoute sends calls arriving on lines and trunks to a target.
// Empty match fields match anything. Key: Name.
type InboundRoute struct {
	Name string `json:"name"`
	// Order ranks the stored routes: lower first, then by name. Stored
	// routes come before each line's own route.
	Order int `json:"order,omitempty"`
	// Via limits the route to one line ID or trunk name.
	Via string `json:"via,omitempty"`
	// DID is a pattern of the dialled number (DNIS), such as "80001234"
	// or "_8000XXXX".
	DID string `json:"did,omitempty"`
	// Caller is a pattern of the caller's number ("_138.").
	Caller string `json:"caller,omitempty"`
	// Target is "kind:value": "ext:201", "queue:sales", "flow:main",
	// "external:13800138000", "voicemail:201".
	Target string `json:"target"`
}

// Kind implements Record.
func (InboundRoute) Kind() Kind { return KindInboundRoute }

// Key implements Record.
func (r InboundRoute) Key() string { return r.Name }

// Validate implements Record.
func (r InboundRoute) Validate() error {
	var f fields
	f.name("name", r.Name)
	f.intRange("order", r.Order, 0, MaxRouteOrder)
	if r.Via != "" {
		f.name("via", r.Via)
	}
	f.pattern("did", r.DID)
	f.pattern("caller", r.Caller)
	f.target("target", r.Target)
	return f.result(KindInboundRoute, r.Name)
}

// OutboundRoute sends numbers dialled by extensions out over trunks and
// lines, tried in order. Key: Name.
type OutboundRoute struct {
	Name string `json:"name"`
	// Order ranks the routes: lower first, then by name.
	Order int `json:"order,omitempty"`
	// Pattern is what the dialled number must match ("_9.", "_1NXXNXXXXXX").
	Pattern string `json:"pattern"`
	// Strip is how many leading digits to remove (an access code "9").
	Strip int `json:"strip,omitempty"`
	// Prepend is added in front after stripping (a carrier prefix).
	Prepend string `json:"prepend,omitempty"`
	// CallerID, when set, is the number presented instead of the
	// extension's.
	CallerID string `json:"callerId,omitempty"`
	// CallerPrepend is put in front of the extension number when
	// CallerID is empty (a DID block: "8610" + "201").
	CallerPrepend string `json:"callerPrepend,omitempty"`
	// From is a pattern of the extensions allowed to use the route;
	// empty allows all.
	From string `json:"from,omitempty"`
	// Gateways are "trunk:name" or "line:id", tried in order until one
	// takes the call.
	Gateways []string `json:"gateways"`
}

// Kind implements Record.
func (OutboundRoute) Kind() Kind { return KindOutboundRoute }

// Key implements Record.
func (r OutboundRoute) Key() string { return r.Name }

// Validate implements Record.
func (r OutboundRoute) Validate() error {
	var f fields
	f.name("name", r.Name)
	f.intRange("order", r.Order, 0, MaxRouteOrder)
	if r.Pattern == "" {
		f.add("pattern", codeRequired)
	}
	f.pattern("pattern", r.Pattern)
	f.intRange("strip", r.Strip, 0, 20)
	if r.Prepend != "" && !isDialChars(r.Prepend, 20) {
		f.add("prepend", codeNumber)
	}
	f.dialable("callerId", r.CallerID, false)
	if r.CallerPrepend != "" && !isDialChars(r.CallerPrepend, 20) {
		f.add("callerPrepend", codeNumber)
	}
	f.pattern("from", r.From)
	switch {
	case len(r.Gateways) == 0:
		f.add("gateways", codeRequired)
	case len(r.Gateways) > MaxRouteGateways:
		f.add("gateways", codeTooLong, MaxRouteGateways)
	}
	for i, g := range r.Gateways {
		k, v, ok := strings.Cut(g, ":")
		if !ok || (k != "trunk" && k != "line") || !isName(v) {
			f.add(indexed("gateways", i), codeGateway)
		}
	}
	noDuplicates(&f, "gateways", r.Gateways)
	return f.result(KindOutboundRoute, r.Name)
}

// FeatureNames are the features Settings.FeatureCodes may set, the same
// as acd/dialplan's features.
var FeatureNames = []string{"voicemail", "pickup", "directed-pickup", "dnd-on", "dnd-off",
	"agent-login", "agent-logout", "agent-pause", "agent-unpause"}

// MaxEmergencyNumbers bounds Settings.Emergency.
const MaxEmergencyNumbers = 8

// validateDialplan checks the dialplan fields of Settings.
func (r Settings) validateDialplan(f *fields) {
	for name, code := range r.FeatureCodes {
		field := "featureCodes." + name
		known := false
		for _, n := range FeatureNames {
			known = known || n == name
		}
		if !known {
			f.add(field, codeOneOf, strings.Join(FeatureNames, ", "))
			continue
		}
		if code != "" && !isDialChars(code, 8) {
			f.add(field, codeFeatureCode, 8)
		}
	}
	if len(r.Emergency) > MaxEmergencyNumbers {
		f.add("emergency", codeTooLong, MaxEmergencyNumbers)
	}
	for i, n := range r.Emergency {
		f.digits(indexed("emergency", i), n, true, 2, 8)
	}
	noDuplicates(f, "emergency", r.Emergency)
	f.dialable("emergencyCallerId", r.EmergencyCallerID, false)
}

// isDialChars reports whether v is 1 to max digits, '*' or '#' (a
// feature code, a prefix).
func isDialChars(v string, max int) bool {
	if len(v) == 0 || len(v) > max {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < '0' || c > '9') && c != '*' && c != '#' {
			return false
		}
	}
	return true
}

// pattern checks the form of a dialplan number pattern: a literal
// number, or '_' then digits, X Z N, [sets], '.', '!', '*', '#', '+';
// at most 64 characters. Empty passes (it matches anything).
func (f *fields) pattern(field, v string) {
	if v == "" {
		return
	}
	if len(v) > 64 {
		f.add(field, codePattern, 64)
		return
	}
	allowed := "0123456789*#+"
	s := v
	if v[0] == '_' {
		allowed += "XZNxzn[]-.!"
		s = v[1:]
	}
	if s == "" {
		f.add(field, codePattern, 64)
		return
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(allowed, s[i]) < 0 {
			f.add(field, codePattern, 64)
			return
		}
	}
}

// target checks a "kind:value" route target.
func (f *fields) target(field, v string) {
	if v == "" {
		f.add(field, codeRequired)
		return
	}
	k, val, ok := strings.Cut(v, ":")
	known := false
	for _, t := range RouteTargetKinds {
		known = known || t == k
	}
	if !ok || !known || val == "" || len(val) > 64 {
		f.add(field, codeTarget, strings.Join(RouteTargetKinds, ", "))
		return
	}
	switch k {
	case "ext", "external", "voicemail":
		if !isDialChars(strings.TrimPrefix(val, "+"), 20) {
			f.add(field, codeTarget, strings.Join(RouteTargetKinds, ", "))
		}
	default:
		if !isName(val) {
			f.add(field, codeTarget, strings.Join(RouteTargetKinds, ", "))
		}
	}
}

func init() {
	recordVersions[KindInboundRoute] = 1
	codecs[KindInboundRoute] = codecFor[InboundRoute]()
	recordVersions[KindOutboundRoute] = 1
	codecs[KindOutboundRoute] = codecFor[OutboundRoute]()
}
