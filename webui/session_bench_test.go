package webui

import (
	"testing"

	"callbox/firmware/store"
)

// BenchmarkSessions_Get is the per-request cost of a stored session: the
// memory lookup, the user's role and password check in the store, and
// no store write (last seen is written at most once a minute).
func BenchmarkSessions_Get(b *testing.B) {
	f := newFixture(b)
	f.addUser("alice", store.RoleAgent, testPassword, false)
	u, err := store.Get[store.User](f.st, "alice")
	if err != nil {
		b.Fatal(err)
	}
	s, err := f.srv.sessions.create(u, "192.0.2.1", "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := f.srv.sessions.get(s.id); !ok {
			b.Fatal("session lost")
		}
	}
}

// BenchmarkSessions_GetAfterRestart is the first request of a browser
// after a restart whose session was not loaded: the store lookup by the
// token's hash.
func BenchmarkSessions_GetAfterRestart(b *testing.B) {
	f := newFixture(b)
	f.addUser("alice", store.RoleAgent, testPassword, false)
	u, err := store.Get[store.User](f.st, "alice")
	if err != nil {
		b.Fatal(err)
	}
	s, err := f.srv.sessions.create(u, "192.0.2.1", "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		fresh := &sessions{now: f.clock.Now, st: f.st, log: f.srv.log, max: maxSessions, m: map[string]*session{}}
		if _, _, ok := fresh.get(s.id); !ok {
			b.Fatal("session lost")
		}
	}
}
