package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// Security through the real binary and a real browser: markup a person
// typed into any stored field never becomes an element on any page, and
// a password guesser is slowed.

// xssPayload is what an attacker types into every free-text field.
const xssPayload = `<img src=x onerror=alert(1)>`

// xssSeed stores a set-up box with the payload in every field a person
// can type that a page shows. A record the store refuses (its rules
// keep markup out) is logged: it cannot reach a page either.
func xssSeed(t *testing.T, data string) (secret string) {
	t.Helper()
	st, err := store.Open(filepath.Join(data, "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, err = store.GenerateSecret(20)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	settings := store.DefaultSettings()
	settings.SiteName, settings.SetupDone = "Shop "+xssPayload, true
	recs := []store.Record{settings}
	for _, u := range []store.User{{Name: "admin", Role: store.RoleAdmin}, {Name: "boss", Role: store.RoleSupervisor}, {Name: "anna", Role: store.RoleAgent}} {
		if err := u.SetPassword(uiPassword); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, u)
	}
	flow, _ := json.Marshal(map[string]any{"format": 1, "name": "Flow " + xssPayload, "languages": []string{"zh", "en"},
		"nodes": []map[string]any{
			{"id": "start", "type": "start", "label": "Start " + xssPayload, "position": map[string]int{"x": 40, "y": 40}, "exits": map[string]string{"next": "bye"}},
			{"id": "bye", "type": "hangup", "label": "Bye " + xssPayload, "position": map[string]int{"x": 40, "y": 200}},
		}})
	recs = append(recs,
		store.Extension{Number: "201", Name: "Desk " + xssPayload, Secret: secret, Voicemail: true},
		store.Skill{Name: "billing", Description: "Invoices " + xssPayload},
		store.Agent{ID: "802", Name: "Anna " + xssPayload, User: "anna", Extension: "201", Enabled: true,
			Skills: []store.SkillLevel{{Skill: "billing", Level: 5}}},
		store.Queue{Name: "sales", Number: "600", Strategy: store.StrategyRingAll, Members: []store.QueueMember{{Agent: "802", Level: 1, Weight: 1}}},
		store.Line{ID: "line1", Name: "Line " + xssPayload, Type: store.LineFXO, Device: "sim:1", Route: "queue:sales", Enabled: true},
		store.Trunk{Name: "carrier", Host: "sip.example.net", Transport: store.TransportUDP, Username: "u" + xssPayload, Enabled: false},
		store.Hours{Name: "office", Weekly: []store.WeeklyRange{{Day: time.Monday, Start: "09:00", End: "18:00"}},
			Holidays: []store.Holiday{{Name: "New year " + xssPayload, From: "01-01"}}},
		store.Flow{ID: "main", Name: "Main " + xssPayload, Version: 1, Doc: flow, UpdatedAt: now},
		store.Customer{ID: "c1", Name: "Li " + xssPayload, Company: "Acme " + xssPayload, Email: "li@example.com", Notes: "Notes " + xssPayload,
			Numbers: []string{"+8613800138000"}, CreatedAt: now, UpdatedAt: now},
		store.Contact{ID: "k1", Number: "+8613800138000", CustomerID: "c1", Channel: store.ChannelCall, Direction: store.DirectionIn,
			At: now.Add(-time.Hour), Agent: "802", Summary: "Wrap-up note " + xssPayload},
		store.CDR{ID: "cdr1", Caller: "13800138000", CallerName: "Caller " + xssPayload, Callee: "600", Start: now.Add(-time.Hour),
			Answer: now.Add(-time.Hour + 5*time.Second), End: now.Add(-time.Hour + time.Minute), Queue: "sales", Agent: "802",
			Direction: store.Direction("in"), Disposition: store.Disposition("answered")},
		store.Message{ID: "m1", Channel: store.ChannelSMS, Direction: store.DirectionIn, Number: "+8613800138000",
			Text: "SMS " + xssPayload, State: store.MessageState("received"), CreatedAt: now},
		// The thread of that SMS, waiting in the agent's queue.
		store.Conversation{Thread: "+8613800138000", Queue: "sales", UpdatedAt: now},
		store.AgentEvent{ID: store.NewID(now.Add(-30 * time.Minute)), At: now.Add(-30 * time.Minute), Agent: "802", From: "available", To: "paused",
			Reason: "break " + xssPayload},
		store.Script{Queue: "sales", Title: "Script " + xssPayload, Start: "q1", Nodes: []store.ScriptNode{{ID: "q1", Type: "text", Text: "Say " + xssPayload}}},
		store.Followup{ID: store.NewID(now), Agent: "802", Number: "+8613800138000", CustomerID: "c1", Name: "Ask for " + xssPayload,
			Reason: "Call back " + xssPayload, Due: now.Add(-time.Minute), Source: store.FollowupFromAPI, State: store.FollowupOpen,
			Note: "Note " + xssPayload, CreatedAt: now, UpdatedAt: now},
		store.WrapUp{Code: "sale", LabelEN: "Sale " + xssPayload, LabelZH: "成交 " + xssPayload},
		store.Audit{ID: now.UTC().Format("20060102T150405.000000Z") + "-000000000000", At: now, User: "admin", Action: "update",
			Of: store.KindSkill, Name: "billing", Detail: "description: " + xssPayload},
	)
	stored := 0
	for _, r := range recs {
		if _, err := store.Put(st, r); err != nil {
			t.Logf("the store refuses %s %q with markup: %v", r.Kind(), r.Key(), err)
			continue
		}
		stored++
	}
	if stored < len(recs)*3/4 {
		t.Fatalf("only %d of %d records stored", stored, len(recs))
	}
	return secret
}

// dialogs records JavaScript dialogs a page opens (the payload's alert)
// and dismisses them so that the page goes on.
type dialogs struct {
	mu     sync.Mutex
	opened []string
}

func (d *dialogs) watch(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			d.mu.Lock()
			d.opened = append(d.opened, e.Message)
			d.mu.Unlock()
			// A listener must not send commands itself.
			go func() { _, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{}) }()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (d *dialogs) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.opened
	d.opened = nil
	return out
}

func TestUI_StoredMarkupNeverBecomesAnElementOnAnyPage(t *testing.T) {
	needBinary(t)
	needChromium(t)
	data := shortDir(t)
	secret := xssSeed(t, data)
	b := startBox(t, data)
	base := "http://" + b.web
	br := newBrowser(t)
	// Escaping is the templates' and the scripts', the same in both
	// languages: the tour runs in English only, to stay short.
	pages, shown := 0, []string(nil)
	check := func(ctx context.Context, d *dialogs, who, path string) {
		t.Helper()
		seen := js[struct {
			Bad   []string
			Shown bool
		}](t, ctx, `({Bad: [...document.querySelectorAll('img[src="x"], [onerror]')].map(e => e.outerHTML.slice(0, 120)),
			Shown: (document.querySelector("main") || document.body).innerText.includes(`+quote(xssPayload)+`)})`)
		for _, e := range seen.Bad {
			t.Errorf("%s (%s): stored markup became an element: %s", path, who, e)
		}
		for _, m := range d.take() {
			t.Errorf("%s (%s): a dialog opened: %q", path, who, m)
		}
		if seen.Shown {
			shown = append(shown, path)
		}
		pages++
	}
	var agent context.Context
	var agentDialogs *dialogs
	for _, who := range []string{"admin", "boss", "anna"} {
		ctx := br.person(t)
		d := &dialogs{}
		d.watch(t, ctx)
		logIn(t, ctx, base, who, "/")
		// Two pages below each menu page (forms, the provisioning
		// sheet, the console's parts).
		visited := tour(t, ctx, base, 2, func(p tourPage) { check(ctx, d, who, p.path) })
		t.Logf("%s: %s", who, strings.Join(visited, " "))
		if who == "anna" {
			agent, agentDialogs = ctx, d
		}
	}
	// The console's parts its script fetches and inserts: the SMS
	// threads, the follow-up and callback lists.
	openPage(t, agent, base, "/agent/messages")
	check(agent, agentDialogs, "anna", "/agent/messages")
	for _, key := range js[[]string](t, agent, `[...new Set([...document.querySelectorAll("[data-conv]")].map(e => e.dataset.conv))]`) {
		p := "/agent/messages/" + url.PathEscape(key)
		openPage(t, agent, base, p)
		check(agent, agentDialogs, "anna", p)
	}
	for _, p := range []string{"/agent/followups", "/agent/callbacks"} {
		openPage(t, agent, base, p)
		check(agent, agentDialogs, "anna", p)
	}
	uiMarkupPop(t, agent, b, secret)
	check(agent, agentDialogs, "anna", "/agent (pop)")
	// The payload must have been on the pages, as text, to prove anything
	// (not only in the header's site name).
	if len(shown) < 15 {
		t.Errorf("the stored markup showed as text on only %d of %d pages: %v", len(shown), pages, shown)
	}
	t.Logf("%d page views checked, %d showing the markup as text: %s", pages, len(shown), strings.Join(shown, " "))
	loginGuesserIsSlowed(t, base)
}

// uiMarkupPop rings the agent's console with a call from the customer
// whose fields carry the payload, so that the pop (drawn by the
// console's script) shows them, and waits for it.
func uiMarkupPop(t *testing.T, ctx context.Context, b *box, secret string) {
	t.Helper()
	sippBin, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatalf("sipp is required (CALLBOX_REQUIRE_E2E=1): %v", err)
		}
		t.Log("sipp not installed: the pop is not checked")
		return
	}
	act(t, ctx, "console", chromedp.Navigate("http://"+b.web+"/agent"))
	until(t, ctx, "console live", `document.querySelector("#stream.live") !== null`)
	act(t, ctx, "log in to the desk", chromedp.Click(`#login-form button`, chromedp.NodeVisible))
	until(t, ctx, "ready", textIs("#state", i18n.T(i18n.EN, "agentui.state.available")))
	media, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	port := freeUDP(t)
	runSIPp(t, sippBin, "register.xml", port, b.sip, "-s", "201", "-au", "201", "-ap", secret).check(t, "register the desk")
	desk := runSIPp(t, sippBin, "answer-uas.xml", port, "", "-s", "201", "-key", "mport", itoa(media.LocalAddr().(*net.UDPAddr).Port))
	desk.waitBound(t, "127.0.0.1", port)
	caller := runSIPp(t, sippBin, "pstn-call.xml", freeUDP(t), "127.0.0.1:"+itoa(b.simBase),
		"-s", "80081", "-key", "callerid", "13800138000", "-key", "callername", "Caller")
	until(t, ctx, "the pop", `((document.querySelector(".popcard .caller-name") || {}).textContent || "").includes(`+quote(xssPayload)+`)`)
	caller.check(t, "the caller")
	desk.check(t, "the desk")
}

// loginGuesserIsSlowed tries wrong passwords against the running box
// until it answers 429, then checks the right password is refused too
// while the lock lasts. It locks the test's address: run it last.
func loginGuesserIsSlowed(t *testing.T, base string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	try := func(pw string) *http.Response {
		t.Helper()
		res, err := client.Get(base + "/login")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := token.FindSubmatch(body)
		if m == nil {
			t.Fatalf("no CSRF token on the login page (HTTP %d)", res.StatusCode)
		}
		res, err = client.PostForm(base+"/login", url.Values{"csrf": {string(m[1])}, "name": {"admin"}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for i := range 20 {
		res := try(fmt.Sprintf("Wrong-Guess-%02d", i))
		switch res.StatusCode {
		case http.StatusUnauthorized:
			continue
		case http.StatusTooManyRequests:
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			if r := try(uiPassword); r.StatusCode != http.StatusTooManyRequests {
				t.Errorf("the right password during the lock: HTTP %d, want 429", r.StatusCode)
			}
			t.Logf("locked after %d wrong passwords", i)
			return
		default:
			t.Fatalf("wrong password %d: HTTP %d", i, res.StatusCode)
		}
	}
	t.Fatal("20 wrong passwords in a row were never slowed")
}
