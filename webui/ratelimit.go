package webui

import (
	"sync"
	"time"
)

// Login throttling. The first freeFailures failures of a key cost nothing
// (people mistype); after that every failure locks the key for a window
// that doubles each time, up to maxLockout. A request during the window is
// refused with 429 and Retry-After, without checking the password, so a
// guesser gets at most a handful of tries per hour.
const (
	freeFailures = 3
	baseLockout  = 2 * time.Second
	maxLockout   = 15 * time.Minute
	forgetAfter  = time.Hour // a key with no failure for this long starts afresh
	maxLimitKeys = 10000
)

// attempts is the failure history of one key (a source address or a user name).
type attempts struct {
	failures int
	last     time.Time
	until    time.Time
}

// limiter counts failed logins per key. Keys are "addr:" + host and
// "user:" + name, so both a spray over many names from one address and a
// guess at one name from many addresses are slowed.
type limiter struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*attempts
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, m: map[string]*attempts{}}
}

// wait returns how long the caller must wait before any of keys may try
// again; zero means go ahead.
func (l *limiter) wait(keys ...string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var longest time.Duration
	for _, k := range keys {
		a, ok := l.m[k]
		if !ok {
			continue
		}
		if d := a.until.Sub(now); d > longest {
			longest = d
		}
	}
	return longest
}

// fail records a failed attempt for every key.
func (l *limiter) fail(keys ...string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneLocked(now)
	for _, k := range keys {
		a, ok := l.m[k]
		if !ok || now.Sub(a.last) >= forgetAfter {
			a = &attempts{}
			l.m[k] = a
		}
		a.failures++
		a.last = now
		if a.failures > freeFailures {
			a.until = now.Add(lockout(a.failures - freeFailures))
		}
	}
}

// succeed forgets the failures of keys.
func (l *limiter) succeed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.m, k)
	}
}

// lockout is the window after the n-th failure beyond the free ones.
func lockout(n int) time.Duration {
	d := baseLockout
	for i := 1; i < n && d < maxLockout; i++ {
		d *= 2
	}
	return min(d, maxLockout)
}

// pruneLocked keeps the table bounded: forgotten keys go first, then, if an
// attacker rotates through very many keys, the ones whose lock has passed.
func (l *limiter) pruneLocked(now time.Time) {
	if len(l.m) < maxLimitKeys {
		return
	}
	for k, a := range l.m {
		if now.Sub(a.last) >= forgetAfter {
			delete(l.m, k)
		}
	}
	for k, a := range l.m {
		if len(l.m) < maxLimitKeys {
			return
		}
		if !now.Before(a.until) {
			delete(l.m, k)
		}
	}
}
