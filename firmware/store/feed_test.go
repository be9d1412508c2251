package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// recv reads one change, failing the test if the channel closes or stays
// silent far longer than any healthy run needs.
func recv(t *testing.T, ch <-chan Change) (Change, bool) {
	t.Helper()
	select {
	case c, ok := <-ch:
		return c, ok
	case <-time.After(20 * time.Second):
		t.Fatal("no change delivered")
		return Change{}, false
	}
}

func TestSubscribe_ResumesAfterSeqAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	at := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	s, err := Open(path, WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"201", "202", "203", "204"} {
		if _, err := Put(s, goodExtension(n)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Delete[Extension](s, "202"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Seq() != 5 || s.OldestSeq() != 1 {
		t.Fatalf("seq %d oldest %d", s.Seq(), s.OldestSeq())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Subscribe(ctx, 3)
	c, _ := recv(t, ch)
	if c.Seq != 4 || c.Key != "204" || c.Op != OpPut || !c.At.Equal(at) {
		t.Fatalf("first replayed change %+v", c)
	}
	c, _ = recv(t, ch)
	if c.Seq != 5 || c.Key != "202" || c.Op != OpDelete {
		t.Fatalf("second replayed change %+v", c)
	}
	if _, err := Put(s, Skill{Name: "billing"}); err != nil {
		t.Fatal(err)
	}
	c, _ = recv(t, ch)
	if c.Seq != 6 || c.Kind != KindSkill {
		t.Fatalf("live change %+v", c)
	}
}

func TestSubscribe_DeliversEveryChangeInOrderUnderConcurrentWriters(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Subscribe(ctx, 0)
	const writers, each = 4, 50
	done := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				_, err := Put(s, Skill{Name: "s" + string(rune('a'+w)) + string(rune('a'+i%26)) + string(rune('a'+i/26))})
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for want := uint64(1); want <= writers*each; want++ {
		c, ok := recv(t, ch)
		if !ok || c.Seq != want {
			t.Fatalf("want seq %d, got %+v (open %v)", want, c, ok)
		}
	}
}

func TestSubscribe_SlowSubscriberIsDroppedWithoutBlockingWriters(t *testing.T) {
	s := openTemp(t, WithFeedLimit(16))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Subscribe(ctx, 0)
	// Nobody reads ch while 500 writes commit: none of them may wait.
	for i := range 500 {
		if _, err := Put(s, goodExtension(string(rune('1'+i%9))+string(rune('0'+i/9%10))+string(rune('0'+i/90)))); err != nil {
			t.Fatal(err)
		}
	}
	if s.Seq() != 500 || s.OldestSeq() != 485 {
		t.Fatalf("seq %d oldest %d", s.Seq(), s.OldestSeq())
	}
	// The subscriber gets what was buffered, then its channel closes
	// because seq 1.. left the log long ago.
	n := 0
	for {
		c, ok := recv(t, ch)
		if !ok {
			break
		}
		if c.Seq != uint64(n+1) {
			t.Fatalf("out of order: %d after %d", c.Seq, n)
		}
		n++
	}
	if n >= 500 {
		t.Fatal("subscriber was not dropped")
	}
	// Resuming within the log works; from too far back it closes at once.
	ch = s.Subscribe(ctx, s.OldestSeq()-1)
	c, ok := recv(t, ch)
	if !ok || c.Seq != s.OldestSeq() {
		t.Fatalf("resume: %+v %v", c, ok)
	}
	if _, ok := recv(t, s.Subscribe(ctx, 3)); ok {
		t.Fatal("subscription from a trimmed seq delivered")
	}
	if _, ok := recv(t, s.Subscribe(ctx, 501)); ok {
		t.Fatal("subscription from beyond Seq delivered")
	}
}

func TestClose_EndsSubscriptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	chans := []<-chan Change{s.Subscribe(context.Background(), 0), s.Subscribe(context.Background(), 0)}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		if _, ok := recv(t, ch); ok {
			t.Fatal("delivery after close")
		}
	}
	if _, ok := recv(t, s.Subscribe(context.Background(), 0)); ok {
		t.Fatal("subscription after close delivered")
	}
	if _, err := Put(s, goodExtension("201")); err == nil {
		t.Fatal("Put after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestClose_WhileSubscribingLeavesNoGoroutine(t *testing.T) {
	for range 20 {
		s, err := Open(filepath.Join(t.TempDir(), "callbox.db"))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 50 {
				ch := s.Subscribe(context.Background(), 0)
				_, _ = Put(s, Skill{Name: "s"})
				// Every channel closes once the store does.
				go func() {
					for range ch {
					}
				}()
			}
		}()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		<-done
		s.mu.Lock()
		n := len(s.subs)
		s.mu.Unlock()
		if n != 0 {
			t.Fatalf("%d subscribers left after Close", n)
		}
	}
}

func TestFeedLimit_ShrinkingTrimsTheLogOnTheNextWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "callbox.db")
	s, err := Open(path, WithFeedLimit(1000))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := Put(s, Skill{Name: "s" + string(rune('a'+i%26)) + string(rune('a'+i/26))}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(path, WithFeedLimit(16))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.OldestSeq() != 1 {
		t.Fatalf("log trimmed before any write: oldest %d", s.OldestSeq())
	}
	if _, err := Put(s, Skill{Name: "last"}); err != nil {
		t.Fatal(err)
	}
	if s.OldestSeq() != 86 || s.Seq() != 101 {
		t.Fatalf("oldest %d seq %d, want 86 and 101", s.OldestSeq(), s.Seq())
	}
	if probs, err := s.Check(); err != nil || len(probs) != 0 {
		t.Fatalf("Check: %v %v", probs, err)
	}
}

func TestCheck_ReportsAGapInTheChangeLog(t *testing.T) {
	s := openTemp(t)
	for _, n := range []string{"201", "202", "203"} {
		if _, err := Put(s, goodExtension(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketChanges).Delete(seqKey(2)) }); err != nil {
		t.Fatal(err)
	}
	probs, err := s.Check()
	if err != nil || len(probs) != 1 || probs[0].Code != "store.problem.log_gap" {
		t.Fatalf("Check = %v, %v", probs, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The store still holds the changes it committed in memory: a
	// subscriber gets them all, the gap on disk notwithstanding.
	ch := s.Subscribe(ctx, 0)
	for want := uint64(1); want <= 3; want++ {
		if c, ok := recv(t, ch); !ok || c.Seq != want {
			t.Fatalf("change %d: %+v %v", want, c, ok)
		}
	}
	// Reopened, it reads the log: a subscriber from before the gap is
	// dropped rather than skip it.
	path := s.path
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ch = s.Subscribe(ctx, 0)
	if c, ok := recv(t, ch); !ok || c.Seq != 1 {
		t.Fatalf("first change %+v %v", c, ok)
	}
	if c, ok := recv(t, ch); ok {
		t.Fatalf("delivered %+v across a gap", c)
	}
}

func TestSubscribe_ChangesFromMemoryAreThoseOnDisk(t *testing.T) {
	s := openTemp(t)
	const n = recentChanges + 500 // the first 500 only on disk
	for i := range n {
		if _, err := Put(s, goodExtension(fmt.Sprint(200+i%700))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Subscribe(ctx, 0)
	stored, err := s.readStored(0, n)
	if err != nil || len(stored) != n {
		t.Fatalf("%d changes on disk, %v", len(stored), err)
	}
	for i := range n {
		c, ok := recv(t, ch)
		if !ok || c != stored[i] {
			t.Fatalf("change %d: %+v %v, on disk %+v", i+1, c, ok, stored[i])
		}
	}
	if got := s.recentAfter(0, n); len(got) != 0 {
		t.Fatalf("%d changes from memory that are not all there", len(got))
	}
	if got := s.recentAfter(n-recentChanges, n); len(got) != recentChanges || got[0].Seq != n-recentChanges+1 {
		t.Fatalf("%d changes from memory", len(got))
	}
}
