package b2bua_test

import (
	"context"
	"log"
	"net/netip"
	"strings"

	"callbox/acd"
	"callbox/acd/dialplan"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/firmware/store"
	"callbox/media/prompt"
	"callbox/media/relay"
	"callbox/media/rtp"
)

// The wiring the firmware does: the SIP server and the switch first,
// the B2BUA on both before the server runs, then every service runs
// under one context. The switch's handler reaches the B2BUA through a
// closure because each needs the other.
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
	var calls *b2bua.B2BUA
	// Held parties hear the "please-hold" prompt (or an installer's
	// music uploaded in its place) in a loop.
	lib := prompt.NewLibrary("/var/lib/callbox/prompts")
	sw := acd.NewSwitch(func(ctx context.Context, c *acd.Call) error { return calls.Handle(ctx, c) },
		acd.WithMusicOnHold(acd.PromptMusic(lib, "en", "please-hold")))
	plan, err := dialplan.Compile(dialplan.Config{Country: "cn", Extensions: []string{"201", "202"}})
	if err != nil {
		log.Fatal(err)
	}
	calls, err = b2bua.New(st, srv, sw, ports,
		b2bua.WithPlan(func() *dialplan.Plan { return plan }),
		b2bua.WithFallback(func(ctx context.Context, c *acd.Call) error {
			// The firmware's router: queues, IVR, trunks, and feature
			// codes such as pickup ("*8201" rings out of 201's phone).
			if target, ok := strings.CutPrefix(c.Dialed(), "*8"); ok {
				return calls.Pickup(ctx, c, target)
			}
			return acd.Reject(acd.CauseNoRoute)
		}),
		// A REFER to an outside number goes out the way the router dials.
		b2bua.WithTransfer(func(ctx context.Context, c *acd.Call, target string, party acd.Leg) (acd.Leg, error) {
			return calls.Dial(ctx, target, party.Caller(), nil)
		}))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	go func() { _ = srv.Run(ctx) }()
	go func() { _ = sw.Run(ctx) }()
	go func() { _ = calls.Run(ctx) }()
}
