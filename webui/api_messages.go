package webui

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"callbox/acd/messaging"
	"callbox/drivers/modem/fax"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// maxFaxUpload bounds a fax document upload (a PDF of some pages).
const maxFaxUpload = 16 << 20

// messageRoutes registers the SMS, conversation and fax endpoints. They
// work on the store alone: the messaging service follows the store and
// sends what is queued here.
func (s *Server) messageRoutes(handle func(string, access, handlerFunc), allRoles, watchers, admins []store.Role) {
	upload := api(watchers...)
	upload.bodyLimit = maxFaxUpload
	handle("POST /api/v1/sms", api(allRoles...), s.apiSendSMS)
	handle("GET /api/v1/messages", api(watchers...), s.apiListMessages)
	handle("GET /api/v1/messages/{id}", api(allRoles...), s.apiGetMessage)
	handle("GET /api/v1/messages/{id}/image", api(allRoles...), s.apiMessageImage)
	handle("GET /api/v1/conversations", api(allRoles...), s.apiListConversations)
	handle("GET /api/v1/conversations/{key}", api(allRoles...), s.apiGetConversation)
	handle("POST /api/v1/conversations/{key}/claim", api(allRoles...), s.apiClaimConversation)
	handle("POST /api/v1/conversations/{key}/reply", api(allRoles...), s.apiReplyConversation)
	handle("POST /api/v1/conversations/{key}/close", api(allRoles...), s.apiCloseConversation)
	handle("POST /api/v1/conversations/{key}/reopen", api(allRoles...), s.apiReopenConversation)
	handle("GET /api/v1/fax/documents", api(allRoles...), s.apiListFaxDocuments)
	handle("POST /api/v1/fax/documents", upload, s.apiUploadFaxDocument)
	handle("GET /api/v1/fax/documents/{name}/preview", api(allRoles...), s.apiFaxDocumentPreview)
	handle("DELETE /api/v1/fax/documents/{name}", api(admins...), s.apiDeleteFaxDocument)
	handle("POST /api/v1/fax", api(allRoles...), s.apiSendFax)
	handle("GET /api/v1/fax/inbox", api(allRoles...), s.apiFaxInbox)
	// The pages on the same records: sending faxes, the fax inbox and the
	// SMS auto-reply rules (messages*.go).
	s.messagePageRoutes(handle, allRoles, admins)
}

// messageError answers an error of the messaging package.
func (s *Server) messageError(w http.ResponseWriter, rc *reqCtx, err error) {
	var taken *messaging.TakenError
	switch {
	case errors.Is(err, messaging.ErrBadDocument):
		apiError(w, http.StatusBadRequest, fax.Message(rc.lang, err))
	case errors.Is(err, messaging.ErrBadName):
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "messaging.err.bad_name"))
	case errors.Is(err, messaging.ErrNoDocument):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "messaging.err.no_document"))
	case errors.Is(err, messaging.ErrNoConversation):
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "messaging.err.no_conversation"))
	case errors.Is(err, messaging.ErrUnknownAgent):
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "messaging.err.unknown_agent"))
	case errors.As(err, &taken):
		apiError(w, http.StatusConflict, i18n.T(rc.lang, "messaging.err.taken", taken.Agent))
	case errors.Is(err, messaging.ErrNotHolder):
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "messaging.err.not_holder"))
	default:
		s.answerWrite(w, rc, err, http.StatusOK, nil)
	}
}

// userAgent returns the agent the logged-in user is ("" if none).
func (s *Server) userAgent(rc *reqCtx) (string, error) {
	agents, err := store.List[store.Agent](s.store)
	if err != nil {
		return "", err
	}
	for _, a := range agents {
		if a.User != "" && a.User == rc.user.Name {
			return a.ID, nil
		}
	}
	return "", nil
}

type smsInput struct {
	Number string `json:"number"`
	Text   string `json:"text"`
}

func (s *Server) apiSendSMS(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var in smsInput
	agent, ok := s.readAgentJSON(w, r, rc, &in)
	if !ok {
		return
	}
	m, err := messaging.QueueSMS(s.store, in.Number, in.Text, agent)
	s.answerWrite(w, rc, err, http.StatusAccepted, m)
}

// readAgentJSON decodes a JSON body into v and finds the agent the user
// is ("" if none), answering a bad body or a store error itself.
func (s *Server) readAgentJSON(w http.ResponseWriter, r *http.Request, rc *reqCtx, v any) (agent string, ok bool) {
	if !s.readJSON(w, r, rc, v) {
		return "", false
	}
	agent, err := s.userAgent(rc)
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return "", false
	}
	return agent, true
}

// readJSON decodes a JSON body into v, answering a bad one.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, rc *reqCtx, v any) bool {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return false
	}
	if err := decodeJSON(r.Body, v); err != nil {
		badBody(w, rc.lang, err)
		return false
	}
	return true
}

// apiListMessages lists SMS and faxes, newest first, filtered by channel,
// direction and state; limit (default 200) bounds the answer.
func (s *Server) apiListMessages(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query()
	limit := 200
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "web.api.bad_json", "limit"))
			return
		}
		limit = min(n, 5000)
	}
	var out []store.Message
	err := store.ListFunc(s.store, "", func(m store.Message) bool {
		if (q.Get("channel") == "" || string(m.Channel) == q.Get("channel")) &&
			(q.Get("direction") == "" || string(m.Direction) == q.Get("direction")) &&
			(q.Get("state") == "" || string(m.State) == q.Get("state")) {
			out = append(out, m)
		}
		return true
	})
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	slices.SortStableFunc(out, func(a, b store.Message) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []store.Message{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiGetMessage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	m, err := store.Get[store.Message](s.store, r.PathValue("id"))
	s.answerWrite(w, rc, err, http.StatusOK, m)
}

// apiMessageImage serves a fax: its preview (PNG) by default, the TIFF-F
// file with ?format=tiff, the PDF with ?format=pdf.
func (s *Server) apiMessageImage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	m, err := store.Get[store.Message](s.store, r.PathValue("id"))
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	rel, ctype := messaging.FaxPreview(m), "image/png"
	switch r.URL.Query().Get("format") {
	case "tiff":
		rel, ctype = m.Path, "image/tiff"
	case "pdf":
		rel, ctype = messaging.FaxPDF(m), "application/pdf"
	}
	s.serveDataFile(w, rc, rel, ctype)
}

// serveDataFile sends a file under the data directory.
func (s *Server) serveDataFile(w http.ResponseWriter, rc *reqCtx, rel, ctype string) {
	if rel == "" || !filepath.IsLocal(rel) {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "web.error.not_found"))
		return
	}
	f, err := os.Open(filepath.Join(messaging.DataDir(s.store), rel))
	if err != nil {
		apiError(w, http.StatusNotFound, i18n.T(rc.lang, "web.error.not_found"))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f)
}

func (s *Server) apiListConversations(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	convs, err := messaging.Conversations(s.store)
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	// ?queue=, ?agent= and ?state=open|closed narrow the list to what a
	// console shows.
	q := r.URL.Query()
	state := q.Get("state")
	if state != "" && state != "open" && state != "closed" {
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "web.api.bad_json", "state"))
		return
	}
	out := make([]messaging.Conversation, 0, len(convs))
	for _, c := range convs {
		if (q.Get("queue") == "" || c.Queue == q.Get("queue")) && (q.Get("agent") == "" || c.Agent == q.Get("agent")) &&
			(state == "" || c.Closed == (state == "closed")) {
			out = append(out, c)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type conversationJSON struct {
	Conversation messaging.Conversation `json:"conversation"`
	Messages     []store.Message        `json:"messages"`
}

func (s *Server) apiGetConversation(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	key := r.PathValue("key")
	c, err := messaging.Get(s.store, key)
	if err != nil {
		s.messageError(w, rc, err)
		return
	}
	msgs, err := messaging.ConversationMessages(s.store, key)
	if err != nil {
		s.messageError(w, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, conversationJSON{Conversation: c, Messages: msgs})
}

type claimInput struct {
	// Agent is for supervisors and admins handing a conversation to an
	// agent; an agent claims for themself and leaves it empty.
	Agent string `json:"agent,omitempty"`
}

func (s *Server) apiClaimConversation(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var in claimInput
	if !s.readJSON(w, r, rc, &in) {
		return
	}
	agent, steal := in.Agent, true
	if rc.user.Role == store.RoleAgent {
		self, err := s.userAgent(rc)
		if err != nil {
			s.answerWrite(w, rc, err, 0, nil)
			return
		}
		if self == "" || (in.Agent != "" && in.Agent != self) {
			apiError(w, http.StatusForbidden, i18n.T(rc.lang, "messaging.err.not_agent"))
			return
		}
		agent, steal = self, false
	}
	if err := messaging.Claim(s.store, r.PathValue("key"), agent, steal); err != nil {
		s.messageError(w, rc, err)
		return
	}
	c, err := messaging.Get(s.store, r.PathValue("key"))
	s.answerWrite(w, rc, err, http.StatusOK, c)
}

type replyInput struct {
	Text string `json:"text"`
}

func (s *Server) apiReplyConversation(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var in replyInput
	agent, ok := s.readAgentJSON(w, r, rc, &in)
	if !ok {
		return
	}
	if agent == "" && rc.user.Role == store.RoleAgent {
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "messaging.err.not_agent"))
		return
	}
	m, err := messaging.Reply(s.store, r.PathValue("key"), agent, in.Text)
	if err != nil {
		s.messageError(w, rc, err)
		return
	}
	writeJSON(w, http.StatusAccepted, m)
}

func (s *Server) apiListFaxDocuments(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	docs, err := messaging.Documents(messaging.DataDir(s.store))
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	if docs == nil {
		docs = []messaging.Document{}
	}
	writeJSON(w, http.StatusOK, docs)
}

// apiUploadFaxDocument takes a multipart form: "name" and "file".
func (s *Server) apiUploadFaxDocument(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := r.ParseMultipartForm(maxFaxUpload); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			apiError(w, http.StatusRequestEntityTooLarge, i18n.T(rc.lang, "messaging.err.too_large", maxFaxUpload>>20))
			return
		}
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "messaging.err.no_file"))
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	f, _, err := r.FormFile("file")
	if err != nil {
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "messaging.err.no_file"))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFaxUpload+1))
	if err != nil || len(data) > maxFaxUpload {
		apiError(w, http.StatusRequestEntityTooLarge, i18n.T(rc.lang, "messaging.err.too_large", maxFaxUpload>>20))
		return
	}
	doc, err := messaging.SaveDocument(r.Context(), messaging.DataDir(s.store), r.FormValue("name"), data)
	if err != nil {
		s.messageError(w, rc, err)
		return
	}
	writeJSON(w, http.StatusCreated, doc)
}

func (s *Server) apiFaxDocumentPreview(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	name := r.PathValue("name")
	docs, err := messaging.Documents(messaging.DataDir(s.store))
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	for _, d := range docs {
		if d.Name == name {
			s.serveDataFile(w, rc, d.Preview, "image/png")
			return
		}
	}
	apiError(w, http.StatusNotFound, i18n.T(rc.lang, "messaging.err.no_document"))
}

func (s *Server) apiDeleteFaxDocument(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := messaging.DeleteDocument(messaging.DataDir(s.store), r.PathValue("name")); err != nil {
		s.messageError(w, rc, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiFaxInbox lists received faxes, newest first; ?queue= narrows them to
// one queue's work items.
func (s *Server) apiFaxInbox(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	items, err := messaging.FaxInbox(s.store, r.URL.Query().Get("queue"))
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	if items == nil {
		items = []messaging.FaxItem{}
	}
	writeJSON(w, http.StatusOK, items)
}

type faxInput struct {
	Number   string `json:"number"`
	Document string `json:"document"`
}

func (s *Server) apiSendFax(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var in faxInput
	if !s.readJSON(w, r, rc, &in) {
		return
	}
	m, err := messaging.QueueFax(r.Context(), s.store, messaging.DataDir(s.store), in.Number, in.Document)
	if err != nil {
		s.messageError(w, rc, err)
		return
	}
	writeJSON(w, http.StatusAccepted, m)
}

// apiCloseConversation closes a conversation: the agent who holds it, or
// a supervisor or admin (any conversation). The body may be empty.
func (s *Server) apiCloseConversation(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.actOnConversation(w, r, rc, func(key, agent string, force bool) (messaging.Conversation, error) {
		return messaging.Close(s.store, key, agent, rc.user.Name, force, s.now())
	})
}

// apiReopenConversation reopens a closed conversation: whoever closed it,
// or a supervisor or admin.
func (s *Server) apiReopenConversation(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.actOnConversation(w, r, rc, func(key, _ string, force bool) (messaging.Conversation, error) {
		return messaging.Reopen(s.store, key, rc.user.Name, force, s.now())
	})
}

// actOnConversation runs act on the conversation the path names, as the
// user's conversationActor, and answers with the conversation it leaves.
func (s *Server) actOnConversation(w http.ResponseWriter, r *http.Request, rc *reqCtx,
	act func(key, agent string, force bool) (messaging.Conversation, error)) {
	agent, force, ok := s.conversationActor(w, rc)
	if !ok {
		return
	}
	c, err := act(r.PathValue("key"), agent, force)
	if err != nil {
		s.messageError(w, rc, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// conversationActor is who acts on a conversation: an agent as the agent
// they are (an agent user without one is refused), supervisors and admins
// with force.
func (s *Server) conversationActor(w http.ResponseWriter, rc *reqCtx) (agent string, force, ok bool) {
	if rc.user.Role != store.RoleAgent {
		return "", true, true
	}
	self, err := s.userAgent(rc)
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return "", false, false
	}
	if self == "" {
		apiError(w, http.StatusForbidden, i18n.T(rc.lang, "messaging.err.not_agent"))
		return "", false, false
	}
	return self, false, true
}
