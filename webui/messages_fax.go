package webui

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/acd/messaging"
	"callbox/drivers/modem/fax"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The fax pages for agents and supervisors: /fax sends a document (picked
// from the uploaded ones or uploaded on the spot) and lists the faxes sent,
// refreshed by htmx while any is still on its way; /fax/inbox lists the
// received faxes of a queue with a preview and the PDF. They work on the
// store alone, like the JSON API: the messaging service follows the store
// and sends what is queued here.

// outboxSize bounds the sent faxes the page lists.
const outboxSize = 50

// messagePageRoutes adds the fax pages and the auto-reply rules page.
func (s *Server) messagePageRoutes(handle func(string, access, handlerFunc), allRoles, admins []store.Role) {
	p := page(allRoles...)
	handle("GET /fax", p, s.faxPage)
	send := p
	send.bodyLimit = maxFaxUpload + 1<<20 // the document and the form around it
	handle("POST /fax", send, s.faxSend)
	handle("GET /fax/outbox", p, s.faxOutbox)
	handle("GET /fax/inbox", p, s.faxInboxPage)
	s.messageRuleRoutes(handle, admins)
}

// faxView is the content of the send page.
type faxView struct {
	Documents []messaging.Document
	Document  string // the chosen one
	Number    string
	Errors    map[string]string
	Sent      string // the ID of the fax just queued
	Outbox    outboxView
}

// outboxView is the list of sent faxes; Busy keeps the page polling.
type outboxView struct {
	Rows []outboxRow
	Busy bool
}

// outboxRow is one sent fax.
type outboxRow struct {
	ID, Number, Document, State, Error string
	Pages, Attempts                    int
	Created, Next                      string
	Final, Failed                      bool
}

func (s *Server) faxPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := faxView{Errors: map[string]string{}, Document: r.URL.Query().Get("document")}
	if id := r.URL.Query().Get("sent"); id != "" {
		v.Sent = id
	}
	s.renderFax(w, r, rc, http.StatusOK, v)
}

func (s *Server) renderFax(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, v faxView) {
	docs, err := messaging.Documents(messaging.DataDir(s.store))
	if err != nil {
		s.log.Error("fax documents", "err", err)
	}
	v.Documents = docs
	if v.Outbox, err = s.outbox(rc.lang); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	allowConnect(w)
	s.render(w, r, rc, code, "messages_fax", "msg3.fax.title", v)
}

// faxSend queues a fax from the send form: a document picked from the
// list, or a file uploaded with the form (checked and kept under its file
// name first). Problems are shown next to their field.
func (s *Server) faxSend(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := faxView{Errors: map[string]string{}}
	if err := r.ParseMultipartForm(maxFaxUpload); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			v.Errors["file"] = i18n.T(rc.lang, "messaging.err.too_large", maxFaxUpload>>20)
			s.renderFax(w, r, rc, http.StatusRequestEntityTooLarge, v)
			return
		}
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	v.Number = strings.TrimSpace(r.FormValue("number"))
	v.Document = r.FormValue("document")
	if msg := s.faxNumberProblem(rc.lang, v.Number); msg != "" {
		v.Errors["number"] = msg
	}
	file, hdr, err := r.FormFile("file")
	switch {
	case err == nil:
		defer file.Close()
		name, msg := s.saveUpload(r, rc, file, hdr.Filename)
		if msg != "" {
			v.Errors["file"] = msg
		} else {
			v.Document = name
		}
	case !errors.Is(err, http.ErrMissingFile):
		v.Errors["file"] = i18n.T(rc.lang, "messaging.err.no_file")
	case v.Document == "":
		v.Errors["document"] = i18n.T(rc.lang, "msg3.fax.err.pick")
	}
	if len(v.Errors) > 0 {
		s.renderFax(w, r, rc, http.StatusUnprocessableEntity, v)
		return
	}
	agent, err := s.userAgent(rc)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	m, err := messaging.QueueFaxBy(r.Context(), s.store, messaging.DataDir(s.store), v.Number, v.Document, agent)
	if err != nil {
		var ve *store.ValidationError
		switch {
		case errors.Is(err, messaging.ErrNoDocument), errors.Is(err, messaging.ErrBadName):
			v.Errors["document"] = i18n.T(rc.lang, "messaging.err.no_document")
		case errors.Is(err, messaging.ErrBadDocument):
			v.Errors["document"] = fax.Message(rc.lang, err)
		case errors.As(err, &ve):
			v.Errors["number"] = ve.Messages(rc.lang)["number"]
		default:
			s.storeFail(w, r, rc, err)
			return
		}
		s.renderFax(w, r, rc, http.StatusUnprocessableEntity, v)
		return
	}
	http.Redirect(w, r, "/fax?sent="+url.QueryEscape(m.ID)+"&document="+url.QueryEscape(v.Document), http.StatusSeeOther)
}

// saveUpload keeps an uploaded document under a name made from its file
// name, not replacing another document of that name (a fax queued with it
// would change). It returns the name, or the message for the page.
func (s *Server) saveUpload(r *http.Request, rc *reqCtx, f io.Reader, filename string) (string, string) {
	data, err := io.ReadAll(io.LimitReader(f, maxFaxUpload+1))
	if err != nil || len(data) > maxFaxUpload {
		return "", i18n.T(rc.lang, "messaging.err.too_large", maxFaxUpload>>20)
	}
	dir := messaging.DataDir(s.store)
	docs, err := messaging.Documents(dir)
	if err != nil {
		s.log.Error("fax documents", "err", err)
		return "", i18n.T(rc.lang, "web.error.internal")
	}
	base := docName(filename, s.now())
	name := base
	for n := 2; slices.ContainsFunc(docs, func(d messaging.Document) bool { return d.Name == name }); n++ {
		name = base + "-" + itoa(n)
	}
	if _, err := messaging.SaveDocument(r.Context(), dir, name, bytes.Clone(data)); err != nil {
		if errors.Is(err, messaging.ErrBadDocument) {
			return "", fax.Message(rc.lang, err)
		}
		s.log.Error("saving fax document", "name", name, "err", err)
		return "", i18n.T(rc.lang, "web.error.internal")
	}
	s.log.Info("fax document uploaded", "name", name, "user", rc.user.Name, "bytes", len(data))
	return name, ""
}

// docName makes a document name from an uploaded file's name: its base
// without extension, other characters than letters, digits, '.', '_' and
// '-' turned into '-'; a name with nothing left is the time.
func docName(filename string, now time.Time) string {
	base := strings.TrimSuffix(filepath.Base(strings.ReplaceAll(filename, `\`, "/")), filepath.Ext(filename))
	var b strings.Builder
	for _, c := range base {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
		if !ok {
			c = '-'
		}
		b.WriteRune(c)
	}
	name := strings.Trim(b.String(), "-.")
	if len(name) > 48 {
		name = name[:48]
	}
	if name == "" {
		name = "fax-" + now.UTC().Format("20060102-150405")
	}
	return name
}

// faxNumberProblem checks a fax number: dialable, and by the dialplan an
// outside number (not an extension, feature code or emergency number,
// and not barred). It returns the message for the page, or "".
func (s *Server) faxNumberProblem(lang i18n.Lang, number string) string {
	if number == "" {
		return i18n.T(lang, "store.err.required")
	}
	if !store.IsDialable(number) {
		return i18n.T(lang, "msg3.fax.err.number")
	}
	cfg, err := dialplan.Load(s.store)
	if err != nil {
		s.log.Warn("fax number not checked: dialplan", "err", err)
		return ""
	}
	plan, err := dialplan.Compile(cfg)
	if err != nil {
		s.log.Warn("fax number not checked: dialplan", "err", err)
		return ""
	}
	d := plan.Decide(dialplan.Facts{Source: acd.SourceExtension, Dialed: number})
	switch {
	case d.Action == dialplan.ActionEmergency, strings.HasPrefix(d.Rule, "emergency"):
		return i18n.T(lang, "msg3.fax.err.emergency")
	case d.Action == dialplan.ActionExtension, d.Action == dialplan.ActionFeature:
		return i18n.T(lang, "msg3.fax.err.internal")
	case d.Action == dialplan.ActionReject && d.Rule == "invalid-number":
		return i18n.T(lang, "msg3.fax.err.number")
	case d.Action == dialplan.ActionReject && d.Rule == "outbound-barred":
		return i18n.T(lang, "msg3.fax.err.barred")
	}
	// No outbound route is no reason to refuse: the fax modem dials on
	// its own line.
	return ""
}

// outbox lists the sent faxes, newest first.
func (s *Server) outbox(lang i18n.Lang) (outboxView, error) {
	var out []store.Message
	err := store.ListFunc(s.store, "", func(m store.Message) bool {
		if m.Channel == store.ChannelFax && m.Direction == store.DirectionOut {
			out = append(out, m)
		}
		return true
	})
	if err != nil {
		return outboxView{}, err
	}
	slices.SortStableFunc(out, func(a, b store.Message) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(out) > outboxSize {
		out = out[:outboxSize]
	}
	loc := s.faxLocation()
	var v outboxView
	for _, m := range out {
		row := outboxRow{ID: m.ID, Number: m.Number, Document: strings.TrimSuffix(filepath.Base(m.Path), ".tif"), State: string(m.State),
			Error: m.LastError, Pages: m.Pages, Attempts: m.Attempts, Created: m.CreatedAt.In(loc).Format("2006-01-02 15:04:05")}
		row.Final = m.State == store.StateSent || m.State == store.StateDelivered || m.State == store.StateFailed
		row.Failed = m.State == store.StateFailed
		if m.State == store.StateQueued && !m.NextAttempt.IsZero() && m.Attempts > 0 {
			row.Next = m.NextAttempt.In(loc).Format("15:04:05")
		}
		if !row.Final {
			v.Busy = true
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// faxOutbox answers the page's polling with the list alone.
func (s *Server) faxOutbox(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v, err := s.outbox(rc.lang)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.renderFragment(w, r, rc, "messages_fax", "outbox", faxView{Outbox: v})
}

// renderFragment writes one named template of a page, without the
// layout (htmx swaps it in).
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, rc *reqCtx, name, fragment string, view any) {
	t, ok := s.pages.byName[name]
	if !ok {
		s.log.Error("no such page template", "page", name)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	data := pageData{Lang: rc.lang, User: rc.user, CSRF: rc.csrf, Here: localPath(r.URL.RequestURI()), CSS: cssURL, View: view}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, fragment, data); err != nil {
		s.log.Error("render fragment", "page", name, "fragment", fragment, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// faxLocation is the site's time zone, for the times the fax pages show.
func (s *Server) faxLocation() *time.Location {
	if set, err := store.GetSettings(s.store); err == nil {
		return set.Location()
	}
	return time.UTC
}

// inboxView is the content of the fax inbox page.
type inboxView struct {
	Queue  string
	Queues []option
	Items  []inboxRow
}

// inboxRow is one received fax.
type inboxRow struct {
	ID, Number, Customer, Queue, Received string
	Pages                                 int
	Partial, Preview                      bool
}

func (s *Server) faxInboxPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query().Get("queue")
	items, err := messaging.FaxInbox(s.store, q)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	v := inboxView{Queue: q, Queues: recordOptions(s, rc.lang, func(q store.Queue) string { return withName(q.Name, q.Number) })}
	v.Queues[0].Label = i18n.T(rc.lang, "msg3.inbox.all")
	loc := s.faxLocation()
	for _, it := range items {
		v.Items = append(v.Items, inboxRow{ID: it.Message.ID, Number: it.Message.Number, Customer: it.CustomerID, Queue: it.Queue,
			Received: arrivalOf(it.Message).In(loc).Format("2006-01-02 15:04:05"), Pages: it.Message.Pages,
			Partial: it.Message.Partial, Preview: it.Preview != ""})
	}
	s.render(w, r, rc, http.StatusOK, "messages_fax_inbox", "msg3.inbox.title", v)
}

// arrivalOf is when a received fax reached the box.
func arrivalOf(m store.Message) time.Time {
	if !m.UpdatedAt.IsZero() {
		return m.UpdatedAt
	}
	return m.CreatedAt
}
