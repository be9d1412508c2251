package cti

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// The event types the Hub publishes.
const (
	EventCallRinging  = "call.ringing"
	EventCallOffered  = "call.offered"
	EventPopUpdated   = "call.pop"
	EventCallAnswered = "call.answered"
	EventCallEnded    = "call.ended"
	EventAgentState   = "agent.state"
	EventQueueJoined  = "queue.joined"
	EventQueueLeft    = "queue.left"
	// EventQueueStats carries a queue's live figures (acd.QueueStats) for
	// wallboards; it names no agent, so only supervisors see it.
	EventQueueStats = "queue.stats"
	// EventMessageReceived: an inbound SMS or fax (acd.MessageReceived),
	// for the agent it is assigned to and supervisors.
	EventMessageReceived = "message.received"
)

// EventTypes lists every event type, for webhook configuration.
var EventTypes = []string{EventCallRinging, EventCallOffered, EventPopUpdated, EventCallAnswered, EventCallEnded,
	EventAgentState, EventQueueJoined, EventQueueLeft, EventQueueStats, EventMessageReceived, EventCallHandoff,
	EventCallCurrent}

// Event is one CTI event as SSE, WebSocket and webhooks carry it.
type Event struct {
	// ID increases by one per event; it starts from the clock at boot, so
	// IDs from before a restart are older than any after it.
	ID   uint64    `json:"id"`
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	// Agent is the agent the event concerns; agents only see their own.
	Agent string          `json:"agent,omitempty"`
	Data  json.RawMessage `json:"data"`
	// To are more agents who see the event (an unclaimed message goes to
	// the agents of its queue); clients and webhooks do not get the list.
	To []string `json:"-"`
}

// Filter says which events a subscriber sees.
type Filter struct {
	// All: a supervisor or an administrator sees every event.
	All bool
	// Agent: an agent sees the events that name them.
	Agent string
}

// Match reports whether the subscriber sees e.
func (f Filter) Match(e Event) bool {
	return f.All || (f.Agent != "" && (e.Agent == f.Agent || slices.Contains(e.To, f.Agent)))
}

// stream keeps the last events in a ring and fans them out.
type stream struct {
	mu   sync.Mutex
	last uint64
	ring []Event // ring[i%cap] holds ID i's event once written
	n    int     // events in the ring
	subs map[*sub]struct{}
	// closed: the hub stopped; new subscriptions end at once.
	closed bool
}

type sub struct {
	f  Filter
	ch chan Event
}

// subBuffer is a live subscriber's queue: one that falls this far behind
// is cut off and reconnects with its last ID.
const subBuffer = 256

func newStream(size int, first uint64) *stream {
	return &stream{last: first, ring: make([]Event, size), subs: map[*sub]struct{}{}}
}

func (s *stream) publish(e Event) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last++
	e.ID = s.last
	s.ring[e.ID%uint64(len(s.ring))] = e
	if s.n < len(s.ring) {
		s.n++
	}
	for c := range s.subs {
		if !c.f.Match(e) {
			continue
		}
		select {
		case c.ch <- e:
		default:
			delete(s.subs, c)
			close(c.ch)
		}
	}
	return e
}

// subscribe replays the kept events after after that f matches, then
// delivers live ones. after 0 means live only. ErrReplayGap (with a live
// channel) says events after after are lost: the client must reload.
func (s *stream) subscribe(ctx context.Context, f Filter, after uint64) (<-chan Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	oldest := s.last - uint64(s.n) + 1
	var replay []Event
	var gap error
	switch {
	case after == 0 || after == s.last:
	case after > s.last || after+1 < oldest:
		gap = ErrReplayGap
	default:
		for id := after + 1; id <= s.last; id++ {
			if e := s.ring[id%uint64(len(s.ring))]; f.Match(e) {
				replay = append(replay, e)
			}
		}
	}
	c := &sub{f: f, ch: make(chan Event, len(replay)+subBuffer)}
	for _, e := range replay {
		c.ch <- e
	}
	if s.closed {
		close(c.ch)
		return c.ch, gap
	}
	s.subs[c] = struct{}{}
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.subs[c]; ok {
			delete(s.subs, c)
			close(c.ch)
		}
	})
	return c.ch, gap
}

func (s *stream) stats() (last uint64, subs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, len(s.subs)
}

// close ends every subscription.
func (s *stream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.subs {
		delete(s.subs, c)
		close(c.ch)
	}
}
