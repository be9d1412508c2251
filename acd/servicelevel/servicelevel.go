// Package servicelevel counts what happened to queue calls per queue and
// per 15-minute interval: offered, answered, abandoned (and abandoned
// within 5 s), answered within the queue's threshold (the service level),
// average speed of answer, longest wait, average handle and wrap-up time.
//
// A call is counted in the interval in which its wait ended (answered,
// abandoned, overflowed or turned into a callback), so every figure of an
// interval is final once the interval is over; handle and wrap-up times
// are counted when the agent's wrap-up ends. Service level is
//
//	answered within threshold / (offered - abandoned within 5 s)
//
// because a caller who hangs up within seconds never gave the queue a
// chance. A Tracker is not safe for concurrent use; its owner serializes
// calls.
package servicelevel

import (
	"slices"
	"time"

	"callbox/firmware/store"
)

// IntervalLength is the reporting interval.
const IntervalLength = 15 * time.Minute

// ShortAbandon is the wait under which an abandoned call does not count
// against the service level.
const ShortAbandon = 5 * time.Second

// Outcome is how a wait ended.
type Outcome int

// The outcomes.
const (
	Answered Outcome = iota
	Abandoned
	Overflowed
	// Callback: the caller left a callback request; the callback's own
	// result is counted apart.
	Callback
)

// Interval holds the figures of one queue for one interval (or a day).
// It is the store's record of a finished interval (store.QueueInterval),
// so the two convert into each other as they are and the fields, their
// JSON names and their meaning are defined once, in the store.
type Interval store.QueueInterval

// ServiceLevel returns the percentage of calls answered within the
// threshold, 100 when no call counted.
func (iv Interval) ServiceLevel() float64 {
	n := iv.Counted()
	if n <= 0 {
		return 100
	}
	return 100 * float64(iv.AnsweredInSL) / float64(n)
}

// Counted is the number of calls the service level counts: offered, less
// the short abandons. ServiceLevel is 100 when it is 0, as no caller was
// kept waiting too long; a report that must show "no calls" instead asks
// Counted.
func (iv Interval) Counted() int { return iv.Offered - iv.AbandonedShort }

// AbandonRate returns the percentage of offered calls abandoned, 0 when
// none was offered.
func (iv Interval) AbandonRate() float64 {
	if iv.Offered == 0 {
		return 0
	}
	return 100 * float64(iv.Abandoned) / float64(iv.Offered)
}

// ASA returns the average speed of answer.
func (iv Interval) ASA() time.Duration { return avg(iv.AnswerWait, iv.Answered) }

// AHT returns the average handle time (talk plus wrap-up).
func (iv Interval) AHT() time.Duration { return avg(iv.TalkTime+iv.WrapTime, iv.Handled) }

// AvgWrapUp returns the average wrap-up time.
func (iv Interval) AvgWrapUp() time.Duration { return avg(iv.WrapTime, iv.Handled) }

func avg(sum time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return sum / time.Duration(n)
}

// Add adds o's figures to iv: counts and times are summed, the longest
// wait is the longer of the two. Queue and Start stay iv's.
func (iv *Interval) Add(o Interval) {
	iv.Offered += o.Offered
	iv.Answered += o.Answered
	iv.AnsweredInSL += o.AnsweredInSL
	iv.Abandoned += o.Abandoned
	iv.AbandonedShort += o.AbandonedShort
	iv.Overflowed += o.Overflowed
	iv.Callbacks += o.Callbacks
	iv.AnswerWait += o.AnswerWait
	iv.LongestWait = max(iv.LongestWait, o.LongestWait)
	iv.Handled += o.Handled
	iv.TalkTime += o.TalkTime
	iv.WrapTime += o.WrapTime
}

// Snapshot is a queue's live figures for the wallboard.
type Snapshot struct {
	Queue string `json:"queue"`
	// Current is the running interval, Day everything since midnight
	// (in the clock's zone).
	Current Interval `json:"current"`
	Day     Interval `json:"day"`
	// Waiting and OldestWait describe the live callers waiting now;
	// Callbacks counts the callbacks holding a place in the queue.
	Waiting    int           `json:"waiting"`
	OldestWait time.Duration `json:"oldestWait"`
	Callbacks  int           `json:"callbacks"`
	// Agents logged in to the queue and free to take a call.
	LoggedIn  int `json:"loggedIn"`
	Available int `json:"available"`
	// EstimatedWait for a caller joining now.
	EstimatedWait time.Duration `json:"estimatedWait"`
}

type key struct {
	queue string
	start int64 // unix seconds
}

// Tracker accumulates intervals.
type Tracker struct {
	open map[key]*Interval
	day  map[string]*Interval
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	return &Tracker{open: make(map[key]*Interval), day: make(map[string]*Interval)}
}

// IntervalStart returns the start of the interval holding t.
func IntervalStart(t time.Time) time.Time { return t.Truncate(IntervalLength) }

func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func (t *Tracker) slots(queue string, at time.Time) (*Interval, *Interval) {
	start := IntervalStart(at)
	k := key{queue, start.Unix()}
	iv, ok := t.open[k]
	if !ok {
		iv = &Interval{Queue: queue, Start: start}
		t.open[k] = iv
	}
	ds := dayStart(at)
	d, ok := t.day[queue]
	if !ok || d.Start.Before(ds) {
		d = &Interval{Queue: queue, Start: ds}
		t.day[queue] = d
	}
	return iv, d
}

// Waited counts a wait that ended at at after wait, with its outcome;
// threshold is the queue's service-level threshold for that call.
func (t *Tracker) Waited(queue string, at time.Time, wait, threshold time.Duration, o Outcome) {
	var c Interval
	c.Offered = 1
	c.LongestWait = wait
	switch o {
	case Answered:
		c.Answered = 1
		c.AnswerWait = wait
		if wait <= threshold {
			c.AnsweredInSL = 1
		}
	case Abandoned:
		c.Abandoned = 1
		if wait < ShortAbandon {
			c.AbandonedShort = 1
		}
	case Overflowed:
		c.Overflowed = 1
	case Callback:
		c.Callbacks = 1
	}
	iv, d := t.slots(queue, at)
	iv.Add(c)
	d.Add(c)
}

// Handled counts a finished call's talk and wrap-up time, at the end of
// wrap-up.
func (t *Tracker) Handled(queue string, at time.Time, talk, wrap time.Duration) {
	c := Interval{Handled: 1, TalkTime: talk, WrapTime: wrap}
	iv, d := t.slots(queue, at)
	iv.Add(c)
	d.Add(c)
}

// Current returns the interval of queue holding now, and the day so far.
func (t *Tracker) Current(queue string, now time.Time) (cur, day Interval) {
	start := IntervalStart(now)
	cur = Interval{Queue: queue, Start: start}
	if iv, ok := t.open[key{queue, start.Unix()}]; ok {
		cur = *iv
	}
	day = Interval{Queue: queue, Start: dayStart(now)}
	if d, ok := t.day[queue]; ok && !d.Start.Before(day.Start) {
		day = *d
	}
	return cur, day
}

// Drain removes and returns every interval that ended at or before now,
// by start then queue: these are final and go to the store.
func (t *Tracker) Drain(now time.Time) []Interval {
	var out []Interval
	for k, iv := range t.open {
		if !iv.Start.Add(IntervalLength).After(now) {
			out = append(out, *iv)
			delete(t.open, k)
		}
	}
	slices.SortFunc(out, func(a, b Interval) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if a.Queue < b.Queue {
			return -1
		}
		if a.Queue > b.Queue {
			return 1
		}
		return 0
	})
	return out
}

// Seed adds figures stored before a restart: to the day when iv is of
// now's day, and to the running interval when iv is that interval, so
// the figures go on from where they were and the interval drained later
// holds both parts.
func (t *Tracker) Seed(iv Interval, now time.Time) {
	ds := dayStart(now)
	if iv.Start.Before(ds) || iv.Start.After(now) {
		return
	}
	if IntervalStart(now).Equal(iv.Start) {
		cur, d := t.slots(iv.Queue, now)
		cur.Add(iv)
		d.Add(iv)
		return
	}
	d, ok := t.day[iv.Queue]
	if !ok || d.Start.Before(ds) {
		d = &Interval{Queue: iv.Queue, Start: ds}
		t.day[iv.Queue] = d
	}
	d.Add(iv)
}

// Running returns copies of the intervals not yet ended at now (the
// running ones, partial), by queue: what a shutdown stores so a restart
// can Seed them.
func (t *Tracker) Running(now time.Time) []Interval {
	var out []Interval
	for _, iv := range t.open {
		if iv.Start.Add(IntervalLength).After(now) {
			out = append(out, *iv)
		}
	}
	slices.SortFunc(out, func(a, b Interval) int {
		if a.Queue < b.Queue {
			return -1
		}
		if a.Queue > b.Queue {
			return 1
		}
		return a.Start.Compare(b.Start)
	})
	return out
}
