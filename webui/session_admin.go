package webui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The sessions page lists who is logged in to the web UI, from where and
// since when, and logs a session out: a browser left logged in on a shared
// desk, a phone that was lost.

func (s *Server) sessionRoutes(handle func(string, access, handlerFunc), admins []store.Role) {
	p := page(admins...)
	handle("GET /admin/sessions", p, s.adminSessions)
	handle("POST /admin/sessions/{key}/end", p, s.adminEndSession)
}

// sessionRow is one session in the list.
type sessionRow struct {
	Key, User, Role, Addr, Agent string
	Created, LastSeen, Expires   string
	Own                          bool // the admin's own browser
}

// live lists the sessions that have not expired, most recently used
// first, with the last-seen time as this process knows it (the stored one
// lags by up to seenEvery).
func (ss *sessions) live() ([]session, error) {
	now := ss.now()
	var out []session
	seen := map[string]bool{}
	if ss.st != nil {
		recs, err := store.List[store.Session](ss.st)
		if err != nil {
			return nil, err
		}
		ss.mu.Lock()
		for _, r := range recs {
			s := *fromRecord(r)
			if held, ok := ss.m[r.ID]; ok {
				s = *held
			}
			seen[r.ID] = true
			if !expired(&s, now) {
				out = append(out, s)
			}
		}
		ss.mu.Unlock()
	}
	ss.mu.Lock()
	for key, s := range ss.m {
		if !seen[key] && !expired(s, now) {
			out = append(out, *s)
		}
	}
	ss.mu.Unlock()
	slices.SortFunc(out, func(a, b session) int { return b.lastSeen.Compare(a.lastSeen) })
	return out, nil
}

// endKey ends the session with store key key; ErrNotFound when there is
// none.
func (ss *sessions) endKey(key string) (session, error) {
	ss.mu.Lock()
	held, ok := ss.m[key]
	var s session
	if ok {
		s = *held
	}
	ss.mu.Unlock()
	if !ok {
		if ss.st == nil {
			return session{}, store.ErrNotFound
		}
		r, err := store.Get[store.Session](ss.st, key)
		if err != nil {
			return session{}, err
		}
		s = *fromRecord(r)
	}
	ss.end(key)
	return s, nil
}

func (s *Server) adminSessions(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	all, err := s.sessions.live()
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	loc := s.siteLocation()
	own := ""
	if rc.sess != nil {
		own = rc.sess.key
	}
	rows := make([]sessionRow, 0, len(all))
	for _, x := range all {
		rows = append(rows, sessionRow{Key: x.key, User: x.user, Role: i18n.T(rc.lang, "wa2.scope."+string(x.role)),
			Addr: x.addr, Agent: x.agent, Created: x.created.In(loc).Format("2006-01-02 15:04"),
			LastSeen: x.lastSeen.In(loc).Format("2006-01-02 15:04"),
			Expires:  x.created.Add(sessionAbsolute).In(loc).Format("2006-01-02 15:04"), Own: x.key == own})
	}
	s.adminRender(w, r, rc, http.StatusOK, "sessions", "dialing.menu.sessions", adminPage{Notice: noticeOf(r, rc.lang), Page: rows}, "")
}

// adminEndSession logs one session out; the browser's next request goes
// to the login page.
func (s *Server) adminEndSession(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	key := r.PathValue("key")
	ended, err := s.sessions.endKey(key)
	if errors.Is(err, store.ErrNotFound) {
		backTo(w, r, "/admin/sessions", "admin.done.deleted")
		return
	}
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "delete", store.KindSession, key[:min(len(key), 12)],
		fmt.Sprintf("user: %s\naddr: %s\nsince: %s", ended.user, ended.addr, ended.created.UTC().Format(time.RFC3339)))
	backTo(w, r, "/admin/sessions", "admin.done.deleted")
}
