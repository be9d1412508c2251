package acd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"callbox/drivers/linecard"
	"callbox/media"
)

// Line connects one PSTN line (a linecard.Channel) to the switch: Run
// turns each ring into a Leg handed to Switch.Accept, and Dial places
// calls out on the line, the way a trunk does.
type Line struct {
	ch  linecard.Channel
	via string // the store.Line ID

	mu  sync.Mutex
	cur *lineLeg
	seq atomic.Uint64
}

// NewLine wraps a channel; via is the line's ID in the store.
func NewLine(ch linecard.Channel, via string) *Line { return &Line{ch: ch, via: via} }

// Run reads the line's events until ctx ends or the channel closes:
// rings become calls in sw, hang-ups end the current leg, digits go to
// it. The caller owns the goroutine that runs it.
func (l *Line) Run(ctx context.Context, sw *Switch) error {
	for {
		select {
		case <-ctx.Done():
			l.end(CauseNormalClearing)
			return nil
		case ev, ok := <-l.ch.Events():
			if !ok {
				l.end(CauseDestinationOutOfOrder)
				return nil
			}
			l.handle(ev, sw)
		}
	}
}

func (l *Line) handle(ev linecard.Event, sw *Switch) {
	switch ev.Kind {
	case linecard.EventRing:
		leg := l.newLeg(Party{Number: ev.CallerID.Number, Name: ev.CallerID.Name, Source: SourceLine, Via: l.via})
		if leg == nil {
			return // a ring while a call is up: ignore the line's glitch
		}
		if _, err := sw.Accept(leg, ev.Dialed); err != nil {
			_ = leg.Hangup(CauseSwitchingCongestion)
		}
	case linecard.EventHangup:
		cause := CauseNormalClearing
		if ev.Cause >= 300 {
			cause = CauseFromSIP(ev.Cause)
		}
		l.end(cause)
	case linecard.EventDigit:
		l.mu.Lock()
		if l.cur != nil {
			select {
			case l.cur.digits <- ev.Digit:
			default: // nobody collecting digits now
			}
		}
		l.mu.Unlock()
	case linecard.EventAlarm:
		l.end(CauseNetworkOutOfOrder)
	}
}

// newLeg makes the line's current leg, nil when one is up already.
func (l *Line) newLeg(p Party) *lineLeg {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil {
		return nil
	}
	leg := &lineLeg{line: l, id: fmt.Sprintf("line:%s/%d", l.via, l.seq.Add(1)), party: p,
		Ending: NewEnding(), digits: make(chan byte, 32)}
	l.cur = leg
	return leg
}

// end marks the current leg ended by the far end.
func (l *Line) end(c Cause) {
	l.mu.Lock()
	leg := l.cur
	l.cur = nil
	l.mu.Unlock()
	if leg != nil {
		leg.finish(c)
	}
}

// Dial seizes the line and calls number, presenting callerID; the Leg
// is returned once the far end answered (see linecard.Channel.Dial).
func (l *Line) Dial(ctx context.Context, number, callerID string) (Leg, error) {
	leg := l.newLeg(Party{Number: number, Source: SourceLine, Via: l.via})
	if leg == nil {
		return nil, Reject(CauseNoCircuitAvailable)
	}
	if err := l.ch.Dial(ctx, number, callerID); err != nil {
		l.end(CauseNormalClearing)
		return nil, &CauseError{Cause: dialCause(err), Err: err}
	}
	return leg, nil
}

// dialCause is the Q.850 cause of a failed call out on a line, so that
// DialInOrder tries the next gateway only when the line was at fault.
func dialCause(err error) Cause {
	var rej *linecard.RejectedError
	switch {
	case errors.As(err, &rej):
		return CauseFromSIP(rej.Status)
	case errors.Is(err, linecard.ErrBusy):
		return CauseNoCircuitAvailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return CauseNoAnswer
	}
	return CauseNetworkOutOfOrder
}

// lineLeg is one call on a Line.
type lineLeg struct {
	line   *Line
	id     string
	party  Party
	digits chan byte
	Ending // Done, and AfterEnd without a goroutine
	once   sync.Once
	cause  atomic.Uint32
}

func (g *lineLeg) ID() string                       { return g.id }
func (g *lineLeg) Caller() Party                    { return g.party }
func (g *lineLeg) Answer(ctx context.Context) error { return g.line.ch.OffHook(ctx) }
func (g *lineLeg) Media() media.Endpoint            { return g.line.ch.Media() }
func (g *lineLeg) EndCause() Cause                  { return Cause(g.cause.Load()) }

// Digits delivers the DTMF digits the far end sends.
func (g *lineLeg) Digits() <-chan byte { return g.digits }

// Hangup puts the line on-hook.
func (g *lineLeg) Hangup(c Cause) error {
	g.line.mu.Lock()
	if g.line.cur == g {
		g.line.cur = nil
	}
	g.line.mu.Unlock()
	g.finish(c)
	return g.line.ch.OnHook()
}

func (g *lineLeg) finish(c Cause) {
	g.once.Do(func() {
		g.cause.Store(uint32(c))
		g.End()
	})
}

// RunLines runs every line's event loop (Line.Run) until ctx ends and
// returns once they have all stopped: the firmware runs it as the lines'
// service.
func RunLines(ctx context.Context, sw *Switch, lines []*Line) error {
	var wg sync.WaitGroup
	for _, l := range lines {
		wg.Go(func() { _ = l.Run(ctx, sw) })
	}
	wg.Wait()
	return nil
}
