package trunk_test

import (
	"context"
	"log"
	"net/netip"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/acd/sip/trunk"
	"callbox/firmware/store"
	"callbox/media/relay"
	"callbox/media/rtp"
)

// The wiring the firmware does: the SIP server, the switch and the
// B2BUA as usual, then the trunks on both, all before the server runs.
// The router dials out with Set.Dial (or Gateway for acd.DialInOrder).
func Example() {
	st, err := store.Open("/var/lib/callbox/callbox.db")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := acdsip.New(st, acdsip.Config{UDP: "192.0.2.10:5060"})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := relay.NewEngine(relay.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ports, err := rtp.NewPorts(eng, netip.MustParseAddr("192.0.2.10"), 10000, 19999)
	if err != nil {
		log.Fatal(err)
	}
	var trunks *trunk.Set
	sw := acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
		// The router's outbound step, over two trunks in order.
		leg, _, err := acd.DialInOrder(ctx, []string{"trunk:carrier", "trunk:backup"},
			trunks.Gateway(c.Dialed(), acd.Party{}, c.Caller()))
		if err != nil {
			return err
		}
		return c.Bridge(ctx, leg)
	})
	calls, err := b2bua.New(st, srv, sw, ports)
	if err != nil {
		log.Fatal(err)
	}
	trunks, err = trunk.New(st, srv, calls, trunk.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	go func() { _ = srv.Run(ctx) }()
	go func() { _ = sw.Run(ctx) }()
	go func() { _ = calls.Run(ctx) }()
	go func() { _ = trunks.Run(ctx) }()
	for _, s := range trunks.Status() {
		log.Printf("%s: %s, registered %v, rtt %v", s.Name, s.Health, s.Registered, s.RTT)
	}
}
