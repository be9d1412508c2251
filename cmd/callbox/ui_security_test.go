package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

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
		store.AgentEvent{ID: store.NewID(now.Add(-30 * time.Minute)), At: now.Add(-30 * time.Minute), Agent: "802", From: "available", To: "paused",
			Reason: "break " + xssPayload},
		store.Script{Queue: "sales", Title: "Script " + xssPayload, Start: "q1", Nodes: []store.ScriptNode{{ID: "q1", Type: "text", Text: "Say " + xssPayload}}},
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
	xssSeed(t, data)
	b := startBox(t, data)
	base := "http://" + b.web
	br := newBrowser(t)
	// Escaping is the templates' and the scripts', the same in both
	// languages: the tour runs in English only, to stay short.
	pages, shown := 0, []string(nil)
	for _, who := range []string{"admin", "boss", "anna"} {
		ctx := br.person(t)
		var d dialogs
		d.watch(t, ctx)
		logIn(t, ctx, base, who, "/")
		// The admin's pages include two below each list (forms, the
		// provisioning sheet); the others see only menu pages.
		deep := 0
		if who == "admin" {
			deep = 2
		}
		visited := tour(t, ctx, base, deep, func(p tourPage) {
			seen := js[struct {
				Bad   []string
				Shown bool
			}](t, ctx, `({Bad: [...document.querySelectorAll('img[src="x"], [onerror]')].map(e => e.outerHTML.slice(0, 120)),
				Shown: (document.querySelector("main") || document.body).innerText.includes(`+quote(xssPayload)+`)})`)
			for _, e := range seen.Bad {
				t.Errorf("%s (%s): stored markup became an element: %s", p.path, who, e)
			}
			for _, m := range d.take() {
				t.Errorf("%s (%s): a dialog opened: %q", p.path, who, m)
			}
			if seen.Shown {
				shown = append(shown, p.path)
			}
			pages++
		})
		t.Logf("%s: %s", who, strings.Join(visited, " "))
	}
	// The payload must have been on the pages, as text, to prove anything
	// (not only in the header's site name).
	if len(shown) < 15 {
		t.Errorf("the stored markup showed as text on only %d of %d pages: %v", len(shown), pages, shown)
	}
	t.Logf("%d page views checked, %d showing the markup as text: %s", pages, len(shown), strings.Join(shown, " "))
	loginGuesserIsSlowed(t, base)
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
