package webui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"callbox/acd/agent"
	"callbox/acd/queue"
	"callbox/acd/servicelevel"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/mix"
)

// ACD is what the agent and queue API needs of the live queue side;
// *queue.Live fits. Logging in, out, pausing and readying go through the
// CTI endpoints (POST /api/v1/agents/{id}/{action}); these add the
// reads, on-demand recording and supervision.
type ACD interface {
	Dispatcher() *queue.Dispatcher
	Snapshots() []servicelevel.Snapshot
	StartRecording(agentID string) error
	StartSupervision(agentID, supervisorExt string, mode mix.Mode) error
	SetSupervision(agentID string, mode mix.Mode) error
}

var _ ACD = (*queue.Live)(nil)

// acdRoutes registers the agent and queue endpoints.
func (s *Server) acdRoutes(handle func(string, access, handlerFunc), allRoles, watchers []store.Role) {
	handle("GET /api/v1/agents", api(allRoles...), s.apiListAgents)
	handle("GET /api/v1/agents/{id}", api(allRoles...), s.apiGetAgent)
	handle("POST /api/v1/agents/{id}/record", api(allRoles...), s.apiRecordAgent)
	handle("POST /api/v1/agents/{id}/supervise", api(watchers...), s.apiSupervise)
	handle("PUT /api/v1/agents/{id}/supervise", api(watchers...), s.apiSupervisionMode)
	handle("GET /api/v1/queues/live", api(watchers...), s.apiQueuesLive)
	handle("GET /api/v1/queues/{name}/intervals", api(watchers...), s.apiQueueIntervals)
	handle("GET /api/v1/callbacks", api(watchers...), s.apiCallbacks)
}

// acd returns the live queue side, or answers 503 when none is wired.
func (s *Server) acd(w http.ResponseWriter, rc *reqCtx) (ACD, bool) {
	a, ok := s.liveACD()
	if !ok {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "queue.error.no-acd"))
	}
	return a, ok
}

// liveACD returns the live queue side, if one is wired.
func (s *Server) liveACD() (ACD, bool) {
	// A nil *queue.Live in the interface is no queue service either.
	if live, ok := s.cfg.ACD.(*queue.Live); s.cfg.ACD == nil || ok && live == nil {
		return nil, false
	}
	return s.cfg.ACD, true
}

// agentJSON is an agent's live state as the API shows it.
type agentJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	State       string    `json:"state"`
	Extension   string    `json:"extension,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	CallID      string    `json:"callId,omitempty"`
	Queue       string    `json:"queue,omitempty"`
	Since       time.Time `json:"since,omitzero"`
	WrapUntil   time.Time `json:"wrapUntil,omitzero"`
	Calls       int       `json:"calls"`
	Offers      int       `json:"offers"`
	Missed      int       `json:"missed"`
	TalkSeconds float64   `json:"talkSeconds"`
	WrapSeconds float64   `json:"wrapSeconds"`
}

func agentOut(a agent.Snapshot) agentJSON {
	return agentJSON{ID: a.ID, Name: a.Name, State: string(a.State), Extension: a.Extension, Reason: a.Reason,
		CallID: a.CallID, Queue: a.Queue, Since: a.Since, WrapUntil: a.WrapUntil, Calls: a.Counters.Calls,
		Offers: a.Counters.Offers, Missed: a.Counters.Missed, TalkSeconds: a.Counters.TalkTime.Seconds(),
		WrapSeconds: a.Counters.WrapTime.Seconds()}
}

// watches reports whether the user sees and supervises every agent.
func watches(u *store.User) bool { return u.Role == store.RoleAdmin || u.Role == store.RoleSupervisor }

// mayActAs reports whether the user may see or act for agent id: a
// supervisor or admin for anyone, an agent for the agent record linked
// to their login.
func (s *Server) mayActAs(u *store.User, id string) bool {
	if watches(u) {
		return true
	}
	a, err := store.Get[store.Agent](s.store, id)
	return err == nil && a.User != "" && a.User == u.Name
}

func (s *Server) apiListAgents(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a, ok := s.acd(w, rc)
	if !ok {
		return
	}
	out := []agentJSON{}
	for _, snap := range a.Dispatcher().Agents() {
		if s.mayActAs(rc.user, snap.ID) {
			out = append(out, agentOut(snap))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiGetAgent(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a, ok := s.acd(w, rc)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !s.mayActAs(rc.user, id) {
		s.forbidden(w, r, rc, "web.error.role")
		return
	}
	snap, err := a.Dispatcher().Agent(id)
	if err != nil {
		s.acdError(w, rc, err, id)
		return
	}
	writeJSON(w, http.StatusOK, agentOut(snap))
}

func (s *Server) apiRecordAgent(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a, ok := s.acd(w, rc)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !s.mayActAs(rc.user, id) {
		s.forbidden(w, r, rc, "web.error.role")
		return
	}
	if err := a.StartRecording(id); err != nil {
		s.acdError(w, rc, err, id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// superviseInput is the body of a supervision request.
type superviseInput struct {
	Extension string `json:"extension"`
	Mode      string `json:"mode"`
}

// decodeSupervise reads a supervision request: the mode is listen,
// whisper or barge (the queue side refuses whisper and barge on a
// callback, which has no bridge to join); the extension (where the
// supervisor's phone rings) is required by POST only.
func decodeSupervise(r io.Reader) (superviseInput, mix.Mode, error) {
	var in superviseInput
	if err := decodeJSON(r, &in); err != nil {
		return in, 0, err
	}
	m, err := parseMode(in.Mode)
	return in, m, err
}

var errBadMode = errors.New("webui: supervision mode is not listen, whisper or barge")

func parseMode(s string) (mix.Mode, error) {
	for _, m := range []mix.Mode{mix.Listen, mix.Whisper, mix.Barge} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, errBadMode
}

func (s *Server) readSupervise(w http.ResponseWriter, r *http.Request, rc *reqCtx) (superviseInput, mix.Mode, bool) {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return superviseInput{}, 0, false
	}
	in, m, err := decodeSupervise(r.Body)
	switch {
	case errors.Is(err, errBadMode):
		writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: map[string]string{"mode": i18n.T(rc.lang, "queue.error.bad-mode")}})
		return in, 0, false
	case err != nil:
		badBody(w, rc.lang, err)
		return in, 0, false
	}
	return in, m, true
}

func (s *Server) apiSupervise(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a, ok := s.acd(w, rc)
	if !ok {
		return
	}
	in, m, ok := s.readSupervise(w, r, rc)
	if !ok {
		return
	}
	if _, err := store.Get[store.Extension](s.store, in.Extension); err != nil {
		writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: map[string]string{"extension": i18n.T(rc.lang, "queue.error.extension")}})
		return
	}
	id := r.PathValue("id")
	if err := a.StartSupervision(id, in.Extension, m); err != nil {
		s.acdError(w, rc, err, id)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) apiSupervisionMode(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a, ok := s.acd(w, rc)
	if !ok {
		return
	}
	_, m, ok := s.readSupervise(w, r, rc)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := a.SetSupervision(id, m); err != nil {
		s.acdError(w, rc, err, id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// queueJSON is a queue's live figures with the derived ones computed.
type queueJSON struct {
	servicelevel.Snapshot
	ServiceLevel float64 `json:"serviceLevel"` // % of today's calls answered within the threshold
	ASASeconds   float64 `json:"asaSeconds"`
	AHTSeconds   float64 `json:"ahtSeconds"`
}

func (s *Server) apiQueuesLive(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a, ok := s.acd(w, rc)
	if !ok {
		return
	}
	out := []queueJSON{}
	for _, q := range a.Snapshots() {
		out = append(out, queueJSON{Snapshot: q, ServiceLevel: q.Day.ServiceLevel(), ASASeconds: q.Day.ASA().Seconds(),
			AHTSeconds: q.Day.AHT().Seconds()})
	}
	writeJSON(w, http.StatusOK, out)
}

// intervalJSON is one stored 15-minute interval with the derived figures.
type intervalJSON struct {
	servicelevel.Interval
	ServiceLevel float64 `json:"serviceLevel"`
	ASASeconds   float64 `json:"asaSeconds"`
	AHTSeconds   float64 `json:"ahtSeconds"`
}

// apiQueueIntervals returns a queue's stored intervals in [from, to)
// (RFC 3339; the last 24 hours by default).
func (s *Server) apiQueueIntervals(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	to, from := s.now(), s.now().Add(-24*time.Hour)
	for name, t := range map[string]*time.Time{"from": &from, "to": &to} {
		v := r.URL.Query().Get(name)
		if v == "" {
			continue
		}
		p, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: map[string]string{name: i18n.T(rc.lang, "queue.error.bad-time", v)}})
			return
		}
		*t = p
	}
	ivs, err := queue.StoredIntervals(s.store, r.PathValue("name"), from, to)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	out := make([]intervalJSON, 0, len(ivs))
	for _, iv := range ivs {
		out = append(out, intervalJSON{Interval: iv, ServiceLevel: iv.ServiceLevel(), ASASeconds: iv.ASA().Seconds(),
			AHTSeconds: iv.AHT().Seconds()})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCallbacks(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a, ok := s.acd(w, rc)
	if !ok {
		return
	}
	out := a.Dispatcher().Callbacks()
	if out == nil {
		out = []queue.CallbackRecord{}
	}
	writeJSON(w, http.StatusOK, out)
}

// acdError answers an error of the queue side in the user's language.
func (s *Server) acdError(w http.ResponseWriter, rc *reqCtx, err error, id string) {
	switch {
	case errors.Is(err, agent.ErrUnknownAgent):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "queue.error.unknown-agent", id))
	case errors.Is(err, queue.ErrUnknownQueue):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "queue.error.unknown-queue", id))
	case errors.Is(err, queue.ErrNotOnCall):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "queue.error.not-on-call", id))
	case errors.Is(err, queue.ErrRecordingOff):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "queue.error.recording-off"))
	case errors.Is(err, queue.ErrSupervisionMode):
		writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: map[string]string{"mode": i18n.T(rc.lang, "queue.error.bad-mode")}})
	case errors.Is(err, queue.ErrSupervised):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "queue.error.supervised"))
	case errors.Is(err, context.Canceled):
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "queue.error.no-acd"))
	default:
		s.log.Error("acd api", "agent", id, "err", err)
		apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "web.error.internal"))
	}
}
