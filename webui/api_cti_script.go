package webui

import (
	"errors"
	"io"
	"net/http"

	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// --- agent scripts (per queue) and their answers (per call)

func (s *Server) apiListScripts(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := store.List[store.Script](s.store)
	if list == nil {
		list = []store.Script{}
	}
	s.answerWrite(w, rc, err, http.StatusOK, list)
}

func (s *Server) apiGetScript(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	sc, err := store.Get[store.Script](s.store, r.PathValue("queue"))
	s.answerWrite(w, rc, err, http.StatusOK, sc)
}

func decodeScript(r io.Reader) (store.Script, []store.FieldError, error) {
	var sc store.Script
	err := decodeJSON(r, &sc)
	return sc, nil, err
}

func (s *Server) apiPutScript(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	sc, ok := readJSON(w, r, rc, decodeScript)
	if !ok {
		return
	}
	q := r.PathValue("queue")
	if sc.Queue == "" {
		sc.Queue = q
	}
	if sc.Queue != q {
		keyMismatch(w, rc.lang, "queue")
		return
	}
	_, err := store.Put(s.store, sc)
	s.answerWrite(w, rc, err, http.StatusOK, sc)
}

func (s *Server) apiDeleteScript(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	_, err := store.Delete[store.Script](s.store, r.PathValue("queue"))
	s.answerWrite(w, rc, err, http.StatusNoContent, nil)
}

// answersInput is the body of POST /api/v1/calls/{id}/script: the answers
// in the order given. Queue defaults to the call's.
type answersInput struct {
	Queue   string               `json:"queue"`
	Answers []store.ScriptAnswer `json:"answers"`
}

func decodeAnswers(r io.Reader) (answersInput, []store.FieldError, error) {
	var in answersInput
	if err := decodeJSON(r, &in); err != nil {
		return in, nil, err
	}
	var errs []store.FieldError
	if len(in.Answers) > 200 {
		errs = append(errs, problem("answers", "store.err.range", 0, 200))
	}
	return in, errs, nil
}

// apiSaveAnswers checks the answers against the queue's script and keeps
// them with the call, so the contact history shows them.
func (s *Server) apiSaveAnswers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	in, ok := readJSON(w, r, rc, decodeAnswers)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !s.mayActOnCall(w, r, rc, h, id) {
		return
	}
	rec := store.ScriptAnswers{CallID: id, Queue: in.Queue, At: s.now()}
	if p, err := h.Pop(r.Context(), id); err == nil {
		rec.Agent, rec.Number = p.Agent, p.Number
		if rec.Queue == "" {
			rec.Queue = p.Queue
		}
	} else if c, known := h.Call(id); known {
		rec.Agent, rec.Number = c.Agent, c.Caller.Number
		if rec.Queue == "" {
			rec.Queue = c.Queue
		}
	} else {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "cti.error.unknown-call", id))
		return
	}
	if !store.IsDialable(rec.Number) {
		rec.Number = ""
	}
	sc, err := store.Get[store.Script](s.store, rec.Queue)
	if errors.Is(err, store.ErrNotFound) || rec.Queue == "" {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "cti.error.no-script", rec.Queue))
		return
	}
	if err != nil {
		s.answerWrite(w, rc, err, http.StatusOK, nil)
		return
	}
	answers, probs := cti.CheckAnswers(sc, in.Answers)
	if fieldCodes(w, rc.lang, probs) {
		return
	}
	rec.Answers = answers
	_, err = store.Put(s.store, rec)
	s.answerWrite(w, rc, err, http.StatusOK, rec)
}

func (s *Server) apiGetAnswers(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a, err := store.Get[store.ScriptAnswers](s.store, r.PathValue("id"))
	if err == nil && !isWatcher(rc.user) {
		me, ok := s.ownAgent(w, rc)
		if !ok {
			return
		}
		if a.Agent != me {
			apiError(w, http.StatusForbidden, i18n.T(rc.lang, "cti.error.not-your-call"))
			return
		}
	}
	s.answerWrite(w, rc, err, http.StatusOK, a)
}
