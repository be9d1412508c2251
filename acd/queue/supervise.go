package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"callbox/acd"
	"callbox/media"
	"callbox/media/mix"
)

// Errors of supervision.
var (
	// ErrSupervised: the call already has a supervisor.
	ErrSupervised = errors.New("queue: call already supervised")
	// ErrSupervisionMode: a mode the call cannot take. Listen works on
	// every queue call, barge on calls in the switch's bridge (not on
	// callbacks); whisper needs the bridge to mix one party for one
	// listener only, which it does not do.
	ErrSupervisionMode = errors.New("queue: supervision mode not available")
)

// checkMode refuses the modes t cannot take.
func (t *talk) checkMode(m mix.Mode) error {
	switch {
	case m == mix.Listen:
		return nil
	case m == mix.Barge && t.c != nil:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrSupervisionMode, m)
}

// Supervise rings supervisorExt and, when the supervisor answers, joins
// them to the call agentID is on: listening, they hear both sides and
// nobody hears them; barging, the call's bridge mixes them in as a third
// party. SetSupervision switches between the two. It blocks until the
// supervisor or the call hangs up, or ctx ends.
func (l *Live) Supervise(ctx context.Context, agentID, supervisorExt string, mode mix.Mode) error {
	t, err := l.talkOf(agentID)
	if err != nil {
		return err
	}
	if err := t.checkMode(mode); err != nil {
		return err
	}
	leg, err := l.dial(ctx, supervisorExt, acd.Party{Number: t.agent, Name: "supervise " + mode.String()}, nil)
	if err != nil {
		return err
	}
	defer leg.Hangup(acd.CauseNormalClearing)
	ep := leg.Media()
	if ep == nil {
		return wrapf(ErrNotOnCall, "queue: supervisor leg without media")
	}
	sup := &supervision{mode: mix.Listen, leg: leg, out: ep.Writer(), change: make(chan mix.Mode, 1)}
	t.mu.Lock()
	switch {
	case t.ended:
		t.mu.Unlock()
		return wrapf(ErrNotOnCall, "queue: agent %s", agentID)
	case t.sup != nil:
		t.mu.Unlock()
		return wrapf(ErrSupervised, "queue: agent %s", agentID)
	}
	t.sup = sup
	t.tap()
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		if t.sup == sup {
			t.sup = nil
		}
		t.mu.Unlock()
	}()
	if err := t.setMode(ctx, sup, mode); err != nil {
		return err
	}
	pace := time.NewTicker(media.FrameDuration)
	defer pace.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-leg.Done():
			return nil
		case <-t.agentLeg.Done():
			return nil
		case <-t.customer.Done():
			return nil
		case m := <-sup.change:
			if err := t.setMode(ctx, sup, m); err != nil {
				l.log.Warn("queue: supervision mode", "agent", agentID, "mode", m, "err", err)
			}
		case <-pace.C:
			t.listenStep(sup)
		}
	}
}

// setMode moves the supervisor between listening (the talk's mix) and
// barging (a party of the call's bridge).
func (t *talk) setMode(ctx context.Context, sup *supervision, m mix.Mode) error {
	t.mu.Lock()
	from := sup.mode
	t.mu.Unlock()
	if from == m {
		return nil
	}
	switch m {
	case mix.Barge:
		if err := t.c.Conference(ctx, sup.leg); err != nil {
			return err
		}
	case mix.Listen:
		if err := t.c.Release(sup.leg); err != nil && !errors.Is(err, acd.ErrNotBridged) {
			return err
		}
	}
	t.mu.Lock()
	sup.mode = m
	sup.cust, sup.agent = frameFIFO{}, frameFIFO{}
	t.mu.Unlock()
	return nil
}

// SetSupervision changes the mode of the supervisor on agentID's call.
func (l *Live) SetSupervision(agentID string, mode mix.Mode) error {
	t, err := l.talkOf(agentID)
	if err != nil {
		return err
	}
	if err := t.checkMode(mode); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sup == nil {
		return wrapf(ErrNotOnCall, "queue: agent %s has no supervisor", agentID)
	}
	select {
	case <-t.sup.change: // a change not yet applied is overtaken
	default:
	}
	t.sup.change <- mode
	return nil
}

// StartSupervision runs Supervise in the background, owned by Live, for
// the API: it returns at once after checking the agent is on a call.
func (l *Live) StartSupervision(agentID, supervisorExt string, mode mix.Mode) error {
	t, err := l.talkOf(agentID)
	if err != nil {
		return err
	}
	if err := t.checkMode(mode); err != nil {
		return err
	}
	ctx := l.background()
	if !l.spawn(func() {
		if err := l.Supervise(ctx, agentID, supervisorExt, mode); err != nil {
			l.log.Info("queue: supervision ended", "agent", agentID, "ext", supervisorExt, "err", err)
		}
	}) {
		return wrapf(ErrNotOnCall, "queue: stopping")
	}
	return nil
}
