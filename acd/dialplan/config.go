package dialplan

import (
	"errors"
	"fmt"
	"strings"

	"callbox/acd"
	"callbox/acd/directory"
)

// Feature is a service reached by dialling a feature code.
type Feature string

// The features. Agent features are carried out by the ACD.
const (
	FeatureVoicemail      Feature = "voicemail"       // arg: mailbox (default: own)
	FeaturePickup         Feature = "pickup"          // group pickup
	FeatureDirectedPickup Feature = "directed-pickup" // arg: the ringing extension
	FeatureDNDOn          Feature = "dnd-on"
	FeatureDNDOff         Feature = "dnd-off"
	FeatureAgentLogin     Feature = "agent-login"  // arg: agent number (default: own)
	FeatureAgentLogout    Feature = "agent-logout" // arg: agent number
	FeatureAgentPause     Feature = "agent-pause"  // arg: reason code
	FeatureAgentUnpause   Feature = "agent-unpause"
)

// DefaultFeatureCodes are the codes a fresh box uses.
func DefaultFeatureCodes() map[Feature]string {
	return map[Feature]string{
		FeatureVoicemail:      "*97",
		FeaturePickup:         "*8",
		FeatureDirectedPickup: "**",
		FeatureDNDOn:          "*78",
		FeatureDNDOff:         "*79",
		FeatureAgentLogin:     "*45",
		FeatureAgentLogout:    "*46",
		FeatureAgentPause:     "*47",
		FeatureAgentUnpause:   "*48",
	}
}

// EmergencyNumbers are the numbers always allowed out, by country
// (store.Settings.Country).
func EmergencyNumbers(country string) []string {
	switch country {
	case "cn":
		return []string{"110", "119", "120", "122"}
	case "us":
		return []string{"911"}
	case "eu":
		return []string{"112"}
	case "uk":
		return []string{"999", "112"}
	}
	return []string{"112"}
}

// TargetKind is what an inbound route leads to.
type TargetKind string

// The target kinds.
const (
	TargetExtension TargetKind = "ext"
	TargetQueue     TargetKind = "queue"
	TargetFlow      TargetKind = "flow"
	TargetExternal  TargetKind = "external" // a number dialled out by the outbound routes
	TargetVoicemail TargetKind = "voicemail"
)

// Target is where an inbound call goes: "ext:201", "queue:sales",
// "flow:main", "external:13800138000", "voicemail:201".
type Target struct {
	Kind  TargetKind `json:"kind"`
	Value string     `json:"value"`
}

// String is the "kind:value" form, also the route step a CDR records.
func (t Target) String() string { return string(t.Kind) + ":" + t.Value }

// ErrTarget is wrapped by ParseTarget errors.
var ErrTarget = errors.New("dialplan: bad target")

// ParseTarget reads the "kind:value" form.
func ParseTarget(s string) (Target, error) {
	k, v, ok := strings.Cut(s, ":")
	if !ok || v == "" {
		return Target{}, fmt.Errorf("%w: %q: want kind:value", ErrTarget, s)
	}
	t := Target{Kind: TargetKind(k), Value: v}
	switch t.Kind {
	case TargetExtension, TargetExternal, TargetVoicemail:
		for i := 0; i < len(v); i++ {
			if !isDial(v[i]) {
				return Target{}, fmt.Errorf("%w: %q: not a number", ErrTarget, s)
			}
		}
	case TargetQueue, TargetFlow:
	default:
		return Target{}, fmt.Errorf("%w: %q: unknown kind %q", ErrTarget, s, k)
	}
	return t, nil
}

// InboundRoute sends calls from lines and trunks to a target. Empty
// fields match anything.
type InboundRoute struct {
	Name string `json:"name"`
	// Via limits the route to one line ID or trunk name.
	Via string `json:"via,omitempty"`
	// DID is a pattern of the dialled number (DNIS).
	DID string `json:"did,omitempty"`
	// Caller is a pattern of the caller's number ("_138." for a prefix).
	Caller string `json:"caller,omitempty"`
	Target Target `json:"target"`
}

// GatewayKind is what carries an outbound call.
type GatewayKind string

// The gateway kinds.
const (
	GatewayTrunk GatewayKind = "trunk"
	GatewayLine  GatewayKind = "line"
)

// Gateway is one trunk or line an outbound route may use.
type Gateway struct {
	Kind GatewayKind `json:"kind"`
	Name string      `json:"name"`
}

// String is "trunk:name" or "line:id".
func (g Gateway) String() string { return string(g.Kind) + ":" + g.Name }

// OutboundRoute sends numbers dialled by extensions out over gateways.
type OutboundRoute struct {
	Name string `json:"name"`
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
	// Gateways are tried in order until one takes the call.
	Gateways []Gateway `json:"gateways"`
}

// Config is the whole dialplan as the installer edits it.
type Config struct {
	// Country picks the default emergency numbers.
	Country string `json:"country"`
	// Numbering is the site's numbering plan: how its phones dial an
	// E.164 number (see Outward). FromRecords sets NumberingFor(Country);
	// the zero Plan leaves E.164 numbers to routes written for "+".
	Numbering directory.Plan `json:"numbering"`
	// Emergency overrides the country's emergency numbers when set.
	Emergency []string `json:"emergency,omitempty"`
	// EmergencyCallerID is the number presented on emergency calls (the
	// site's main number); empty leaves the gateway's default.
	EmergencyCallerID string `json:"emergencyCallerId,omitempty"`
	// Extensions are the internal extension numbers.
	Extensions []string `json:"extensions"`
	// Features maps each feature to its code; nil uses the defaults, and
	// a feature mapped to "" is switched off.
	Features map[Feature]string `json:"features,omitempty"`
	Inbound  []InboundRoute     `json:"inbound"`
	Outbound []OutboundRoute    `json:"outbound"`
}

// Validate compiles c and reports the first problem.
func (c Config) Validate() error {
	_, err := Compile(c)
	return err
}

// Causes of a rejection, named for the handler.
const (
	causeInvalid = acd.CauseInvalidNumberFormat
	causeNoRoute = acd.CauseNoRoute
	causeUnknown = acd.CauseUnallocatedNumber
	causeBarred  = acd.CauseCallRejected
)
