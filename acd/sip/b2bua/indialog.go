package b2bua

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// featureLeg is what the call features need of a B2BUA leg beyond
// acd.Leg: sending requests inside its dialog (NOTIFY for a transfer's
// progress, UPDATE for a session refresh).
type featureLeg interface {
	dialogLeg
	newRequest(method sip.RequestMethod) *sip.Request
	do(ctx context.Context, req *sip.Request) (*sip.Response, error)
	write(req *sip.Request) error // without a transaction: the ACK of a re-INVITE
	sessionTimer() *sessionTimer
}

// newRequest starts a request to the caller's phone inside its dialog.
func (l *inLeg) newRequest(method sip.RequestMethod) *sip.Request {
	inv := l.ds.InviteRequest
	req := sip.NewRequest(method, inv.Contact().Address)
	req.SetTransport(inv.Transport())
	req.AppendHeader(l.b.contact(inv.Transport()))
	l.b.setLaddr(req)
	return req
}

func (l *inLeg) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	return l.ds.Do(ctx, req)
}

func (l *inLeg) write(req *sip.Request) error { return l.ds.WriteRequest(req) }

func (l *inLeg) sessionTimer() *sessionTimer { return l.timer }

// newRequest starts a request to the callee's device inside its dialog.
func (l *outLeg) newRequest(method sip.RequestMethod) *sip.Request {
	target := l.dc.InviteRequest.Recipient
	if res := l.dc.InviteResponse; res != nil && res.Contact() != nil {
		target = res.Contact().Address
	}
	req := sip.NewRequest(method, target)
	req.SetTransport(l.dc.InviteRequest.Transport())
	req.AppendHeader(l.b.contact(l.dc.InviteRequest.Transport()))
	l.b.setLaddr(req)
	return req
}

func (l *outLeg) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if l.dc.InviteResponse == nil {
		return nil, fmt.Errorf("b2bua: %s: dialog not established", req.Method)
	}
	return l.dc.Do(ctx, req)
}

func (l *outLeg) write(req *sip.Request) error { return l.dc.WriteRequest(req) }

// sessionTimer is the timer the callee's answer agreed to, if any.
func (l *outLeg) sessionTimer() *sessionTimer {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	return l.b.timers[l]
}

// asFeatureLeg returns the leg with its feature methods, if the B2BUA
// made it.
func asFeatureLeg(l any) (featureLeg, bool) {
	f, ok := l.(featureLeg)
	return f, ok
}
