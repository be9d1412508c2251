package webui

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"callbox/acd/cti"
	"callbox/acd/queue"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// ctiControlRoutes registers the remote answer, the consultative
// transfer and the scheduled callbacks (called from ctiRoutes).
func (s *Server) ctiControlRoutes(handle func(string, access, handlerFunc), allRoles []store.Role) {
	handle("POST /api/v1/calls/{id}/answer", tokenAPI(allRoles...), s.apiAnswer)
	handle("POST /api/v1/calls/{id}/consult", tokenAPI(allRoles...), s.apiConsult)
	handle("POST /api/v1/calls/{id}/consult/{step}", tokenAPI(allRoles...), s.apiConsultStep)
	handle("POST /api/v1/callbacks", tokenAPI(allRoles...), s.apiScheduleCallback)
	handle("GET /api/v1/callbacks/scheduled", tokenAPI(allRoles...), s.apiScheduledCallbacks)
	handle("DELETE /api/v1/callbacks/{id}", tokenAPI(allRoles...), s.apiCancelCallback)
}

// answerInput is the optional body of POST /api/v1/calls/{id}/answer: a
// supervisor may name the ringing extension when the call has no pop.
type answerInput struct {
	Extension string `json:"extension"`
}

func decodeAnswer(r io.Reader) (answerInput, []store.FieldError, error) {
	var in answerInput
	if err := decodeJSON(r, &in); err != nil {
		return in, nil, err
	}
	var errs []store.FieldError
	if in.Extension != "" && !isAllDigits(in.Extension) {
		errs = append(errs, problem("extension", "store.err.number"))
	}
	return in, errs, nil
}

// apiAnswer makes the agent's ringing phone answer (SIP NOTIFY talk).
func (s *Server) apiAnswer(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	var in answerInput
	if r.ContentLength != 0 {
		if in, ok = readJSON(w, r, rc, decodeAnswer); !ok {
			return
		}
	}
	id := r.PathValue("id")
	if !s.mayActOnCall(w, r, rc, h, id) {
		return
	}
	ext := in.Extension
	if !isWatcher(rc.user) {
		ext = "" // an agent answers their own phone only
	}
	if ext == "" {
		_, ext, _ = h.OfferedTo(id)
	}
	if ext == "" && !isWatcher(rc.user) {
		if me, err := s.agentOf(rc.user.Name); err == nil && me != "" {
			if a, err := store.Get[store.Agent](s.store, me); err == nil {
				ext = a.Extension
			}
		}
	}
	if ext == "" {
		fieldCodes(w, rc.lang, []store.FieldError{problem("extension", "cti3.error.no-extension")})
		return
	}
	an, ok := h.Control().(cti.Answerer)
	if !ok {
		s.notSupported(w, rc)
		return
	}
	if err := an.Answer(r.Context(), id, ext); err != nil {
		s.controlFeatureFailed(w, rc, id, ext, err)
		return
	}
	s.log.Info("call control", "user", rc.user.Name, "call", id, "action", "answer", "extension", ext)
	w.WriteHeader(http.StatusNoContent)
}

// notSupported answers a feature the wired control lacks (or no control).
func (s *Server) notSupported(w http.ResponseWriter, rc *reqCtx) {
	apiError(w, http.StatusNotImplemented, i18n.T(rc.lang, "cti3.error.not-supported"))
}

// controlFeatureFailed answers the errors of answer and consult.
func (s *Server) controlFeatureFailed(w http.ResponseWriter, rc *reqCtx, callID, ext string, err error) {
	switch {
	case errors.Is(err, cti.ErrNotSupported):
		s.notSupported(w, rc)
	case errors.Is(err, cti.ErrNotRinging):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "cti3.error.not-ringing", ext))
	case errors.Is(err, cti.ErrPhoneRefused):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "cti3.error.phone-refused", err))
	case errors.Is(err, cti.ErrPhoneSilent):
		apiError(w, http.StatusBadGateway, i18n.T(rc.lang, "cti3.error.phone-silent", err))
	case errors.Is(err, cti.ErrConsulting):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "cti3.error.consulting"))
	case errors.Is(err, cti.ErrNoConsult):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "cti3.error.no-consult"))
	case errors.Is(err, queue.ErrNoAgents):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "queuereach.error.no-agents"))
	case errors.Is(err, queue.ErrNoAnswer):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "queuereach.error.no-answer"))
	default:
		s.controlFailed(w, rc, callID, err)
	}
}

// apiConsult starts a consultative transfer: the customer is held, the
// agent's phone talks to the target once it answers.
func (s *Server) apiConsult(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	in, ok := readJSON(w, r, rc, decodeTarget)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !s.mayActOnCall(w, r, rc, h, id) {
		return
	}
	c, ok := h.Control().(cti.Consulter)
	if !ok {
		s.notSupported(w, rc)
		return
	}
	if !s.checkTarget(w, rc, in) || !s.annotate(w, r, rc, h, id, in.Note) {
		return
	}
	if err := c.Consult(r.Context(), id, in.Target); err != nil {
		s.controlFeatureFailed(w, rc, id, "", err)
		return
	}
	s.log.Info("call control", "user", rc.user.Name, "call", id, "action", "consult", "target", in.Target)
	w.WriteHeader(http.StatusNoContent)
}

// apiConsultStep completes or cancels the call's consultation.
func (s *Server) apiConsultStep(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	id, step := r.PathValue("id"), r.PathValue("step")
	if step != "complete" && step != "cancel" {
		s.apiNotFound(w, r, rc)
		return
	}
	if !s.mayActOnCall(w, r, rc, h, id) {
		return
	}
	c, ok := h.Control().(cti.Consulter)
	if !ok {
		s.notSupported(w, rc)
		return
	}
	var err error
	if step == "complete" {
		err = c.CompleteConsult(r.Context(), id)
	} else {
		err = c.CancelConsult(r.Context(), id)
	}
	if err != nil {
		s.controlFeatureFailed(w, rc, id, "", err)
		return
	}
	s.log.Info("call control", "user", rc.user.Name, "call", id, "action", "consult-"+step)
	w.WriteHeader(http.StatusNoContent)
}

// scheduleInput is the body of POST /api/v1/callbacks.
type scheduleInput struct {
	Number     string `json:"number"`
	Queue      string `json:"queue"`
	When       string `json:"when"` // RFC 3339; empty is now
	CustomerID string `json:"customerId"`
	Name       string `json:"name"`
	Notes      string `json:"notes"`
}

// scheduleRequest is a decoded scheduleInput.
type scheduleRequest struct {
	in   scheduleInput
	when time.Time
}

func decodeSchedule(r io.Reader) (scheduleRequest, []store.FieldError, error) {
	var out scheduleRequest
	if err := decodeJSON(r, &out.in); err != nil {
		return out, nil, err
	}
	in := &out.in
	var errs []store.FieldError
	in.Number = strings.TrimSpace(in.Number)
	switch {
	case in.Number == "":
		errs = append(errs, problem("number", "store.err.required"))
	case !store.IsDialable(in.Number):
		errs = append(errs, problem("number", "store.err.number"))
	}
	if strings.TrimSpace(in.Queue) == "" {
		errs = append(errs, problem("queue", "store.err.required"))
	}
	if w := strings.TrimSpace(in.When); w != "" {
		t, err := time.Parse(time.RFC3339, w)
		if err != nil {
			errs = append(errs, problem("when", "cti3.err.time"))
		}
		out.when = t
	}
	if len([]rune(in.Name)) > 100 {
		errs = append(errs, problem("name", "store.err.too_long", 100))
	}
	if len([]rune(in.Notes)) > 2000 {
		errs = append(errs, problem("notes", "store.err.too_long", 2000))
	}
	if len(in.CustomerID) > 64 {
		errs = append(errs, problem("customerId", "store.err.too_long", 64))
	}
	return out, errs, nil
}

// apiScheduleCallback schedules a callback through a queue.
func (s *Server) apiScheduleCallback(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	req, ok := readJSON(w, r, rc, decodeSchedule)
	if !ok {
		return
	}
	in := req.in
	rec, err := h.ScheduleCallback(r.Context(), cti.ScheduleRequest{Number: in.Number, Queue: in.Queue, When: req.when,
		CustomerID: in.CustomerID, Name: in.Name, Notes: in.Notes, CreatedBy: rc.user.Name})
	if errors.Is(err, cti.ErrNoCallbacks) {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "cti3.error.no-callbacks"))
		return
	}
	if err == nil {
		w.Header().Set("Location", "/api/v1/callbacks/"+url.PathEscape(rec.ID))
	}
	s.answerWrite(w, rc, err, http.StatusCreated, rec)
}

// apiScheduledCallbacks lists the scheduled callbacks: all of them for
// supervisors, an agent's own for an agent.
func (s *Server) apiScheduledCallbacks(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	list, err := h.ScheduledCallbacks()
	out := make([]store.ScheduledCallback, 0, len(list))
	for _, c := range list {
		if isWatcher(rc.user) || c.CreatedBy == rc.user.Name {
			out = append(out, c)
		}
	}
	s.answerWrite(w, rc, err, http.StatusOK, out)
}

// apiCancelCallback cancels a scheduled callback (its creator or a
// supervisor).
func (s *Server) apiCancelCallback(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	id := r.PathValue("id")
	rec, err := h.ScheduledCallback(id)
	if err == nil && !isWatcher(rc.user) && rec.CreatedBy != rc.user.Name {
		s.forbidden(w, r, rc, "web.error.role")
		return
	}
	if err == nil {
		err = h.CancelCallback(r.Context(), id)
	}
	switch {
	case err == nil:
		s.log.Info("scheduled callback cancelled", "callback", id, "by", rc.user.Name)
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, cti.ErrUnknownCallback):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "cti3.error.unknown-callback", id))
	case errors.Is(err, cti.ErrCallbackOver):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "cti3.error.callback-over", err))
	case errors.Is(err, cti.ErrNoCallbacks):
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "cti3.error.no-callbacks"))
	default:
		s.answerWrite(w, rc, err, http.StatusNoContent, nil)
	}
}

// jsonFieldError names the field a JSON decoding error is about: a value
// of the wrong type or a field the request does not have. ok is false for
// errors of the whole body (syntax, truncation).
func jsonFieldError(err error) (store.FieldError, bool) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return problem(te.Field, "cti3.err.json-type", te.Type.String()), true
	}
	msg := err.Error()
	if i := strings.Index(msg, `json: unknown field "`); i >= 0 {
		name := msg[i+len(`json: unknown field "`):]
		if j := strings.IndexByte(name, '"'); j > 0 {
			return problem(name[:j], "cti3.err.json-unknown"), true
		}
	}
	return store.FieldError{}, false
}
