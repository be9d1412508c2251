package webui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The webhooks page edits the store's Webhook records (the CTI hub reads
// them on its next event, so a change applies at once), shows each
// webhook's delivery log from the hub, and sends a signed test event on
// request. The signing secret is write-only: shown once when the page
// generates it, never again.

// testEventType is the type of the event "send test event" posts.
const testEventType = "test"

// hookTestTimeout bounds a test delivery; the installer waits for it.
const hookTestTimeout = 5 * time.Second

// hookTestsKept is how many test deliveries the page remembers.
const hookTestsKept = 50

func (s *Server) adminWebhookRoutes(handle func(string, access, handlerFunc), p access) {
	handle("GET /admin/webhooks", p, s.adminWebhooks)
	handle("GET /admin/webhooks/new", p, s.adminWebhookNew)
	handle("POST /admin/webhooks/new", p, s.adminWebhookCreate)
	handle("GET /admin/webhooks/{id}/edit", p, s.adminWebhookEdit)
	handle("POST /admin/webhooks/{id}/edit", p, s.adminWebhookSave)
	handle("POST /admin/webhooks/{id}/delete", p, s.adminWebhookDelete)
	handle("POST /admin/webhooks/{id}/test", p, s.adminWebhookTest)
}

// hookTestLog keeps the last test deliveries, newest last.
type hookTestLog struct {
	mu  sync.Mutex
	log []cti.Delivery
}

func (l *hookTestLog) add(d cti.Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = append(l.log, d)
	if len(l.log) > hookTestsKept {
		l.log = slices.Delete(l.log, 0, len(l.log)-hookTestsKept)
	}
}

func (l *hookTestLog) of(id string) []cti.Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []cti.Delivery
	for _, d := range l.log {
		if d.Webhook == id {
			out = append(out, d)
		}
	}
	return out
}

// webhookFields are the form's inputs, for the audit log's diff.
var webhookFields = []adminField{
	{Name: "id", Key: true}, {Name: "url"}, {Name: "events"}, {Name: "secret", Secret: true}, {Name: "enabled", Type: "check"},
}

func webhookValues(h store.Webhook) url.Values {
	v := url.Values{"id": {h.ID}, "url": {h.URL}, "events": {strings.Join(h.Events, ", ")}, "secret": {h.Secret}}
	if h.Enabled {
		v.Set("enabled", "on")
	}
	return v
}

// hookRow is one webhook in the list.
type hookRow struct {
	ID, URL, Events string
	Enabled         bool
	Last            *deliveryRow
}

// deliveryRow is one event's delivery to a webhook: its attempts summed up.
type deliveryRow struct {
	At       string
	Type     string
	Event    string
	Status   string
	Attempts int
	Result   string
	Class    string
	Error    string
	Latency  string
	at       time.Time
}

func (s *Server) adminWebhooks(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	hooks, err := store.List[store.Webhook](s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	var rows []hookRow
	for _, h := range hooks {
		row := hookRow{ID: h.ID, URL: h.URL, Events: s.eventsText(rc.lang, h.Events), Enabled: h.Enabled}
		if log := s.deliveries(rc.lang, h.ID); len(log) > 0 {
			row.Last = &log[0]
		}
		rows = append(rows, row)
	}
	s.adminRender(w, r, rc, http.StatusOK, "webhooks", "wa2.menu.webhooks", adminPage{Notice: noticeOf(r, rc.lang), Page: rows}, "")
}

// eventsText is how the list shows a webhook's events.
func (s *Server) eventsText(lang i18n.Lang, events []string) string {
	if len(events) == 0 || slices.Contains(events, "*") {
		return i18n.T(lang, "wa2.hook.all_events")
	}
	return strings.Join(events, ", ")
}

// deliveries is a webhook's delivery log, newest first: the hub's
// attempts grouped by event, and the test deliveries.
func (s *Server) deliveries(lang i18n.Lang, id string) []deliveryRow {
	var all []cti.Delivery
	if s.cfg.CTI != nil {
		for _, d := range s.cfg.CTI.Deliveries() {
			if d.Webhook == id {
				all = append(all, d)
			}
		}
	}
	all = append(all, s.hookTests.of(id)...)
	loc := s.siteLocation()
	byEvent := map[string]*deliveryRow{}
	var out []*deliveryRow
	for _, d := range all {
		key := d.Type + "/" + strconv.FormatUint(d.Event, 10) + "/" + d.At.String()
		if d.Type != testEventType {
			key = strconv.FormatUint(d.Event, 10)
		}
		row, ok := byEvent[key]
		if !ok {
			row = &deliveryRow{Type: d.Type, Event: strconv.FormatUint(d.Event, 10)}
			if d.Type == testEventType {
				row.Event = ""
			}
			byEvent[key] = row
			out = append(out, row)
		}
		if d.Attempt >= row.Attempts {
			// The latest attempt tells the state (attempts are numbered;
			// their times may be equal on a coarse clock).
			row.at, row.At, row.Latency, row.Error = d.At, d.At.In(loc).Format("01-02 15:04:05"), d.Latency, d.Error
			if lat, err := time.ParseDuration(d.Latency); err == nil {
				row.Latency = shortDuration(lat)
			}
			row.Status = ""
			if d.Status != 0 {
				row.Status = strconv.Itoa(d.Status)
			}
			switch {
			case d.OK:
				row.Result, row.Class = i18n.T(lang, "wa2.hook.ok"), "ok"
			case d.Final:
				row.Result, row.Class = i18n.T(lang, "wa2.hook.failed"), "bad"
			default:
				row.Result, row.Class = i18n.T(lang, "wa2.hook.retrying"), ""
			}
		}
		row.Attempts = max(row.Attempts, d.Attempt, 1)
	}
	slices.SortStableFunc(out, func(a, b *deliveryRow) int { return b.at.Compare(a.at) })
	rows := make([]deliveryRow, len(out))
	for i, r := range out {
		rows[i] = *r
	}
	return rows
}

// eventChoice is one event type of the form.
type eventChoice struct {
	Value, Label string
	Checked      bool
}

// hookFormView is the webhook's page: its form, its delivery log, the
// secret when the page just made it.
type hookFormView struct {
	Key        string // "" when creating
	Action     string
	ID, URL    string
	Enabled    bool
	Events     []eventChoice
	Errors     map[string]string
	HasSecret  bool
	NewSecret  string
	Log        []deliveryRow
	HubMissing bool
}

func (s *Server) hookForm(lang i18n.Lang, key string, h store.Webhook, errs map[string]string) hookFormView {
	v := hookFormView{Key: key, ID: h.ID, URL: h.URL, Enabled: h.Enabled, Errors: errs, HasSecret: key != "", HubMissing: s.cfg.CTI == nil}
	if key == "" {
		v.Action = "/admin/webhooks/new"
	} else {
		v.Action = "/admin/webhooks/" + url.PathEscape(key) + "/edit"
		v.Log = s.deliveries(lang, key)
	}
	for _, e := range cti.EventTypes {
		v.Events = append(v.Events, eventChoice{Value: e, Label: i18n.T(lang, "wa2.ev."+e), Checked: slices.Contains(h.Events, e)})
	}
	return v
}

func (s *Server) renderHook(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, v hookFormView, ap adminPage) {
	if ap.Error == "" && len(v.Errors) > 0 {
		ap.Error = i18n.T(rc.lang, "web.form.has_errors")
	}
	if v.NewSecret != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	if r.Method == http.MethodPost && v.Key != "" {
		// After a test event or a creation, the address bar shows the
		// webhook's page, which a reload can fetch.
		w.Header().Set("HX-Push-Url", "/admin/webhooks/"+url.PathEscape(v.Key)+"/edit")
	}
	ap.Page = v
	s.adminRender(w, r, rc, code, "webhook", "wa2.menu.webhooks", ap, "")
}

func (s *Server) adminWebhookNew(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.renderHook(w, r, rc, http.StatusOK, s.hookForm(rc.lang, "", store.Webhook{Enabled: true, Events: []string{cti.EventCallOffered, cti.EventCallEnded}}, nil), adminPage{})
}

func (s *Server) adminWebhookEdit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, err := store.Get[store.Webhook](s.store, r.PathValue("id"))
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.renderHook(w, r, rc, http.StatusOK, s.hookForm(rc.lang, h.ID, h, nil), adminPage{Notice: noticeOf(r, rc.lang)})
}

func (s *Server) adminWebhookCreate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.saveHook(w, r, rc, "")
}

func (s *Server) adminWebhookSave(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if _, err := store.Get[store.Webhook](s.store, r.PathValue("id")); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.saveHook(w, r, rc, r.PathValue("id"))
}

// saveHook stores the posted webhook. A new one without a secret gets a
// generated one, shown on the page that answers (once).
func (s *Server) saveHook(w http.ResponseWriter, r *http.Request, rc *reqCtx, key string) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	h := store.Webhook{ID: strings.TrimSpace(r.PostForm.Get("id")), URL: strings.TrimSpace(r.PostForm.Get("url")),
		Secret: r.PostForm.Get("secret"), Enabled: r.PostForm.Get("enabled") == "on"}
	if key != "" {
		h.ID = key
	}
	errs := map[string]string{}
	for _, e := range r.PostForm["events"] {
		if !slices.Contains(cti.EventTypes, e) {
			errs["events"] = i18n.T(rc.lang, "wa2.err.event", e)
			continue
		}
		if !slices.Contains(h.Events, e) {
			h.Events = append(h.Events, e)
		}
	}
	generated := ""
	if h.Secret == "" && key == "" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			s.log.Error("webhook secret", "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
		h.Secret = base64.RawURLEncoding.EncodeToString(b[:])
		generated = h.Secret
	}
	var old store.Webhook
	var err error
	if len(errs) == 0 {
		if key == "" {
			if err = h.Validate(); err == nil {
				_, err = store.Create(s.store, h)
			}
		} else {
			_, err = store.Update(s.store, key, func(cur *store.Webhook) error {
				old = *cur
				if h.Secret == "" {
					h.Secret = cur.Secret // write-only: blank keeps it
				}
				*cur = h
				return nil
			})
		}
		if errors.Is(err, store.ErrExists) {
			errs["id"] = i18n.T(rc.lang, "admin.err.exists")
		} else if err != nil && !fieldMessages(errs, err, rc.lang) {
			s.storeFail(w, r, rc, err)
			return
		}
	}
	if len(errs) > 0 {
		h.Secret = ""
		s.renderHook(w, r, rc, http.StatusUnprocessableEntity, s.hookForm(rc.lang, key, h, errs), adminPage{})
		return
	}
	action, before := "create", url.Values(nil)
	if key != "" {
		action, before = "update", webhookValues(old)
	}
	s.audit(r, rc, action, store.KindWebhook, h.ID, diffForms(webhookFields, before, webhookValues(h)))
	if generated != "" {
		v := s.hookForm(rc.lang, h.ID, h, nil)
		v.NewSecret = generated
		s.renderHook(w, r, rc, http.StatusCreated, v, adminPage{Notice: i18n.T(rc.lang, "admin.done.saved")})
		return
	}
	backTo(w, r, "/admin/webhooks", "admin.done.saved")
}

func (s *Server) adminWebhookDelete(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	old, err := store.Get[store.Webhook](s.store, id)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	if _, err := store.Delete[store.Webhook](s.store, id); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "delete", store.KindWebhook, id, diffForms(webhookFields, webhookValues(old), nil))
	backTo(w, r, "/admin/webhooks", "admin.done.deleted")
}

// adminWebhookTest posts a signed test event to the webhook, whether or
// not it is enabled, and shows what its receiver answered.
func (s *Server) adminWebhookTest(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, err := store.Get[store.Webhook](s.store, r.PathValue("id"))
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	d := s.sendTestEvent(r.Context(), rc.lang, h)
	s.hookTests.add(d)
	s.audit(r, rc, "test", store.KindWebhook, h.ID, "test event: "+d.Latency+" "+strconv.Itoa(d.Status)+" "+d.Error)
	ap := adminPage{}
	switch {
	case d.OK:
		ap.Notice = i18n.T(rc.lang, "wa2.hook.test_ok", d.Status, latencyText(d.Latency))
	case d.Status != 0:
		ap.Error = i18n.T(rc.lang, "wa2.hook.test_status", d.Status, latencyText(d.Latency))
	default:
		ap.Error = i18n.T(rc.lang, "wa2.hook.test_err", d.Error)
	}
	s.renderHook(w, r, rc, http.StatusOK, s.hookForm(rc.lang, h.ID, h, nil), ap)
}

// latencyText shortens a delivery's latency as the hub writes it.
func latencyText(s string) string {
	if d, err := time.ParseDuration(s); err == nil {
		return shortDuration(d)
	}
	return s
}

// sendTestEvent delivers one event of type "test" as the hub delivers
// events: the same headers, signed the same way, no redirect followed.
func (s *Server) sendTestEvent(ctx context.Context, lang i18n.Lang, h store.Webhook) cti.Delivery {
	now := s.now()
	d := cti.Delivery{Webhook: h.ID, Type: testEventType, Attempt: 1, Final: true, At: now}
	data, _ := json.Marshal(map[string]string{"webhook": h.ID, "message": i18n.T(lang, "wa2.hook.test_message")})
	body, err := json.Marshal(cti.Event{Type: testEventType, At: now, Data: data})
	if err != nil {
		d.Error = err.Error()
		return d
	}
	ctx, cancel := context.WithTimeout(ctx, hookTestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		d.Error = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "callbox-webhook/1")
	req.Header.Set(cti.HeaderEvent, testEventType)
	req.Header.Set(cti.HeaderDelivery, h.ID+"-test-"+strconv.FormatInt(now.UnixNano(), 10))
	req.Header.Set(cti.HeaderSignature, cti.Sign(h.Secret, now, body))
	client := &http.Client{Timeout: hookTestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := time.Now() // shown only
	res, err := client.Do(req)
	d.Latency = time.Since(start).String()
	if err != nil {
		d.Error = err.Error()
		return d
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	d.Status = res.StatusCode
	d.OK = res.StatusCode >= 200 && res.StatusCode < 300
	if !d.OK {
		d.Error = http.StatusText(res.StatusCode)
	}
	return d
}
