package webui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"callbox/acd/dialplan"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Limits of the pages that read files.
const (
	maxRestoreBytes = 1 << 30 // an uploaded backup
	logTailBytes    = 64 << 10
	auditShown      = 300
)

// checkItem is one step of the after-setup checklist.
type checkItem struct {
	Label string
	Href  string
	Done  bool
}

// homeAdminView is the admin overview: the checklist of next steps and
// the network settings.
type homeAdminView struct {
	Checklist []checkItem
	Network   []NetInterface
	SIP       *SIPSettings
}

// adminHome shows the checklist of what an installer does after setup,
// each step ticked when the store shows it done.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	counts, err := s.store.Counts()
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	var v homeAdminView
	steps := []struct {
		key, href string
		done      bool
	}{
		{"admin.check.extensions", "/admin/extensions/bulk", counts[store.KindExtension] > 0},
		{"admin.check.trunks", "/admin/trunks", counts[store.KindTrunk]+counts[store.KindLine] > 0},
		{"admin.check.routes", "/admin/routes", s.hasInboundRoute()},
		{"admin.check.hours", "/admin/hours", counts[store.KindHours] > 0},
		{"admin.check.agents", "/admin/agents", counts[store.KindAgent] > 0},
		{"admin.check.queues", "/admin/queues", counts[store.KindQueue] > 0},
		{"admin.check.users", "/admin/users", counts[store.KindUser] > 1},
		{"admin.check.backup", "/admin/backup", s.hasAudit("backup")},
	}
	for _, st := range steps {
		v.Checklist = append(v.Checklist, checkItem{Label: i18n.T(rc.lang, st.key), Href: st.href, Done: st.done})
	}
	if s.cfg.Network != nil {
		v.Network = s.cfg.Network()
	}
	if sip, ok := s.sipInUse(); ok {
		v.SIP = &sip
	}
	s.adminRender(w, r, rc, http.StatusOK, "home", "admin.menu.overview", adminPage{Notice: noticeOf(r, rc.lang), Page: v}, "")
}

func (s *Server) hasInboundRoute() bool {
	lines, err := store.List[store.Line](s.store)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(lines, func(l store.Line) bool { return l.Route != "" })
}

// hasAudit reports whether the audit log holds action.
func (s *Server) hasAudit(action string) bool {
	found := false
	_ = store.ListFunc(s.store, "", func(a store.Audit) bool {
		found = a.Action == action
		return !found
	})
	return found
}

// routesView shows the dialplan as the store makes it: inbound routes
// (each line's route, each trunk's numbers), the outbound routes and the
// feature codes.
type routesView struct {
	Lines     []store.Line
	DIDs      []didRow
	Outbound  []dialplan.OutboundRoute
	Features  []featureRow
	Emergency []string
	Error     string
}

type didRow struct{ Trunk, Number, Map string }

type featureRow struct{ Code, Feature string }

func (s *Server) adminRoutesPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	set, err := store.GetSettings(s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	lines, err2 := store.List[store.Line](s.store)
	trunks, err3 := store.List[store.Trunk](s.store)
	for _, err := range []error{err2, err3} {
		if err != nil {
			s.storeFail(w, r, rc, err)
			return
		}
	}
	v := routesView{Lines: lines, Emergency: dialplan.EmergencyNumbers(set.Country)}
	for _, t := range trunks {
		for _, d := range t.DIDs {
			v.DIDs = append(v.DIDs, didRow{Trunk: t.Name, Number: d.Number, Map: d.Map})
		}
	}
	codes := dialplan.DefaultFeatureCodes()
	if c, err := dialplan.Load(s.store); err != nil {
		v.Error = err.Error()
	} else {
		v.Outbound = c.Outbound
		// The codes in force: the stored ones over the defaults, "" off.
		for f, code := range c.Features {
			codes[f] = code
		}
		if len(c.Emergency) > 0 {
			v.Emergency = c.Emergency
		}
	}
	for f, code := range codes {
		if code == "" {
			continue
		}
		v.Features = append(v.Features, featureRow{Code: code, Feature: i18n.T(rc.lang, "admin.feature."+string(f))})
	}
	slices.SortFunc(v.Features, func(a, b featureRow) int { return strings.Compare(a.Code, b.Code) })
	s.adminRender(w, r, rc, http.StatusOK, "routes", "admin.menu.routes", adminPage{Page: v}, "")
}

// securityView is the SIP security page.
type securityView struct {
	CertOn bool // the TLS certificate can be replaced
	BansOn bool
	Bans   []banRow
	Exts   []store.Extension
	Errors map[string]string // by extension number
	Nets   map[string]string // the submitted text of a refused extension
}

type banRow struct {
	Addr, Reason, Since, Until string
	Failures                   int
	Lift                       string // the address to lift
}

func (s *Server) adminSecurity(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.renderSecurity(w, r, rc, http.StatusOK, adminPage{Notice: noticeOf(r, rc.lang)}, nil, nil)
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, ap adminPage, errs, nets map[string]string) {
	v := securityView{BansOn: s.cfg.Bans != nil, CertOn: s.cfg.InstallCert != nil, Errors: errs, Nets: nets}
	loc := time.UTC
	if set, err := store.GetSettings(s.store); err == nil {
		loc = set.Location()
	}
	if s.cfg.Bans != nil {
		for _, b := range s.cfg.Bans() {
			v.Bans = append(v.Bans, banRow{Addr: b.Prefix.String(), Reason: tOr(rc.lang, b.Reason), Failures: b.Failures,
				Since: b.Since.In(loc).Format("01-02 15:04:05"), Until: b.Until.In(loc).Format("01-02 15:04:05"), Lift: b.Prefix.Addr().String()})
		}
	}
	exts, err := store.List[store.Extension](s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	v.Exts = exts
	ap.Page = v
	s.adminRender(w, r, rc, code, "security", "admin.menu.security", ap, "")
}

// tOr translates key when the catalogue has it (the SIP side names ban
// reasons by key), else shows it as it is.
func tOr(lang i18n.Lang, key string) string {
	if i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return key
}

func (s *Server) adminLiftBan(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if s.cfg.LiftBan == nil {
		s.fail(w, r, rc, http.StatusServiceUnavailable, "admin.security.unavailable")
		return
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(r.PostFormValue("addr")))
	if err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	if !s.cfg.LiftBan(addr) {
		s.renderSecurity(w, r, rc, http.StatusNotFound, adminPage{Error: i18n.T(rc.lang, "admin.security.not_banned", addr.String())}, nil, nil)
		return
	}
	s.audit(r, rc, "lift-ban", "", addr.String(), "")
	backTo(w, r, "/admin/security", "admin.done.lifted")
}

// adminSaveNets sets the networks one extension may register from.
func (s *Server) adminSaveNets(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	key := r.PostFormValue("number")
	text := r.PostFormValue("allowedNets")
	var before []string
	_, err := store.Update(s.store, key, func(e *store.Extension) error {
		before = e.AllowedNets
		e.AllowedNets = lines(text)
		return nil
	})
	if err != nil {
		errs := map[string]string{}
		if fieldMessages(errs, err, rc.lang) {
			s.renderSecurity(w, r, rc, http.StatusUnprocessableEntity, adminPage{Error: i18n.T(rc.lang, "web.form.has_errors")},
				map[string]string{key: errs["allowedNets"]}, map[string]string{key: text})
			return
		}
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "update", store.KindExtension, key, fmt.Sprintf("allowedNets: %q -> %q", strings.Join(before, " "), strings.Join(lines(text), " ")))
	backTo(w, r, "/admin/security", "admin.done.saved")
}

// backupView is the backup and restore page.
type backupView struct {
	RestoreOn bool
	Size      int64
	Problems  []store.Problem
}

func (s *Server) adminBackup(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.adminRender(w, r, rc, http.StatusOK, "backup", "admin.menu.backup",
		adminPage{Notice: noticeOf(r, rc.lang), Page: backupView{RestoreOn: s.cfg.Restore != nil, Size: s.store.Size()}}, "")
}

// adminBackupDownload streams a consistent snapshot of the store (it can
// be large: it is not held in memory). A failure half way aborts the
// connection, so the browser reports a failed download instead of saving
// a truncated file.
func (s *Server) adminBackupDownload(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	name := "callbox-" + s.now().UTC().Format("20060102-150405") + ".db"
	s.audit(r, rc, "backup", "", name, "")
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if _, err := s.store.Backup(w); err != nil {
		s.log.Error("backup download", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// adminRestore checks an uploaded backup fully and hands it to the
// firmware, which replaces the store.
func (s *Server) adminRestore(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	fail := func(code int, msg string, problems []store.Problem) {
		s.adminRender(w, r, rc, code, "backup", "admin.menu.backup",
			adminPage{Error: msg, Page: backupView{RestoreOn: s.cfg.Restore != nil, Size: s.store.Size(), Problems: problems}}, "")
	}
	if s.cfg.Restore == nil {
		fail(http.StatusServiceUnavailable, i18n.T(rc.lang, "admin.backup.no_restore"), nil)
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		fail(http.StatusBadRequest, i18n.T(rc.lang, "admin.backup.no_file"), nil)
		return
	}
	defer f.Close()
	tmp, err := os.CreateTemp("", "callbox-restore-*.db")
	if err != nil {
		s.log.Error("restore: temp file", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, f)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.log.Error("restore: write temp file", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	problems, err := store.Check(tmp.Name())
	if err != nil || len(problems) > 0 {
		s.log.Warn("restore: upload refused", "err", err, "problems", len(problems))
		fail(http.StatusUnprocessableEntity, i18n.T(rc.lang, "admin.backup.bad_file"), problems[:min(len(problems), 20)])
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	if err := s.cfg.Restore(ctx, tmp.Name()); err != nil {
		s.log.Error("restore", "err", err)
		fail(http.StatusInternalServerError, i18n.T(rc.lang, "admin.backup.failed", err.Error()), nil)
		return
	}
	s.audit(r, rc, "restore", "", "", "")
	backTo(w, r, "/admin/backup", "admin.done.restored")
}

// logsView is the tail of the log file.
type logsView struct {
	On    bool
	Path  string
	Lines []string
	Error string
}

func (s *Server) adminLogs(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := logsView{On: s.cfg.LogFile != "", Path: s.cfg.LogFile}
	if v.On {
		var err error
		if v.Lines, err = tailFile(s.cfg.LogFile, logTailBytes); err != nil {
			v.Error = err.Error()
		}
	}
	fragment := ""
	if r.URL.Query().Get("fragment") == "tail" {
		fragment = "tail"
	}
	s.adminRender(w, r, rc, http.StatusOK, "logs", "admin.menu.logs", adminPage{Page: v}, fragment)
}

// tailFile returns the whole lines of the last max bytes of path, newest
// last.
func tailFile(path string, max int64) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max64(0, fi.Size()-max)
	buf := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, err
	}
	if off > 0 {
		// The first line is cut; drop it.
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	text := strings.TrimRight(string(bytes.ToValidUTF8(buf, []byte("?"))), "\n")
	if text == "" {
		return nil, nil
	}
	return strings.Split(text, "\n"), nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// auditView is the audit log page.
type auditView struct {
	Rows []store.Audit
	Loc  *time.Location
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	rows, err := store.AuditTail(s.store, auditShown)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	v := auditView{Rows: rows, Loc: time.UTC}
	if set, err := store.GetSettings(s.store); err == nil {
		v.Loc = set.Location()
	}
	s.adminRender(w, r, rc, http.StatusOK, "audit", "admin.menu.audit", adminPage{Page: v}, "")
}
