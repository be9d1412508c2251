package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Op is what a change did.
type Op string

// The operations.
const (
	OpPut    Op = "put"
	OpDelete Op = "delete"
)

// Change is one committed write, as the change feed delivers it. The
// record itself is read with Get (or Export); a change says only what
// changed, so the feed stays small and a reader always sees the latest
// value.
type Change struct {
	Seq  uint64    `json:"seq"`
	Kind Kind      `json:"kind"`
	Key  string    `json:"key"`
	Op   Op        `json:"op"`
	At   time.Time `json:"at"`
}

func encodeChange(c Change) ([]byte, error) { return json.Marshal(c) }

// DecodeChange reads one change-log entry (as Export and the log store
// them). It never panics on bad input.
func DecodeChange(b []byte) (Change, error) {
	var c Change
	if err := strictUnmarshal(b, &c); err != nil {
		return Change{}, fmt.Errorf("store: change: %w", err)
	}
	if c.Seq == 0 || !c.Kind.Valid() || (c.Op != OpPut && c.Op != OpDelete) || checkKey(c.Kind, c.Key) != nil {
		return Change{}, errors.New("store: change: invalid fields")
	}
	return c, nil
}

func decodeSeq(k []byte) uint64 { return binary.BigEndian.Uint64(k) }

// Seq returns the sequence number of the last committed write (0 for a new
// store).
func (s *Store) Seq() uint64 { return s.seq.Load() }

// OldestSeq returns the sequence number of the oldest change still in the
// log, or Seq()+1 when the log is empty. A subscriber can resume after any
// seq >= OldestSeq()-1; one further behind must reload everything.
func (s *Store) OldestSeq() uint64 {
	oldest := s.Seq() + 1
	_ = s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketChanges); b != nil {
			if k, _ := b.Cursor().First(); len(k) == 8 {
				oldest = decodeSeq(k)
			}
		}
		return nil
	})
	return oldest
}

// committed advances the published sequence number and wakes subscribers.
// Writers never wait for a subscriber: a wake-up is a non-blocking send on
// a one-slot channel.
func (s *Store) committed(c Change) {
	for {
		cur := s.seq.Load()
		if c.Seq <= cur || s.seq.CompareAndSwap(cur, c.Seq) {
			break
		}
	}
	s.mu.Lock()
	s.recent[c.Seq%recentChanges] = c
	for sub := range s.subs {
		select {
		case sub.wake <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
}

type subscriber struct{ wake chan struct{} }

// feedBatch is how many changes a subscriber reads per transaction.
const feedBatch = 256

// Subscribe delivers every change with a sequence number greater than
// after, in order, without gaps: first those still in the log, then new
// ones as they commit. Subscribe(ctx, s.Seq()) sees only what comes next.
//
// The channel is closed when ctx ends, when the store closes, or when the
// subscriber has fallen so far behind that the changes it needs have left
// the log (see WithFeedLimit), including a subscription whose after is
// already too old or is beyond Seq(). Writers never wait for subscribers.
// A subscriber whose channel closed while its ctx is alive resubscribes
// from the last Seq it handled; if that is older than OldestSeq()-1 it
// must reload all records it mirrors.
func (s *Store) Subscribe(ctx context.Context, after uint64) <-chan Change {
	out := make(chan Change, 64)
	sub := &subscriber{wake: make(chan struct{}, 1)}
	s.mu.Lock()
	select {
	case <-s.closing:
		s.mu.Unlock()
		close(out)
		return out
	default:
	}
	s.subs[sub] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go s.serve(ctx, sub, after, out)
	return out
}

func (s *Store) serve(ctx context.Context, sub *subscriber, last uint64, out chan<- Change) {
	defer s.wg.Done()
	defer close(out)
	defer func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
	}()
	for {
		batch, err := s.readLog(last, feedBatch)
		if err != nil {
			s.opts.log.Warn("store: subscriber dropped", "after", last, "err", err)
			return
		}
		for _, c := range batch {
			select {
			case out <- c:
				last = c.Seq
			case <-ctx.Done():
				return
			case <-s.closing:
				return
			}
		}
		if len(batch) > 0 {
			// Read again before sleeping: more may have committed, or
			// the log may be broken after this run.
			continue
		}
		select {
		case <-sub.wake:
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		}
	}
}

// errFeedGap means the changes a subscriber needs are no longer kept.
var errFeedGap = errors.New("store: changes after this sequence number are no longer in the log")

// recentChanges is how many of the last changes the store keeps in
// memory for its subscribers.
const recentChanges = 1024

// readLog returns up to max changes after seq, or errFeedGap when the
// first one it needs has been trimmed (or seq is ahead of the store).
func (s *Store) readLog(after uint64, max int) ([]Change, error) {
	if after == s.Seq() {
		// Nothing new: the next commit wakes the subscriber.
		return nil, nil
	}
	if out := s.recentAfter(after, max); len(out) > 0 {
		return out, nil
	}
	return s.readStored(after, max)
}

// readStored is readLog from the change log on disk.
func (s *Store) readStored(after uint64, max int) ([]Change, error) {
	var out []Change
	err := s.db.View(func(tx *bolt.Tx) error {
		last := readUint(tx.Bucket(bucketMeta), keySeq)
		if after > last {
			return fmt.Errorf("%w: %d is beyond the last change %d", errFeedGap, after, last)
		}
		if after == last {
			return nil
		}
		b := tx.Bucket(bucketChanges)
		if b == nil {
			return errFeedGap
		}
		c := b.Cursor()
		want := after + 1
		// Deliver the run that is in order; the next read reports what
		// breaks it.
		var broken error
		for k, v := c.Seek(seqKey(want)); k != nil && len(out) < max; k, v = c.Next() {
			if len(k) != 8 || decodeSeq(k) != want {
				broken = fmt.Errorf("%w: want %d", errFeedGap, want)
				break
			}
			ch, err := DecodeChange(v)
			if err != nil || ch.Seq != want {
				broken = fmt.Errorf("%w: change log entry %d: %v", ErrCorrupt, want, err)
				break
			}
			out = append(out, ch)
			want++
		}
		if len(out) > 0 {
			return nil
		}
		if broken == nil {
			broken = fmt.Errorf("%w: want %d", errFeedGap, want)
		}
		return broken
	})
	return out, err
}

// recentAfter returns up to max changes after seq from those kept in
// memory, in order and without gaps, or none when the first one it needs
// is not kept there or may have left the log. Every subscriber reads
// every change: from memory, that is neither a read transaction nor a
// decoding per subscriber and change.
func (s *Store) recentAfter(after uint64, max int) []Change {
	last := s.seq.Load()
	if after >= last || last-after > min(recentChanges, s.opts.feedLimit) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Change, 0, min(int(last-after), max))
	for want := after + 1; want <= last && len(out) < max; want++ {
		c := s.recent[want%recentChanges]
		if c.Seq != want {
			break
		}
		out = append(out, c)
	}
	return out
}
