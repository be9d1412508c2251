package webui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// ctiRoutes registers the CTI and directory endpoints (api_cti*.go,
// api_directory*.go, events*.go).
func (s *Server) ctiRoutes(handle func(string, access, handlerFunc), allRoles, watchers, admins []store.Role) {
	handle("GET /api/v1/events", tokenAPI(allRoles...), s.apiEvents)
	handle("GET /api/v1/events/ws", tokenAPI(allRoles...), s.apiEventsWS)
	handle("GET /api/v1/cti/status", tokenAPI(watchers...), s.apiCTIStatus)

	handle("GET /api/v1/calls/{id}/pop", tokenAPI(allRoles...), s.apiPop)
	handle("POST /api/v1/calls", tokenAPI(allRoles...), s.apiOriginate)
	handle("POST /api/v1/calls/{id}/{action}", tokenAPI(allRoles...), s.apiCallAction)
	handle("POST /api/v1/calls/{id}/script", tokenAPI(allRoles...), s.apiSaveAnswers)
	handle("GET /api/v1/calls/{id}/script", tokenAPI(allRoles...), s.apiGetAnswers)
	handle("POST /api/v1/calls/{id}/wrapup", tokenAPI(allRoles...), s.apiWrapUp)
	handle("POST /api/v1/agents/{id}/{action}", tokenAPI(allRoles...), s.apiAgentAction)
	handle("GET /api/v1/agents/{id}/call", tokenAPI(allRoles...), s.apiCurrentCall)

	handle("GET /api/v1/scripts", tokenAPI(allRoles...), s.apiListScripts)
	handle("GET /api/v1/scripts/{queue}", tokenAPI(allRoles...), s.apiGetScript)
	handle("PUT /api/v1/scripts/{queue}", tokenAPI(admins...), s.apiPutScript)
	handle("DELETE /api/v1/scripts/{queue}", tokenAPI(admins...), s.apiDeleteScript)

	handle("GET /api/v1/webhooks", tokenAPI(admins...), s.apiListWebhooks)
	handle("POST /api/v1/webhooks", tokenAPI(admins...), s.apiCreateWebhook)
	handle("GET /api/v1/webhooks/deliveries", tokenAPI(admins...), s.apiDeliveries)
	handle("GET /api/v1/webhooks/{id}", tokenAPI(admins...), s.apiGetWebhook)
	handle("PUT /api/v1/webhooks/{id}", tokenAPI(admins...), s.apiPutWebhook)
	handle("DELETE /api/v1/webhooks/{id}", tokenAPI(admins...), s.apiDeleteWebhook)

	// Tokens are made and revoked in a browser session only: a token
	// cannot mint another.
	handle("GET /api/v1/tokens", api(admins...), s.apiListTokens)
	handle("POST /api/v1/tokens", api(admins...), s.apiCreateToken)
	handle("DELETE /api/v1/tokens/{id}", api(admins...), s.apiDeleteToken)

	s.ctiControlRoutes(handle, allRoles)
	s.directoryRoutes(handle, allRoles, watchers, admins)
}

// popOf is the pop of a call as the user sees it: an agent's own (the
// target of a transfer has theirs beside the first agent's), else the
// call's latest.
func (s *Server) popOf(r *http.Request, rc *reqCtx, h *cti.Hub, callID string) (cti.Pop, error) {
	if !isWatcher(rc.user) {
		if me, err := s.agentOf(rc.user.Name); err == nil && me != "" {
			if p, err := h.PopFor(r.Context(), callID, me); err == nil {
				return p, nil
			}
		}
	}
	return h.Pop(r.Context(), callID)
}

// hub returns the CTI hub, or answers 503 when the firmware wired none.
func (s *Server) hub(w http.ResponseWriter, rc *reqCtx) (*cti.Hub, bool) {
	if s.cfg.CTI == nil {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "cti.error.no-cti"))
		return nil, false
	}
	return s.cfg.CTI, true
}

// agentOf returns the ID of the agent linked to a user, or "".
func (s *Server) agentOf(user string) (string, error) {
	var id string
	err := store.ListFunc(s.store, "", func(a store.Agent) bool {
		if a.User == user {
			id = a.ID
			return false
		}
		return true
	})
	return id, err
}

// isWatcher: supervisors and administrators act on every call and agent.
func isWatcher(u *store.User) bool {
	return u.Role == store.RoleAdmin || u.Role == store.RoleSupervisor
}

// ownAgent returns the agent an agent-role user is; it has answered the
// request when ok is false.
func (s *Server) ownAgent(w http.ResponseWriter, rc *reqCtx) (string, bool) {
	id, err := s.agentOf(rc.user.Name)
	if err != nil {
		s.log.Error("find agent of user", "user", rc.user.Name, "err", err)
		apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "web.error.internal"))
		return "", false
	}
	if id == "" {
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "cti.error.no-agent"))
		return "", false
	}
	return id, true
}

// mayActOnCall lets watchers act on any call and an agent on the calls
// offered to them.
func (s *Server) mayActOnCall(w http.ResponseWriter, r *http.Request, rc *reqCtx, h *cti.Hub, callID string) bool {
	if isWatcher(rc.user) {
		return true
	}
	me, ok := s.ownAgent(w, rc)
	if !ok {
		return false
	}
	p, err := h.Pop(r.Context(), callID)
	rec, known := h.Call(callID)
	offered, _, _ := h.OfferedTo(callID)
	if (err == nil && p.Agent == me) || (known && rec.Agent == me) || offered == me || h.Involved(callID, me) {
		return true
	}
	apiError(w, http.StatusForbidden, i18n.T(rc.lang, "cti.error.not-your-call"))
	return false
}

func (s *Server) apiCTIStatus(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	st := h.Status()
	out := struct {
		cti.Status
		SourceMessages []string `json:"sourceMessages,omitempty"`
		ConfigError    string   `json:"configError,omitempty"`
	}{Status: st}
	for _, src := range st.Sources {
		if src.LastError != "" && src.LastErrorAt.After(src.LastSuccessAt) {
			out.SourceMessages = append(out.SourceMessages, i18n.T(rc.lang, "directory.source.failed", src.Name, src.LastError))
		}
	}
	if s.cfg.Directory != nil {
		if err := s.cfg.Directory.Err(); err != nil {
			out.ConfigError = i18n.T(rc.lang, "cti.error.sources", err)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// --- screen pop and call control

func (s *Server) apiPop(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	id := r.PathValue("id")
	p, err := s.popOf(r, rc, h, id)
	if errors.Is(err, cti.ErrUnknownCall) {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "cti.error.unknown-call", id))
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "web.error.internal"))
		return
	}
	if !isWatcher(rc.user) {
		me, ok := s.ownAgent(w, rc)
		if !ok {
			return
		}
		if p.Agent != me {
			apiError(w, http.StatusForbidden, i18n.T(rc.lang, "cti.error.not-your-call"))
			return
		}
	}
	writeJSON(w, http.StatusOK, p)
}

// originateInput is the body of POST /api/v1/calls.
type originateInput struct {
	// Extension rings first; agents may leave it out (their own).
	Extension string `json:"extension"`
	Number    string `json:"number"`
}

// targetInput is the body of transfer, conference and consult.
type targetInput struct {
	// Target is an extension, an outside number or "queue:NAME".
	Target string `json:"target"`
	// Note is kept on the call for whoever handles it next (optional).
	Note string `json:"note"`
}

// queueTarget is the prefix of a queue as a transfer target.
const queueTarget = "queue:"

func decodeOriginate(r io.Reader) (originateInput, []store.FieldError, error) {
	var in originateInput
	if err := decodeJSON(r, &in); err != nil {
		return in, nil, err
	}
	var errs []store.FieldError
	in.Number = strings.TrimSpace(in.Number)
	if !store.IsDialable(in.Number) {
		errs = append(errs, problem("number", "store.err.number"))
	}
	if in.Extension != "" && !isAllDigits(in.Extension) {
		errs = append(errs, problem("extension", "store.err.number"))
	}
	return in, errs, nil
}

func decodeTarget(r io.Reader) (targetInput, []store.FieldError, error) {
	var in targetInput
	if err := decodeJSON(r, &in); err != nil {
		return in, nil, err
	}
	var errs []store.FieldError
	in.Target = strings.TrimSpace(in.Target)
	q, isQueue := strings.CutPrefix(in.Target, queueTarget)
	switch {
	case in.Target == "":
		errs = append(errs, problem("target", "store.err.required"))
	case isQueue && (q == "" || len(q) > 64 || strings.ContainsFunc(q, unicode.IsSpace)):
		errs = append(errs, problem("target", "cti3.err.no-queue", q))
	case !isQueue && !store.IsDialable(in.Target):
		errs = append(errs, problem("target", "store.err.number"))
	}
	errs = append(errs, noteProblems(&in.Note)...)
	return in, errs, nil
}

// noteProblems checks an optional note for the next agent (trimmed in
// place), as the hub does.
func noteProblems(note *string) []store.FieldError {
	*note = strings.TrimSpace(*note)
	if *note == "" {
		return nil
	}
	switch _, err := cti.CheckNote(*note); {
	case err == nil:
		return nil
	case utf8.RuneCountInString(*note) > cti.MaxNote:
		return []store.FieldError{problem("note", "store.err.too_long", cti.MaxNote)}
	default:
		return []store.FieldError{problem("note", "transferpop.err.note-text")}
	}
}

// checkTarget refuses a queue target the site does not have; it has
// answered the request when ok is false.
func (s *Server) checkTarget(w http.ResponseWriter, rc *reqCtx, in targetInput) bool {
	q, isQueue := strings.CutPrefix(in.Target, queueTarget)
	if !isQueue {
		return true
	}
	_, err := store.Get[store.Queue](s.store, q)
	switch {
	case errors.Is(err, store.ErrNotFound):
		fieldCodes(w, rc.lang, []store.FieldError{problem("target", "cti3.err.no-queue", q)})
		return false
	case err != nil:
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return false
	}
	return true
}

// annotate keeps a transfer's note on the call, written by the user (as
// their agent when they are one), before the target rings, so the
// target's pop shows it; it has answered the request when ok is false.
func (s *Server) annotate(w http.ResponseWriter, r *http.Request, rc *reqCtx, h *cti.Hub, callID, note string) bool {
	if note == "" {
		return true
	}
	n := cti.Note{Text: note}
	if id, err := s.agentOf(rc.user.Name); err == nil && id != "" {
		n.Agent = id
	} else {
		n.Name = rc.user.Name
	}
	_, err := h.Annotate(r.Context(), callID, n)
	switch {
	case err == nil:
		return true
	case errors.Is(err, cti.ErrUnknownCall):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "cti.error.unknown-call", callID))
	case errors.Is(err, cti.ErrNote):
		fieldCodes(w, rc.lang, []store.FieldError{problem("note", "transferpop.err.too-many")})
	default:
		s.answerWrite(w, rc, err, http.StatusOK, nil)
	}
	return false
}

func isAllDigits(v string) bool {
	return v != "" && len(v) <= 20 && strings.Trim(v, "0123456789") == ""
}

// problem is one field's problem in a request body.
func problem(field, code string, args ...any) store.FieldError {
	return store.FieldError{Field: field, Code: code, Args: args}
}

// fieldCodes answers 400 with each field's message when probs has any;
// it reports whether it did.
func fieldCodes(w http.ResponseWriter, lang i18n.Lang, probs []store.FieldError) bool {
	if len(probs) == 0 {
		return false
	}
	out := make(map[string]string, len(probs))
	for _, f := range probs {
		if _, ok := out[f.Field]; !ok {
			out[f.Field] = f.Message(lang)
		}
	}
	writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: out})
	return true
}

// readJSON checks the content type and decodes the body with dec; it has
// answered the request when ok is false.
func readJSON[T any](w http.ResponseWriter, r *http.Request, rc *reqCtx, dec func(io.Reader) (T, []store.FieldError, error)) (T, bool) {
	var zero T
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return zero, false
	}
	v, codes, err := dec(r.Body)
	if err != nil {
		// A value of the wrong type or an unknown field is named.
		if f, ok := jsonFieldError(err); ok {
			fieldCodes(w, rc.lang, []store.FieldError{f})
			return zero, false
		}
		badBody(w, rc.lang, err)
		return zero, false
	}
	if fieldCodes(w, rc.lang, codes) {
		return zero, false
	}
	return v, true
}

func (s *Server) apiOriginate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	in, ok := readJSON(w, r, rc, decodeOriginate)
	if !ok {
		return
	}
	if !isWatcher(rc.user) || in.Extension == "" {
		// Agents ring their own extension, whatever they asked.
		me, ok := s.ownAgent(w, rc)
		if !ok {
			return
		}
		a, err := store.Get[store.Agent](s.store, me)
		if err != nil || a.Extension == "" {
			fieldCodes(w, rc.lang, []store.FieldError{problem("extension", "store.err.required")})
			return
		}
		in.Extension = a.Extension
	}
	c := h.Control()
	if c == nil {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "cti.error.no-control"))
		return
	}
	id, err := c.Originate(r.Context(), in.Extension, in.Number)
	if err != nil {
		s.controlFailed(w, rc, "", err)
		return
	}
	// The call is the agent's current call: their console pops the
	// dialled customer and its history entry names them. A supervisor
	// dialling from another extension leaves the hub to find its agent.
	me, _ := s.agentOf(rc.user.Name)
	if isWatcher(rc.user) && s.extensionOf(me) != in.Extension {
		me = ""
	}
	h.Originated(cti.OriginateInfo{CallID: id, Agent: me, Extension: in.Extension, Number: in.Number})
	s.log.Info("click-to-dial", "user", rc.user.Name, "extension", in.Extension, "number", in.Number, "call", id)
	w.Header().Set("Location", "/api/v1/calls/"+url.PathEscape(id)+"/pop")
	writeJSON(w, http.StatusCreated, map[string]string{"callId": id})
}

// controlFailed answers an error of the call control.
func (s *Server) controlFailed(w http.ResponseWriter, rc *reqCtx, callID string, err error) {
	switch {
	case errors.Is(err, cti.ErrUnknownCall):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "cti.error.unknown-call", callID))
	case errors.Is(err, context.DeadlineExceeded):
		apiError(w, http.StatusGatewayTimeout, i18n.T(rc.lang, "cti.error.control", err))
	default:
		s.log.Warn("call control failed", "call", callID, "err", err)
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "cti.error.control", err))
	}
}

func (s *Server) apiCallAction(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	id, action := r.PathValue("id"), r.PathValue("action")
	if !slices.Contains([]string{"hangup", "hold", "resume", "transfer", "conference"}, action) {
		s.apiNotFound(w, r, rc)
		return
	}
	var in targetInput
	if action == "transfer" || action == "conference" {
		if in, ok = readJSON(w, r, rc, decodeTarget); !ok {
			return
		}
	}
	if !s.mayActOnCall(w, r, rc, h, id) {
		return
	}
	c := h.Control()
	if c == nil {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "cti.error.no-control"))
		return
	}
	if in.Target != "" && (!s.checkTarget(w, rc, in) || !s.annotate(w, r, rc, h, id, in.Note)) {
		return
	}
	var err error
	ctx := r.Context()
	switch action {
	case "hangup":
		err = c.Hangup(ctx, id)
	case "hold":
		err = c.Hold(ctx, id, true)
	case "resume":
		err = c.Hold(ctx, id, false)
	case "transfer":
		err = c.Transfer(ctx, id, in.Target)
	case "conference":
		err = c.Conference(ctx, id, in.Target)
	}
	if err != nil {
		s.controlFailed(w, rc, id, err)
		return
	}
	s.log.Info("call control", "user", rc.user.Name, "call", id, "action", action, "target", in.Target)
	w.WriteHeader(http.StatusNoContent)
}

// wrapUpInput is the body of POST /api/v1/calls/{id}/wrapup.
type wrapUpInput struct {
	Code  string `json:"code"`
	Notes string `json:"notes"`
}

func decodeWrapUp(r io.Reader) (wrapUpInput, []store.FieldError, error) {
	var in wrapUpInput
	if err := decodeJSON(r, &in); err != nil {
		return in, nil, err
	}
	var errs []store.FieldError
	if strings.TrimSpace(in.Code) == "" && strings.TrimSpace(in.Notes) == "" {
		errs = append(errs, problem("code", "store.err.required"))
	}
	if len([]rune(in.Code)) > 64 {
		errs = append(errs, problem("code", "store.err.too_long", 64))
	} else if strings.ContainsAny(in.Code, "\r\n\t") {
		errs = append(errs, problem("code", "store.err.unknown"))
	}
	if len([]rune(in.Notes)) > 3000 {
		errs = append(errs, problem("notes", "store.err.too_long", 3000))
	}
	return in, errs, nil
}

// apiWrapUp saves the wrap-up code and notes with the call's entry in the
// customer history.
func (s *Server) apiWrapUp(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	in, ok := readJSON(w, r, rc, decodeWrapUp)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !s.mayActOnCall(w, r, rc, h, id) {
		return
	}
	if errs, err := s.checkWrapUpCode(in); err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	} else if len(errs) > 0 {
		fieldCodes(w, rc.lang, errs)
		return
	}
	me, _ := s.agentOf(rc.user.Name)
	switch err := h.WrapUpAs(r.Context(), id, me, in.Code, in.Notes); {
	case errors.Is(err, cti.ErrUnknownCall):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "cti.error.unknown-call", id))
	case errors.Is(err, cti.ErrWrapUp):
		fieldCodes(w, rc.lang, []store.FieldError{problem("notes", "store.err.unknown")})
	case err != nil:
		s.answerWrite(w, rc, err, http.StatusOK, nil)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// checkWrapUpCode holds a wrap-up to the box's list of codes once the
// installer has made one (before that any code is taken, as integrations
// of older firmware send their own): the code must be listed and in use,
// and a code that asks for a note gets one. The console checks the same
// in the browser; this is the check that holds.
func (s *Server) checkWrapUpCode(in wrapUpInput) ([]store.FieldError, error) {
	code := strings.TrimSpace(in.Code)
	if code == "" {
		return nil, nil
	}
	codes, err := store.List[store.WrapUp](s.store)
	if err != nil || len(codes) == 0 {
		return nil, err
	}
	i := slices.IndexFunc(codes, func(w store.WrapUp) bool { return w.Code == code })
	switch {
	case i < 0 || codes[i].Disabled:
		return []store.FieldError{problem("code", "cti.error.wrapup-code")}, nil
	case codes[i].NoteRequired && strings.TrimSpace(in.Notes) == "":
		return []store.FieldError{problem("notes", "cti.error.wrapup-note")}, nil
	}
	return nil, nil
}

// agentInput is the body of the agent actions (all fields optional).
type agentInput struct {
	Extension string `json:"extension"`
	Reason    string `json:"reason"`
}

func decodeAgentInput(r io.Reader) (agentInput, []store.FieldError, error) {
	var in agentInput
	if err := decodeJSON(r, &in); err != nil {
		return in, nil, err
	}
	var errs []store.FieldError
	if in.Extension != "" && !isAllDigits(in.Extension) {
		errs = append(errs, problem("extension", "store.err.number"))
	}
	switch {
	case len(in.Reason) > 64:
		errs = append(errs, problem("reason", "store.err.too_long", 64))
	case strings.ContainsAny(in.Reason, "\r\n\t"):
		errs = append(errs, problem("reason", "store.err.unknown"))
	}
	return in, errs, nil
}

func (s *Server) apiAgentAction(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	id, action := r.PathValue("id"), r.PathValue("action")
	if !slices.Contains([]string{"login", "logout", "pause", "ready"}, action) {
		s.apiNotFound(w, r, rc)
		return
	}
	var in agentInput
	if r.ContentLength != 0 {
		if in, ok = readJSON(w, r, rc, decodeAgentInput); !ok {
			return
		}
	}
	if !isWatcher(rc.user) {
		me, ok := s.ownAgent(w, rc)
		if !ok {
			return
		}
		if me != id {
			s.forbidden(w, r, rc, "web.error.role")
			return
		}
	}
	a, err := store.Get[store.Agent](s.store, id)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	ag := h.Agents()
	if ag == nil {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "cti.error.no-agents"))
		return
	}
	ctx := r.Context()
	switch action {
	case "login":
		ext := in.Extension
		if ext == "" {
			ext = a.Extension
		}
		if ext == "" {
			fieldCodes(w, rc.lang, []store.FieldError{problem("extension", "store.err.required")})
			return
		}
		err = ag.Login(ctx, id, ext)
	case "logout":
		err = ag.Logout(ctx, id)
	case "pause":
		err = ag.Pause(ctx, id, in.Reason)
	case "ready":
		err = ag.Ready(ctx, id)
	}
	if err != nil {
		s.log.Warn("agent action failed", "agent", id, "action", action, "err", err)
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "cti.error.control", err))
		return
	}
	s.log.Info("agent action", "user", rc.user.Name, "agent", id, "action", action)
	w.WriteHeader(http.StatusNoContent)
}

// apiCurrentCall answers an agent's current call as the hub knows it
// (the console reloaded finds its call, also one handed to its extension
// or placed by click-to-dial): 404 when the agent has none. Agents read
// their own only.
func (s *Server) apiCurrentCall(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !isWatcher(rc.user) {
		me, ok := s.ownAgent(w, rc)
		if !ok {
			return
		}
		if me != id {
			s.forbidden(w, r, rc, "web.error.role")
			return
		}
	}
	cur, found := h.CurrentCall(r.Context(), id)
	if !found {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "consolegaps.no-call", id))
		return
	}
	writeJSON(w, http.StatusOK, cur)
}

// --- webhooks

func (s *Server) apiListWebhooks(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := store.List[store.Webhook](s.store)
	if list == nil {
		list = []store.Webhook{}
	}
	s.answerWrite(w, rc, err, http.StatusOK, list)
}

func (s *Server) apiGetWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	hk, err := store.Get[store.Webhook](s.store, r.PathValue("id"))
	s.answerWrite(w, rc, err, http.StatusOK, hk)
}

func decodeWebhook(r io.Reader) (store.Webhook, []store.FieldError, error) {
	var hk store.Webhook
	err := decodeJSON(r, &hk)
	return hk, nil, err
}

func (s *Server) apiCreateWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	hk, ok := readJSON(w, r, rc, decodeWebhook)
	if !ok {
		return
	}
	_, err := store.Create(s.store, hk)
	if err == nil {
		w.Header().Set("Location", "/api/v1/webhooks/"+url.PathEscape(hk.ID))
	}
	s.answerWrite(w, rc, err, http.StatusCreated, hk)
}

func (s *Server) apiPutWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	hk, ok := readJSON(w, r, rc, decodeWebhook)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if hk.ID == "" {
		hk.ID = id
	}
	if hk.ID != id {
		keyMismatch(w, rc.lang, "id")
		return
	}
	_, err := store.Put(s.store, hk)
	s.answerWrite(w, rc, err, http.StatusOK, hk)
}

func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	_, err := store.Delete[store.Webhook](s.store, r.PathValue("id"))
	s.answerWrite(w, rc, err, http.StatusNoContent, nil)
}

func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, h.Status().Webhooks)
}

// --- API tokens

// tokenInput is the body of POST /api/v1/tokens.
type tokenInput struct {
	Name string     `json:"name"`
	Role store.Role `json:"role"`
	User string     `json:"user"`
	// Days until the token expires; 0 never.
	Days int `json:"days"`
}

func decodeTokenInput(r io.Reader) (tokenInput, []store.FieldError, error) {
	var in tokenInput
	if err := decodeJSON(r, &in); err != nil {
		return in, nil, err
	}
	var errs []store.FieldError
	if in.Days < 0 || in.Days > 3650 {
		errs = append(errs, problem("days", "store.err.range", 0, 3650))
	}
	return in, errs, nil
}

// tokenJSON is a token as the API lists it: never the hash.
type tokenJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      store.Role `json:"role"`
	User      string     `json:"user,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt time.Time  `json:"expiresAt,omitzero"`
	Disabled  bool       `json:"disabled,omitempty"`
	// Token is the secret itself, present only in the answer that made it.
	Token string `json:"token,omitempty"`
}

func tokenOut(t store.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, User: t.User, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Disabled: t.Disabled}
}

func (s *Server) apiListTokens(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := store.List[store.APIToken](s.store)
	out := make([]tokenJSON, 0, len(list))
	for _, t := range list {
		out = append(out, tokenOut(t))
	}
	s.answerWrite(w, rc, err, http.StatusOK, out)
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	in, ok := readJSON(w, r, rc, decodeTokenInput)
	if !ok {
		return
	}
	if in.User != "" {
		if _, err := store.Get[store.User](s.store, in.User); errors.Is(err, store.ErrNotFound) {
			fieldCodes(w, rc.lang, []store.FieldError{problem("user", "cti.error.no-user", in.User)})
			return
		}
	}
	t, secret, err := cti.NewToken(in.Name, in.Role, in.User, s.now(), time.Duration(in.Days)*24*time.Hour)
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusCreated, nil)
		return
	}
	if _, err := store.Create(s.store, t); err != nil {
		s.answerWrite(w, rc, err, http.StatusCreated, nil)
		return
	}
	s.log.Info("API token created", "token", t.ID, "name", t.Name, "role", t.Role, "by", rc.user.Name)
	out := tokenOut(t)
	out.Token = secret
	w.Header().Set("Location", "/api/v1/tokens/"+url.PathEscape(t.ID))
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) apiDeleteToken(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	_, err := store.Delete[store.APIToken](s.store, r.PathValue("id"))
	if err == nil {
		s.log.Info("API token revoked", "token", r.PathValue("id"), "by", rc.user.Name)
	}
	s.answerWrite(w, rc, err, http.StatusNoContent, nil)
}
