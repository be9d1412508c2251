package webui

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Session lifetimes. Idle expiry logs out a forgotten browser; absolute
// expiry bounds how long a stolen cookie stays useful.
const (
	sessionIdle     = 30 * time.Minute
	sessionAbsolute = 12 * time.Hour
	maxSessions     = 10000 // beyond this the oldest sessions are dropped
)

// Cookie names.
const (
	sessionCookie = "callbox_session"
	preCookie     = "callbox_pre" // anonymous CSRF token (double submit) for login and setup forms
	langCookie    = "callbox_lang"
)

// session is one logged-in browser. It lives in memory only: a restart
// logs everyone out, which is the safe default for an appliance.
type session struct {
	id       string
	user     string
	csrf     string
	created  time.Time
	lastSeen time.Time
}

// sessions holds the live sessions. The zero value is not usable; use
// newSessions.
type sessions struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: map[string]*session{}}
}

// randomToken returns 32 random bytes, base64url encoded.
func randomToken() string {
	var b [32]byte
	// crypto/rand.Read never fails on Linux (it panics inside the runtime
	// if the kernel cannot provide randomness).
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for user and returns a copy of it.
func (ss *sessions) create(user string) session {
	now := ss.now()
	s := &session{id: randomToken(), user: user, csrf: randomToken(), created: now, lastSeen: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.pruneLocked(now)
	ss.m[s.id] = s
	return *s
}

// get returns the session with id if it has not expired, and marks it used.
func (ss *sessions) get(id string) (session, bool) {
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return session{}, false
	}
	if expired(s, now) {
		delete(ss.m, id)
		return session{}, false
	}
	s.lastSeen = now
	return *s, true
}

// delete ends one session.
func (ss *sessions) delete(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, id)
}

// deleteUser ends every session of user except keep (used after a password
// change, so that other browsers holding the old login are logged out).
func (ss *sessions) deleteUser(user, keep string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, s := range ss.m {
		if s.user == user && id != keep {
			delete(ss.m, id)
		}
	}
}

// count returns the number of sessions held, expired or not.
func (ss *sessions) count() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.m)
}

func expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) >= sessionIdle || now.Sub(s.created) >= sessionAbsolute
}

// pruneLocked drops expired sessions and, if still full, the least recently
// used ones, so that a login loop cannot grow memory without bound.
func (ss *sessions) pruneLocked(now time.Time) {
	if len(ss.m) < maxSessions {
		return
	}
	for id, s := range ss.m {
		if expired(s, now) {
			delete(ss.m, id)
		}
	}
	if len(ss.m) < maxSessions {
		return
	}
	all := make([]*session, 0, len(ss.m))
	for _, s := range ss.m {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].lastSeen.Before(all[j].lastSeen) })
	for _, s := range all[:len(all)-maxSessions+1] {
		delete(ss.m, s.id)
	}
}

// setCookie writes a cookie with the flags every callbox cookie carries:
// HttpOnly, SameSite=Strict, and Secure when the request came over TLS.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
}
