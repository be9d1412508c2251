package webui

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"callbox/acd/ivr"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/prompt"
)

// The IVR flow API: what the flow designer reads and writes. Flows are
// kept by ivr.Shelf (draft, published version, kept versions); this file
// only turns HTTP into shelf calls and errors into answers.

// flowBodyLimit lets a whole flow document (and a little JSON around it)
// through, where other API bodies stop at maxJSONBytes.
const flowBodyLimit = ivr.MaxDocument + 64<<10

func (s *Server) flowRoutes(handle func(string, access, handlerFunc), admins []store.Role) {
	big := access{kind: loggedIn, roles: admins, api: true, bodyLimit: flowBodyLimit}
	handle("GET /api/v1/flows", api(admins...), s.apiListFlows)
	handle("GET /api/v1/flows/{id}", api(admins...), s.apiGetFlow)
	handle("PUT /api/v1/flows/{id}", big, s.apiSaveFlow)
	handle("DELETE /api/v1/flows/{id}", api(admins...), s.apiDeleteFlow)
	handle("POST /api/v1/flows/{id}/validate", api(admins...), s.apiValidateFlow)
	handle("POST /api/v1/flows/{id}/publish", api(admins...), s.apiPublishFlow)
	handle("GET /api/v1/flows/{id}/versions", api(admins...), s.apiFlowVersions)
	handle("POST /api/v1/flows/{id}/versions/{n}/restore", api(admins...), s.apiRestoreFlow)
	handle("GET /api/v1/flows/{id}/export", api(admins...), s.apiExportFlow)
	handle("POST /api/v1/flows/{id}/import", big, s.apiImportFlow)
	handle("POST /api/v1/flows/{id}/dryrun", api(admins...), s.apiDryRunFlow)
	handle("GET /api/v1/flow-nodes", api(admins...), s.apiFlowNodes)
}

func (s *Server) flowShelf() *ivr.Shelf { return ivr.NewShelf(s.store, s.now) }

// flowChecks are the lookups validation uses: the prompts (shipped or
// uploaded: Config.PromptExists, else the shipped set and the store's
// custom prompts), the store's queues, hours, mailboxes and flows, and
// whether a fax node can send (Config.FaxSender, else a modem line in the
// store).
func (s *Server) flowChecks() ivr.Checks {
	chk := ivr.StoreChecks(s.store, prompt.NewLibrary(""))
	if s.cfg.PromptExists != nil {
		chk.Prompt = s.cfg.PromptExists
	}
	chk.NoFax = !s.faxSender()
	return chk
}

// faxSender reports whether the box can send faxes, so fax nodes are
// offered and publishable.
func (s *Server) faxSender() bool {
	if s.cfg.FaxSender != nil {
		return s.cfg.FaxSender()
	}
	return ivr.FaxLine(s.store)
}

// problemJSON is a validation problem with its message.
type problemJSON struct {
	ivr.Problem
	Message string `json:"message"`
}

type problemsJSON struct {
	Error    string        `json:"error,omitempty"`
	Problems []problemJSON `json:"problems"`
}

func problemsOut(ps []ivr.Problem, lang i18n.Lang) []problemJSON {
	out := make([]problemJSON, len(ps))
	for i, p := range ps {
		out[i] = problemJSON{Problem: p, Message: p.Message(lang)}
	}
	return out
}

// importErrorJSON says where a flow file went wrong.
type importErrorJSON struct {
	Error  string `json:"error"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// answerFlow turns a shelf error into the API's answer.
func (s *Server) answerFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	var ie *ivr.ImportError
	var ps ivr.Problems
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ie):
		writeJSON(w, http.StatusBadRequest, importErrorJSON{Error: ie.Message(rc.lang), Line: ie.Line, Column: ie.Column})
	case errors.As(err, &ps):
		writeJSON(w, http.StatusUnprocessableEntity, problemsJSON{Error: i18n.T(rc.lang, "ivr.api.invalid"), Problems: problemsOut(ps, rc.lang)})
	case errors.Is(err, ivr.ErrBadFlowID):
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "ivr.api.bad-id", r.PathValue("id")))
	case errors.Is(err, ivr.ErrNoVersion):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "ivr.api.no-version", r.PathValue("id"), r.PathValue("n")))
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "ivr.api.no-flow", r.PathValue("id")))
	case errors.As(err, &ve):
		writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: ve.Messages(rc.lang)})
	default:
		s.log.Error("flow api", "flow", r.PathValue("id"), "err", err)
		apiError(w, http.StatusInternalServerError, i18n.T(rc.lang, "web.error.internal"))
	}
}

func (s *Server) apiListFlows(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := s.flowShelf().List()
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiGetFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v, err := s.flowShelf().Get(r.PathValue("id"))
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiDeleteFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := s.flowShelf().Delete(r.PathValue("id")); err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	s.log.Info("flow deleted", "flow", r.PathValue("id"), "user", rc.user.Name)
	w.WriteHeader(http.StatusNoContent)
}

// readFlowBody reads a flow document body (JSON, bounded).
func readFlowBody(w http.ResponseWriter, r *http.Request, rc *reqCtx) ([]byte, bool) {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return nil, false
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			apiError(w, http.StatusRequestEntityTooLarge, i18n.T(rc.lang, "ivr.import.too-large", strconv.Itoa(ivr.MaxDocument)))
			return nil, false
		}
		badBody(w, rc.lang, err)
		return nil, false
	}
	return data, true
}

// apiSaveFlow keeps the body, a flow document, as the flow's draft.
func (s *Server) apiSaveFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	data, ok := readFlowBody(w, r, rc)
	if !ok {
		return
	}
	v, err := s.flowShelf().SaveDraft(r.PathValue("id"), data)
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// apiImportFlow is a file upload of a flow document into the draft: the
// same as saving, answered with the line and reason of a bad file.
func (s *Server) apiImportFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.apiSaveFlow(w, r, rc)
}

func (s *Server) apiValidateFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	doc, err := s.flowShelf().Document(r.PathValue("id"))
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, problemsJSON{Problems: problemsOut(ivr.Validate(doc, s.flowChecks()), rc.lang)})
}

type publishedJSON struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

func (s *Server) apiPublishFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	f, err := s.flowShelf().Publish(r.PathValue("id"), s.flowChecks())
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	s.log.Info("flow published", "flow", f.ID(), "version", f.Version(), "user", rc.user.Name)
	writeJSON(w, http.StatusOK, publishedJSON{ID: f.ID(), Version: f.Version()})
}

func (s *Server) apiFlowVersions(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	vs, err := s.flowShelf().Versions(r.PathValue("id"))
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, vs)
}

func (s *Server) apiRestoreFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "ivr.api.no-version", r.PathValue("id"), r.PathValue("n")))
		return
	}
	v, err := s.flowShelf().Restore(r.PathValue("id"), n)
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiExportFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	data, err := s.flowShelf().Export(id)
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// The id is a checked flow id (letters, digits, - and _), safe in a
	// header.
	w.Header().Set("Content-Disposition", `attachment; filename="flow-`+id+`.json"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// apiDryRunFlow runs the flow as the designer shows it (the draft, when
// there is one) as a test call: structure is checked, names are looked up
// as the call reaches them, exactly as a live call would.
func (s *Server) apiDryRunFlow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return
	}
	var in ivr.DryRun
	if err := decodeJSON(r.Body, &in); err != nil {
		badBody(w, rc.lang, err)
		return
	}
	id := r.PathValue("id")
	doc, err := s.flowShelf().Document(id)
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	f, err := ivr.Compile(doc, id, 0, ivr.Checks{})
	if err != nil {
		s.answerFlow(w, r, rc, err)
		return
	}
	eng := ivr.NewEngine(ivr.WithHours(ivr.StoreHours(s.store, nil)), ivr.WithClock(s.now),
		ivr.WithFlows(s.publishedFlow), ivr.WithLogger(s.log))
	res, err := eng.DryRun(r.Context(), f, in)
	if err != nil && res.Steps == nil {
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "ivr.api.bad-dry-run", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// publishedFlow loads a published flow for goto and subflow nodes in a
// dry run.
func (s *Server) publishedFlow(id string) (*ivr.Flow, bool) {
	rec, err := store.Get[store.Flow](s.store, id)
	if err != nil || !ivr.LiveID(id) {
		return nil, false
	}
	f, err := ivr.Load(rec)
	return f, err == nil
}

// apiFlowNodes is the designer's palette.
func (s *Server) apiFlowNodes(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	// The designer offers only nodes that can run here: no fax node
	// without a fax sender.
	writeJSON(w, http.StatusOK, ivr.Palette(s.faxSender()))
}
