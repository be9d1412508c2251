package trunk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"callbox/firmware/store"
)

// entry is one trunk as the Set runs it: its record, where the carrier
// is, and the state of its registration and health.
type entry struct {
	s   *Set
	rec store.Trunk
	// dest is the carrier's address (Host resolved, Port or the
	// transport's default); invalid when Host did not resolve.
	dest netip.AddrPort
	// nets are the sources counted as the carrier's.
	nets []netip.Prefix
	// token is the Contact user the box registers with: derived from the
	// trunk's secret, so only the registrar learns it, and stable across
	// restarts, so a binding the carrier still holds keeps working.
	token string

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	registered bool
	regErr     string
	regUntil   time.Time
	nextReg    time.Time
	health     Health
	rtt        time.Duration
	lastErr    string
	okRun      int       // answered pings in a row
	failRun    int       // unanswered pings in a row
	reg        regDialog // the registration's Call-ID, tag and CSeq

	// chans counts the outbound calls up; an edited trunk's new entry
	// takes it over, since its calls go on.
	chans *channels
}

// channels is a trunk's count of outbound calls.
type channels struct {
	mu sync.Mutex
	n  int
}

func (s *Set) newEntry(ctx context.Context, t store.Trunk) *entry {
	e := &entry{s: s, rec: t, health: HealthUnknown, chans: &channels{}}
	if t.OptionsInterval == 0 {
		e.health = HealthOff
	}
	if t.Register {
		sum := sha256.Sum256([]byte("callbox-trunk-contact\x00" + t.Name + "\x00" + t.Username + "\x00" + t.Secret))
		e.token = "cb" + hex.EncodeToString(sum[:8])
	}
	e.locate(ctx)
	return e
}

// locate resolves where the carrier is: the address requests go to and
// the sources counted as the carrier's. It reports whether they changed.
func (e *entry) locate(ctx context.Context) bool {
	t := e.rec
	port := t.Port
	if port == 0 {
		port = 5060
		if t.Transport == store.TransportTLS {
			port = 5061
		}
	}
	var dest netip.AddrPort
	var nets []netip.Prefix
	for _, a := range e.resolve(ctx) {
		if !dest.IsValid() {
			dest = netip.AddrPortFrom(a, uint16(port))
		}
		nets = append(nets, netip.PrefixFrom(a, a.BitLen()))
	}
	for _, a := range t.Addresses {
		if p, err := netip.ParsePrefix(a); err == nil {
			nets = append(nets, p.Masked())
		} else if ip, err := netip.ParseAddr(a); err == nil {
			ip = ip.Unmap()
			nets = append(nets, netip.PrefixFrom(ip, ip.BitLen()))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if dest == e.dest && slices.Equal(nets, e.nets) {
		return false
	}
	if !dest.IsValid() && e.dest.IsValid() {
		// A failed lookup keeps the last known place.
		return false
	}
	e.dest, e.nets = dest, nets
	return true
}

// relocateLoop resolves a trunk's host name again every
// Config.ResolveEvery, so a carrier that moves is still recognised and
// reached.
func (e *entry) relocateLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.s.clock.After(e.s.cfg.ResolveEvery):
		}
		if e.locate(ctx) {
			e.s.log.Info("trunk: carrier address changed", "trunk", e.rec.Name, "host", e.rec.Host)
			e.s.publishPeers()
		}
	}
}

// resolve finds Host's addresses (IPv4 first).
func (e *entry) resolve(ctx context.Context) []netip.Addr {
	if a, err := netip.ParseAddr(e.rec.Host); err == nil {
		return []netip.Addr{a.Unmap()}
	}
	ctx, cancel := context.WithTimeout(ctx, e.s.cfg.ResolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", e.rec.Host)
	if err != nil {
		e.s.log.Warn("trunk: host does not resolve", "trunk", e.rec.Name, "host", e.rec.Host, "error", err)
		e.setLastErr("resolve " + e.rec.Host + ": " + err.Error())
		return nil
	}
	var v4, v6 []netip.Addr
	for _, a := range addrs {
		if a = a.Unmap(); a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	return append(v4, v6...)
}

// destination is where requests go: the resolved address, or "" for
// sipgo to resolve Host itself.
func (e *entry) destination() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dest.IsValid() {
		return e.dest.String()
	}
	return ""
}

// start runs the trunk's loops: registration and health checks.
func (e *entry) start(ctx context.Context) {
	if !e.rec.Enabled {
		return
	}
	ctx, e.cancel = context.WithCancel(ctx)
	if e.rec.Register {
		e.wg.Go(func() { e.registerLoop(ctx) })
	}
	if e.rec.OptionsInterval > 0 {
		e.wg.Go(func() { e.healthLoop(ctx) })
	}
	if _, err := netip.ParseAddr(e.rec.Host); err != nil {
		e.wg.Go(func() { e.relocateLoop(ctx) })
	}
}

// stop ends the loops and removes the registration.
func (e *entry) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.wg.Wait()
	e.unregister()
}

func (e *entry) setLastErr(msg string) {
	e.mu.Lock()
	e.lastErr = msg
	e.mu.Unlock()
}

// up reports whether calls may go out: enabled, and not down by OPTIONS.
func (e *entry) up() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rec.Enabled && e.health != HealthDown
}

func (e *entry) status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := Status{Name: e.rec.Name, Enabled: e.rec.Enabled, Register: e.rec.Register, Registered: e.registered,
		RegisterError: e.regErr, RegisteredUntil: e.regUntil, NextRegister: e.nextReg, Health: e.health,
		RTT: e.rtt, LastError: e.lastErr, Channels: e.chans.count(), MaxChannels: e.rec.MaxChannels}
	if !e.rec.Enabled {
		st.Health = HealthOff
	}
	return st
}

// claimChannel takes one outbound channel; false at MaxChannels.
func (e *entry) claimChannel() bool {
	c := e.chans
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.rec.MaxChannels > 0 && c.n >= e.rec.MaxChannels {
		return false
	}
	c.n++
	return true
}

func (e *entry) releaseChannel() {
	e.chans.mu.Lock()
	e.chans.n--
	e.chans.mu.Unlock()
}

func (c *channels) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
