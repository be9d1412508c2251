// Package outbox is the persistent send queue of the modem services: SMS
// and faxes waiting to go out are store.Message records in state queued,
// so they survive a restart; one goroutine sends what is due, retries
// temporary failures with growing delays and gives every message a clear
// final state (sent, delivered or failed, with the last error).
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"callbox/firmware/store"
)

// ErrPermanent marks a send error that retrying cannot fix (a bad number, a
// document that is not a fax image): the message fails at once.
var ErrPermanent = errors.New("outbox: permanent failure")

// Clock is the time source; tests drive a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the wall clock.
var RealClock Clock = realClock{}

// SendFunc sends one message. It returns the state the message reached
// (store.StateSent, or StateDelivered when the medium confirms delivery
// itself, as a fax does). An error wrapping ErrPermanent fails the message;
// any other error is retried.
type SendFunc func(ctx context.Context, m store.Message) (store.MessageState, error)

// Outbox sends queued messages of one channel.
type Outbox struct {
	st      *store.Store
	channel store.Channel
	line    string
	send    SendFunc
	clock   Clock
	log     *slog.Logger
	// Retry delays; after the last the message fails.
	delays []time.Duration
	kick   chan struct{}
	onDone func(store.Message)
}

// Option configures an Outbox.
type Option func(*Outbox)

// WithClock sets the clock.
func WithClock(c Clock) Option { return func(o *Outbox) { o.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *Outbox) { o.log = l } }

// WithRetryDelays sets the waits between attempts; len(d)+1 attempts are
// made in all.
func WithRetryDelays(d ...time.Duration) Option { return func(o *Outbox) { o.delays = d } }

// WithOnDone sets a function called after a message's final state (sent,
// delivered, failed) is stored, on the outbox's goroutine.
func WithOnDone(f func(store.Message)) Option { return func(o *Outbox) { o.onDone = f } }

// New returns the outbox of one channel (sms or fax) on one line (modem
// name): it sends the queued messages whose Line is line.
func New(st *store.Store, channel store.Channel, line string, send SendFunc, opts ...Option) *Outbox {
	o := &Outbox{st: st, channel: channel, line: line, send: send, clock: RealClock, log: slog.Default(),
		delays: []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute},
		kick:   make(chan struct{}, 1)}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// NewID returns a fresh message ID: time-ordered, with a random tail.
func NewID(prefix string, now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s", prefix, now.UTC().Format("20060102T150405.000000"), hex.EncodeToString(b[:]))
}

// Enqueue stores m as queued (ID, times and state filled in) and wakes the
// sender. The record is validated by the store.
func (o *Outbox) Enqueue(m store.Message) (store.Message, error) {
	now := o.clock.Now()
	if m.ID == "" {
		m.ID = NewID(string(o.channel)+"-out", now)
	}
	m.Channel, m.Direction, m.State, m.Line = o.channel, store.DirectionOut, store.StateQueued, o.line
	m.CreatedAt, m.UpdatedAt, m.NextAttempt, m.Attempts = now, now, now, 0
	if _, err := store.Create(o.st, m); err != nil {
		return store.Message{}, err
	}
	o.Kick()
	return m, nil
}

// Kick wakes the sender to look for due messages.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx ends. Messages left "sending" by a crash
// are queued again first: a message may then go out twice, never zero times.
func (o *Outbox) Run(ctx context.Context) error {
	if err := o.requeueInterrupted(); err != nil {
		return err
	}
	for {
		next, err := o.sendDue(ctx)
		if err != nil {
			return err
		}
		var wake <-chan time.Time
		if !next.IsZero() {
			wake = o.clock.After(max(next.Sub(o.clock.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-o.kick:
		case <-wake:
		}
	}
}

func (o *Outbox) pending() ([]store.Message, error) {
	var out []store.Message
	err := store.ListFunc(o.st, "", func(m store.Message) bool {
		if m.Channel == o.channel && m.Line == o.line && m.Direction == store.DirectionOut && (m.State == store.StateQueued || m.State == store.StateSending) {
			out = append(out, m)
		}
		return true
	})
	return out, err
}

func (o *Outbox) requeueInterrupted() error {
	msgs, err := o.pending()
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.State == store.StateSending {
			m.State = store.StateQueued
			if _, err := store.Put(o.st, m); err != nil {
				return err
			}
			o.log.Warn("message was being sent when the box stopped; queued again", "id", m.ID)
		}
	}
	return nil
}

// sendDue sends every message whose time has come, oldest first, and returns
// when the next one is due (zero if none waits).
func (o *Outbox) sendDue(ctx context.Context) (time.Time, error) {
	msgs, err := o.pending()
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	for _, m := range msgs {
		if ctx.Err() != nil {
			return time.Time{}, nil
		}
		if m.NextAttempt.After(o.clock.Now()) {
			if next.IsZero() || m.NextAttempt.Before(next) {
				next = m.NextAttempt
			}
			continue
		}
		m, err := o.attempt(ctx, m)
		if err != nil {
			return time.Time{}, err
		}
		if m.State == store.StateQueued && (next.IsZero() || m.NextAttempt.Before(next)) {
			next = m.NextAttempt
		}
	}
	return next, nil
}

// attempt sends one message and records the outcome.
func (o *Outbox) attempt(ctx context.Context, m store.Message) (store.Message, error) {
	m.State, m.Attempts, m.UpdatedAt = store.StateSending, m.Attempts+1, o.clock.Now()
	if _, err := store.Put(o.st, m); err != nil {
		return m, err
	}
	state, err := o.send(ctx, m)
	m.UpdatedAt = o.clock.Now()
	switch {
	case err == nil:
		m.State, m.LastError = state, ""
		o.log.Info("message sent", "id", m.ID, "channel", m.Channel, "attempts", m.Attempts)
	case ctx.Err() != nil:
		m.State = store.StateQueued // shutting down: try again after restart
	case errors.Is(err, ErrPermanent) || m.Attempts > len(o.delays):
		m.State, m.LastError = store.StateFailed, truncate(err.Error())
		o.log.Warn("message failed", "id", m.ID, "attempts", m.Attempts, "err", err)
	default:
		m.State, m.LastError = store.StateQueued, truncate(err.Error())
		m.NextAttempt = m.UpdatedAt.Add(o.delays[m.Attempts-1])
		o.log.Info("message send failed, will retry", "id", m.ID, "attempt", m.Attempts, "at", m.NextAttempt, "err", err)
	}
	if _, perr := store.Put(o.st, m); perr != nil {
		return m, perr
	}
	if m.State != store.StateQueued && o.onDone != nil {
		o.onDone(m)
	}
	return m, nil
}

func truncate(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
