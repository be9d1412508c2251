package webui

import (
	"maps"
	"slices"
	"time"

	"callbox/firmware/store"
)

// Agent state times for the agent report, from the agent state log
// (store.AgentEvent): time logged in, available, ringing, on calls, in
// wrap-up and paused (by reason), and the occupancy they give.

// The states as acd.AgentState writes them; webui does not import the
// ACD for five strings.
const (
	stateLoggedOut = "loggedout"
	stateAvailable = "available"
	stateRinging   = "ringing"
	stateOnCall    = "oncall"
	stateWrapUp    = "wrapup"
	statePaused    = "paused"
)

// stateLookbackDays bounds how far before a period the report looks for
// each agent's last change, the state the agent was in when the period
// began. An agent whose last change is older still is taken from the
// first change inside the period (its From), or as logged out.
const stateLookbackDays = 14

// stateTimes are one agent's times in a period.
type stateTimes struct {
	LoggedIn, Available, Ringing, OnCall, WrapUp, Paused time.Duration
	// PauseBy is the paused time by reason; "" is a pause without one.
	PauseBy map[string]time.Duration
}

// add counts d in state (with the pause reason).
func (t *stateTimes) add(state, reason string, d time.Duration) {
	if d <= 0 {
		return
	}
	switch state {
	case stateAvailable:
		t.Available += d
	case stateRinging:
		t.Ringing += d
	case stateOnCall:
		t.OnCall += d
	case stateWrapUp:
		t.WrapUp += d
	case statePaused:
		t.Paused += d
		if t.PauseBy == nil {
			t.PauseBy = map[string]time.Duration{}
		}
		t.PauseBy[reason] += d
	default:
		// Logged out, or a state this firmware does not know: not
		// logged-in time.
		return
	}
	t.LoggedIn += d
}

// Occupancy is the share of the working time spent on calls:
// (on call + wrap-up) / (logged in − paused). ok is false when the agent
// had no working time.
func (t stateTimes) Occupancy() (pct float64, ok bool) {
	work := t.LoggedIn - t.Paused
	if work <= 0 {
		return 0, false
	}
	return 100 * float64(t.OnCall+t.WrapUp) / float64(work), true
}

// agentStateTimes walks each agent's changes in time order and sums the
// time in each state within [start, end). prior holds each agent's last
// change before start (the state it was in when the period began); events
// are the changes in [start, end), in time order. A state still open at
// end counts up to end.
func agentStateTimes(prior map[string]store.AgentEvent, events []store.AgentEvent, start, end time.Time) map[string]*stateTimes {
	type open struct {
		state, reason string
		since         time.Time
	}
	cur := map[string]*open{}
	for id, e := range prior {
		cur[id] = &open{state: e.To, reason: e.Reason, since: start}
	}
	out := map[string]*stateTimes{}
	get := func(id string) *stateTimes {
		t := out[id]
		if t == nil {
			t = &stateTimes{}
			out[id] = t
		}
		return t
	}
	for _, e := range events {
		if e.At.Before(start) || !e.At.Before(end) {
			continue
		}
		o := cur[e.Agent]
		if o == nil {
			// No change before the period within the lookback: the
			// change's From says what the agent was doing since the
			// start (the pause reason, if any, is not known).
			o = &open{state: e.From, since: start}
			cur[e.Agent] = o
		}
		get(e.Agent).add(o.state, o.reason, e.At.Sub(o.since))
		o.state, o.reason, o.since = e.To, e.Reason, e.At
	}
	for id, o := range cur {
		if o.state == stateLoggedOut && out[id] == nil {
			continue
		}
		get(id).add(o.state, o.reason, end.Sub(o.since))
	}
	return out
}

// loadAgentEvents reads the changes of [start, end) in time order and each
// agent's last change before start, looking back at most stateLookbackDays
// and no further once every agent of known has been found. Keys are
// store.NewID of the change's time, so each UTC day is one key prefix.
func loadAgentEvents(st *store.Store, start, end time.Time, known []string) (map[string]store.AgentEvent, []store.AgentEvent, error) {
	prior := map[string]store.AgentEvent{}
	var events []store.AgentEvent
	day := func(t time.Time) time.Time {
		u := t.UTC()
		return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	}
	first, last := day(start), day(end.Add(-time.Nanosecond))
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		err := store.ListFunc(st, d.Format("20060102"), func(e store.AgentEvent) bool {
			switch {
			case e.At.Before(start):
				prior[e.Agent] = e
			case e.At.Before(end):
				events = append(events, e)
			}
			return true
		})
		if err != nil {
			return nil, nil, err
		}
	}
	// Walk back a day at a time; a day's last change of an agent is the
	// one kept, and a newer day's wins over an older one.
	allFound := func() bool {
		for _, id := range known {
			if _, ok := prior[id]; !ok {
				return false
			}
		}
		return true
	}
	for d, n := first.AddDate(0, 0, -1), 0; n < stateLookbackDays && !allFound(); d, n = d.AddDate(0, 0, -1), n+1 {
		found := map[string]store.AgentEvent{}
		err := store.ListFunc(st, d.Format("20060102"), func(e store.AgentEvent) bool {
			if _, ok := prior[e.Agent]; !ok {
				found[e.Agent] = e
			}
			return true
		})
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(prior, found)
	}
	// Changes written in one batch may share a time; the key order is
	// the write order, which SortStableFunc keeps.
	slices.SortStableFunc(events, func(a, b store.AgentEvent) int { return a.At.Compare(b.At) })
	return prior, events, nil
}
