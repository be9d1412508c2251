// Package b2bua is callbox's back-to-back user agent: it turns SIP
// INVITE dialogs into acd.Legs and places calls to registered phones.
//
// Every call has two independent dialogs, one per side, each with its own
// RTP session from media/rtp; the switch bridges the sessions with the
// relay fast path, so the box anchors all media.
//
//   - An INVITE from a phone (authenticated by acd/sip) becomes an inbound
//     Leg: 100 Trying at once, 180 or 183 with early media while the
//     callee rings, 200 with the SDP answer negotiated by media/sdp when
//     the switch answers, CANCEL before that ends it with 487, BYE from
//     either side ends it (a caller's BYE that overtakes its ACK too: the
//     call was answered, RFC 3261 §15), a re-INVITE changes the media
//     direction (hold and resume).
//   - Dial rings every registered device of an extension at once (Server
//     Contacts, with their NAT-rewritten targets), presenting the caller
//     in the From display name and P-Asserted-Identity. The first device
//     to answer wins; the others are CANCELed (or, when two answer at
//     once, sent BYE). Final responses map to Q.850 causes (acd.Cause).
//   - Handle is an acd.Handler for extension-to-extension calls: it asks
//     the dialplan, honours do-not-disturb and forwarding (always, busy,
//     no answer) from the extension's store record, and bridges.
//
// Call features, each a SIP exchange turned into a call on acd.Call:
//
//   - Hold and resume: a re-INVITE or UPDATE whose offer stops receiving
//     tells the bridge (Call.Hold); the held party hears the switch's
//     music on hold until the phone resumes (hold.go).
//   - Blind transfer: REFER from either party parks the transferor's leg,
//     reaches the Refer-To target through the TransferFunc (WithTransfer;
//     extensions by default), reports progress in NOTIFYs with
//     message/sipfrag bodies and puts the new leg in the transferor's
//     place (Call.Replace). A failed transfer gives the call back.
//   - Attended transfer: REFER whose Refer-To embeds Replaces joins the far
//     ends of two calls through the box (Call.Release, Call.Replace); an
//     INVITE with Replaces takes over a leg directly (refer.go).
//   - Pickup: Pickup answers a call ringing an extension, directed or by
//     pickup group (pickup.go); Conference adds a third party (mixer).
//   - Session timers (RFC 4028) on both dialogs of a call: Session-Expires
//     and Min-SE negotiated (the box's INVITEs ask the callee to refresh),
//     refreshes by re-INVITE or UPDATE, the box refreshing with UPDATE (or
//     re-INVITE for a peer without UPDATE) when it is the refresher; an
//     unrefreshed session ends with cause 102 (timer.go), on phone and
//     trunk calls alike; a 422 is answered by one more INVITE with the
//     peer's Min-SE. The RTP timeout stays.
//   - Remote answer: AnswerRinging asks a ringing desk phone to answer
//     with a NOTIFY "Event: talk" in the early dialog (outside it when
//     the phone does not know it), best effort (answer.go).
//   - NotifyMWI sends message-summary NOTIFYs (RFC 3842) to every device
//     of an extension (mwi.go).
//
// Each leg's dialog state (Call-ID, tags, CSeq, route set, remote target)
// is available as a plain Dialog record for replication.
package b2bua
