package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"callbox/firmware/store"
)

// HistoryIndex keeps the contact IDs of each caller number, following the
// store's change feed, so that a screen pop reads a caller's last contacts
// without scanning every contact (History does). It is safe for
// concurrent use; Run keeps it current.
type HistoryIndex struct {
	st   *store.Store
	plan Plan
	log  *slog.Logger

	mu    sync.RWMutex
	byNum map[string][]string // normalised number -> contact IDs
	numOf map[string]string   // contact ID -> its normalised number
	seq   uint64
	moved chan struct{} // closed and replaced when seq advances

	following atomic.Bool // Run follows the feed
}

// historyCatchUp bounds how long Recent waits for the index to apply the
// store changes made before it was asked (a call that just ended must be
// in the next pop of its caller); a lagging index is read as it is.
const historyCatchUp = 250 * time.Millisecond

// NewHistoryIndex indexes every contact of st by number.
func NewHistoryIndex(st *store.Store, plan Plan, log *slog.Logger) (*HistoryIndex, error) {
	if log == nil {
		log = slog.Default()
	}
	x := &HistoryIndex{st: st, plan: plan, log: log, moved: make(chan struct{})}
	if err := x.reload(); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *HistoryIndex) reload() error {
	seq := x.st.Seq()
	byNum, numOf := map[string][]string{}, map[string]string{}
	err := store.ListFunc(x.st, "", func(c store.Contact) bool {
		if n := x.plan.Normalize(c.Number); n != "" {
			byNum[n] = append(byNum[n], c.ID)
			numOf[c.ID] = n
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("directory: index contacts: %w", err)
	}
	x.mu.Lock()
	x.byNum, x.numOf = byNum, numOf
	x.advance(seq)
	x.mu.Unlock()
	return nil
}

// advance records that the index holds every change up to seq; x.mu is
// held.
func (x *HistoryIndex) advance(seq uint64) {
	x.seq = seq
	close(x.moved)
	x.moved = make(chan struct{})
}

// catchUp waits, at most historyCatchUp, until the index has applied
// every store change made before the call, while Run follows the feed.
func (x *HistoryIndex) catchUp() {
	if !x.following.Load() {
		return
	}
	target := x.st.Seq()
	timer := time.NewTimer(historyCatchUp)
	defer timer.Stop()
	for {
		x.mu.RLock()
		seq, moved := x.seq, x.moved
		x.mu.RUnlock()
		if seq >= target {
			return
		}
		select {
		case <-moved:
		case <-timer.C:
			return
		}
	}
}

// Run follows the store until ctx ends or the store closes (nil), keeping
// the index current; it rebuilds the index when it fell behind the feed.
func (x *HistoryIndex) Run(ctx context.Context) error {
	x.following.Store(true)
	defer x.following.Store(false)
	for {
		x.mu.RLock()
		after := x.seq
		x.mu.RUnlock()
		for c := range x.st.Subscribe(ctx, after) {
			if c.Kind == store.KindContact {
				x.apply(c.Key)
			}
			x.mu.Lock()
			x.advance(c.Seq)
			x.mu.Unlock()
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := x.reload(); errors.Is(err, store.ErrClosed) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func (x *HistoryIndex) apply(id string) {
	c, err := store.Get[store.Contact](x.st, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		x.log.Warn("directory: cannot read changed contact", "id", id, "err", err)
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.numOf[id]; ok {
		x.byNum[old] = slices.DeleteFunc(x.byNum[old], func(s string) bool { return s == id })
		if len(x.byNum[old]) == 0 {
			delete(x.byNum, old)
		}
		delete(x.numOf, id)
	}
	if err == nil {
		if n := x.plan.Normalize(c.Number); n != "" {
			x.byNum[n] = append(x.byNum[n], id)
			x.numOf[id] = n
		}
	}
}

// Recent lists the contacts with number, most recent first, at most limit
// (all when limit <= 0), as History does. While Run follows the store it
// first lets the index apply the changes made before the call (briefly,
// see historyCatchUp), so a call that just ended is in its caller's next
// pop.
func (x *HistoryIndex) Recent(number string, limit int) ([]store.Contact, error) {
	n := x.plan.Normalize(number)
	if n == "" {
		return nil, nil
	}
	x.catchUp()
	x.mu.RLock()
	ids := slices.Clone(x.byNum[n])
	x.mu.RUnlock()
	out := make([]store.Contact, 0, len(ids))
	for _, id := range ids {
		c, err := store.Get[store.Contact](x.st, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since; the feed will tell the index
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b store.Contact) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
