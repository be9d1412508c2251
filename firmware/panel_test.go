package firmware

import (
	"bytes"
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"callbox/drivers/gpio"
	"callbox/firmware/store"
)

// syncBuffer is a bytes.Buffer safe for a service writing while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestPanel_HoldingResetGivesAdminANewOneTimePassword(t *testing.T) {
	dir := dataDir(t)
	out := &syncBuffer{}
	clock := &stepClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	cfg := testConfig(t, dir, out)
	cfg.Now = clock.Now
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	chip := a.board.Chip().(*gpio.SimChip)
	passwords := regexp.MustCompile(`user admin is (\S+) `)
	first := passwords.FindStringSubmatch(out.String())
	if first == nil {
		t.Fatalf("no first password: %q", out.String())
	}

	// A short press does nothing; a long one resets.
	chip.Press("reset")
	clock.Add(time.Second)
	chip.Release("reset")
	chip.Press("reset")
	clock.Add(resetHold)
	chip.Release("reset")
	settle(t, "the new password", func() bool { return len(passwords.FindAllString(out.String(), -1)) == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	all := passwords.FindAllStringSubmatch(out.String(), -1)
	s, err := store.Open(StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, _ := store.Get[store.User](s, AdminUser)
	if u.CheckPassword(first[1]) || !u.CheckPassword(all[1][1]) || !u.OneTimePassword {
		t.Fatalf("admin after the reset button: %+v", u)
	}
}
