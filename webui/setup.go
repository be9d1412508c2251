package webui

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// defaultAdminName is the administrator account setup creates when the
// store holds none yet.
const defaultAdminName = "admin"

// setupView is the content of the first-boot page.
type setupView struct {
	AdminName string
	// Proof is "otp" when an administrator with a one-time password exists
	// (seeded by --demo, printed on the console), "current" when one with
	// a chosen password exists; the form then asks for it.
	Proof     string
	Settings  store.Settings
	Zones     []string
	Countries []option
	Errors    map[string]string
	Error     string
	// SIP is the SIP domain and ports form (nil when the firmware does not
	// take them); SIPFixed says the command line set them, so the form
	// shows what the box listens on, read-only. Network the network
	// settings shown read-only.
	SIP      *SIPSettings
	SIPFixed bool
	Network  []NetInterface
}

// option is one entry of a select.
type option struct {
	Value string
	Label string
}

// setupAdmin finds the administrator setup will give a password to: the
// enabled admin with a one-time password if there is one, else any enabled
// admin, else a new "admin".
func (s *Server) setupAdmin() (u store.User, exists bool, err error) {
	users, err := store.List[store.User](s.store)
	if err != nil {
		return store.User{}, false, err
	}
	for _, u := range users {
		if u.Role == store.RoleAdmin && !u.Disabled && u.OneTimePassword {
			return u, true, nil
		}
	}
	for _, u := range users {
		if u.Role == store.RoleAdmin && !u.Disabled {
			return u, true, nil
		}
	}
	return store.User{Name: defaultAdminName, Role: store.RoleAdmin, CreatedAt: s.now()}, false, nil
}

func (s *Server) newSetupView(lang i18n.Lang, admin store.User, exists bool, st store.Settings) setupView {
	v := setupView{AdminName: admin.Name, Settings: st, Zones: s.zones, Errors: map[string]string{}}
	if exists {
		v.Proof = "current"
		if admin.OneTimePassword {
			v.Proof = "otp"
		}
	}
	for _, c := range store.Countries {
		v.Countries = append(v.Countries, option{Value: c, Label: i18n.T(lang, "web.country."+c)})
	}
	if s.cfg.LoadSIP != nil && s.cfg.SaveSIP != nil {
		sip, err := s.cfg.LoadSIP()
		if err != nil {
			s.log.Warn("setup: load SIP settings", "err", err)
		}
		if sip.Port == 0 {
			sip.Port = 5060
		}
		if sip.TLSPort == 0 {
			sip.TLSPort = sip.Port + 1
		}
		if live, fixed := s.sipListening(); fixed {
			sip, v.SIPFixed = live, true
		}
		v.SIP = &sip
	}
	if s.cfg.Network != nil {
		v.Network = s.cfg.Network()
	}
	return v
}

// sipListening is what the box listens on now and whether the command
// line set it (false, and the zero value, without Config.SIPListening).
func (s *Server) sipListening() (SIPSettings, bool) {
	if s.cfg.SIPListening == nil {
		return SIPSettings{}, false
	}
	return s.cfg.SIPListening()
}

// sipInUse is the SIP domain and ports phones must use: those the box
// listens on when the firmware tells, else the stored ones; false when
// neither is known.
func (s *Server) sipInUse() (SIPSettings, bool) {
	if s.cfg.SIPListening != nil {
		sip, _ := s.cfg.SIPListening()
		return sip, true
	}
	if s.cfg.LoadSIP == nil {
		return SIPSettings{}, false
	}
	sip, err := s.cfg.LoadSIP()
	if err != nil {
		s.log.Warn("load SIP settings", "err", err)
		return SIPSettings{}, false
	}
	return sip, true
}

// readSIP reads and checks the SIP fields of the setup form.
func readSIP(r *http.Request, errs map[string]string, lang i18n.Lang) SIPSettings {
	sip := SIPSettings{Domain: strings.ToLower(strings.TrimSpace(r.PostFormValue("sipDomain")))}
	port := func(field string) int {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(field)))
		if err != nil || n < 1024 || n > 65535 {
			errs[field] = i18n.T(lang, "admin.setup.port_range")
		}
		return n
	}
	sip.Port = port("sipPort")
	sip.TLSPort = port("sipTLSPort")
	if errs["sipTLSPort"] == "" && sip.TLSPort == sip.Port {
		errs["sipTLSPort"] = i18n.T(lang, "admin.setup.port_same")
	}
	if sip.Domain != "" && !isDomain(sip.Domain) {
		errs["sipDomain"] = i18n.T(lang, "admin.setup.domain_bad")
	}
	return sip
}

// isDomain accepts a DNS name (letters, digits, '-', dot-separated labels
// of at most 63 bytes) or an IP address.
func isDomain(v string) bool {
	if _, err := netip.ParseAddr(v); err == nil {
		return true
	}
	if len(v) > 253 {
		return false
	}
	for label := range strings.SplitSeq(v, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	admin, exists, err := s.setupAdmin()
	if err != nil {
		s.log.Error("setup: list users", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	st := store.DefaultSettings()
	st.Lang = rc.lang
	s.render(w, r, rc, http.StatusOK, "setup", "web.setup.title", s.newSetupView(rc.lang, admin, exists, st))
}

// setupSubmit sets the administrator's password and the site settings, and
// marks setup done, exactly once: the lock and the re-read of the settings
// make a second, concurrent submission find setup already done.
func (s *Server) setupSubmit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	cur, err := store.GetSettings(s.store)
	if err != nil {
		s.log.Error("setup: read settings", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	if cur.SetupDone {
		s.setupDone.Store(true)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	admin, exists, err := s.setupAdmin()
	if err != nil {
		s.log.Error("setup: list users", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	st := store.Settings{
		SiteName:  strings.TrimSpace(r.PostFormValue("siteName")),
		Lang:      i18n.Lang(r.PostFormValue("lang")),
		Country:   r.PostFormValue("country"),
		TimeZone:  r.PostFormValue("timeZone"),
		SetupDone: true,
	}
	v := s.newSetupView(rc.lang, admin, exists, st)

	if exists {
		keys := limitKeys(r, admin.Name)
		if d := s.limiter.wait(keys...); d > 0 {
			secs := retrySecs(d)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			v.Errors["proof"] = i18n.T(rc.lang, "web.login.throttled", secs)
			s.render(w, r, rc, http.StatusTooManyRequests, "setup", "web.setup.title", v)
			return
		}
		if !admin.CheckPassword(r.PostFormValue("proof")) {
			s.limiter.fail(keys...)
			s.log.Warn("setup: wrong one-time password", "addr", clientAddr(r))
			v.Errors["proof"] = i18n.T(rc.lang, "web.setup.proof_wrong."+v.Proof)
		}
	}

	pw := r.PostFormValue("password")
	if err := admin.SetPassword(pw); err != nil {
		if !addFieldErrors(v.Errors, err, rc.lang) {
			s.log.Error("setup: hash password", "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
	} else if pw != r.PostFormValue("password2") {
		v.Errors["password2"] = i18n.T(rc.lang, "web.form.password_mismatch")
	}
	if st.TimeZone != "" && !slices.Contains(s.zones, st.TimeZone) {
		v.Errors["timeZone"] = i18n.T(rc.lang, "web.setup.zone_unknown")
	}
	if err := st.Validate(); err != nil {
		addFieldErrors(v.Errors, err, rc.lang)
	}
	var sip SIPSettings
	if v.SIP != nil && !v.SIPFixed {
		sip = readSIP(r, v.Errors, rc.lang)
		v.SIP = &sip
	}
	admin.Lang = st.Lang
	admin.OneTimePassword = false
	if len(v.Errors) == 0 {
		if err := admin.Validate(); err != nil {
			addFieldErrors(v.Errors, err, rc.lang)
		}
	}
	if len(v.Errors) > 0 {
		v.Error = i18n.T(rc.lang, "web.form.has_errors")
		s.render(w, r, rc, http.StatusBadRequest, "setup", "web.setup.title", v)
		return
	}

	// The user first: if saving the settings then fails, setup is still
	// open and asks for the password just chosen.
	if _, err := store.Put(s.store, admin); err != nil {
		s.log.Error("setup: save admin", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	// Ports the command line set are not the installer's to change here:
	// nothing of the SIP form is saved then.
	if v.SIP != nil && !v.SIPFixed {
		if err := s.cfg.SaveSIP(sip); err != nil {
			s.log.Error("setup: save SIP settings", "err", err)
			s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
			return
		}
	}
	if _, err := store.Put(s.store, st); err != nil {
		s.log.Error("setup: save settings", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	s.setupDone.Store(true)
	s.limiter.succeed(userKey(admin.Name))
	s.sessions.deleteUser(admin.Name, "")
	s.log.Info("setup done", "admin", admin.Name, "site", st.SiteName, "lang", st.Lang, "tz", st.TimeZone, "country", st.Country)
	s.audit(r, &reqCtx{user: &admin}, "setup", store.KindSettings, store.SettingsKey,
		fmt.Sprintf("siteName: %q\nlang: %q\ncountry: %q\ntimeZone: %q\nsip: %q %d %d", st.SiteName, st.Lang, st.Country, st.TimeZone, sip.Domain, sip.Port, sip.TLSPort))
	setCookie(w, r, langCookie, string(st.Lang), 365*24*3600)
	// The installer logs in to the checklist of what comes after setup.
	http.Redirect(w, r, "/login?setup=done&next=/admin", http.StatusSeeOther)
}
