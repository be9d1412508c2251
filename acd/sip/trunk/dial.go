package trunk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/acd/sip/b2bua"
	"callbox/firmware/store"
	"callbox/media"
)

// ErrNotTrunk is returned by a Gateway dialer for gateways that are not
// "trunk:<name>".
var ErrNotTrunk = errors.New("trunk: not a trunk gateway")

// ErrNotRunning is returned by Dial before Run has started, or after it
// returned.
var ErrNotRunning = errors.New("trunk: set not running")

// Dial places a call to number over the trunk called trunkName and
// returns the leg once answered; callerLeg (may be nil) gets the early
// media and, when it is a b2bua.Ringer, hears of ringing. Refusals carry
// a cause (acd.CauseOf). Those of the trunk rather than the number are
// Retryable, so acd.DialInOrder fails over: no route for an unknown
// trunk, network out of order for a disabled one or one down by OPTIONS
// (at once, nothing is sent), no circuit at MaxChannels, a temporary
// failure when the carrier refuses the credentials.
func (s *Set) Dial(ctx context.Context, trunkName, number string, caller acd.Party, callerLeg acd.Leg) (acd.Leg, error) {
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	if base == nil || base.Err() != nil {
		return nil, &acd.CauseError{Cause: acd.CauseNetworkOutOfOrder, Err: ErrNotRunning}
	}
	e := s.entry(trunkName)
	if e == nil {
		return nil, &acd.CauseError{Cause: acd.CauseNoRoute, Err: fmt.Errorf("trunk %q: no such trunk", trunkName)}
	}
	if !e.up() {
		return nil, &acd.CauseError{Cause: acd.CauseNetworkOutOfOrder, Err: fmt.Errorf("trunk %s is disabled or down", trunkName)}
	}
	if !store.IsDialable(number) {
		return nil, &acd.CauseError{Cause: acd.CauseInvalidNumberFormat, Err: fmt.Errorf("trunk %s: %q is not a number", trunkName, number)}
	}
	if !e.claimChannel() {
		return nil, &acd.CauseError{Cause: acd.CauseNoCircuitAvailable,
			Err: fmt.Errorf("trunk %s: all %d channels busy", trunkName, e.rec.MaxChannels)}
	}
	tc := e.call(e.rec.Prefix+s.wireNumber(e.rec, number), caller, s.localAddr().Addr().String())
	tc.RingTimeout = s.cfg.RingTimeout
	leg, err := s.b2b.DialTrunk(ctx, tc, callerLeg)
	if err != nil {
		e.releaseChannel()
		if c, ok := acd.CauseOf(err); ok && c.Retryable() {
			e.setLastErr(err.Error())
		}
		return nil, err
	}
	// The channel is free again when the call ends; Run waits for the
	// watcher, and once Run is stopping nobody counts channels any more.
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		e.releaseChannel()
		return leg, nil
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer e.releaseChannel()
		select {
		case <-leg.Done():
		case <-base.Done():
		}
	}()
	return leg, nil
}

// wireNumber writes number as trunk t wants it in the Request-URI
// (NumberFormat), by the site's numbering plan as it is now: the country
// is read per call, so a settings change applies to the next call.
func (s *Set) wireNumber(t store.Trunk, number string) string {
	if t.NumberFormat == "" {
		return number
	}
	set, err := store.GetSettings(s.st)
	if err != nil {
		s.log.Warn("trunk number format: settings unreadable, number sent as dialled", "trunk", t.Name, "err", err)
		return number
	}
	return dialplan.FormatNumber(dialplan.NumberingFor(set.Country), number, dialplan.NumberFormat(t.NumberFormat))
}

// Gateway adapts Dial to an acd.Dialer for acd.DialInOrder, over
// gateways named "trunk:<name>"; others fail with ErrNotTrunk (a
// temporary failure, so the order goes on).
func (s *Set) Gateway(number string, caller acd.Party, callerLeg acd.Leg) acd.Dialer {
	return func(ctx context.Context, gateway string) (acd.Leg, error) {
		name, ok := strings.CutPrefix(gateway, "trunk:")
		if !ok {
			return nil, &acd.CauseError{Cause: acd.CauseNoRoute, Err: fmt.Errorf("%w: %q", ErrNotTrunk, gateway)}
		}
		return s.Dial(ctx, name, number, caller, callerLeg)
	}
}

// call prepares the INVITE of one call to number: where it goes and
// how the caller is presented.
func (e *entry) call(number string, caller acd.Party, localHost string) b2bua.TrunkCall {
	t := e.rec
	tc := b2bua.TrunkCall{Trunk: t.Name, Number: number, Host: t.Host, Port: t.Port, Transport: string(t.Transport),
		Destination: e.destination(), Username: t.Username, Password: t.Secret}
	for _, c := range t.Codecs {
		switch c {
		case "PCMA":
			tc.Codecs = append(tc.Codecs, media.PCMA)
		case "PCMU":
			tc.Codecs = append(tc.Codecs, media.PCMU)
		}
	}
	p := present(t, caller)
	tc.FromHost = t.FromDomain
	if tc.FromHost == "" {
		tc.FromHost = localHost
		if t.Register {
			tc.FromHost = t.Host
		}
	}
	tc.FromUser, tc.FromName, tc.Privacy = p.fromUser, p.fromName, p.privacy
	if p.privacy {
		tc.FromHost = "anonymous.invalid" // RFC 3323 §4.1.1.3
	}
	if p.asserted != "" {
		tc.AssertedIdentity = "<sip:" + p.asserted + "@" + assertHost(t, localHost) + ">"
		if p.name != "" && !p.privacy {
			tc.AssertedIdentity = `"` + b2bua.DisplayName(p.name) + `" ` + tc.AssertedIdentity
		}
	}
	return tc
}

// presentation is how one outbound call shows its caller.
type presentation struct {
	fromUser, fromName string
	// asserted is the number for P-Asserted-Identity; empty for none.
	asserted string
	name     string
	privacy  bool
}

// present decides the caller ID of an outbound call over t:
//   - the number: "fixed" (default) is the trunk's CallerID, falling
//     back to the caller's; "passthrough" is the caller's (as the router
//     passes it), falling back to the trunk's CallerID;
//   - Privacy, or no number at all, withholds it: From anonymous
//     (RFC 3323), "Privacy: id", the number only in P-Asserted-Identity;
//   - AssertIdentity adds P-Asserted-Identity (RFC 3325) with the number.
func present(t store.Trunk, caller acd.Party) presentation {
	number := t.CallerID
	if t.CallerIDMode == store.CallerIDPassthrough || number == "" {
		if caller.Number != "" && store.IsDialable(caller.Number) {
			number = caller.Number
		}
		if number == "" {
			number = t.CallerID
		}
	}
	p := presentation{fromUser: number, fromName: caller.Name, name: caller.Name}
	if t.Privacy || number == "" {
		p.fromUser, p.fromName, p.privacy = "anonymous", "Anonymous", true
	}
	if number != "" && (t.AssertIdentity || p.privacy) {
		p.asserted = number
	}
	return p
}

func assertHost(t store.Trunk, localHost string) string {
	if t.FromDomain != "" {
		return t.FromDomain
	}
	if t.Register {
		return t.Host
	}
	return localHost
}
