// Package acd is the call brain of callbox: it holds the types every
// source of calls shares (Leg, Party, Cause), the Switch that runs one
// goroutine per call, and the typed in-process event bus.
//
// A source of calls (acd/sip for phones and trunks, drivers/linecard for
// PSTN lines, drivers/modem for GSM) wraps each inbound call in a Leg and
// hands it to Switch.Accept. The switch creates a Call and runs the
// configured Handler in its own goroutine, the way net/http runs a
// handler per request:
//
//	sw := acd.NewSwitch(func(ctx context.Context, c *acd.Call) error {
//		if err := c.Answer(ctx); err != nil {
//			return err
//		}
//		other, err := dial(ctx, "201")
//		if err != nil {
//			return acd.Reject(acd.CauseNoRoute)
//		}
//		return c.Bridge(ctx, other) // blocks until either side hangs up
//	}, acd.WithBus(bus))
//
// The handler's context is cancelled when the caller hangs up (or the
// switch shuts down), so every blocking feature inside it (IVR prompts,
// queue waits, bridges) returns at once. When the handler returns, the
// switch hangs up whatever legs are still up, stamps the end time and
// publishes CallEnded. Every state change goes out on the Bus as a typed
// event; CDRs, reports, the SSE stream and HA replication subscribe.
//
// While a call is bridged, its features change the bridge from outside
// the handler (a SIP request, the CTI API): Replace puts a new party in a
// leaving one's place (transfer), Release moves a leg to another call,
// Park keeps a call up while a transferor leaves, Hold plays the switch's
// MusicOnHold to the held party, and Conference mixes three and more
// parties with media/mix. One loop per bridge applies them in order.
//
// Switch.Calls returns plain records of the active calls (CallRecord),
// the state the web status page shows and the standby replicates.
package acd
