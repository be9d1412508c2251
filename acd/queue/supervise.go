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
	// every queue call; whisper and barge need the switch's bridge, so
	// not callbacks (their legs are relayed outside any acd.Call).
	ErrSupervisionMode = errors.New("queue: supervision mode not available")
)

// checkMode refuses the modes t cannot take.
func (t *talk) checkMode(m mix.Mode) error {
	switch {
	case m == mix.Listen:
		return nil
	case (m == mix.Whisper || m == mix.Barge) && t.c != nil:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrSupervisionMode, m)
}

// Supervise rings supervisorExt and, when the supervisor answers, joins
// them to the call agentID is on. On a call in the switch's bridge the
// supervisor joins it as a party who hears both sides and is heard, by
// mode, by nobody (listen), the agent alone (whisper) or both (barge);
// the bridge mixes while they are in and relays the two sides again when
// they leave. A callback has no bridge: its supervisor can only listen,
// fed from the talk's tap. SetSupervision switches between the modes. It
// blocks until the supervisor or the call hangs up, or ctx ends.
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
	sup := &supervision{leg: leg, out: ep.Writer(), change: make(chan mix.Mode, 1)}
	if t.c == nil {
		sup.mode = mix.Listen // the only mode; setMode has nothing to do
	}
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
	if t.c == nil {
		t.tap()
	}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		if t.sup == sup {
			t.sup = nil
		}
		t.mu.Unlock()
	}()
	if t.c != nil {
		// The talk is registered just before the call enters its bridge
		// (and its recording starts in between): a supervisor who
		// answers in that moment joins once the bridge is live.
		select {
		case <-t.c.Bridged():
		case <-t.done:
			return nil
		case <-ctx.Done():
			return nil
		case <-leg.Done():
			return nil
		}
	}
	if err := t.setMode(ctx, sup, mode); err != nil {
		return err
	}
	// Only a callback's listener is paced here; the bridge feeds the
	// others.
	var paced <-chan time.Time
	if t.c == nil {
		pace := time.NewTicker(media.FrameDuration)
		defer pace.Stop()
		paced = pace.C
	}
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
		case <-paced:
			t.listenStep(sup)
		}
	}
}

// setMode puts the supervisor in the call's bridge (joining it the first
// time) with the audience of mode m.
func (t *talk) setMode(ctx context.Context, sup *supervision, m mix.Mode) error {
	t.mu.Lock()
	from := sup.mode
	t.mu.Unlock()
	if from == m {
		return nil
	}
	if err := t.c.Join(ctx, sup.leg, t.audience(m)); err != nil {
		return err
	}
	t.mu.Lock()
	sup.mode = m
	t.mu.Unlock()
	return nil
}

// audience is who hears a supervisor in mode m: nobody while listening,
// the agent while whispering, both while barging.
func (t *talk) audience(m mix.Mode) acd.Audience {
	switch m {
	case mix.Whisper:
		return acd.Only(t.agentLeg)
	case mix.Barge:
		return acd.Everyone
	}
	return acd.Only()
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
