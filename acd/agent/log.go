package agent

import (
	"context"
	"errors"
	"log/slog"

	"callbox/acd"
	"callbox/firmware/store"
)

// Log keeps every agent state change published on the bus in the store
// (store.AgentEvent), for the reports: pause time by reason, occupancy,
// time logged in. It is a bus subscriber like the CDR writer; changes
// that arrive together are written in one transaction.
type Log struct {
	st    *store.Store
	bus   *acd.Bus
	log   *slog.Logger
	ready chan struct{}
}

// logBuffer is the subscriber's queue: a shift change where hundreds of
// agents log in at once while the disk is slow.
const logBuffer = 4096

// logBatch bounds the changes written in one transaction.
const logBatch = 256

// NewLog makes a Log of the agent changes on bus.
func NewLog(st *store.Store, bus *acd.Bus, l *slog.Logger) *Log {
	if l == nil {
		l = slog.Default()
	}
	return &Log{st: st, bus: bus, log: l, ready: make(chan struct{})}
}

// Name implements the firmware's service interface.
func (g *Log) Name() string { return "agentlog" }

// Ready is closed once Run has subscribed.
func (g *Log) Ready() <-chan struct{} { return g.ready }

// Run writes agent changes until ctx ends. A batch that fails to save is
// logged and dropped: the log must never hold up the ACD.
func (g *Log) Run(ctx context.Context) error {
	events := g.bus.Subscribe(ctx, acd.WithBuffer(logBuffer), acd.WithName("agentlog"))
	close(g.ready)
	var last uint64
	batch := make([]store.Record, 0, logBatch)
	for e := range events {
		batch = batch[:0]
		last = g.add(&batch, e, last)
	drain:
		for len(batch) < logBatch {
			select {
			case e, ok := <-events:
				if !ok {
					break drain
				}
				last = g.add(&batch, e, last)
			default:
				break drain
			}
		}
		if len(batch) == 0 {
			continue
		}
		g.save(batch)
	}
	return nil
}

// save writes batch in one transaction; when one change is refused (an
// agent ID the store does not take) the others are written one by one so
// that only the bad one is lost.
func (g *Log) save(batch []store.Record) {
	_, err := store.PutAll(g.st, batch...)
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			g.log.Error("agent log: changes not kept", "count", len(batch), "err", err)
		}
		return
	}
	for _, r := range batch {
		if _, err := store.PutAll(g.st, r); err != nil {
			g.log.Error("agent log: change not kept", "key", r.Key(), "err", err)
		}
	}
}

// add appends e to batch when it is an agent change, and reports events
// the bus dropped for this subscriber.
func (g *Log) add(batch *[]store.Record, e acd.Event, last uint64) uint64 {
	seq := e.Meta().Seq
	if last != 0 && seq > last+1 {
		g.log.Error("agent log: events lost; the reports miss some agent changes", "missed", seq-last-1)
	}
	c, ok := e.(acd.AgentStateChanged)
	if !ok {
		return seq
	}
	at := c.M.At
	*batch = append(*batch, store.AgentEvent{ID: store.NewID(at), At: at, Agent: c.Agent, From: string(c.From),
		To: string(c.To), Reason: c.Reason, CallID: c.CallID})
	return seq
}
