package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The retention page (/admin/retention): how long call records,
// recordings, contact history, agent logs, messages and voicemail are
// kept, the recordings' disk cap, the last purge and a "purge now"
// button. The policy is one record edited through the generic record
// form (retentionKind, so it gets the same field messages and audit as
// every other record); this page shows that form with the purge around
// it. The legal hold of a call (store.SetCDRHold) is set through the API.

// RetentionService is the purge service as the web UI uses it
// (firmware.Retention).
type RetentionService interface {
	// PurgeNow runs a purge at once and returns its result.
	PurgeNow(ctx context.Context) (store.PurgeResult, error)
	// LastPurge is the result of the last run since start, if any.
	LastPurge() (store.PurgeResult, bool)
	// RecordingDisk is the data filesystem and the recordings' share.
	RecordingDisk() (store.DiskUse, error)
}

func (s *Server) retentionRoutes(handle func(string, access, handlerFunc), watchers, admins []store.Role) {
	handle("GET /admin/retention", page(admins...), s.adminRetention)
	handle("POST /admin/retention/purge", page(admins...), s.adminRetentionPurge)
	handle("GET /api/v1/retention", api(admins...), s.apiRetention)
	handle("PUT /api/v1/retention", api(admins...), s.apiPutRetention)
	handle("POST /api/v1/retention/purge", api(admins...), s.apiRetentionPurge)
	handle("PUT /api/v1/cdrs/{id}/hold", api(watchers...), s.apiCDRHold)
	handle("POST /reports/cdrs/{id}/hold", page(watchers...), s.reportCDRHold)
}

// retentionDays are the policy's fields in days, in the form's order.
var retentionDays = []string{"cdrDays", "recordingDays", "contactDays", "agentLogDays", "messageDays", "voicemailDays",
	"voicemailUnheardDays"}

func retentionKind() *adminKind {
	fields := func(*Server, i18n.Lang) []adminField {
		var out []adminField
		for _, f := range retentionDays {
			out = append(out, adminField{Name: f, Type: "number", Hint: "retention.h." + f})
		}
		return append(out,
			adminField{Name: "recordingDiskPercent", Type: "number", Hint: "retention.h.recordingDiskPercent"},
			adminField{Name: "recordingDiskGiB", Type: "number", Hint: "retention.h.recordingDiskGiB"},
			adminField{Name: "purgeAt", Type: "text", Hint: "retention.h.purgeAt"})
	}
	to := retentionValues
	from := func(s *Server, _, f url.Values, errs map[string]string, lang i18n.Lang) store.Retention {
		return store.Retention{CDRDays: atoi(f, "cdrDays", errs, lang), RecordingDays: atoi(f, "recordingDays", errs, lang),
			ContactDays: atoi(f, "contactDays", errs, lang), AgentLogDays: atoi(f, "agentLogDays", errs, lang),
			MessageDays: atoi(f, "messageDays", errs, lang), VoicemailDays: atoi(f, "voicemailDays", errs, lang),
			VoicemailUnheardDays: atoi(f, "voicemailUnheardDays", errs, lang),
			RecordingDiskPercent: atoi(f, "recordingDiskPercent", errs, lang), RecordingDiskGiB: atoi(f, "recordingDiskGiB", errs, lang),
			PurgeAt: strings.TrimSpace(f.Get("purgeAt")), UpdatedAt: s.now()}
	}
	k := newKind("retention", fields, []string{"cdrDays", "recordingDays", "purgeAt"}, url.Values{}, to, from)
	k.single = store.RetentionKey
	// A box that never saved a policy shows (and edits) the defaults.
	k.get = func(st *store.Store, key string) (url.Values, error) {
		if key != store.RetentionKey {
			return nil, fmt.Errorf("%w: retention %q", store.ErrNotFound, key)
		}
		r, err := store.GetRetention(st)
		if err != nil {
			return nil, err
		}
		return to(r), nil
	}
	return k
}

// retentionValues is the policy as its form.
func retentionValues(r store.Retention) url.Values {
	num := func(n int) string { return fmt.Sprint(n) }
	return url.Values{"cdrDays": {num(r.CDRDays)}, "recordingDays": {num(r.RecordingDays)}, "contactDays": {num(r.ContactDays)},
		"agentLogDays": {num(r.AgentLogDays)}, "messageDays": {num(r.MessageDays)}, "voicemailDays": {num(r.VoicemailDays)},
		"voicemailUnheardDays": {num(r.VoicemailUnheardDays)}, "recordingDiskPercent": {num(r.RecordingDiskPercent)},
		"recordingDiskGiB": {num(r.RecordingDiskGiB)}, "purgeAt": {r.PurgeAt}}
}

// retentionView is the retention page.
type retentionView struct {
	Action string
	Fields []formField
	// Purge is false when no purge service is wired (no button, no
	// disk figures).
	Purge bool
	Last  *purgeView
	Disk  *diskView
}

// purgeView is one purge result as people read it.
type purgeView struct {
	At, Took, Trigger string
	Rows              []purgeRow
	Deleted           int
	Freed             string
	CapExceeded       bool
	Problems          []string
	Err               string
}

type purgeRow struct {
	Label                  string
	Deleted, Held, Skipped int
	Freed                  string
}

// diskView is the disk use of recordings against the caps.
type diskView struct {
	Percent, Used, Total, Recordings string
	CapPercent                       int
	CapGiB                           int
	Over                             bool
	Err                              string
}

// retentionStatus is what the status page shows of retention: the disk
// use of recordings and the last purge; nil without a purge service.
type retentionStatus struct {
	Last *purgeView
	Disk *diskView
}

func (s *Server) retentionStatus(lang i18n.Lang, loc *time.Location) *retentionStatus {
	if s.cfg.Retention == nil {
		return nil
	}
	pol, err := store.GetRetention(s.store)
	if err != nil {
		pol = store.DefaultRetention()
	}
	rs := &retentionStatus{Disk: s.diskView(lang, pol)}
	if last, ok := s.cfg.Retention.LastPurge(); ok {
		rs.Last = purgeOf(lang, loc, last)
	}
	return rs
}

func (s *Server) diskView(lang i18n.Lang, pol store.Retention) *diskView {
	d, err := s.cfg.Retention.RecordingDisk()
	v := &diskView{CapPercent: pol.RecordingDiskPercent, CapGiB: pol.RecordingDiskGiB}
	if err != nil {
		s.log.Warn("retention: disk use", "err", err)
		v.Err = i18n.T(lang, "retention.disk.unknown")
		return v
	}
	v.Percent = fmt.Sprintf("%.1f", d.Percent())
	v.Used, v.Total, v.Recordings = byteSize(int64(d.Used)), byteSize(int64(d.Total)), byteSize(int64(d.Recordings))
	v.Over = pol.RecordingDiskPercent > 0 && d.Percent() > float64(pol.RecordingDiskPercent) ||
		pol.RecordingDiskGiB > 0 && d.Recordings > uint64(pol.RecordingDiskGiB)<<30
	return v
}

func purgeOf(lang i18n.Lang, loc *time.Location, p store.PurgeResult) *purgeView {
	v := &purgeView{At: p.Start.In(loc).Format("2006-01-02 15:04:05"), Took: p.End.Sub(p.Start).Round(time.Millisecond).String(),
		Trigger: i18n.T(lang, "retention.trigger."+p.Trigger), Deleted: p.Deleted(), Freed: byteSize(p.Bytes()),
		CapExceeded: p.CapExceeded, Problems: p.Problems, Err: p.Err}
	for _, c := range p.Counts {
		v.Rows = append(v.Rows, purgeRow{Label: i18n.T(lang, "retention.class."+string(c.Class)), Deleted: c.Deleted, Held: c.Held,
			Skipped: c.Skipped, Freed: byteSize(c.Bytes)})
	}
	return v
}

// byteSize writes n bytes with a binary unit.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

func (s *Server) siteLoc() *time.Location {
	if site, err := store.GetSettings(s.store); err == nil {
		return site.Location()
	}
	return time.UTC
}

func (s *Server) adminRetention(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	k := adminKinds["retention"]
	vals, err := k.get(s.store, store.RetentionKey)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	v := retentionView{Action: "/admin/retention/" + store.RetentionKey, Fields: s.formFields(k, rc.lang, vals, nil, false),
		Purge: s.cfg.Retention != nil}
	if st := s.retentionStatus(rc.lang, s.siteLoc()); st != nil {
		v.Last, v.Disk = st.Last, st.Disk
	}
	ap := adminPage{Notice: noticeOf(r, rc.lang), Page: v}
	s.adminRender(w, r, rc, http.StatusOK, "retention", "web.kind.retention", ap, "")
}

// adminRetentionPurge runs a purge for the admin's button; the page then
// shows its result as the last one.
func (s *Server) adminRetentionPurge(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if s.cfg.Retention == nil {
		s.fail(w, r, rc, http.StatusServiceUnavailable, "retention.err.no_service")
		return
	}
	res, err := s.cfg.Retention.PurgeNow(r.Context())
	s.audit(r, rc, "purge-now", store.KindRetention, store.RetentionKey, purgeSummary(res))
	if err != nil {
		s.log.Warn("retention: purge now", "err", err)
		backTo(w, r, "/admin/retention", "admin.done.purge_failed")
		return
	}
	backTo(w, r, "/admin/retention", "admin.done.purged")
}

// purgeSummary is the audit line of a purge someone asked for (the
// purge writes its own entry with the details).
func purgeSummary(p store.PurgeResult) string {
	s := fmt.Sprintf("deleted: %d\nbytes freed: %d", p.Deleted(), p.Bytes())
	if p.Err != "" {
		s += "\nstopped: " + p.Err
	}
	return s
}

// retentionJSON is the policy, the last purge and the disk use.
type retentionJSON struct {
	Policy    store.Retention    `json:"policy"`
	LastPurge *store.PurgeResult `json:"lastPurge,omitempty"`
	Disk      *store.DiskUse     `json:"disk,omitempty"`
}

func (s *Server) apiRetention(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	pol, err := store.GetRetention(s.store)
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	out := retentionJSON{Policy: pol}
	if s.cfg.Retention != nil {
		if last, ok := s.cfg.Retention.LastPurge(); ok {
			out.LastPurge = &last
		}
		if d, err := s.cfg.Retention.RecordingDisk(); err == nil {
			out.Disk = &d
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// apiPutRetention replaces the policy: the body is the policy as GET
// shows it under "policy"; bad fields are answered with their messages.
func (s *Server) apiPutRetention(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return
	}
	var in store.Retention
	if err := decodeJSON(r.Body, &in); err != nil {
		badBody(w, rc.lang, err)
		return
	}
	old, err := store.GetRetention(s.store)
	if err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	in.UpdatedAt = s.now()
	if _, err := store.Put(s.store, in); err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	k := adminKinds["retention"]
	now, _ := k.get(s.store, store.RetentionKey)
	s.audit(r, rc, "update", store.KindRetention, store.RetentionKey, diffForms(k.fields(s, rc.lang), retentionValues(old), now))
	writeJSON(w, http.StatusOK, in)
}

func (s *Server) apiRetentionPurge(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if s.cfg.Retention == nil {
		apiError(w, http.StatusServiceUnavailable, i18n.T(rc.lang, "retention.err.no_service"))
		return
	}
	res, err := s.cfg.Retention.PurgeNow(r.Context())
	s.audit(r, rc, "purge-now", store.KindRetention, store.RetentionKey, purgeSummary(res))
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("retention: purge now", "err", err)
		writeJSON(w, http.StatusInternalServerError, res)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// reportCDRHold is the hold button of a call on the call records page:
// it sets or lifts the hold and goes back to the same search.
func (s *Server) reportCDRHold(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	hold := r.PostForm.Get("hold") == "on"
	id := r.PathValue("id")
	if err := store.SetCDRHold(s.store, id, hold); err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, holdAction(hold), store.KindCDR, id, "")
	back := localPath(r.PostForm.Get("back"))
	if back != "/reports" && !strings.HasPrefix(back, "/reports?") {
		back = "/reports"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func holdAction(hold bool) string {
	if hold {
		return "hold"
	}
	return "release-hold"
}

// holdJSON is the body of PUT /api/v1/cdrs/{id}/hold.
type holdJSON struct {
	Hold *bool `json:"hold"`
}

// apiCDRHold puts a call (its record and recording) on legal hold, or
// lifts the hold: a held call is never purged.
func (s *Server) apiCDRHold(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if err := jsonBody(r); err != nil {
		badBody(w, rc.lang, err)
		return
	}
	var in holdJSON
	if err := decodeJSON(r.Body, &in); err != nil {
		badBody(w, rc.lang, err)
		return
	}
	if in.Hold == nil {
		writeJSON(w, http.StatusBadRequest, fieldErrors{Errors: map[string]string{"hold": i18n.T(rc.lang, "store.err.required")}})
		return
	}
	id := r.PathValue("id")
	if err := store.SetCDRHold(s.store, id, *in.Hold); err != nil {
		s.answerWrite(w, rc, err, 0, nil)
		return
	}
	s.audit(r, rc, holdAction(*in.Hold), store.KindCDR, id, "")
	writeJSON(w, http.StatusOK, in)
}
