package firmware

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/acd/cdr"
	"callbox/acd/dialplan"
	"callbox/acd/pbx"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/drivers/linecard"
	"callbox/firmware/store"
	"callbox/media/relay"
	"callbox/media/rtp"
)

// telephony is the SIP switch of the box: media relay, SIP listeners,
// the call switch with its router, the B2BUA, PSTN lines and the CDR
// writer. buildTelephony makes it; its services run in this order and
// stop in reverse.
type telephony struct {
	engine *relay.Engine
	ports  *rtp.Ports
	srv    *acdsip.Server
	bus    *acd.Bus
	sw     *acd.Switch
	b2b    *b2bua.B2BUA
	plans  *pbx.Plans
	router *pbx.Router
	// control is the CTI API's call control over the switch.
	control *pbx.Control
	cdr     *cdr.Writer
	// agentLog keeps agent state changes for the reports.
	agentLog *agent.Log
	lines    *linecard.Lines
	// acdLines are the lines as the switch sees them, by store line ID
	// (or channel ID for a line the store does not name).
	acdLines map[string]*acd.Line
	lineIDs  []string // in channel order
	devices  map[string]string
	// gateways dial out, by kind; the router holds the same map.
	gateways map[dialplan.GatewayKind]pbx.GatewayDialer
	// route holds the targets other parts of the box provide (wired.go).
	route pbx.Config
	parts parts

	services []Service
}

// sipAddrs are the SIP listen addresses from --sip: UDP and TCP on it, TLS
// on the next port (port 0 stays 0: any free port).
func sipAddrs(addr string, tlsPort int) (host netip.Addr, udp, tls string, wildcard bool, err error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.Addr{}, "", "", false, fmt.Errorf("%w %q: %w", ErrBadAddr, addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return netip.Addr{}, "", "", false, fmt.Errorf("%w %q", ErrBadAddr, addr)
	}
	if h == "" {
		h = "0.0.0.0"
	}
	host, err = netip.ParseAddr(h)
	if err != nil {
		ips, lerr := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", h)
		if lerr != nil || len(ips) == 0 {
			return netip.Addr{}, "", "", false, fmt.Errorf("%w %q: %q does not resolve", ErrBadAddr, addr, h)
		}
		host = ips[0]
	}
	if tlsPort == 0 && port != 0 {
		tlsPort = port + 1
	}
	return host, netip.AddrPortFrom(host, uint16(port)).String(), netip.AddrPortFrom(host, uint16(tlsPort)).String(),
		host.IsUnspecified(), nil
}

// mediaAddr is the address RTP binds to: the SIP address, or for a
// wildcard SIP address the first global unicast IPv4 address of the box
// (loopback when it has none).
func mediaAddr(sipHost netip.Addr) netip.Addr {
	if !sipHost.IsUnspecified() {
		return sipHost
	}
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && p.Addr().IsGlobalUnicast() {
				return p.Addr()
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}

// buildTelephony builds the switch and its parts; nothing listens for
// SIP until the services run (the simulated lines bind at once).
func (a *Appliance) buildTelephony() (*telephony, error) {
	cfg := a.cfg
	t := &telephony{acdLines: map[string]*acd.Line{}, devices: map[string]string{}}
	host, udp, tlsAddr, wildcard, err := sipAddrs(cfg.SIPAddr, cfg.SIPTLSPort)
	if err != nil {
		return nil, err
	}
	first, last, err := ParsePortRange(cfg.RTPPorts)
	if err != nil {
		return nil, err
	}
	if t.engine, err = relay.NewEngine(relay.Options{Logger: a.log}); err != nil {
		return nil, fmt.Errorf("media relay: %w", err)
	}
	fail := func(err error) (*telephony, error) {
		t.close()
		return nil, err
	}
	if t.ports, err = rtp.NewPorts(t.engine, mediaAddr(host), first, last); err != nil {
		return fail(fmt.Errorf("RTP ports: %w", err))
	}
	sipCfg := acdsip.Config{UDP: udp, TCP: udp, TLS: tlsAddr, AllowWildcard: wildcard,
		DataDir: cfg.DataDir, UserAgent: "callbox/" + cfg.Version, Realm: cfg.SIPDomain, MaxExpires: cfg.SIPMaxExpiry}
	if cfg.SIPRate > 0 {
		burst := int(min(5*cfg.SIPRate, 1e9))
		sipCfg.Guard.Rate, sipCfg.Guard.Burst = cfg.SIPRate, burst
		sipCfg.KnownRate, sipCfg.KnownBurst = cfg.SIPRate, burst
	}
	t.srv, err = acdsip.New(a.store, sipCfg, acdsip.WithLogger(a.log), acdsip.WithClock(a.now))
	if err != nil {
		return fail(err)
	}
	if t.plans, err = pbx.NewPlans(a.store, a.log); err != nil {
		return fail(fmt.Errorf("dialplan: %w", err))
	}
	t.bus = acd.NewBus(acd.WithBusClock(a.now), acd.WithBusLogger(a.log))
	t.cdr = cdr.New(a.store, t.bus, cdr.WithLogger(a.log))
	t.agentLog = agent.NewLog(a.store, t.bus, a.log)
	// The switch and the router need each other: the router is made once
	// the B2BUA exists, and the switch reaches it through this closure.
	var route acd.Handler = func(context.Context, *acd.Call) error { return acd.Reject(acd.CauseTemporaryFailure) }
	t.sw = acd.NewSwitch(func(ctx context.Context, c *acd.Call) error { return route(ctx, c) },
		acd.WithBus(t.bus), acd.WithClock(a.now), acd.WithLogger(a.log),
		// Call IDs sort by time, so the call records keyed by them are
		// read by date range (reports) instead of scanned whole.
		acd.WithIDs(func() string { return store.NewID(a.now()) }))
	// A blind transfer's target is reached as the site dials it: an
	// extension, or an outside number by the outbound routes.
	transfer := func(ctx context.Context, _ *acd.Call, target string, party acd.Leg) (acd.Leg, error) {
		return t.router.Reach(ctx, target, party.Caller(), party)
	}
	// A phone's transfers publish their stages (acd.CallHandoff) like the API's.
	transfer = pbx.PublishHandoffs(t.plans.Current, transfer)
	if t.b2b, err = b2bua.New(a.store, t.srv, t.sw, t.ports, b2bua.WithLogger(a.log),
		b2bua.WithPlan(t.plans.Current), b2bua.WithTransfer(transfer)); err != nil {
		return fail(err)
	}
	if err := t.openLines(a); err != nil {
		return fail(err)
	}
	t.gateways = map[dialplan.GatewayKind]pbx.GatewayDialer{dialplan.GatewayLine: t.dialLine}
	t.route = pbx.Config{Plan: t.plans.Current, Ring: t.b2b.RingExtension, Gateways: t.gateways,
		Store: a.store, Logger: a.log,
		// Outside calls are listened to for a fax machine's CNG tone while
		// they go on; a fax goes to the site's fax destination, if any.
		Listen: pbx.MediaListener,
		FaxDestination: func() string {
			s, err := store.GetSettings(a.store)
			if err != nil {
				return ""
			}
			return s.FaxDestination
		}}
	extra, err := a.wire(t)
	if err != nil {
		return fail(err)
	}
	if t.router, err = pbx.New(t.route); err != nil {
		return fail(err)
	}
	route = t.router.Handle
	t.control = pbx.NewControl(t.sw, t.router, t.b2b.Dial)
	// A blind transfer's target sees the customer by their directory name.
	t.control.SetDisplayName(t.parts.cti.DisplayName)
	// Media first and the CDR writer before the switch takes calls; SIP
	// before the B2BUA's background work; the lines last, once the switch
	// can take their calls.
	t.services = []Service{&mediaService{t.engine}, t.cdr, t.agentLog, t.plans, t.srv, t.b2b}
	t.services = append(t.services, extra.beforeSwitch...)
	t.services = append(t.services, t.sw, &linesService{sw: t.sw, lines: t.lineList()})
	t.services = append(t.services, extra.afterSwitch...)
	return t, nil
}

// openLines probes for line cards (simulated lines when there are none)
// and matches each channel to its store.Line record by device.
func (t *telephony) openLines(a *Appliance) error {
	recs, err := store.List[store.Line](a.store)
	if err != nil {
		return err
	}
	byDevice := map[string]store.Line{}
	sims := 0
	for _, l := range recs {
		byDevice[l.Device] = l
		if n, ok := strings.CutPrefix(l.Device, "sim:"); ok {
			if i, err := strconv.Atoi(n); err == nil && i > sims && i <= 16 {
				sims = i
			}
		}
	}
	sim := linecard.SimConfig{Lines: sims, BasePort: a.cfg.SimBasePort, Ports: t.ports, Now: a.now, Logger: a.log}
	if a.cfg.SimPeer != "" {
		sim.Peer = netip.MustParseAddrPort(a.cfg.SimPeer)
	}
	t.lines, err = linecard.Probe(linecard.ProbeConfig{Dir: a.cfg.DAHDIDir, Sim: sim, Logger: a.log})
	if err != nil && sim.BasePort != 0 {
		// The simulator's ports are taken (another box on this machine):
		// simulate on free ports rather than not at all.
		a.log.Warn("simulated lines: ports taken; using free ports", "base", sim.BasePort, "err", err)
		sim.BasePort = 0
		t.lines, err = linecard.Probe(linecard.ProbeConfig{Dir: a.cfg.DAHDIDir, Sim: sim, Logger: a.log})
	}
	if err != nil {
		return fmt.Errorf("lines: %w", err)
	}
	for _, ch := range t.lines.Channels {
		id := ch.ID()
		if rec, ok := byDevice[id]; ok {
			id = rec.ID
		}
		t.acdLines[id] = acd.NewLine(ch, id)
		t.lineIDs = append(t.lineIDs, id)
		t.devices[id] = ch.ID()
	}
	if t.lines.Sim != nil {
		for _, l := range t.lines.Sim.Lines() {
			a.log.Info("simulated PSTN line", "device", l.ID(), "sip", l.Addr().String())
		}
	}
	return nil
}

func (t *telephony) lineList() []*acd.Line {
	out := make([]*acd.Line, 0, len(t.lineIDs))
	for _, id := range t.lineIDs {
		out = append(out, t.acdLines[id])
	}
	return out
}

// dialLine is the router's dialer for "line:<id>" gateways.
func (t *telephony) dialLine(ctx context.Context, name, number string, caller acd.Party, _ acd.Leg) (acd.Leg, error) {
	l, ok := t.acdLines[name]
	if !ok {
		return nil, &acd.CauseError{Cause: acd.CauseNetworkOutOfOrder, Err: fmt.Errorf("line %s: no such channel", name)}
	}
	return l.Dial(ctx, number, caller.Number)
}

// close releases what buildTelephony opened and no service owns: the
// lines (their simulator's sockets) and the relay engine if its service
// never ran.
func (t *telephony) close() {
	if t.control != nil {
		t.control.Close() // consultations still going, and their watchers
	}
	if t.parts.modems != nil {
		_ = t.parts.modems.Close()
	}
	if t.lines != nil {
		_ = t.lines.Close()
	}
	if t.engine != nil {
		_ = t.engine.Close()
	}
}

// mediaService owns the relay engine: it runs first and stops last, and
// closing the engine ends every media socket still open.
type mediaService struct{ e *relay.Engine }

func (m *mediaService) Name() string { return "media" }

func (m *mediaService) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// linesService runs the PSTN lines' event loops (acd.RunLines).
type linesService struct {
	sw    *acd.Switch
	lines []*acd.Line
}

func (l *linesService) Name() string { return "lines" }

func (l *linesService) Run(ctx context.Context) error {
	if err := acd.RunLines(ctx, l.sw, l.lines); err != nil {
		return err
	}
	if ctx.Err() == nil && len(l.lines) > 0 {
		return errors.New("every line's channel closed")
	}
	<-ctx.Done()
	return nil
}
