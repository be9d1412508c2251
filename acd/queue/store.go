package queue

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"callbox/acd/agent"
	"callbox/firmware/store"
)

// Settings the store's Queue record does not hold yet; ConfigFromStore
// uses these until it does (see the package's report of store changes).
const (
	// StoreAnnounceEvery is the announcement interval of a queue with
	// AnnouncePosition set.
	StoreAnnounceEvery = time.Minute
	// StoreCallbackKey is the key that asks for a callback in a queue with
	// OfferCallback set.
	StoreCallbackKey = "1"
)

// ConfigFromStore turns the store's Queue record into a Config. Members
// keep the record's order with no penalty or per-queue level (the record
// has none yet); AnnouncePosition announces position and wait every
// StoreAnnounceEvery; OfferCallback maps StoreCallbackKey to a callback.
func ConfigFromStore(q store.Queue) (Config, error) {
	c := Config{Name: q.Name, Strategy: StrategyName(q.Strategy), Lang: string(q.Lang),
		RingTime:     time.Duration(q.RingSeconds) * time.Second,
		WrapUp:       time.Duration(q.WrapUpSeconds) * time.Second,
		MaxWait:      time.Duration(q.MaxWaitSeconds) * time.Second,
		ServiceLevel: time.Duration(q.ServiceLevelSeconds) * time.Second,
		MaxCallers:   q.MaxCallers}
	for _, id := range q.Agents {
		c.Members = append(c.Members, Member{Agent: id})
	}
	for _, s := range q.Skills {
		c.Requirements = append(c.Requirements, Requirement{Skill: s.Skill, MinLevel: s.MinLevel})
	}
	if q.AnnouncePosition {
		c.AnnounceEvery, c.AnnouncePosition, c.AnnounceWait = StoreAnnounceEvery, true, true
	}
	if q.OfferCallback {
		c.ExitKeys = map[string]Exit{StoreCallbackKey: {Kind: ExitCallback}}
	}
	d, err := ParseDestination(q.Overflow)
	if err != nil {
		return Config{}, fmt.Errorf("%w: queue %q overflow: %w", ErrBadConfig, q.Name, err)
	}
	c.Overflow = d
	return c, c.Validate()
}

// ProfileFromStore turns the store's Agent record into a Profile.
func ProfileFromStore(a store.Agent) agent.Profile {
	p := agent.Profile{ID: a.ID, Name: a.Name, WrapUp: time.Duration(a.WrapUpSeconds) * time.Second}
	for _, s := range a.Skills {
		p.Skills = append(p.Skills, agent.Skill{Name: s.Skill, Level: s.Level})
	}
	return p
}

// ApplyStore brings the dispatcher in line with the store's agents and
// queues: enabled agents are set, disabled or deleted ones removed (see
// RemoveAgent), queues set (a new Version only when something changed)
// or removed. Call it at start and for every change of those kinds on the
// store's feed. A queue record that cannot be turned into a Config is
// skipped and reported in the error; the others still apply.
func (d *Dispatcher) ApplyStore(s *store.Store) error {
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
