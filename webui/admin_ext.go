package webui

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// maxBulk bounds one bulk creation: a range beyond it is more likely a
// typo than a plan.
const maxBulk = 500

// bulkView is the bulk creation form.
type bulkView struct {
	First, Last, Name, Nets string
	Voicemail               bool
	Errors                  map[string]string
}

// sheetView is the printable provisioning sheet.
type sheetView struct {
	Server  string // where phones register: the SIP domain or the box's address
	Port    int
	TLSPort int
	Site    string
	Rows    []store.Extension
}

func (s *Server) adminBulkForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := bulkView{Name: i18n.T(rc.lang, "admin.bulk.name_default"), Voicemail: true, Errors: map[string]string{}}
	s.adminRender(w, r, rc, http.StatusOK, "bulk", "admin.bulk.title", adminPage{Page: v}, "")
}

// adminBulkSubmit creates every extension of a range at once, each with a
// generated strong secret, all or none, and shows the provisioning sheet.
func (s *Server) adminBulkSubmit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v := bulkView{First: strings.TrimSpace(r.PostFormValue("first")), Last: strings.TrimSpace(r.PostFormValue("last")),
		Name: strings.TrimSpace(r.PostFormValue("name")), Nets: r.PostFormValue("allowedNets"),
		Voicemail: r.PostFormValue("voicemail") == "on", Errors: map[string]string{}}
	first, errF := strconv.Atoi(v.First)
	last, errL := strconv.Atoi(v.Last)
	switch {
	case v.First == "" || errF != nil || first < 0:
		v.Errors["first"] = i18n.T(rc.lang, "admin.err.number")
	case v.Last == "" || errL != nil || last < 0:
		v.Errors["last"] = i18n.T(rc.lang, "admin.err.number")
	case len(v.First) != len(v.Last):
		v.Errors["last"] = i18n.T(rc.lang, "admin.bulk.same_length")
	case last < first:
		v.Errors["last"] = i18n.T(rc.lang, "admin.bulk.order")
	case last-first+1 > maxBulk:
		v.Errors["last"] = i18n.T(rc.lang, "admin.bulk.too_many", maxBulk)
	}
	var recs []store.Record
	var exts []store.Extension
	if len(v.Errors) == 0 {
		existing, err := store.List[store.Extension](s.store)
		if err != nil {
			s.storeFail(w, r, rc, err)
			return
		}
		taken := map[string]bool{}
		for _, e := range existing {
			taken[e.Number] = true
		}
		var clash []string
		for n := first; n <= last; n++ {
			num := pad(n, len(v.First))
			if taken[num] {
				clash = append(clash, num)
				continue
			}
			sec, err := store.GenerateSecret(16)
			if err != nil {
				s.log.Error("bulk: generate secret", "err", err)
				s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
				return
			}
			e := store.Extension{Number: num, Name: strings.ReplaceAll(v.Name, "{n}", num), Secret: sec,
				AllowedNets: lines(v.Nets), Voicemail: v.Voicemail}
			if err := e.Validate(); err != nil {
				fieldMessages(v.Errors, err, rc.lang)
				break
			}
			recs = append(recs, e)
			exts = append(exts, e)
		}
		if len(clash) > 0 {
			v.Errors["first"] = i18n.T(rc.lang, "admin.bulk.taken", strings.Join(clash[:min(len(clash), 10)], ", "))
		}
		// The record's own messages name its fields; put them by the
		// bulk form's.
		if m, ok := v.Errors["number"]; ok {
			v.Errors["first"] = m
		}
		if m, ok := v.Errors["name"]; ok {
			v.Errors["nameField"] = m
		}
	}
	if len(v.Errors) > 0 {
		s.adminRender(w, r, rc, http.StatusUnprocessableEntity, "bulk", "admin.bulk.title",
			adminPage{Error: i18n.T(rc.lang, "web.form.has_errors"), Page: v}, "")
		return
	}
	if _, err := store.PutAll(s.store, recs...); err != nil {
		if fieldMessages(v.Errors, err, rc.lang) {
			s.adminRender(w, r, rc, http.StatusUnprocessableEntity, "bulk", "admin.bulk.title", adminPage{Error: i18n.T(rc.lang, "web.form.has_errors"), Page: v}, "")
			return
		}
		s.storeFail(w, r, rc, err)
		return
	}
	s.audit(r, rc, "bulk-create", store.KindExtension, v.First+"-"+v.Last,
		"numbers: "+v.First+".."+v.Last+"\nname: "+strconv.Quote(v.Name)+"\nsecrets: (generated)")
	s.renderSheet(w, r, rc, exts)
}

// pad writes n with leading zeros to width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// adminSheet prints the provisioning sheet of the extensions from..to
// again (or all of them).
func (s *Server) adminSheet(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	all, err := store.List[store.Extension](s.store)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	var rows []store.Extension
	for _, e := range all {
		if inRange(e.Number, from, to) {
			rows = append(rows, e)
		}
	}
	s.audit(r, rc, "print-sheet", store.KindExtension, from+"-"+to, "secrets shown: "+strconv.Itoa(len(rows)))
	s.renderSheet(w, r, rc, rows)
}

// inRange compares extension numbers as numbers of equal length first.
func inRange(n, from, to string) bool {
	less := func(a, b string) bool {
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	}
	return (from == "" || !less(n, from)) && (to == "" || !less(to, n))
}

func (s *Server) renderSheet(w http.ResponseWriter, r *http.Request, rc *reqCtx, rows []store.Extension) {
	v := sheetView{Rows: rows, Port: 5060, TLSPort: 5061}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	v.Server = host
	// What the box listens on, not only what was stored: the command
	// line (--sip) may have set other ports.
	if sip, ok := s.sipInUse(); ok {
		if sip.Domain != "" {
			v.Server = sip.Domain
		}
		if sip.Port != 0 {
			v.Port = sip.Port
		}
		if sip.TLSPort != 0 {
			v.TLSPort = sip.TLSPort
		}
	}
	if st, err := store.GetSettings(s.store); err == nil {
		v.Site = st.SiteName
	}
	s.adminRender(w, r, rc, http.StatusOK, "sheet", "admin.sheet.title", adminPage{Page: v}, "")
}
