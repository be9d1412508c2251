package webui

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// tokenAPI is the access rule of API routes that CRMs may call with an
// API token as well as browsers with a session.
func tokenAPI(roles ...store.Role) access {
	return access{kind: loggedIn, roles: roles, api: true, token: true}
}

// bearer returns the request's bearer token, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}

// roleRank orders roles by what they may do.
func roleRank(r store.Role) int {
	switch r {
	case store.RoleAdmin:
		return 3
	case store.RoleSupervisor:
		return 2
	case store.RoleAgent:
		return 1
	}
	return 0
}

// tokenGate serves a request that carries an API token: setup done, token
// valid, rate within bounds, role allowed; then the handler runs as the
// token's user (or as a user named after the token).
func (s *Server) tokenGate(w http.ResponseWriter, r *http.Request, rc *reqCtx, a access, h handlerFunc) {
	rc.lang = s.resolveLang(r, rc)
	done, err := s.isSetupDone()
	if err != nil || !done {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "web.api.setup_required"))
		return
	}
	tok, err := cti.CheckToken(s.store, bearer(r), s.now())
	if err != nil {
		if !errors.Is(err, cti.ErrBadToken) {
			s.log.Error("check API token", "err", err)
		}
		s.log.Warn("API token refused", "addr", clientAddr(r), "err", err)
		w.Header().Set("WWW-Authenticate", `Bearer realm="callbox"`)
		apiError(w, http.StatusUnauthorized, i18n.T(rc.lang, "cti.error.token"))
		return
	}
	if d := s.tokenRate().take(tok.ID, s.now()); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retrySecs(d)))
		apiError(w, http.StatusTooManyRequests, i18n.T(rc.lang, "cti.error.rate", retrySecs(d)))
		return
	}
	u := store.User{Name: "token:" + tok.Name, Role: tok.Role}
	if tok.User != "" {
		real, err := store.Get[store.User](s.store, tok.User)
		if err != nil || real.Disabled {
			w.Header().Set("WWW-Authenticate", `Bearer realm="callbox"`)
			apiError(w, http.StatusUnauthorized, i18n.T(rc.lang, "cti.error.token"))
			return
		}
		u = real
		u.OneTimePassword = false // a token is not a login; the password rule is for browsers
		if roleRank(tok.Role) < roleRank(u.Role) {
			u.Role = tok.Role
		}
	}
	rc.user = &u
	if !slices.Contains(a.roles, u.Role) {
		s.forbidden(w, r, rc, "web.error.role")
		return
	}
	if !isSafeMethod(r.Method) {
		limit := int64(maxJSONBytes)
		if a.bodyLimit > 0 {
			limit = a.bodyLimit
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	h(w, r, rc)
}

// Token rate limit: a bucket of tokenBurst requests refilled at tokenRate
// per second, per token, so one runaway CRM cannot starve the box.
const (
	tokenRatePerSec = 20
	tokenBurst      = 60
	tokenBuckets    = 10000
)

type bucket struct {
	level float64
	at    time.Time
}

type rateLimiter struct {
	mu sync.Mutex
	b  map[string]bucket
}

func (s *Server) tokenRate() *rateLimiter { return &s.tokenLimit }

// take spends one request of key's bucket, or says how long to wait.
func (l *rateLimiter) take(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b == nil {
		l.b = map[string]bucket{}
	}
	b, ok := l.b[key]
	if !ok {
		if len(l.b) >= tokenBuckets {
			clear(l.b)
		}
		b = bucket{level: tokenBurst, at: now}
	}
	b.level = min(tokenBurst, b.level+now.Sub(b.at).Seconds()*tokenRatePerSec)
	b.at = now
	if b.level < 1 {
		l.b[key] = b
		return time.Duration((1 - b.level) / tokenRatePerSec * float64(time.Second))
	}
	b.level--
	l.b[key] = b
	return 0
}
