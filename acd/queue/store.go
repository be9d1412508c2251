package queue

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"callbox/acd/agent"
	"callbox/firmware/store"
)

// ConfigFromStore turns the store's Queue record into a Config. Zero
// numbers in the record leave the Config's defaults (see withDefaults).
func ConfigFromStore(q store.Queue) (Config, error) {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	c := Config{Name: q.Name, Strategy: StrategyName(q.Strategy), Lang: string(q.Lang),
		RingTime:         sec(q.RingSeconds),
		SkipFor:          sec(q.SkipSeconds),
		WrapUp:           sec(q.WrapUpSeconds),
		MaxWait:          sec(q.MaxWaitSeconds),
		MaxCallers:       q.MaxCallers,
		ServiceLevel:     sec(q.ServiceLevelSeconds),
		AnnounceEvery:    sec(q.AnnounceSeconds),
		AnnouncePosition: q.AnnouncePosition,
		AnnounceWait:     q.AnnounceWait,
		AffinityFor:      sec(q.AffinitySeconds),
		AffinityHold:     sec(q.AffinityHoldSeconds),
		HandleSamples:    q.HandleSamples,
		CallbackTries:    q.CallbackTries,
		CallbackRetry:    sec(q.CallbackRetrySeconds),
		Record:           policyFromStore(q.RecordPolicyOrDefault()),
	}
	for _, m := range q.Members {
		c.Members = append(c.Members, Member{Agent: m.Agent, Penalty: m.Penalty, Level: m.Level, Weight: m.Weight})
	}
	for _, s := range q.Skills {
		c.Requirements = append(c.Requirements, Requirement{Skill: s.Skill, MinLevel: s.MinLevel})
	}
	for _, w := range q.Widen {
		c.Widen = append(c.Widen, WidenStep{After: sec(w.AfterSeconds), MaxLevel: w.MaxLevel, Any: w.Any})
	}
	if len(q.ExitKeys) > 0 {
		c.ExitKeys = make(map[string]Exit, len(q.ExitKeys))
		for _, e := range q.ExitKeys {
			c.ExitKeys[e.Key] = Exit{Kind: ExitKind(e.Kind), Target: e.Target}
		}
	}
	var err error
	if c.JoinWhen, err = presenceFromStore(q.JoinWhen); err != nil {
		return Config{}, fmt.Errorf("%w: queue %q joinWhen: %w", ErrBadConfig, q.Name, err)
	}
	if c.StayWhen, err = presenceFromStore(q.StayWhen); err != nil {
		return Config{}, fmt.Errorf("%w: queue %q stayWhen: %w", ErrBadConfig, q.Name, err)
	}
	d, err := ParseDestination(q.Overflow)
	if err != nil {
		return Config{}, fmt.Errorf("%w: queue %q overflow: %w", ErrBadConfig, q.Name, err)
	}
	c.Overflow = d
	return c, c.Validate()
}

var errPresence = errors.New("unknown presence rule")

func presenceFromStore(p store.Presence) (Presence, error) {
	switch p {
	case "", store.PresenceAlways:
		return Always, nil
	case store.PresenceLoggedIn:
		return LoggedIn, nil
	case store.PresenceUnpaused:
		return Unpaused, nil
	}
	return Always, fmt.Errorf("%w %q", errPresence, p)
}

// ProfileFromStore turns the store's Agent record into a Profile.
func ProfileFromStore(a store.Agent) agent.Profile {
	p := agent.Profile{ID: a.ID, Name: a.Name, WrapUp: time.Duration(a.WrapUpSeconds) * time.Second}
	for _, s := range a.Skills {
		p.Skills = append(p.Skills, agent.Skill{Name: s.Skill, Level: s.Level})
	}
	return p
}

// ApplyStore brings the dispatcher in line with the store's settings,
// agents and queues: the settings' pause reasons and automatic pause
// apply to every agent, enabled agents are set, disabled or deleted ones
// removed (see RemoveAgent), queues set (a new Version only when
// something changed) or removed. Call it at start and for every change of
// those kinds on the store's feed. A queue record that cannot be turned
// into a Config is skipped and reported in the error; the others still
// apply.
func (d *Dispatcher) ApplyStore(s *store.Store) error {
	set, err := store.GetSettings(s)
	if err != nil {
		return fmt.Errorf("queue: read settings: %w", err)
	}
	d.mu.Lock()
	d.roster.SetReasons(set.PauseReasons...)
	d.roster.SetAutoPause(set.AutoPauseAfter)
	d.mu.Unlock()
	agents, err := store.List[store.Agent](s)
	if err != nil {
		return fmt.Errorf("queue: list agents: %w", err)
	}
	queues, err := store.List[store.Queue](s)
	if err != nil {
		return fmt.Errorf("queue: list queues: %w", err)
	}
	keep := make(map[string]bool, len(agents))
	for _, a := range agents {
		if a.Enabled {
			keep[a.ID] = true
			d.SetAgent(ProfileFromStore(a))
		}
	}
	for _, snap := range d.Agents() {
		if !keep[snap.ID] {
			if err := d.RemoveAgent(snap.ID); err != nil && !errors.Is(err, agent.ErrUnknownAgent) {
				return err
			}
		}
	}
	var errs []error
	names := make(map[string]bool, len(queues))
	for _, q := range queues {
		names[q.Name] = true
		c, err := ConfigFromStore(q)
		if err == nil {
			err = d.SetQueue(c)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	d.mu.Lock()
	var gone []string
	for n := range d.queues {
		if !names[n] {
			gone = append(gone, n)
		}
	}
	d.mu.Unlock()
	slices.Sort(gone)
	for _, n := range gone {
		if err := d.RemoveQueue(n); err != nil && !errors.Is(err, ErrUnknownQueue) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
