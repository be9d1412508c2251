package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// The whole story of issue 10 through the real binary: an installer sets
// up a blank box in the browser, configures a desk, an agent, a queue and
// an IVR flow; an agent logs in on the console; a PSTN caller (SIPp) rings
// through the flow into the queue; the agent's desk phone (SIPp) answers;
// the console pops the caller's record, the wallboard counts the answer,
// and the reports list the call with a recording the page plays.

// The customer who calls (as the directory knows them and as the line
// presents them) and the box's number they dial.
const (
	uiCustomerName   = "Chen Jing"
	uiCustomerNumber = "+8613800138000"
	uiCallerID       = "13800138000"
	uiDID            = "80081"
)

// uiSite is what the installer entered, for the later steps.
type uiSite struct {
	base     string
	otp      string // the one-time admin password the box printed
	deskExt  string
	deskPass string
}

func TestUI_InstallerAgentAndSupervisorStoryThroughTheBinary(t *testing.T) {
	sippBin := needSIPp(t)
	needChromium(t)
	start := time.Now()
	shots := newShooter(t)
	data := shortDir(t)
	b, otp := startFreshBox(t, data)
	br := newBrowser(t)
	admin := br.person(t)
	site := uiSite{base: "http://" + b.web, deskExt: "201", otp: otp}

	uiWizard(t, admin, site, shots)
	shots.shot(t, admin, "story-01-checklist")
	site.deskPass = uiConfigure(t, admin, site)
	shots.shot(t, admin, "story-02-queue-saved")
	uiDesignFlow(t, admin, site)
	shots.shot(t, admin, "story-03-flow-published")
	uiRoute(t, admin, site)
	uiCreateCustomer(t, admin)

	// The supervisor's view: the admin opens the wallboard.
	act(t, admin, "wallboard", chromedp.Navigate(site.base+"/wallboard"))
	until(t, admin, "board live", `document.querySelector("#stream.live") !== null`)
	until(t, admin, "sales card", textIs(`.qcard[data-queue="sales"] [data-f="answered"]`, "0"))

	// The agent logs in on the console and then to the desk.
	agent := br.person(t)
	logIn(t, agent, site.base, "anna", "/agent")
	until(t, agent, "console live", `document.querySelector("#stream.live") !== null`)
	act(t, agent, "log in to the desk", chromedp.Click(`#login-form button`, chromedp.NodeVisible))
	until(t, agent, "ready", textIs("#state", i18n.T(i18n.EN, "agentui.state.available")))
	until(t, admin, "agent ready on the board", textIs(`tr[data-agent="802"] .state-badge`, i18n.T(i18n.EN, "agentui.state.available")))
	shots.shot(t, agent, "story-04-agent-ready")

	// The desk phone registers and answers what the queue sends.
	media, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	deskPort := freeUDP(t)
	runSIPp(t, sippBin, "register.xml", deskPort, b.sip, "-s", site.deskExt, "-au", site.deskExt, "-ap", site.deskPass).check(t, "register the desk")
	if t.Failed() {
		t.FailNow()
	}
	desk := runSIPp(t, sippBin, "answer-uas.xml", deskPort, "", "-s", site.deskExt, "-key", "mport", itoa(media.LocalAddr().(*net.UDPAddr).Port))
	desk.waitBound(t, "127.0.0.1", deskPort)

	// The customer calls the box's number on the first simulated line.
	caller := runSIPp(t, sippBin, "pstn-call.xml", freeUDP(t), "127.0.0.1:"+itoa(b.simBase),
		"-s", uiDID, "-key", "callerid", uiCallerID, "-key", "callername", "Caller")
	until(t, agent, "the pop names the customer", textIs(".popcard .caller-name", uiCustomerName))
	if got := js[string](t, agent, `(document.querySelector(".popcard .caller-num") || {}).textContent || ""`); !strings.Contains(got, "13800138000") {
		t.Errorf("the pop shows number %q", got)
	}
	// The call came through the route and the flow the installer made.
	if got := js[string](t, agent, `[...document.querySelectorAll("ol.path li")].map(e => e.textContent.trim()).join(" > ")`); !strings.Contains(got, "inbound:main-number > flow:main@v1 > queue:sales") {
		t.Errorf("the pop shows the path %q", got)
	}
	shots.shot(t, agent, "story-05-agent-pop")
	until(t, admin, "answered on the board", textIs(`.qcard[data-queue="sales"] [data-f="answered"]`, "1"))
	shots.shot(t, admin, "story-06-wallboard-answered")
	caller.check(t, "the PSTN caller")
	desk.check(t, "the desk phone")
	if t.Failed() {
		t.FailNow()
	}

	uiPlayRecording(t, admin, site)
	shots.shot(t, admin, "story-07-reports")
	if os.Getenv("CALLBOX_SCREENSHOTS") != "" {
		uiTour(t, br, site, shots)
	}
	t.Logf("the story took %v", time.Since(start).Round(time.Millisecond))
}

// uiWizard runs the first-boot wizard of a blank box and logs the admin
// in.
func uiWizard(t *testing.T, ctx context.Context, site uiSite, shots shooter) {
	t.Helper()
	act(t, ctx, "open the box", chromedp.Navigate(site.base+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	until(t, ctx, "the setup page", `location.pathname === "/setup"`)
	bothLanguages(t, ctx, shots, "setup", "password")
	// The SIP fields keep what the box runs with.
	fill(t, ctx, "proof", site.otp, "password", uiPassword, "password2", uiPassword, "siteName", "Harbour Tea", "timeZone", "Asia/Shanghai", "country", "cn", "lang", "en")
	navigate(t, ctx, "finish setup", `form[action="/setup"] button.primary`)
	until(t, ctx, "the login page", `location.pathname === "/login"`)
	bothLanguages(t, ctx, shots, "login", "name")
	fill(t, ctx, "name", "admin", "password", uiPassword)
	navigate(t, ctx, "log in admin", `form[action="/login"] button.primary`)
	until(t, ctx, "the checklist", `document.querySelector("ol.checklist") !== null`)
}

// bothLanguages photographs a page reached before logging in, whose
// field id is visible, in Chinese and then in English (the language the
// story goes on in), switching with the header's buttons.
func bothLanguages(t *testing.T, ctx context.Context, shots shooter, name, id string) {
	t.Helper()
	for _, lang := range []string{"zh", "en"} {
		navigate(t, ctx, "switch to "+lang, `form.langs button[value="`+lang+`"]`)
		act(t, ctx, name+" in "+lang, chromedp.WaitVisible(chromedp.ID(id)))
		until(t, ctx, name+" in "+lang, `document.documentElement.lang.startsWith(`+quote(lang)+`)`)
		shots.shot(t, ctx, lang+"-"+name)
	}
}

// uiSave submits the admin form on path after filling fields, and fails
// with the page's messages unless it saved.
func uiSave(t *testing.T, ctx context.Context, base, path string, fields ...string) {
	t.Helper()
	act(t, ctx, "open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("form.admin-form")))
	fill(t, ctx, fields...)
	navigate(t, ctx, "save "+path, "form.admin-form button.primary")
	if n := count(t, ctx, ".field.invalid"); n > 0 {
		t.Fatalf("%s refused: %s", path, js[string](t, ctx, `[...document.querySelectorAll(".field.invalid")].map(e => e.innerText).join(" | ")`))
	}
	until(t, ctx, "saved "+path, `document.querySelector("p.notice") !== null`)
}

// uiConfigure creates the desk's extension, the agent's login, the agent
// and the queue through the admin pages; it returns the desk's SIP
// password.
func uiConfigure(t *testing.T, ctx context.Context, site uiSite) string {
	t.Helper()
	secret, err := store.GenerateSecret(20)
	if err != nil {
		t.Fatal(err)
	}
	uiSave(t, ctx, site.base, "/admin/extensions/new", "f-number", site.deskExt, "f-name", "Anna's desk", "f-secret", secret)
	uiSave(t, ctx, site.base, "/admin/users/new", "f-name", "anna", "f-role", "agent", "f-password", uiPassword, "f-oneTimePassword", "off")
	uiSave(t, ctx, site.base, "/admin/agents/new", "f-id", "802", "f-name", "Anna", "f-user", "anna", "f-extension", site.deskExt, "f-enabled", "on")
	uiSave(t, ctx, site.base, "/admin/queues/new", "f-name", "sales", "f-number", "600", "f-strategy", "ringall",
		"f-members", "802 1", "f-ringSeconds", "20", "f-record", "all")
	return secret
}

// uiDesignFlow builds the flow "main" in the designer by drag and drop:
// start, then the sales queue, hanging up if the queue fails; it
// validates and publishes it.
func uiDesignFlow(t *testing.T, ctx context.Context, site uiSite) {
	t.Helper()
	en := func(k string) string { return i18n.T(i18n.EN, "designer.js."+k) }
	act(t, ctx, "designer", chromedp.Navigate(site.base+"/designer"), chromedp.WaitVisible(chromedp.ID("id")))
	fill(t, ctx, "id", "main")
	navigate(t, ctx, "open main", `form[action="/designer/open"] button.primary`)
	act(t, ctx, "editor ready", chromedp.WaitVisible(chromedp.CSS(`#designer[data-ready="1"]`)))
	box := js[point](t, ctx, `(() => { const r = document.querySelector(".dz-canvas-wrap").getBoundingClientRect(); return {X: r.x, Y: r.y}; })()`)
	drag(t, ctx, "drop a queue", centre(t, ctx, `#dz-palette li[data-type="queue"]`), point{box.X + 300, box.Y + 180})
	drag(t, ctx, "drop a hang-up", centre(t, ctx, `#dz-palette li[data-type="hangup"]`), point{box.X + 300, box.Y + 360})
	if n := count(t, ctx, ".dz-node"); n != 3 {
		t.Fatalf("%d nodes on the canvas after two drops", n)
	}
	wire := func(from, exit, to string) {
		t.Helper()
		a := centre(t, ctx, fmt.Sprintf(`.dz-node[data-id="%s"] .dz-port[data-exit="%s"]`, from, exit))
		b := centre(t, ctx, fmt.Sprintf(`.dz-node[data-id="%s"] .dz-box`, to))
		drag(t, ctx, "wire "+from+"."+exit, a, b)
		if count(t, ctx, fmt.Sprintf(`.dz-edge[data-from="%s"][data-exit="%s"]`, from, exit)) != 1 {
			t.Fatalf("no arrow %s.%s -> %s", from, exit, to)
		}
	}
	wire("start", "next", "queue1")
	wire("queue1", "failed", "hangup1")
	act(t, ctx, "select the queue node", chromedp.Click(chromedp.CSS(`.dz-node[data-id="queue1"] .dz-type`)))
	act(t, ctx, "queue field", chromedp.WaitVisible(chromedp.ID("dz-f-queue")))
	fill(t, ctx, "dz-f-queue", "sales")
	act(t, ctx, "save", chromedp.Click(chromedp.ID("dz-save")))
	until(t, ctx, "saved", `document.getElementById("dz-state").textContent.startsWith(`+quote(en("saved"))+`)`)
	act(t, ctx, "validate", chromedp.Click(chromedp.ID("dz-validate")))
	until(t, ctx, "valid", `document.getElementById("dz-state").textContent.startsWith(`+quote(en("valid"))+`)`)
	act(t, ctx, "publish", chromedp.Click(chromedp.ID("dz-publish")))
	until(t, ctx, "published", `document.getElementById("dz-state").textContent.startsWith(`+quote(en("published")+" v1")+`)`)
}

// uiRoute sends calls to the box's number into the flow.
func uiRoute(t *testing.T, ctx context.Context, site uiSite) {
	t.Helper()
	uiSave(t, ctx, site.base, "/admin/inroutes/new", "f-name", "main-number", "f-did", uiDID, "f-target", "flow:main")
}

// uiCreateCustomer stores the caller in the directory through the API,
// from the admin's page with its session and CSRF token.
func uiCreateCustomer(t *testing.T, ctx context.Context) {
	t.Helper()
	status := jsAwait[int](t, ctx, "create the customer", `fetch("/api/v1/customers", {method: "POST",
		headers: {"Content-Type": "application/json", "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content},
		body: JSON.stringify({id: "c9", name: `+quote(uiCustomerName)+`, company: "Jing Tea House", numbers: [`+quote(uiCustomerNumber)+`], vip: true})
	}).then(r => r.status)`)
	if status != 201 {
		t.Fatalf("creating the customer: HTTP %d", status)
	}
}

// uiPlayRecording finds the call in the reports and plays its recording
// in the page.
func uiPlayRecording(t *testing.T, ctx context.Context, site uiSite) {
	t.Helper()
	// The CDR and the recording are written when the call ends, a moment
	// after SIPp has seen its BYE answered.
	deadline := time.Now().Add(uiWait)
	for {
		act(t, ctx, "reports", chromedp.Navigate(site.base+"/reports"), chromedp.WaitVisible(chromedp.CSS("h1")))
		if count(t, ctx, "table.calls tbody tr audio") > 0 {
			break
		}
		if time.Now().After(deadline) {
			failPage(t, ctx, "a recorded call in the reports", fmt.Errorf("none after %v", uiWait))
		}
		time.Sleep(300 * time.Millisecond)
	}
	row := js[string](t, ctx, `document.querySelector("table.calls tbody tr").innerText`)
	for _, want := range []string{uiCallerID, "sales", "Anna"} {
		if !strings.Contains(row, want) {
			t.Errorf("the call's row %q does not show %q", row, want)
		}
	}
	dur := jsAwait[float64](t, ctx, "load the recording", `new Promise((ok, fail) => {
		const a = document.querySelector("table.calls tbody tr audio");
		a.addEventListener("loadedmetadata", () => ok(a.duration), {once: true});
		a.addEventListener("error", () => fail(new Error("media error " + (a.error && a.error.code))), {once: true});
		a.preload = "auto"; a.load();
	})`)
	if !(dur > 0.2) {
		t.Fatalf("the recording lasts %v s", dur)
	}
	if !jsAwait[bool](t, ctx, "play", `document.querySelector("table.calls tbody tr audio").play().then(() => true)`) {
		t.Fatal("the recording does not play")
	}
	t.Logf("the recording lasts %.2f s", dur)
}
