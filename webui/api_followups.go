package webui

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"callbox/acd/followup"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// maxFollowupCSV bounds a follow-up import file.
const maxFollowupCSV = 4 << 20

// followupRoutes registers the follow-up task endpoints (acd/followup).
// Browsers and API tokens use them alike; an agent acts on their own
// list only, supervisors and admins on every agent's.
func (s *Server) followupRoutes(handle func(string, access, handlerFunc), allRoles, watchers []store.Role) {
	csv := tokenAPI(watchers...)
	csv.bodyLimit = maxFollowupCSV
	handle("GET /api/v1/followups", tokenAPI(allRoles...), s.apiListFollowups)
	handle("POST /api/v1/followups", tokenAPI(allRoles...), s.apiCreateFollowup)
	handle("POST /api/v1/followups/import", csv, s.apiImportFollowups)
	handle("GET /api/v1/followups/policy", tokenAPI(allRoles...), s.apiGetFollowupPolicy)
	handle("PUT /api/v1/followups/policy", tokenAPI(watchers...), s.apiPutFollowupPolicy)
	handle("GET /api/v1/followups/{id}", tokenAPI(allRoles...), s.apiGetFollowup)
	handle("POST /api/v1/followups/{id}/call", tokenAPI(allRoles...), s.apiCallFollowup)
	handle("POST /api/v1/followups/{id}/outcome", tokenAPI(allRoles...), s.apiFollowupOutcome)
	handle("POST /api/v1/followups/{id}/cancel", tokenAPI(allRoles...), s.apiCancelFollowup)
}

// followups is the book of the server's store. A Book keeps no state of
// its own, so one per request costs nothing and needs no wiring.
func (s *Server) followups() *followup.Book {
	opts := []followup.Option{followup.WithClock(s.now), followup.WithLogger(s.log)}
	if s.cfg.CTI != nil {
		opts = append(opts, followup.WithCallNotes(s.cfg.CTI.WrapUp))
	}
	return followup.New(s.store, opts...)
}

// siteZone is where times typed without a zone are read.
func (s *Server) siteZone() *time.Location {
	st, err := store.GetSettings(s.store)
	if err != nil || st.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(st.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// followupInput is the body of POST /api/v1/followups.
type followupInput struct {
	// Agent is whose list the task goes on; an agent leaves it out (their own).
	Agent      string `json:"agent"`
	Number     string `json:"number"`
	CustomerID string `json:"customerId"`
	Name       string `json:"name"`
	Reason     string `json:"reason"`
	// Due is RFC 3339, or a local time ("2026-12-01T14:30") in the site's zone.
	Due      string `json:"due"`
	Priority int    `json:"priority"`
	// Source is "api" (default) or "wrapup" (the console's wrap-up form).
	Source string `json:"source"`
	CallID string `json:"callId"`
}

// followupDecoder reads request bodies of the follow-up endpoints: the
// site's zone and numbering plan are what they are checked against.
type followupDecoder struct {
	s *Server
}

// decodeFollowup reads a new task. Field problems come back with message
// keys; the store validates the rest when the task is written.
func (d followupDecoder) decodeFollowup(r io.Reader) (store.Followup, []store.FieldError, error) {
	var in followupInput
	if err := decodeJSON(r, &in); err != nil {
		return store.Followup{}, typeProblem(err), err
	}
	return d.followupOf(in)
}

func (d followupDecoder) followupOf(in followupInput) (store.Followup, []store.FieldError, error) {
	var probs []store.FieldError
	f := store.Followup{Agent: strings.TrimSpace(in.Agent), CustomerID: strings.TrimSpace(in.CustomerID),
		Name: strings.TrimSpace(in.Name), Reason: strings.TrimSpace(in.Reason), Priority: in.Priority,
		Source: store.FollowupSource(in.Source), CallID: strings.TrimSpace(in.CallID)}
	if raw := strings.TrimSpace(in.Number); raw == "" {
		probs = append(probs, problem("number", "store.err.required"))
	} else if f.Number = d.s.plan().Normalize(raw); f.Number == "" {
		probs = append(probs, problem("number", "store.err.number"))
	}
	if in.Due == "" {
		probs = append(probs, problem("due", "store.err.required"))
	} else if due, ok := followup.ParseDue(in.Due, d.s.siteZone()); !ok {
		probs = append(probs, problem("due", "followup.err.time"))
	} else {
		f.Due = due
	}
	if f.Source == "" {
		f.Source = store.FollowupFromAPI
	}
	if f.Source != store.FollowupFromAPI && f.Source != store.FollowupFromWrapUp {
		probs = append(probs, problem("source", "store.err.one_of", "api, wrapup"))
	}
	if f.Reason == "" {
		probs = append(probs, problem("reason", "store.err.required"))
	}
	if f.Priority < 0 || f.Priority > store.MaxFollowupPriority {
		probs = append(probs, problem("priority", "store.err.range", 0, store.MaxFollowupPriority))
	}
	return f, probs, nil
}

// typeProblem names the field of a JSON value of the wrong type, so the
// answer says which field to fix.
func typeProblem(err error) []store.FieldError {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) && ute.Field != "" {
		return []store.FieldError{problem(ute.Field, "followup.err.type", ute.Value)}
	}
	return nil
}

// readFollowupJSON is readJSON that answers a JSON value of the wrong
// type with a message on its field.
func readFollowupJSON[T any](w http.ResponseWriter, r *http.Request, rc *reqCtx, dec func(io.Reader) (T, []store.FieldError, error)) (T, bool) {
	var zero T
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return zero, false
	}
	v, probs, err := dec(r.Body)
	if err != nil {
		if len(probs) > 0 {
			fieldCodes(w, rc.lang, probs)
		} else {
			badBody(w, rc.lang, err)
		}
		return zero, false
	}
	if fieldCodes(w, rc.lang, probs) {
		return zero, false
	}
	return v, true
}

// actingAgent is the agent a request acts as: an agent's own; for
// supervisors and admins their own agent if they have one, else "". It
// has answered the request when ok is false.
func (s *Server) actingAgent(w http.ResponseWriter, rc *reqCtx) (string, bool) {
	id, err := s.agentOf(rc.user.Name)
	if err != nil {
		s.log.Error("find agent of user", "user", rc.user.Name, "err", err)
		apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "web.error.internal"))
		return "", false
	}
	if id == "" && !isWatcher(rc.user) {
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "followup.err.no-agent"))
		return "", false
	}
	return id, true
}

// customerOf finds the built-in directory's customer with number, "" if none.
func (s *Server) customerOf(number string) string {
	plan, id := s.plan(), ""
	_ = store.ListFunc(s.store, "", func(c store.Customer) bool {
		for _, n := range c.Numbers {
			if plan.Normalize(n) == number {
				id = c.ID
				return false
			}
		}
		return true
	})
	return id
}

func (s *Server) apiCreateFollowup(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f, ok := readFollowupJSON(w, r, rc, followupDecoder{s}.decodeFollowup)
	if !ok {
		return
	}
	me, ok := s.actingAgent(w, rc)
	if !ok {
		return
	}
	switch {
	case f.Agent == "" && me == "":
		fieldCodes(w, rc.lang, []store.FieldError{problem("agent", "store.err.required")})
		return
	case f.Agent == "":
		f.Agent = me
	case f.Agent != me && !isWatcher(rc.user):
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "followup.err.assign"))
		return
	}
	if _, err := store.Get[store.Agent](s.store, f.Agent); err != nil {
		fieldCodes(w, rc.lang, []store.FieldError{problem("agent", "followup.err.agent", f.Agent)})
		return
	}
	if f.CustomerID == "" {
		f.CustomerID = s.customerOf(f.Number)
	}
	f.CreatedBy = rc.user.Name
	f, err := s.followups().Create(r.Context(), f)
	s.answerWrite(w, rc, err, http.StatusCreated, f)
}

// followupStates reads ?state=open,dialing; nil is every state.
func followupStates(v string) ([]store.FollowupState, bool) {
	var out []store.FollowupState
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		st := store.FollowupState(p)
		if !slices.Contains(store.FollowupStates, st) {
			return nil, false
		}
		out = append(out, st)
	}
	return out, true
}

func (s *Server) apiListFollowups(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query()
	states, ok := followupStates(q.Get("state"))
	if !ok {
		fieldCodes(w, rc.lang, []store.FieldError{problem("state", "store.err.one_of", "open, dialing, done, failed, cancelled")})
		return
	}
	agent := q.Get("agent")
	if !isWatcher(rc.user) {
		me, ok := s.actingAgent(w, rc)
		if !ok {
			return
		}
		if agent != "" && agent != me {
			apiError(w, http.StatusForbidden, i18n.T(rc.lang, "followup.err.not-yours"))
			return
		}
		agent = me
	}
	fs, err := s.followups().List(r.Context(), followup.Filter{Agent: agent, States: states})
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	if fs == nil {
		fs = []store.Followup{}
	}
	writeJSON(w, http.StatusOK, fs)
}

// ownFollowup reads the task of the request's {id}, refusing an agent
// another agent's task; it has answered the request when ok is false.
func (s *Server) ownFollowup(w http.ResponseWriter, r *http.Request, rc *reqCtx) (store.Followup, bool) {
	f, err := s.followups().Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.followupError(w, rc, err)
		return f, false
	}
	if isWatcher(rc.user) {
		return f, true
	}
	me, ok := s.actingAgent(w, rc)
	if !ok {
		return f, false
	}
	if f.Agent != me {
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "followup.err.not-yours"))
		return f, false
	}
	return f, true
}

// followupError answers an error of the follow-up book.
func (s *Server) followupError(w http.ResponseWriter, rc *reqCtx, err error) {
	switch {
	case errors.Is(err, followup.ErrNotFound):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "followup.err.not-found"))
	case errors.Is(err, followup.ErrState):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "followup.err.state", ""))
	default:
		s.answerWrite(w, rc, err, 0, nil)
	}
}

// stateConflict answers an action the task's state does not allow.
func stateConflict(w http.ResponseWriter, lang i18n.Lang, f store.Followup) {
	apiError(w, http.StatusConflict, i18n.T(lang, "followup.err.state", i18n.T(lang, "followup.state."+string(f.State))))
}

func (s *Server) apiGetFollowup(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if f, ok := s.ownFollowup(w, r, rc); ok {
		writeJSON(w, http.StatusOK, f)
	}
}

// callAnswer is the answer to POST /api/v1/followups/{id}/call.
type callAnswer struct {
	CallID   string         `json:"callId"`
	Followup store.Followup `json:"followup"`
}

// extensionOf is where an agent takes calls: the extension they are logged
// in on, else the one their record names.
func (s *Server) extensionOf(agent string) string {
	if s.cfg.ACD != nil {
		if a, err := s.cfg.ACD.Dispatcher().Agent(agent); err == nil && a.Extension != "" {
			return a.Extension
		}
	}
	a, err := store.Get[store.Agent](s.store, agent)
	if err != nil {
		return ""
	}
	return a.Extension
}

// apiCallFollowup places the task's call with the CTI's click-to-dial:
// the caller's phone rings first, then the customer's number is dialled.
func (s *Server) apiCallFollowup(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	f, ok := s.ownFollowup(w, r, rc)
	if !ok {
		return
	}
	if f.State.Final() {
		stateConflict(w, rc.lang, f)
		return
	}
	// The phone that rings is the caller's: an agent's own, a supervisor's
	// own when they work the task themselves.
	me, ok := s.actingAgent(w, rc)
	if !ok {
		return
	}
	if me == "" {
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "followup.err.no-agent"))
		return
	}
	ext := s.extensionOf(me)
	if ext == "" {
		fieldCodes(w, rc.lang, []store.FieldError{problem("extension", "followup.err.no-ext")})
		return
	}
	c := h.Control()
	if c == nil {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "cti.error.no-control"))
		return
	}
	f, err := s.followups().Call(r.Context(), f.ID, ext, c.Originate)
	switch {
	case errors.Is(err, followup.ErrState):
		stateConflict(w, rc.lang, f)
		return
	case errors.Is(err, followup.ErrNotFound):
		s.followupError(w, rc, err)
		return
	case err != nil:
		s.controlFailed(w, rc, "", err)
		return
	}
	s.log.Info("follow-up call", "user", rc.user.Name, "task", f.ID, "extension", ext, "call", f.LastCall)
	writeJSON(w, http.StatusOK, callAnswer{CallID: f.LastCall, Followup: f})
}

// outcomeInput is the body of POST /api/v1/followups/{id}/outcome.
type outcomeInput struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
	// Due is when to call again, for "reschedule" (as in followupInput).
	Due string `json:"due"`
}

func (d followupDecoder) decodeOutcome(r io.Reader) (followup.Result, []store.FieldError, error) {
	var in outcomeInput
	if err := decodeJSON(r, &in); err != nil {
		return followup.Result{}, typeProblem(err), err
	}
	res := followup.Result{Outcome: store.FollowupOutcome(strings.TrimSpace(in.Outcome)), Note: strings.TrimSpace(in.Note)}
	if in.Due != "" {
		due, ok := followup.ParseDue(in.Due, d.s.siteZone())
		if !ok {
			return res, []store.FieldError{problem("due", "followup.err.time")}, nil
		}
		res.Due = due
	}
	return res, res.Check(d.s.now()), nil
}

func (s *Server) apiFollowupOutcome(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	res, ok := readFollowupJSON(w, r, rc, followupDecoder{s}.decodeOutcome)
	if !ok {
		return
	}
	f, ok := s.ownFollowup(w, r, rc)
	if !ok {
		return
	}
	f, err := s.followups().Record(r.Context(), f.ID, res)
	if errors.Is(err, followup.ErrState) {
		stateConflict(w, rc.lang, f)
		return
	}
	if err != nil {
		s.followupError(w, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiCancelFollowup(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f, ok := s.ownFollowup(w, r, rc)
	if !ok {
		return
	}
	f, err := s.followups().Cancel(r.Context(), f.ID, rc.user.Name)
	if errors.Is(err, followup.ErrState) {
		stateConflict(w, rc.lang, f)
		return
	}
	if err != nil {
		s.followupError(w, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// followupImportAnswer is the answer to an import: the preview with
// messages in the user's language and, on commit, how many were written.
type followupImportAnswer struct {
	OK       bool             `json:"ok"`
	Imported int              `json:"imported"`
	Preview  followup.Preview `json:"preview"`
	Messages []string         `json:"messages,omitempty"`
}

// apiImportFollowups reads a CSV file (the body, text/csv) and answers its
// preview; with ?commit=1 it also writes every row in one transaction,
// only when no row has a problem (else 400 and nothing is written).
func (s *Server) apiImportFollowups(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	raw, ok := readCSVBody(w, r, rc, maxFollowupCSV)
	if !ok {
		return
	}
	agents := map[string]bool{}
	if err := store.ListFunc(s.store, "", func(a store.Agent) bool { agents[a.ID] = true; return true }); err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	p := followup.ParseCSV(strings.NewReader(string(raw)), followup.ImportOptions{Plan: s.plan(), Zone: s.siteZone(),
		Now: s.now(), Agents: agents, By: rc.user.Name})
	for i := range p.Rows {
		if f := &p.Rows[i].Followup; f.CustomerID == "" && f.Number != "" {
			f.CustomerID = s.customerOf(f.Number)
		}
	}
	out := followupImportAnswer{OK: p.OK(), Preview: p, Messages: p.Messages(rc.lang)}
	if out.Preview.Rows == nil {
		out.Preview.Rows = []followup.ImportRow{}
	}
	switch {
	case r.URL.Query().Get("commit") != "1":
		writeJSON(w, http.StatusOK, out)
	case !out.OK:
		writeJSON(w, http.StatusBadRequest, out)
	default:
		n, err := s.followups().Import(r.Context(), p)
		if err != nil {
			s.answerWrite(w, rc, err, 0, nil)
			return
		}
		out.Imported = n
		s.log.Info("follow-ups imported", "rows", n, "by", rc.user.Name)
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) apiGetFollowupPolicy(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	p, err := store.GetFollowupPolicy(s.store)
	s.answerWrite(w, rc, err, http.StatusOK, p)
}

func decodePolicy(r io.Reader) (store.FollowupPolicy, []store.FieldError, error) {
	var p store.FollowupPolicy
	if err := decodeJSON(r, &p); err != nil {
		return p, typeProblem(err), err
	}
	return p, nil, nil
}

func (s *Server) apiPutFollowupPolicy(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	p, ok := readFollowupJSON(w, r, rc, decodePolicy)
	if !ok {
		return
	}
	_, err := store.Put(s.store, p)
	if err == nil {
		b, _ := json.Marshal(p)
		s.audit(r, rc, "update", store.KindFollowupPolicy, store.FollowupPolicyKey, string(b))
	}
	s.answerWrite(w, rc, err, http.StatusOK, p)
}
