// Package pbx routes every call in the box. Its Router is the switch's
// acd.Handler: for each call it asks the current dialplan (Plans, rebuilt
// from the store whenever the configuration changes) and carries out the
// Decision in one ordered switch (router.go):
//
//	extension      ring it and bridge (the B2BUA's RingExtension)
//	emergency      dial out over the emergency gateways, in order
//	outbound       dial out over the route's gateways in order, with the
//	               route's caller-ID rule
//	inbound        an outside call from a line or trunk to its target:
//	               extension, queue, IVR flow, voicemail or an external
//	               number (sent out by the outbound routes)
//	feature        do-not-disturb, voicemail box, pickup, agent log-in,
//	               log-out, pause and unpause
//	reject         refuse with the dialplan's cause
//
// Everything the router reaches that belongs to another part of the box
// (ringing phones, gateways, queues, flows, voicemail, pickup, agent
// features) is a function field of Config, so the router depends on no
// one's internals and tests inject fakes. A target left nil is refused
// with a cause and logged, never faked.
//
// The router adds each step it takes to the call's route ("inbound:main",
// "outbound:default", "trunk:carrier"; the targets add theirs: "ext:201",
// "queue:sales", "flow:demo@v3"), which the CDR writer (acd/cdr) records
// when the call ends.
//
// Call control for the CTI API (control.go, consult.go): click-to-dial,
// hang-up, hold, blind transfer, conference and consultative transfer on
// the switch's calls, acting for the agent's phone (the extension that
// placed a click-to-dial, else the phone connected to the caller). A
// consultation parks the agent's leg in the customer's call (the
// customer hears music) and relays it to the target outside the bridge
// until it is completed (Call.Replace) or cancelled. A target
// "queue:NAME" (handoff.go) reaches the best free agent of a queue
// through Config.ReachQueue (queue.Live.Reach), for consultations and
// blind transfers alike, and so does a number that an inbound route
// sends to a queue by the dialled number (a DID, the queue's Number)
// when it is no extension and no outside number; once completed the
// call is that agent's. Every
// stage of every blind and consultative transfer goes on the bus as an
// acd.CallHandoff (ringing, answered, completed, cancelled, failed),
// naming the extension rung and, for a queue, the agent it picked.
//
// A blind transfer never drops the customer (recall.go): when the queue
// cannot hand them to an agent and the agent handing on has hung up, or
// the queue has nobody to ring but takes callers (ErrQueueWaitsOnly),
// the handler puts the customer into the queue's waiting line once the
// bridge ends (Config.Requeue), ahead of the callers there
// (RecallPriority). An agent still on the line gets the customer back.
//
// Fax on voice lines (fax.go): when a fax destination is configured
// (store.Settings.FaxDestination), an inbound call from a line or a trunk
// runs its target under a context that a CNG detector (media/detect),
// hearing the caller through Config.Listen, cancels during the first
// seconds (DefaultFaxWindow). The call is then rung through to the fax
// destination, usually a fax modem on an FXS port or a SIP ATA, with
// "fax:<dest>" in its route and the disposition "fax". After the window a
// voice call is not listened to any more.
package pbx
