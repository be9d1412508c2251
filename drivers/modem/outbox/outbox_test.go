package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"callbox/drivers/modem/outbox"
	"callbox/firmware/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
	ws []struct {
		at time.Time
		ch chan time.Time
	}
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.t
		return ch
	}
	c.ws = append(c.ws, struct {
		at time.Time
		ch chan time.Time
	}{c.t.Add(d), ch})
	return ch
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	for _, w := range c.ws {
		if !w.at.After(c.t) {
			select {
			case w.ch <- c.t:
			default:
			}
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOutbox_RetriesThenFailsWithLastErrorAndFailsPermanentErrorsAtOnce(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	calls := map[string]int{}
	send := func(_ context.Context, m store.Message) (store.MessageState, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[m.Number]++
		if m.Number == "+8613900000001" {
			return "", fmt.Errorf("%w: bad number", outbox.ErrPermanent)
		}
		return "", errors.New("network busy")
	}
	o := outbox.New(st, store.ChannelSMS, "gsm0", send, outbox.WithClock(c), outbox.WithRetryDelays(time.Minute, 5*time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); o.Run(ctx) }()
	defer func() { cancel(); <-done }()
	perm, err := o.Enqueue(store.Message{Number: "+8613900000001", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	temp, err := o.Enqueue(store.Message{Number: "+8613900000002", Text: "y"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(id string) store.Message {
		m, err := store.Get[store.Message](st, id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	waitFor(t, "permanent failure", func() bool { return get(perm.ID).State == store.StateFailed })
	waitFor(t, "first try", func() bool { m := get(temp.ID); return m.Attempts == 1 && m.State == store.StateQueued })
	c.Advance(time.Minute)
	waitFor(t, "second try", func() bool { m := get(temp.ID); return m.Attempts == 2 && m.State == store.StateQueued })
	c.Advance(5 * time.Minute)
	waitFor(t, "final failure", func() bool { return get(temp.ID).State == store.StateFailed })
	m := get(temp.ID)
	if m.Attempts != 3 || m.LastError != "network busy" {
		t.Fatalf("record %+v", m)
	}
	if p := get(perm.ID); p.Attempts != 1 {
		t.Fatalf("permanent error retried: %+v", p)
	}
}
