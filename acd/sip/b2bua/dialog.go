package b2bua

import (
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	"callbox/media/rtp"
)

// DialogOf returns the dialog record of a leg made by the B2BUA; false
// for legs of other kinds. An outbound leg has a record once answered
// (the zero Dialog while it rings).
func DialogOf(l acd.Leg) (Dialog, bool) {
	switch l := l.(type) {
	case *inLeg:
		return l.Dialog(), true
	case *outLeg:
		return l.Dialog(), true
	}
	return Dialog{}, false
}

// SessionOf returns the RTP session of a leg made by the B2BUA, for
// DTMF (Digits, SendDigit), statistics and replication (State).
func SessionOf(l acd.Leg) (*rtp.Session, bool) {
	switch l := l.(type) {
	case *inLeg:
		return l.sess, true
	case *outLeg:
		return l.sess, true
	}
	return nil, false
}

// Dialog is the plain state of one leg's SIP dialog (RFC 3261 §12): what
// a standby needs to send requests within it.
type Dialog struct {
	CallID    string `json:"callId"`
	LocalTag  string `json:"localTag"`
	RemoteTag string `json:"remoteTag"`
	// LocalURI and RemoteURI are the From and To addresses as this side
	// sends them.
	LocalURI  string `json:"localUri"`
	RemoteURI string `json:"remoteUri"`
	// LocalCSeq is the last CSeq this side sent in the dialog.
	LocalCSeq uint32 `json:"localCSeq"`
	// RouteSet is the Record-Route set, in the order requests use it.
	RouteSet []string `json:"routeSet,omitempty"`
	// RemoteTarget is the peer's Contact URI; Destination the address
	// requests are sent to (the NAT-learned source).
	RemoteTarget string `json:"remoteTarget"`
	Destination  string `json:"destination"`
	Transport    string `json:"transport"`
	// Caller tells the side: true when the box is the UAS (the caller's
	// leg), false when it placed the INVITE.
	Caller bool `json:"caller"`
}

// key identifies a dialog among the box's: the Call-ID and the tag the
// box chose, which is unique to it.
type key struct{ callID, local string }

// keyOfRequest is the key of a request the box received inside one of
// its dialogs: the To tag is the box's.
func keyOfRequest(req *sip.Request) (key, bool) {
	cid, to := req.CallID(), req.To()
	if cid == nil || to == nil {
		return key{}, false
	}
	tag, ok := to.Params.Get("tag")
	return key{cid.Value(), tag}, ok
}

func tagOf(p sip.HeaderParams) string {
	t, _ := p.Get("tag")
	return t
}

func uriString(u sip.Uri) string { return u.String() }

// serverDialog exports the dialog of an inbound leg.
func serverDialog(d *sipgo.DialogServerSession) Dialog {
	inv := d.InviteRequest
	out := Dialog{Caller: true, CallID: inv.CallID().Value(), LocalTag: tagOf(inv.To().Params),
		RemoteTag: tagOf(inv.From().Params), LocalURI: uriString(inv.To().Address),
		RemoteURI: uriString(inv.From().Address), LocalCSeq: d.CSEQ(), Transport: inv.Transport(),
		Destination: inv.Source()}
	if c := inv.Contact(); c != nil {
		out.RemoteTarget = c.Address.String()
	}
	for _, h := range inv.GetHeaders("Record-Route") {
		out.RouteSet = append(out.RouteSet, h.Value())
	}
	return out
}

// clientDialog exports the dialog of an outbound leg once answered.
func clientDialog(d *sipgo.DialogClientSession) Dialog {
	inv, res := d.InviteRequest, d.InviteResponse
	out := Dialog{CallID: inv.CallID().Value(), LocalTag: tagOf(inv.From().Params),
		LocalURI: uriString(inv.From().Address), RemoteURI: uriString(inv.To().Address),
		LocalCSeq: d.CSEQ(), Transport: inv.Transport(), RemoteTarget: inv.Recipient.String()}
	if res != nil {
		out.RemoteTag = tagOf(res.To().Params)
		out.Destination = res.Source()
		if c := res.Contact(); c != nil {
			out.RemoteTarget = c.Address.String()
		}
		hs := res.GetHeaders("Record-Route")
		for i := len(hs) - 1; i >= 0; i-- {
			out.RouteSet = append(out.RouteSet, hs[i].Value())
		}
	}
	return out
}
