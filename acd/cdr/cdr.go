// Package cdr writes a call detail record to the store for every call
// that ends: a subscriber on the switch's event bus that turns each
// acd.CallEnded into a store.CDR.
package cdr

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

// Buffer is the writer's event queue length: enough for a burst of
// thousands of calls ending at once while the disk is slow.
const Buffer = 4096

// maxBatch is the most CDRs one store transaction commits, and gather
// how long the first of them waits for the others.
const (
	maxBatch = 256
	gather   = 50 * time.Millisecond
)

// Writer is the CDR subscriber. Run owns its only goroutine.
type Writer struct {
	st    *store.Store
	bus   *acd.Bus
	log   *slog.Logger
	ready chan struct{}
	last  uint64 // the bus sequence number of the last event read
}

// Option configures a Writer.
type Option func(*Writer)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(w *Writer) { w.log = l } }

// New makes a writer for the calls on bus.
func New(st *store.Store, bus *acd.Bus, opts ...Option) *Writer {
	w := &Writer{st: st, bus: bus, log: slog.Default(), ready: make(chan struct{})}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Name implements the firmware's service interface.
func (w *Writer) Name() string { return "cdr" }

// Ready is closed once Run has subscribed; calls that end after it are
// recorded. Start the writer before the switch takes calls.
func (w *Writer) Ready() <-chan struct{} { return w.ready }

// Run writes a CDR for every CallEnded until ctx ends. A record that
// fails to save is logged and skipped: a CDR must never hold up calls.
//
// A CDR waits up to gather for the calls that end after it, and they go
// to the store together, in one transaction and one sync to disk: at
// hundreds of calls a second, a transaction and a sync per CDR were a
// fifth of the box's CPU.
func (w *Writer) Run(ctx context.Context) error {
	events := w.bus.Subscribe(ctx, acd.WithBuffer(Buffer), acd.WithName("cdr"))
	close(w.ready)
	batch := make([]store.CDR, 0, maxBatch)
	window := time.NewTimer(gather)
	for e := range events {
		batch = w.take(batch[:0], e)
		if len(batch) == 0 {
			continue
		}
		window.Reset(gather)
		open := true
		for open && len(batch) < maxBatch {
			select {
			case e, ok := <-events:
				if !ok {
					open = false
					break
				}
				batch = w.take(batch, e)
			case <-window.C:
				open = false
			}
		}
		w.saveAll(batch)
	}
	window.Stop()
	return nil
}

// take appends e's CDR to batch when e is a call's end.
func (w *Writer) take(batch []store.CDR, e acd.Event) []store.CDR {
	if seq := e.Meta().Seq; w.last != 0 && seq > w.last+1 {
		w.log.Error("cdr: events lost; some calls have no CDR", "missed", seq-w.last-1)
	}
	w.last = e.Meta().Seq
	if end, ok := e.(acd.CallEnded); ok {
		batch = append(batch, FromCall(end.Call))
	}
	return batch
}

// saveAll writes recs in one transaction. When that fails (a full disk,
// a key the store refuses), each is tried alone, so that one bad record
// does not lose the others.
func (w *Writer) saveAll(recs []store.CDR) {
	rs := make([]store.Record, 0, len(recs))
	for i := range recs {
		if err := w.fit(&recs[i]); err != nil {
			w.log.Error("cdr: saving failed", "call_id", recs[i].ID, "err", err)
			continue
		}
		rs = append(rs, recs[i])
	}
	if len(rs) == 0 {
		return
	}
	if _, err := store.PutAll(w.st, rs...); err == nil {
		return
	} else if len(rs) == 1 {
		w.log.Error("cdr: saving failed", "call_id", rs[0].Key(), "err", err)
		return
	}
	for _, r := range rs {
		if _, err := store.PutAll(w.st, r); err != nil {
			w.log.Error("cdr: saving failed", "call_id", r.Key(), "err", err)
		}
	}
}

// fit readies rec for the store. A record that fails validation only in
// fields the CDR can do without (an agent name where a number belongs,
// an over-long route) is saved without them rather than lost.
func (w *Writer) fit(rec *store.CDR) error {
	err := rec.Validate()
	var verr *store.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	for _, f := range verr.Fields {
		if !dropOptional(rec, f.Field) {
			return err
		}
	}
	w.log.Warn("cdr: fields dropped to save the record", "call_id", rec.ID, "err", err)
	return rec.Validate()
}

// dropOptional clears an optional field by its JSON name; false for a
// field the record cannot be without.
func dropOptional(c *store.CDR, field string) bool {
	switch field {
	case "callerName":
		c.CallerName = ""
	case "source":
		c.Source = ""
	case "route":
		c.Route = ""
	case "queue":
		c.Queue = ""
	case "agent":
		c.Agent = ""
	case "recording":
		c.Recording = ""
	case "mos":
		c.MOS = 0
	case "hangupSide":
		c.HangupSide = ""
	case "hangupCause":
		c.HangupCause = 0
	default:
		return false
	}
	return true
}

// FromCall is the CDR of an ended call.
func FromCall(r acd.CallRecord) store.CDR {
	c := store.CDR{
		ID:          r.ID,
		Caller:      orDefault(r.Caller.Number, "anonymous"),
		CallerName:  r.Caller.Name,
		Callee:      orDefault(r.Callee.Number, orDefault(r.Dialed, "unknown")),
		Direction:   store.DirectionOut,
		Source:      r.Caller.Origin(),
		Route:       r.RouteString(),
		Queue:       r.Queue,
		Agent:       r.Agent,
		Start:       r.Start,
		Answer:      r.Answer,
		End:         r.End,
		Disposition: disposition(r),
		HangupSide:  store.HangupSide(r.HangupSide),
		HangupCause: int(r.Cause),
		Recording:   r.Recording,
	}
	if r.Direction == acd.DirectionIn {
		c.Direction = store.DirectionIn
	}
	if r.MOS >= 1 && r.MOS <= 5 {
		c.MOS = r.MOS
	}
	return c
}

// disposition classifies how the call ended for the caller.
func disposition(r acd.CallRecord) store.Disposition {
	switch r.Disposition {
	case acd.DispositionVoicemail:
		return store.DispositionVoicemail
	case acd.DispositionAbandoned:
		return store.DispositionAbandoned
	case acd.DispositionFax:
		return store.DispositionFax
	}
	queuedUnserved := r.Queue != "" && r.Agent == "" && r.HangupSide == acd.SideCaller
	switch {
	case queuedUnserved:
		return store.DispositionAbandoned
	case !r.Answer.IsZero():
		return store.DispositionAnswered
	case r.Cause == acd.CauseUserBusy:
		return store.DispositionBusy
	case r.HangupSide == acd.SideCaller, r.Cause == acd.CauseNoAnswer, r.Cause == acd.CauseNoUserResponding,
		r.Cause == acd.CauseNormalClearing:
		return store.DispositionNoAnswer
	}
	return store.DispositionFailed
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
