package dialplan

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"callbox/acd"
)

// Facts are what the dialplan knows about a new call.
type Facts struct {
	Source acd.Source // where the call came from
	Via    string     // the line ID, trunk name or calling extension
	Caller string     // the caller's number
	Dialed string     // the dialled number (DNIS for inbound calls)
}

// Action is what a Decision tells the handler to do.
type Action string

// The actions.
const (
	ActionEmergency Action = "emergency" // dial Number over Gateways, no questions asked
	ActionFeature   Action = "feature"   // run Feature with Arg
	ActionExtension Action = "extension" // ring Target (an extension)
	ActionInbound   Action = "inbound"   // send an outside call to Target
	ActionOutbound  Action = "outbound"  // dial Number over Gateways in order
	ActionReject    Action = "reject"    // refuse with Cause
)

// Decision is the dialplan's answer for one call.
type Decision struct {
	Action Action
	// Rule names the rule that decided, for logs and CDR routes:
	// "emergency", "feature:voicemail", "extension", "inbound:<name>",
	// "outbound:<name>" ("outbound:<name>(as <Number>)" for an E.164
	// number sent in the site's dialled form), or why nothing did.
	Rule    string
	Target  Target
	Feature Feature
	Arg     string
	Number  string // the number to send out, after strip/prepend
	// Dialed is the E.164 number dialled when the plan sent it out in
	// the site's dialled form (Number); "" when it went out as dialled.
	Dialed   string
	CallerID string    // the number to present out; "" leaves the gateway's
	Gateways []Gateway // in failover order
	Cause    acd.Cause // for ActionReject
}

// Plan is a compiled Config. It is immutable: a configuration change
// compiles a new Plan, and calls already routed keep theirs.
type Plan struct {
	cfg        Config
	emergency  []string
	emergGw    []Gateway
	extensions map[string]bool
	features   []featureCode // longest code first
	inbound    []inbound
	outbound   []outbound
	inside     []step
	outside    []step
}

// step is one rule kind: it decides, or passes to the next.
type step func(Facts) (Decision, bool)

type featureCode struct {
	feature Feature
	code    string
}

type inbound struct {
	route       InboundRoute
	did, caller Pattern // zero: any
}

type outbound struct {
	route   OutboundRoute
	pattern Pattern
	from    Pattern // zero: any
}

// ErrConfig is wrapped by every Compile error.
var ErrConfig = errors.New("dialplan: bad configuration")

// Compile checks a Config and prepares it for Decide.
func Compile(c Config) (*Plan, error) {
	p := &Plan{cfg: c, extensions: map[string]bool{}}
	p.emergency = c.Emergency
	if len(p.emergency) == 0 {
		p.emergency = EmergencyNumbers(c.Country)
	}
	for _, n := range p.emergency {
		if _, err := CompilePattern(n); err != nil || strings.HasPrefix(n, "_") {
			return nil, fmt.Errorf("%w: emergency number %q", ErrConfig, n)
		}
	}
	for _, e := range c.Extensions {
		if pat, err := CompilePattern(e); err != nil || pat.elems != nil {
			return nil, fmt.Errorf("%w: extension %q", ErrConfig, e)
		}
		p.extensions[e] = true
	}
	codes := c.Features
	if codes == nil {
		codes = DefaultFeatureCodes()
	}
	seen := map[string]Feature{}
	for f, code := range codes {
		if code == "" {
			continue
		}
		if pat, err := CompilePattern(code); err != nil || pat.elems != nil {
			return nil, fmt.Errorf("%w: feature %s code %q", ErrConfig, f, code)
		}
		if other, dup := seen[code]; dup {
			return nil, fmt.Errorf("%w: features %s and %s share code %q", ErrConfig, other, f, code)
		}
		seen[code] = f
		p.features = append(p.features, featureCode{f, code})
	}
	slices.SortFunc(p.features, func(a, b featureCode) int {
		if d := len(b.code) - len(a.code); d != 0 {
			return d
		}
		return strings.Compare(a.code, b.code)
	})
	for i, r := range c.Inbound {
		in := inbound{route: r}
		var err error
		if r.DID != "" {
			if in.did, err = CompilePattern(r.DID); err != nil {
				return nil, fmt.Errorf("%w: inbound route %d (%s): %w", ErrConfig, i+1, r.Name, err)
			}
		}
		if r.Caller != "" {
			if in.caller, err = CompilePattern(r.Caller); err != nil {
				return nil, fmt.Errorf("%w: inbound route %d (%s): %w", ErrConfig, i+1, r.Name, err)
			}
		}
		if _, err := ParseTarget(r.Target.String()); err != nil {
			return nil, fmt.Errorf("%w: inbound route %d (%s): %w", ErrConfig, i+1, r.Name, err)
		}
		p.inbound = append(p.inbound, in)
	}
	for i, r := range c.Outbound {
		out := outbound{route: r}
		var err error
		if out.pattern, err = CompilePattern(r.Pattern); err != nil {
			return nil, fmt.Errorf("%w: outbound route %d (%s): %w", ErrConfig, i+1, r.Name, err)
		}
		if r.From != "" {
			if out.from, err = CompilePattern(r.From); err != nil {
				return nil, fmt.Errorf("%w: outbound route %d (%s): %w", ErrConfig, i+1, r.Name, err)
			}
		}
		if r.Strip < 0 || r.Strip > out.pattern.Fixed() {
			return nil, fmt.Errorf("%w: outbound route %d (%s): strip %d beyond the pattern's fixed digits",
				ErrConfig, i+1, r.Name, r.Strip)
		}
		if len(r.Gateways) == 0 {
			return nil, fmt.Errorf("%w: outbound route %d (%s): no gateways", ErrConfig, i+1, r.Name)
		}
		for _, g := range r.Gateways {
			if (g.Kind != GatewayTrunk && g.Kind != GatewayLine) || g.Name == "" {
				return nil, fmt.Errorf("%w: outbound route %d (%s): gateway %q", ErrConfig, i+1, r.Name, g)
			}
			if !slices.Contains(p.emergGw, g) {
				p.emergGw = append(p.emergGw, g)
			}
		}
		p.outbound = append(p.outbound, out)
	}
	p.inside, p.outside = p.insideSteps(), p.outsideSteps()
	return p, nil
}

// Decide routes one call. It is a pure function of the plan and the
// facts; the steps are tried in the order of the table below, and the
// first that decides wins.
func (p *Plan) Decide(f Facts) Decision {
	if f.Dialed == "" || !validNumber(f.Dialed) {
		return reject("invalid-number", causeInvalid)
	}
	steps := p.outside
	if f.Source == acd.SourceExtension {
		steps = p.inside
	}
	for _, step := range steps {
		if d, ok := step(f); ok {
			return d
		}
	}
	if f.Source == acd.SourceExtension {
		return reject("no-route", causeUnknown)
	}
	return reject("no-inbound-route", causeNoRoute)
}

// insideSteps is the order for calls placed by extensions.
func (p *Plan) insideSteps() []step {
	return []step{
		p.emergencyStep, // always allowed, before anything else
		p.featureStep,
		p.extensionStep,
		p.outboundStep,
	}
}

// outsideSteps is the order for calls arriving on lines and trunks.
func (p *Plan) outsideSteps() []step {
	return []step{
		p.inboundStep,
	}
}

func (p *Plan) emergencyStep(f Facts) (Decision, bool) {
	if !slices.Contains(p.emergency, f.Dialed) {
		return Decision{}, false
	}
	if len(p.emergGw) == 0 {
		return reject("emergency-no-gateway", acd.CauseNoCircuitAvailable), true
	}
	return Decision{Action: ActionEmergency, Rule: "emergency", Number: f.Dialed,
		CallerID: p.cfg.EmergencyCallerID, Gateways: slices.Clone(p.emergGw)}, true
}

func (p *Plan) featureStep(f Facts) (Decision, bool) {
	for _, fc := range p.features {
		arg, ok := strings.CutPrefix(f.Dialed, fc.code)
		if !ok || !allDigits(arg) {
			continue
		}
		return Decision{Action: ActionFeature, Rule: "feature:" + string(fc.feature), Feature: fc.feature, Arg: arg}, true
	}
	return Decision{}, false
}

func (p *Plan) extensionStep(f Facts) (Decision, bool) {
	if !p.extensions[f.Dialed] {
		return Decision{}, false
	}
	return Decision{Action: ActionExtension, Rule: "extension", Target: Target{TargetExtension, f.Dialed}}, true
}

// outboundStep matches the outbound routes in order. An E.164 number
// ("+8613800138000") is matched as dialled first, so that routes written
// for "+" win; then each route is tried with the number in the forms a
// phone of the site dials it (Outward), behind the route's access code
// when the route strips one.
func (p *Plan) outboundStep(f Facts) (Decision, bool) {
	d, ok, barred := p.matchOutbound(f, func(o outbound) (string, bool) {
		return f.Dialed, o.pattern.Match(f.Dialed)
	})
	if ok {
		return d, true
	}
	if forms := Outward(p.cfg.Numbering, f.Dialed); len(forms) > 0 {
		d, mapped, barred2 := p.matchOutbound(f, func(o outbound) (string, bool) {
			access, ok := o.pattern.prefix(o.route.Strip)
			if !ok {
				return "", false
			}
			for _, form := range forms {
				if n := access + form; o.pattern.Match(n) {
					return n, true
				}
			}
			return "", false
		})
		if mapped {
			d.Dialed = f.Dialed
			d.Rule += "(as " + d.Number + ")"
			return d, true
		}
		barred = barred || barred2
	}
	if barred {
		return reject("outbound-barred", causeBarred), true
	}
	return Decision{}, false
}

// matchOutbound tries the routes in order: match says whether a route
// takes the call and with which number (before strip and prepend). It
// reports the first route allowed for f.Via, and whether a route that
// matched was barred to it.
func (p *Plan) matchOutbound(f Facts, match func(outbound) (string, bool)) (d Decision, ok, barred bool) {
	for _, o := range p.outbound {
		number, ok := match(o)
		if !ok {
			continue
		}
		if !o.from.IsZero() && !o.from.Match(f.Via) {
			barred = true
			continue
		}
		r := o.route
		d := Decision{Action: ActionOutbound, Rule: "outbound:" + r.Name,
			Number: r.Prepend + number[r.Strip:], Gateways: slices.Clone(r.Gateways)}
		switch {
		case r.CallerID != "":
			d.CallerID = r.CallerID
		case r.CallerPrepend != "":
			d.CallerID = r.CallerPrepend + f.Via
		}
		return d, true, barred
	}
	return Decision{}, false, barred
}

func (p *Plan) inboundStep(f Facts) (Decision, bool) {
	for _, in := range p.inbound {
		r := in.route
		if r.Via != "" && r.Via != f.Via {
			continue
		}
		if !in.did.IsZero() && !in.did.Match(f.Dialed) {
			continue
		}
		if !in.caller.IsZero() && !in.caller.Match(f.Caller) {
			continue
		}
		return Decision{Action: ActionInbound, Rule: "inbound:" + r.Name, Target: r.Target}, true
	}
	return Decision{}, false
}

func reject(rule string, c acd.Cause) Decision {
	return Decision{Action: ActionReject, Rule: rule, Cause: c}
}

func validNumber(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDial(s[i]) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
