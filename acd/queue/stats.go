package queue

import (
	"context"
	"sync"
	"time"

	"callbox/acd"
	"callbox/acd/servicelevel"
)

// StatsEvery is the shortest gap between two acd.QueueStats of one queue
// on the bus: a busy queue changes many times a second, and a wallboard
// needs no more.
const StatsEvery = time.Second

// statsMarks collects the queues whose figures changed since the
// publisher last looked. The dispatcher marks them under its own lock, so
// the publisher reads the figures later, outside it.
type statsMarks struct {
	mu    sync.Mutex
	all   bool // an agent moved: every queue it serves may have changed
	dirty map[string]bool
	wake  chan struct{}
}

func newStatsMarks() *statsMarks {
	return &statsMarks{dirty: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// mark notes a change of queue ("" for every queue) and wakes the
// publisher without blocking.
func (m *statsMarks) mark(queue string) {
	m.mu.Lock()
	if queue == "" {
		m.all = true
	} else {
		m.dirty[queue] = true
	}
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// take returns and clears the marks.
func (m *statsMarks) take() (all bool, dirty map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	all, dirty = m.all, m.dirty
	m.all, m.dirty = false, map[string]bool{}
	return all, dirty
}

// markStats notes which queue's figures an event of the dispatcher
// changed. It runs under the dispatcher's lock.
func (l *Live) markStats(e Event) {
	if l.bus == nil {
		return
	}
	switch e := e.(type) {
	case Joined:
		l.stats.mark(e.Queue)
	case Left:
		l.stats.mark(e.Queue)
	case CallbackChanged:
		l.stats.mark(e.Callback.Queue)
	default:
		// Agent state changes: the agent may serve any queue, and the
		// dispatcher's lock is held, so the memberships are read later.
		l.stats.mark("")
	}
}

// serveStats publishes acd.QueueStats for every queue whose figures
// changed, at most once per StatsEvery per queue, and only when the
// figures differ from the last ones published. The pacing is real time
// (it limits the output rate, it is not call logic), so it holds under a
// test's frozen clock too.
func (l *Live) serveStats(ctx context.Context) {
	last := map[string]acd.QueueStats{}
	sent := map[string]time.Time{}
	pending := map[string]bool{}
	timer := time.NewTimer(StatsEvery)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.stats.wake:
		case <-timer.C:
		}
		all, dirty := l.stats.take()
		for q := range pending {
			dirty[q] = true
		}
		if all {
			for _, q := range l.d.QueueNames() {
				dirty[q] = true
			}
		}
		clear(pending)
		var next time.Duration
		for q := range dirty {
			if wait := StatsEvery - time.Since(sent[q]); !sent[q].IsZero() && wait > 0 {
				pending[q] = true
				if next == 0 || wait < next {
					next = wait
				}
				continue
			}
			snap, err := l.d.Snapshot(q)
			if err != nil {
				// The queue was removed: forget it.
				delete(last, q)
				delete(sent, q)
				continue
			}
			ev := statsOf(snap)
			if sameStats(ev, last[q]) {
				continue
			}
			last[q], sent[q] = ev, time.Now()
			l.bus.Publish(ev)
		}
		if next > 0 {
			timer.Reset(next)
		}
	}
}

// statsOf turns a snapshot into the bus's event.
func statsOf(s servicelevel.Snapshot) acd.QueueStats {
	return acd.QueueStats{Queue: s.Queue, Waiting: s.Waiting, OldestWait: s.OldestWait, Callbacks: s.Callbacks,
		LoggedIn: s.LoggedIn, Available: s.Available, EstimatedWait: s.EstimatedWait,
		Offered: s.Day.Offered, Answered: s.Day.Answered, Abandoned: s.Day.Abandoned,
		ServiceLevel: s.Day.ServiceLevel(), LongestWait: s.Day.LongestWait, ASA: s.Day.ASA(),
		IntervalServiceLevel: s.Current.ServiceLevel()}
}

// sameStats reports whether a and b show the same figures, leaving out
// the oldest caller's wait, which grows by itself while nothing happens.
func sameStats(a, b acd.QueueStats) bool {
	a.M, b.M = acd.Meta{}, acd.Meta{}
	a.OldestWait, b.OldestWait = 0, 0
	return a == b
}
