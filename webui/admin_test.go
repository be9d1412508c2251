package webui

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"callbox/acd/sip/guard"
	"callbox/acd/sip/trunk"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// adminPaths are every admin page (GET) a fixture with adminSeed has.
var adminPaths = []string{
	"/admin", "/admin/extensions", "/admin/extensions/new", "/admin/extensions/201", "/admin/extensions/bulk",
	"/admin/extensions/sheet", "/admin/trunks", "/admin/trunks/new", "/admin/trunks/carrier", "/admin/lines", "/admin/lines/new",
	"/admin/lines/fxo1", "/admin/routes", "/admin/skills", "/admin/skills/new", "/admin/skills/billing", "/admin/agents",
	"/admin/agents/new", "/admin/agents/11", "/admin/queues", "/admin/queues/new", "/admin/queues/sales", "/admin/hours",
	"/admin/hours/new", "/admin/hours/office", "/admin/users", "/admin/users/new", "/admin/users/admin", "/admin/security",
	"/admin/backup", "/admin/logs", "/admin/audit", "/admin/inroutes", "/admin/inroutes/new", "/admin/outroutes",
	"/admin/outroutes/new", "/admin/site/site",
}

// adminPosts are every state-changing admin endpoint, with a form that
// would be accepted.
var adminPosts = map[string]url.Values{
	"/admin/extensions/new":         {"number": {"300"}, "name": {"x"}},
	"/admin/extensions/201":         {"name": {"x"}},
	"/admin/extensions/201/delete":  {},
	"/admin/extensions/bulk":        {"first": {"400"}, "last": {"401"}, "name": {"n"}},
	"/admin/skills/new":             {"name": {"sales"}},
	"/admin/users/new":              {"name": {"bob"}, "role": {"agent"}, "password": {testPassword}},
	"/admin/security/lift":          {"addr": {"198.51.100.7"}},
	"/admin/security/nets":          {"number": {"201"}, "allowedNets": {"10.0.0.0/8"}},
	"/admin/backup/restore":         {},
	"/admin/security/certificate":   {},
	"/admin/inroutes/new":           {"name": {"r1"}, "target": {"queue:sales"}},
	"/admin/outroutes/new":          {"name": {"o1"}, "pattern": {"_9."}, "gateways": {"trunk:carrier"}},
	"/admin/site/site":              {"siteName": {"x"}, "lang": {"en"}, "country": {"cn"}},
	"/admin/queues/sales/delete":    {},
	"/admin/agents/new":             {"id": {"12"}, "name": {"x"}},
	"/admin/hours/office":           {"weekly": {"mon 09:00-18:00"}},
	"/admin/trunks/carrier/delete":  {},
	"/admin/lines/fxo1":             {"type": {"fxo"}, "device": {"sim:1"}},
	"/admin/users/admin/delete":     {},
	"/admin/extensions/sheet?x=1":   nil, // GET only: skipped
	"/admin/skills/billing/delete":  {},
	"/admin/hours/new":              {"name": {"h2"}},
	"/admin/queues/new":             {"name": {"q2"}, "strategy": {"ringall"}},
	"/admin/trunks/new":             {"name": {"t2"}, "host": {"sip.example.net"}, "transport": {"udp"}},
	"/admin/lines/new":              {"id": {"l2"}, "type": {"fxo"}, "device": {"sim:2"}},
	"/admin/agents/11/delete":       {},
	"/admin/users/admin":            {"role": {"admin"}},
	"/admin/extensions/201/delete2": nil,
}

// rawKey finds a catalogue key a page shows as is because it is missing.
var rawKey = regexp.MustCompile(`>[^<]*\b(admin|web|store)\.[a-z_]+\.[a-zA-Z_.-]+`)

const xss = `<script>alert(1)</script>"'&`

// adminSeed stores one record of every kind the admin pages manage, each
// with HTML in a free-text field.
func adminSeed(t *testing.T, f *fixture) {
	t.Helper()
	recs := []store.Record{
		store.Extension{Number: "201", Name: "Front " + xss, Secret: "Sip-Secret-201x", Voicemail: true},
		store.Trunk{Name: "carrier", Host: "sip.example.net", Transport: store.TransportUDP, Username: "u", Secret: "p" + xss, Register: true, Enabled: true,
			DIDs: []store.TrunkDID{{Number: "+861088880000", Map: "600"}}},
		store.Line{ID: "fxo1", Name: "Line " + xss, Type: store.LineFXO, Device: "sim:1", Route: "queue:sales", Enabled: true},
		store.Skill{Name: "billing", Description: "Invoices " + xss},
		store.Agent{ID: "11", Name: "Li Na " + xss, Extension: "201", Skills: []store.SkillLevel{{Skill: "billing", Level: 7}}, Enabled: true},
		store.Queue{Name: "sales", Strategy: store.StrategySkills, Members: []store.QueueMember{{Agent: "11", Level: 5, Weight: 1}}, Overflow: "201"},
		store.Hours{Name: "office", Weekly: []store.WeeklyRange{{Day: time.Monday, Start: "09:00", End: "18:00"}, {Day: time.Friday, Start: "22:00", End: "06:00"}},
			Holidays: []store.Holiday{{Name: "New year " + xss, From: "01-01"}}},
	}
	for _, r := range recs {
		if _, err := store.Put(f.st, r); err != nil {
			t.Fatalf("seed %s: %v", r.Kind(), err)
		}
	}
	now := f.clock.Now()
	if _, err := store.Put(f.st, store.Audit{ID: now.UTC().Format("20060102T150405.000000Z") + "-000000000000", At: now, User: "admin", Action: "update", Of: store.KindSkill, Name: "billing", Detail: "description: " + xss}); err != nil {
		t.Fatal(err)
	}
}

// newAdminFixture is a set-up box with the admin parts of Config filled.
func newAdminFixture(t testing.TB) (*fixture, *fakeFirmware) {
	t.Helper()
	f := newFixture(t)
	fw := &fakeFirmware{bans: []guard.Ban{{Prefix: netip.MustParsePrefix("198.51.100.7/32"), Since: f.clock.Now(), Until: f.clock.Now().Add(time.Hour), Failures: 12, Reason: "sip.fail.wrong_password"}},
		sip: SIPSettings{Domain: "pbx.example.cn", Port: 5060, TLSPort: 5061}}
	fw.logFile = filepath.Join(t.TempDir(), "callbox.log")
	if err := os.WriteFile(fw.logFile, []byte("time=1 level=INFO msg=start\ntime=2 level=WARN msg=\"<b>bold</b>\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, Version: "v1.2.3-test", Status: f.currentStatus,
		Bans: fw.Bans, LiftBan: fw.Lift, LogFile: fw.logFile, Restore: fw.Restore, Network: fw.Network, LoadSIP: fw.LoadSIP, SaveSIP: fw.SaveSIP,
		InstallCert: fw.InstallCert})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.setStatus(func(s *Status) {
		s.Telephony = &Telephony{
			Trunks: []trunk.Status{{Name: "carrier", Enabled: true, Register: true, Registered: true, RegisteredUntil: f.clock.Now().Add(time.Hour)}},
			Lines:  []LineStatus{{ID: "fxo1", Device: "sim:1", Simulated: true, Enabled: true, State: "in-call"}},
		}
	})
	return f, fw
}

// fakeFirmware stands in for the firmware's side of Config.
type fakeFirmware struct {
	bans     []guard.Ban
	lifted   []netip.Addr
	logFile  string
	restored []byte
	sip      SIPSettings
	cert     []byte // the last certificate installed
}

func (fw *fakeFirmware) Bans() []guard.Ban { return fw.bans }
func (fw *fakeFirmware) Lift(a netip.Addr) bool {
	for i, b := range fw.bans {
		if b.Prefix.Contains(a) {
			fw.bans = append(fw.bans[:i], fw.bans[i+1:]...)
			fw.lifted = append(fw.lifted, a)
			return true
		}
	}
	return false
}
func (fw *fakeFirmware) Restore(_ context.Context, path string) error {
	b, err := os.ReadFile(path)
	fw.restored = b
	return err
}
func (fw *fakeFirmware) Network() []NetInterface {
	return []NetInterface{{Name: "eth0", Addrs: []string{"192.168.1.10/24"}, Gateway: "192.168.1.1", DNS: []string{"192.168.1.1"}}}
}
func (fw *fakeFirmware) InstallCert(c, k []byte) error {
	if !bytes.Contains(c, []byte("BEGIN CERTIFICATE")) || !bytes.Contains(k, []byte("PRIVATE KEY")) {
		return errors.New("not a certificate and key")
	}
	fw.cert = c
	return nil
}
func (fw *fakeFirmware) LoadSIP() (SIPSettings, error) { return fw.sip, nil }
func (fw *fakeFirmware) SaveSIP(s SIPSettings) error   { fw.sip = s; return nil }

func TestAdmin_EveryPageRendersForAnAdminInBothLanguagesWithStoredHTMLEscaped(t *testing.T) {
	f, _ := newAdminFixture(t)
	f.finishSetup()
	adminSeed(t, f)
	b := f.browser()
	b.login("admin", testPassword)
	for _, lang := range i18n.Langs {
		b.cookies[langCookie] = string(lang)
		if err := setUserLang(f, "admin", lang); err != nil {
			t.Fatal(err)
		}
		for _, p := range adminPaths {
			r := b.get(p)
			wantStatus(t, r, http.StatusOK)
			if strings.Contains(r.Body, "<script>alert") {
				t.Errorf("%s (%s): stored HTML is not escaped", p, lang)
			}
			if k := rawKey.FindString(r.Body); k != "" {
				t.Errorf("%s (%s): catalogue key %q shown as is (missing message)", p, lang, k)
			}
		}
	}
}

func setUserLang(f *fixture, name string, lang i18n.Lang) error {
	_, err := store.Update(f.st, name, func(u *store.User) error { u.Lang = lang; return nil })
	return err
}

func TestAdmin_AgentAndSupervisorGet403OnEveryAdminPageAndAction(t *testing.T) {
	f, _ := newAdminFixture(t)
	f.finishSetup()
	adminSeed(t, f)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	f.addUser("sam", store.RoleSupervisor, testPassword, false)
	for _, who := range []string{"ann", "sam"} {
		b := f.browser()
		b.login(who, testPassword)
		for _, p := range adminPaths {
			wantStatus(t, b.get(p), http.StatusForbidden)
		}
		for p, form := range adminPosts {
			if form == nil {
				continue
			}
			wantStatus(t, b.post(p, form), http.StatusForbidden)
		}
	}
	if n, _ := store.List[store.Extension](f.st); len(n) != 1 {
		t.Fatalf("an agent's posts changed the extensions: %+v", n)
	}
}

func TestAdmin_EveryPostWithoutTheCSRFTokenIsRefused(t *testing.T) {
	f, _ := newAdminFixture(t)
	f.finishSetup()
	adminSeed(t, f)
	b := f.browser()
	b.login("admin", testPassword)
	for p, form := range adminPosts {
		if form == nil {
			continue
		}
		form.Set("csrf", "")
		r := b.post(p, form)
		wantStatus(t, r, http.StatusForbidden)
		if !strings.Contains(r.Body, msg(i18n.EN, "web.error.csrf")) {
			t.Errorf("%s: no CSRF message", p)
		}
		form.Set("csrf", "forged-token-of-the-right-length-000000000")
		wantStatus(t, b.post(p, form), http.StatusForbidden)
	}
	audits, _ := store.List[store.Audit](f.st)
	if len(audits) != 1 {
		t.Fatalf("refused posts wrote audit entries: %+v", audits)
	}
}

// adminAPI are the admin-only endpoints of the JSON API.
var adminAPI = []struct{ method, path string }{
	{"GET", "/api/v1/settings"}, {"PUT", "/api/v1/settings"}, {"GET", "/api/v1/extensions"}, {"POST", "/api/v1/extensions"},
	{"GET", "/api/v1/extensions/201"}, {"PUT", "/api/v1/extensions/201"}, {"DELETE", "/api/v1/extensions/201"},
	{"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"GET", "/api/v1/users/admin"}, {"PUT", "/api/v1/users/admin"},
	{"DELETE", "/api/v1/users/admin"}, {"GET", "/api/v1/webhooks"}, {"POST", "/api/v1/webhooks"}, {"GET", "/api/v1/tokens"},
	{"POST", "/api/v1/tokens"}, {"GET", "/api/v1/directory/sources"}, {"PUT", "/api/v1/directory/sources"},
	{"GET", "/api/v1/flows"}, {"GET", "/api/v1/flows/main"}, {"DELETE", "/api/v1/flows/main"}, {"POST", "/api/v1/flows/main/publish"},
}

func TestAdmin_AgentGets403OnEveryAdminAPI(t *testing.T) {
	f, _ := newAdminFixture(t)
	f.finishSetup()
	adminSeed(t, f)
	f.addUser("ann", store.RoleAgent, testPassword, false)
	b := f.browser()
	b.login("ann", testPassword)
	for _, e := range adminAPI {
		r := b.json(e.method, e.path, map[string]any{})
		wantStatus(t, r, http.StatusForbidden)
	}
}

func TestAdmin_StoredHTMLIsEscapedOnTheOtherPagesToo(t *testing.T) {
	f, _ := newAdminFixture(t)
	f.finishSetup()
	if _, err := store.Update(f.st, store.SettingsKey, func(s *store.Settings) error { s.SiteName = "Shop " + xss[:25]; return nil }); err != nil {
		t.Fatal(err)
	}
	adminSeed(t, f)
	b := f.browser()
	b.login("admin", testPassword)
	for _, p := range append([]string{"/", "/status", "/password"}, adminPaths...) {
		r := b.get(p)
		if strings.Contains(r.Body, "<script>alert") {
			t.Errorf("%s: stored HTML is not escaped", p)
		}
	}
}
