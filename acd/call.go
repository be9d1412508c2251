package acd

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync"
	"time"
)

// Direction is which way a call crosses the site's boundary, as CDRs
// record it.
type Direction string

// The directions. A call between two extensions counts as outbound from
// the calling extension.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// HangupSide tells who ended a call.
type HangupSide string

// The hang-up sides.
const (
	SideCaller HangupSide = "caller"
	SideCallee HangupSide = "callee"
	SideSystem HangupSide = "system" // the handler or the switch
)

// Disposition overrides how a call's CDR classifies it, for outcomes
// only the handler knows (voicemail, abandoned in queue).
type Disposition string

// The dispositions a handler may set; empty lets the CDR writer decide
// from the answer time and cause.
const (
	DispositionVoicemail Disposition = "voicemail"
	DispositionAbandoned Disposition = "abandoned"
	DispositionFax       Disposition = "fax" // handed to fax reception (CNG heard)
)

// Errors a handler sees through its context (context.Cause) or from
// Bridge, and that Accept returns.
var (
	ErrHungUp       = errors.New("acd: caller hung up")
	ErrShutdown     = errors.New("acd: switch shutting down")
	ErrTooManyCalls = errors.New("acd: too many calls")
)

// LegRecord is one leg in a CallRecord.
type LegRecord struct {
	ID    string `json:"id"`
	Party Party  `json:"party"`
	// State is what a standby needs to take the leg over (see
	// StateExporter); only Switch.Snapshot fills it.
	State json.RawMessage `json:"state,omitempty"`
}

// StateExporter is implemented by legs that can describe themselves for
// a standby box: the SIP dialog (Call-ID, tags, CSeq, route set, remote
// target) and media state (ports, peer, codec, SSRC and sequence
// offsets), as the leg's own JSON.
type StateExporter interface {
	ExportState() (json.RawMessage, error)
}

// CallRecord is the plain, exportable state of a call: what the status
// page shows, what CallEnded carries to the CDR writer and what the
// standby replicates.
type CallRecord struct {
	ID          string            `json:"id"`
	Caller      Party             `json:"caller"`
	Dialed      string            `json:"dialed"` // the number the caller dialled (DNIS)
	Direction   Direction         `json:"direction"`
	Legs        []LegRecord       `json:"legs"`
	Start       time.Time         `json:"start"`
	Answer      time.Time         `json:"answer,omitzero"`
	End         time.Time         `json:"end,omitzero"`
	Route       []string          `json:"route,omitempty"` // steps taken: "ext:201", "flow:main", "queue:sales"
	Data        map[string]string `json:"data,omitempty"`  // IVR digits, customer ID, ...
	Queue       string            `json:"queue,omitempty"`
	Agent       string            `json:"agent,omitempty"`
	Callee      Party             `json:"callee"` // the last party bridged to the caller
	Recording   string            `json:"recording,omitempty"`
	MOS         float64           `json:"mos,omitempty"`
	Disposition Disposition       `json:"disposition,omitempty"`
	HangupSide  HangupSide        `json:"hangupSide,omitempty"`
	Cause       Cause             `json:"cause,omitempty"`
}

// Call is one call in the switch: the caller's leg, the legs bridged to
// it, and what happened. Its methods are safe for use by the handler and
// by readers (status, snapshots) at once.
type Call struct {
	sw *Switch

	mu       sync.Mutex
	caller   Leg // the caller's slot: a transfer may put another leg in it
	rec      CallRecord
	in       []Leg // every leg, the caller's first
	released map[Leg]bool
	br       *bridge  // the live bridge, if any
	brIDs    []string // the IDs of its parties
	brLegs   []Leg    // its parties
	// parkedCaller: the caller's slot is leaving in a transfer, so its
	// hang-up does not end the call.
	parkedCaller bool
	// watch is the switch's watch of the caller's slot (see
	// Switch.run): while on, the caller's end ends the call.
	watch callerWatch
	// live is closed once the current bridge is wired (see Bridged); a
	// bridge's end sets it back to nil, so the next Bridged is open.
	live chan struct{}
}

// ID is the call's unique ID.
func (c *Call) ID() string { return c.rec.ID }

// Caller is the leg in the caller's slot: the leg the call came in on,
// or the party a transfer put in its place.
func (c *Call) Caller() Leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.caller
}

// Dialed is the number the caller dialled (DNIS, extension, feature code).
func (c *Call) Dialed() string { return c.rec.Dialed }

// Legs returns every leg the call has had, the caller's first.
func (c *Call) Legs() []Leg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Leg(nil), c.in...)
}

// Record returns a copy of the call's current state.
func (c *Call) Record() CallRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.rec
	r.Legs = append([]LegRecord(nil), c.rec.Legs...)
	r.Route = append([]string(nil), c.rec.Route...)
	r.Data = maps.Clone(c.rec.Data)
	return r
}

// Answered reports whether the caller's leg has been answered.
func (c *Call) Answered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.rec.Answer.IsZero()
}

// Answer answers the caller's leg (once) and publishes CallAnswered.
func (c *Call) Answer(ctx context.Context) error {
	if c.Answered() {
		return nil
	}
	if err := c.Caller().Answer(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	if !c.rec.Answer.IsZero() {
		c.mu.Unlock()
		return nil
	}
	c.rec.Answer = c.sw.now()
	c.mu.Unlock()
	c.sw.publish(CallAnswered{Call: c.Record()})
	return nil
}

// AddRoute appends a step to the call's route ("flow:main",
// "queue:sales"); the CDR joins them with ">".
func (c *Call) AddRoute(step string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rec.Route = append(c.rec.Route, step)
}

// RouteString is the route as a CDR writes it.
func (r CallRecord) RouteString() string { return strings.Join(r.Route, ">") }

// Handoff publishes h (a stage of a transfer of this call) on the bus,
// stamped with the call's current record.
func (c *Call) Handoff(h CallHandoff) {
	h.Call = c.Record()
	c.sw.publish(h)
}

// Set stores a value in the call's data (IVR digits, customer ID).
func (c *Call) Set(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec.Data == nil {
		c.rec.Data = map[string]string{}
	}
	c.rec.Data[key] = value
}

// Get reads a value from the call's data.
func (c *Call) Get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.rec.Data[key]
	return v, ok
}

// SetDirection overrides the direction guessed from the caller's source.
func (c *Call) SetDirection(d Direction) { c.update(func(r *CallRecord) { r.Direction = d }) }

// SetQueue records the queue the call waited in.
func (c *Call) SetQueue(q string) { c.update(func(r *CallRecord) { r.Queue = q }) }

// SetAgent records the agent who took the call.
func (c *Call) SetAgent(a string) { c.update(func(r *CallRecord) { r.Agent = a }) }

// SetRecording records the ID of the call's recording.
func (c *Call) SetRecording(id string) { c.update(func(r *CallRecord) { r.Recording = id }) }

// SetMOS records the call's estimated voice quality (1-5).
func (c *Call) SetMOS(mos float64) { c.update(func(r *CallRecord) { r.MOS = mos }) }

// SetDisposition records an outcome only the handler knows.
func (c *Call) SetDisposition(d Disposition) { c.update(func(r *CallRecord) { r.Disposition = d }) }

func (c *Call) update(f func(r *CallRecord)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.rec)
}

// noteEnd records who ended the call and why; the first note wins.
func (c *Call) noteEnd(side HangupSide, cause Cause) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec.HangupSide == "" {
		c.rec.HangupSide, c.rec.Cause = side, cause
	}
}

func (c *Call) addLeg(l Leg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, have := range c.in {
		if have == l {
			return
		}
	}
	c.in = append(c.in, l)
	c.rec.Legs = append(c.rec.Legs, LegRecord{ID: l.ID(), Party: l.Caller()})
}

// endCause is why an ended leg ended, normal clearing when it cannot say.
func endCause(l Leg) Cause {
	if r, ok := l.(CauseReporter); ok {
		if c := r.EndCause(); c.Valid() {
			return c
		}
	}
	return CauseNormalClearing
}
