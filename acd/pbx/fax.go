package pbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/media"
	"callbox/media/detect"
)

// DefaultFaxWindow is how long an inbound call is listened to for the
// caller's fax tone when Config.FaxWindow is 0. A fax machine sends CNG
// every 3.5 s from the moment it is answered, so two or three bursts fall
// inside it; after it, a voice call pays nothing.
const DefaultFaxWindow = 10 * time.Second

// ErrFaxTone is the cause of the context a call's target runs under
// when the caller's fax tone cancels it.
var ErrFaxTone = errors.New("pbx: fax tone heard")

// Listener starts hearing a leg's decoded audio: w gets each 20 ms frame
// the leg receives, in order, from one goroutine at a time, until stop
// is called; w is not called after stop returns. A Listener
// must hear the leg beside its other readers (the relay to a bridged
// party, the IVR's own listener), never take frames from them.
type Listener func(leg acd.Leg, w media.FrameWriter) (stop func(), err error)

// ErrCannotListen is returned by MediaListener for a leg whose media
// cannot be heard beside its other readers.
var ErrCannotListen = errors.New("pbx: leg media cannot be listened to")

// Listenable is a media endpoint that lets more than one party hear its
// decoded audio: each listener gets every frame, none takes frames from
// the endpoint's relay or its other readers. stop ends the listening and
// waits for it.
type Listenable interface {
	Listen(w media.FrameWriter) (stop func())
}

// MediaListener is the Listener for legs whose media endpoint is a
// media.Capturer or Listenable — RTP legs (media/rtp Session.Capture:
// SIP phones and trunks, the simulated PSTN lines) and DAHDI line-card
// channels (drivers/linecard DAHDI.Listen) are. Other legs are refused
// with ErrCannotListen, and their calls go on without fax detection. (A leg's
// RelayTo would not do: an endpoint has one decoded reader, which the
// IVR's listener and the bridge's mixer use.)
func MediaListener(leg acd.Leg, w media.FrameWriter) (stop func(), err error) {
	if c, ok := leg.Media().(media.Capturer); ok {
		return c.Capture(w), nil
	}
	l, ok := leg.Media().(Listenable)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrCannotListen, leg.Media())
	}
	return l.Listen(w), nil
}

// faxDestination is where the call goes if its fax tone is heard, or ""
// when the call is not listened to: fax detection is not configured, or
// the call does not come from the public network (a line or a trunk).
func (r *Router) faxDestination(c *acd.Call) string {
	if r.cfg.FaxDestination == nil || r.cfg.Listen == nil {
		return ""
	}
	switch c.Caller().Caller().Source {
	case acd.SourceLine, acd.SourceTrunk:
		return r.cfg.FaxDestination()
	}
	return ""
}

// watchFax runs target, the call's normal handling, while listening to
// the caller for CNG during the fax window. When the tone is heard, the
// target's context is cancelled (cause ErrFaxTone), and once the target
// has let go of the call it is connected to dest, with "fax:<dest>" in
// its route and acd.DispositionFax.
func (r *Router) watchFax(ctx context.Context, c *acd.Call, dest string, target func(context.Context) error) error {
	leg := c.Caller()
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	heard := make(chan struct{})
	var once sync.Once
	det := detect.NewDetector(func(t detect.Tone) {
		if t == detect.CNG {
			once.Do(func() {
				close(heard)
				cancel(ErrFaxTone)
			})
		}
	})
	stop, err := r.cfg.Listen(leg, det)
	if err != nil {
		// The call still goes where the dialplan sends it; only the fax
		// hand-off is lost.
		lvl := slog.LevelWarn
		if errors.Is(err, ErrCannotListen) {
			lvl = slog.LevelDebug // the media cannot do it: not news on every call
		}
		r.log.Log(ctx, lvl, "cannot listen for fax tone", "call_id", c.ID(), "err", err)
		return target(ctx)
	}

	window := r.cfg.FaxWindow
	if window <= 0 {
		window = DefaultFaxWindow
	}
	finished := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		t := time.NewTimer(window)
		defer t.Stop()
		select {
		case <-heard:
		case <-t.C:
		case <-finished:
		}
		stop()
	}()
	err = target(tctx)
	close(finished)
	<-watched

	select {
	case <-heard:
	default:
		return err
	}
	if ctx.Err() != nil {
		return err // the caller left, or the box is stopping
	}
	select {
	case <-leg.Done():
		return err
	default:
	}
	r.log.InfoContext(ctx, "fax tone heard", "call_id", c.ID(), "destination", dest)
	c.AddRoute("fax:" + dest)
	c.SetDisposition(acd.DispositionFax)
	return r.fax(ctx, c, dest)
}

// fax connects the call to the fax destination as the site dials it: an
// extension (a fax modem on an FXS port or a SIP ATA) is rung without
// the voicemail fallback, an outside number goes out by the outbound
// routes.
func (r *Router) fax(ctx context.Context, c *acd.Call, dest string) error {
	d := r.siteDialled("", dest)
	switch d.Action {
	case dialplan.ActionExtension:
		return r.cfg.Ring(ctx, c, d.Target.Value)
	case dialplan.ActionOutbound:
		return r.dialOut(ctx, c, &d)
	}
	cause := d.Cause
	if !cause.Valid() {
		cause = acd.CauseNoRoute
	}
	return &acd.CauseError{Cause: cause, Err: fmt.Errorf("pbx: fax destination %s: %s", dest, d.Rule)}
}
