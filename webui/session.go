package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"callbox/firmware/store"
)

// Session lifetimes. Idle expiry logs out a forgotten browser; absolute
// expiry bounds how long a stolen cookie stays useful.
const (
	sessionIdle     = 30 * time.Minute
	sessionAbsolute = 12 * time.Hour
	maxSessions     = 10000 // beyond this the oldest sessions are dropped
	// seenEvery bounds the store writes of a busy session: its last-seen
	// time is written at most this often, not on every request.
	seenEvery = time.Minute
	// pruneEvery bounds how often a login sweeps the stored sessions for
	// expired ones and ones whose user is gone or changed.
	pruneEvery = time.Minute
)

// Cookie names.
const (
	sessionCookie = "callbox_session"
	preCookie     = "callbox_pre" // anonymous CSRF token (double submit) for login and setup forms
	langCookie    = "callbox_lang"
)

// session is one logged-in browser. The token (id, the cookie's value) is
// known only to the browser and to this process's memory; the store keeps
// its hash (key), so sessions survive a restart or a failover without a
// copy of the file letting anyone in.
type session struct {
	id       string // the token
	key      string // hex SHA-256 of the token: the store.Session key
	user     string
	role     store.Role
	cred     string // fingerprint of the user's password hash at login
	csrf     string // derived from the token, so it survives a restart too
	created  time.Time
	lastSeen time.Time
	saved    time.Time // lastSeen as last written to the store
	addr     string
	agent    string
}

// sessions holds the live sessions: in memory for speed, in the store
// (store.KindSession) so that they outlive the process. A token missing
// from memory is looked up in the store, so sessions written by the
// other box of a hot-standby pair, or before a restart, are honoured.
// The zero value is not usable; use newSessions.
type sessions struct {
	mu        sync.Mutex
	now       func() time.Time
	st        *store.Store // nil: memory only
	log       *slog.Logger
	max       int
	m         map[string]*session // by key
	lastPrune time.Time
}

// newSessions loads the stored sessions of st (which may be nil, for
// memory-only sessions), dropping the expired ones.
func newSessions(now func() time.Time, st *store.Store, log *slog.Logger) *sessions {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ss := &sessions{now: now, st: st, log: log, max: maxSessions, m: map[string]*session{}}
	ss.prune()
	return ss
}

// randomToken returns 32 random bytes, base64url encoded.
func randomToken() string {
	var b [32]byte
	// crypto/rand.Read never fails on Linux (it panics inside the runtime
	// if the kernel cannot provide randomness).
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenKey is the store key of a token. The token has 256 random bits, so
// a plain hash is enough: nobody can guess a token from it.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte("callbox-session\x00" + token))
	return hex.EncodeToString(sum[:])
}

// csrfFor is the CSRF token of a session: derived from the session token
// with another label, so that it needs no storing, and the stored hash
// does not give it away.
func csrfFor(token string) string {
	sum := sha256.Sum256([]byte("callbox-csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// credential fingerprints a user's password hash, so that a session ends
// when the password changes, however it was changed (web, API, console).
func credential(u store.User) string {
	sum := sha256.Sum256([]byte("callbox-session-credential\x00" + u.PasswordHash))
	return hex.EncodeToString(sum[:8])
}

// create starts a session for u from a browser at addr with user agent
// agent, stores it, and returns a copy of it.
func (ss *sessions) create(u store.User, addr, agent string) (session, error) {
	now := ss.now()
	token := randomToken()
	s := &session{id: token, key: tokenKey(token), user: u.Name, role: u.Role, cred: credential(u), csrf: csrfFor(token),
		created: now, lastSeen: now, saved: now, addr: clip(addr, 64), agent: clip(agent, 256)}
	if err := ss.save(s); err != nil {
		return session{}, err
	}
	if ss.dueForPrune(now) {
		ss.prune()
	}
	ss.mu.Lock()
	ss.m[s.key] = s
	drop := ss.boundLocked(now)
	cp := *s
	ss.mu.Unlock()
	ss.deleteStored(drop)
	return cp, nil
}

// get returns the session of token id, and its user, if it has not
// expired and its user still exists with the role and password of the
// login, and marks it used. A session that fails is ended.
func (ss *sessions) get(id string) (session, store.User, bool) {
	if id == "" {
		return session{}, store.User{}, false
	}
	now := ss.now()
	key := tokenKey(id)
	cp, ok := ss.held(id, key)
	if !ok {
		if cp, ok = ss.load(id, key); !ok {
			return session{}, store.User{}, false
		}
	}
	if expired(&cp, now) {
		ss.end(key)
		return session{}, store.User{}, false
	}
	u, ok := ss.userOf(&cp)
	if !ok {
		ss.end(key)
		return session{}, store.User{}, false
	}
	ss.mu.Lock()
	s, ok := ss.m[key]
	if !ok { // ended meanwhile
		ss.mu.Unlock()
		return session{}, store.User{}, false
	}
	s.lastSeen = now
	write := now.Sub(s.saved) >= seenEvery
	if write {
		s.saved = now
	}
	cp = *s
	ss.mu.Unlock()
	if write {
		if err := ss.save(&cp); err != nil {
			ss.log.Warn("session last-seen not stored", "user", cp.user, "err", err)
		}
	}
	return cp, u, true
}

// held returns a copy of the session with key held in memory, filling in
// its token (id) when it was loaded from the store without it.
func (ss *sessions) held(id, key string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[key]
	if !ok {
		return session{}, false
	}
	if s.id == "" {
		s.id, s.csrf = id, csrfFor(id)
	}
	return *s, true
}

// load reads the stored session of token id into memory.
func (ss *sessions) load(id, key string) (session, bool) {
	if ss.st == nil {
		return session{}, false
	}
	rec, err := store.Get[store.Session](ss.st, key)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			ss.log.Error("load session", "err", err)
		}
		return session{}, false
	}
	s := fromRecord(rec)
	s.id, s.csrf = id, csrfFor(id)
	ss.mu.Lock()
	if _, ok := ss.m[key]; !ok {
		ss.m[key] = s
	}
	ss.mu.Unlock()
	return ss.held(id, key)
}

func fromRecord(r store.Session) *session {
	return &session{key: r.ID, user: r.User, role: r.Role, cred: r.Credential, created: r.Created,
		lastSeen: r.LastSeen, saved: r.LastSeen, addr: r.Addr, agent: r.UserAgent}
}

// userOf returns s's user if it still exists, enabled, with the role and
// password of the login. Without a store there is nothing to check: the
// session's own name and role stand for the user.
func (ss *sessions) userOf(s *session) (store.User, bool) {
	if ss.st == nil {
		return store.User{Name: s.user, Role: s.role}, true
	}
	u, err := store.Get[store.User](ss.st, s.user)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			ss.log.Error("session user", "user", s.user, "err", err)
		}
		return store.User{}, false
	}
	return u, !u.Disabled && u.Role == s.role && credential(u) == s.cred
}

// save writes s to the store.
func (ss *sessions) save(s *session) error {
	if ss.st == nil {
		return nil
	}
	_, err := store.Put(ss.st, store.Session{ID: s.key, User: s.user, Role: s.role, Credential: s.cred,
		Created: s.created, LastSeen: s.saved, Expires: s.created.Add(sessionAbsolute), Addr: s.addr, UserAgent: s.agent})
	return err
}

// end forgets the session with key, in memory and in the store.
func (ss *sessions) end(key string) {
	ss.mu.Lock()
	delete(ss.m, key)
	ss.mu.Unlock()
	if ss.st == nil {
		return
	}
	if _, err := store.Delete[store.Session](ss.st, key); err != nil && !errors.Is(err, store.ErrNotFound) {
		ss.log.Error("end session", "err", err)
	}
}

// delete ends one session (logout).
func (ss *sessions) delete(id string) { ss.end(tokenKey(id)) }

// deleteUser ends every session of user except keep (used after a password
// or role change, so that other browsers holding the old login are logged
// out; the browser that made the change stays logged in with the user as
// now stored).
func (ss *sessions) deleteUser(user, keep string) {
	keepKey := ""
	if keep != "" {
		keepKey = tokenKey(keep)
	}
	for _, key := range ss.keysOf(user) {
		if key != keepKey {
			ss.end(key)
		}
	}
	if keepKey == "" || ss.st == nil {
		return
	}
	u, err := store.Get[store.User](ss.st, user)
	if err != nil {
		ss.end(keepKey)
		return
	}
	ss.mu.Lock()
	s, ok := ss.m[keepKey]
	var cp session
	if ok {
		s.role, s.cred = u.Role, credential(u)
		cp = *s
	}
	ss.mu.Unlock()
	if ok {
		if err := ss.save(&cp); err != nil {
			ss.log.Error("rebind session", "user", user, "err", err)
		}
	}
}

// keysOf lists the keys of user's sessions, held or stored.
func (ss *sessions) keysOf(user string) []string {
	seen := map[string]bool{}
	ss.mu.Lock()
	for key, s := range ss.m {
		if s.user == user {
			seen[key] = true
		}
	}
	ss.mu.Unlock()
	if ss.st != nil {
		recs, err := store.List[store.Session](ss.st)
		if err != nil {
			ss.log.Error("list sessions", "err", err)
		}
		for _, r := range recs {
			if r.User == user {
				seen[r.ID] = true
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	return keys
}

// count returns the number of sessions held in memory, expired or not.
func (ss *sessions) count() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.m)
}

func expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) >= sessionIdle || now.Sub(s.created) >= sessionAbsolute
}

func (ss *sessions) dueForPrune(now time.Time) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if now.Sub(ss.lastPrune) < pruneEvery && !ss.lastPrune.IsZero() {
		return false
	}
	ss.lastPrune = now
	return true
}

// prune sweeps the stored sessions: the live ones are held in memory, the
// expired ones and those whose user is gone or changed are deleted.
func (ss *sessions) prune() {
	if ss.st == nil {
		return
	}
	recs, err := store.List[store.Session](ss.st)
	if err != nil {
		ss.log.Error("load sessions", "err", err)
		return
	}
	now := ss.now()
	for _, r := range recs {
		cp := *fromRecord(r)
		ss.mu.Lock()
		if held, ok := ss.m[r.ID]; ok {
			cp = *held
		}
		ss.mu.Unlock()
		if _, ok := ss.userOf(&cp); expired(&cp, now) || !ok {
			ss.end(r.ID)
			continue
		}
		ss.mu.Lock()
		if _, ok := ss.m[r.ID]; !ok {
			// Held without its token: get fills it in from the cookie.
			ss.m[r.ID] = fromRecord(r)
		}
		ss.mu.Unlock()
	}
	ss.mu.Lock()
	drop := ss.boundLocked(now)
	ss.mu.Unlock()
	ss.deleteStored(drop)
}

// boundLocked drops expired sessions and, if still full, the least
// recently used ones, so that a login loop cannot grow memory or the store
// without bound. It returns the keys dropped, for deleteStored once the
// lock is released.
func (ss *sessions) boundLocked(now time.Time) []string {
	if len(ss.m) <= ss.max {
		return nil
	}
	var drop []string
	for key, s := range ss.m {
		if expired(s, now) {
			drop = append(drop, key)
		}
	}
	if len(ss.m)-len(drop) > ss.max {
		all := make([]*session, 0, len(ss.m))
		for _, s := range ss.m {
			if !expired(s, now) {
				all = append(all, s)
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].lastSeen.Before(all[j].lastSeen) })
		for _, s := range all[:len(all)-ss.max] {
			drop = append(drop, s.key)
		}
	}
	for _, key := range drop {
		delete(ss.m, key)
	}
	return drop
}

// deleteStored deletes the stored sessions with keys.
func (ss *sessions) deleteStored(keys []string) {
	if ss.st == nil {
		return
	}
	for _, key := range keys {
		if _, err := store.Delete[store.Session](ss.st, key); err != nil && !errors.Is(err, store.ErrNotFound) {
			ss.log.Error("drop session", "err", err)
		}
	}
}

// clip keeps at most n bytes of printable text of s, for what a browser
// sends about itself (user agent) before it is stored.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
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
