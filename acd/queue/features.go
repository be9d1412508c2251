package queue

import (
	"context"
	"fmt"

	"callbox/acd"
	"callbox/acd/agent"
	"callbox/firmware/store"
)

// DefaultPauseReason is the reason of a pause asked for without one
// (the desk phone's feature code without digits).
const DefaultPauseReason = "break"

// FeatureLogin logs an agent in at extension ext: the agent arg names,
// or, when arg is empty, the agent whose store record has ext as their
// extension. It has the router's feature-code shape.
func (l *Live) FeatureLogin(ctx context.Context, ext, arg string) error {
	id := arg
	if id == "" {
		var err error
		if id, err = l.agentOfExtension(ext); err != nil {
			return err
		}
	}
	return l.d.Login(id, ext)
}

// FeatureLogout logs out the agent logged in at ext (or the agent arg
// names).
func (l *Live) FeatureLogout(ctx context.Context, ext, arg string) error {
	id, err := l.loggedInAt(ext, arg)
	if err != nil {
		return err
	}
	return l.d.Logout(id)
}

// FeaturePause pauses the agent logged in at ext with reason arg
// (DefaultPauseReason, or the first configured reason, when empty).
func (l *Live) FeaturePause(ctx context.Context, ext, arg string) error {
	id, err := l.loggedInAt(ext, "")
	if err != nil {
		return err
	}
	reason := arg
	if reason == "" {
		reason = DefaultPauseReason
		if l.st != nil {
			if set, err := store.GetSettings(l.st); err == nil && len(set.PauseReasons) > 0 {
				reason = set.PauseReasons[0]
			}
		}
	}
	return l.d.Pause(id, reason)
}

// FeatureUnpause makes the agent logged in at ext available again.
func (l *Live) FeatureUnpause(ctx context.Context, ext, arg string) error {
	id, err := l.loggedInAt(ext, "")
	if err != nil {
		return err
	}
	return l.d.Resume(id)
}

// agentOfExtension finds the agent whose record lists ext.
func (l *Live) agentOfExtension(ext string) (string, error) {
	if l.st != nil {
		agents, err := store.List[store.Agent](l.st)
		if err != nil {
			return "", fmt.Errorf("queue: agents: %w", err)
		}
		for _, a := range agents {
			if a.Enabled && a.Extension == ext {
				return a.ID, nil
			}
		}
	}
	return "", fmt.Errorf("%w: none at extension %s", agent.ErrUnknownAgent, ext)
}

// loggedInAt finds the agent logged in at ext; id, when given, must be
// that agent (or any agent when ext is empty).
func (l *Live) loggedInAt(ext, id string) (string, error) {
	for _, s := range l.d.Agents() {
		if s.State == agent.LoggedOut {
			continue
		}
		if (ext == "" || s.Extension == ext) && (id == "" || s.ID == id) {
			return s.ID, nil
		}
	}
	return "", fmt.Errorf("%w: none logged in at extension %s", agent.ErrUnknownAgent, ext)
}

// Login logs agentID in at ext (the CTI and API shape).
func (l *Live) Login(ctx context.Context, agentID, ext string) error { return l.d.Login(agentID, ext) }

// Logout logs agentID out.
func (l *Live) Logout(ctx context.Context, agentID string) error { return l.d.Logout(agentID) }

// Pause pauses agentID with reason.
func (l *Live) Pause(ctx context.Context, agentID, reason string) error {
	return l.d.Pause(agentID, reason)
}

// Ready makes agentID available: out of a pause, or out of wrap-up early.
func (l *Live) Ready(ctx context.Context, agentID string) error {
	s, err := l.d.Agent(agentID)
	if err != nil {
		return err
	}
	if s.State == agent.WrapUp {
		return l.d.EndWrapUp(agentID)
	}
	return l.d.Resume(agentID)
}

// BookCallback books a callback to number in queue for the caller of c
// without making them wait (the IVR's callback node); the caller's
// priority and requirements come from req. The record is stored before
// it counts; the caller can be told and hung up.
func (l *Live) BookCallback(ctx context.Context, c *acd.Call, req Request, number string) (CallbackRecord, error) {
	p := partyOf(c)
	if number == "" {
		number = p.Number
	}
	rec, err := l.d.BookCallback(ctx, Call{ID: c.ID(), Queue: req.Queue, Caller: p.Number, CallerName: p.Name,
		Lang: req.Lang, Priority: req.Priority, Requirements: req.Requirements, Designated: req.Designated}, number)
	if err == nil {
		c.AddRoute("callback:" + req.Queue)
	}
	return rec, err
}
