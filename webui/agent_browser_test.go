package webui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/acd"
	"callbox/acd/servicelevel"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// waitJS waits until the JavaScript expression is true in the page.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
		t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, got)
	}
}

// jsText is an expression for the trimmed text of the first element sel
// finds ("" when none).
func jsText(sel string) string {
	q, _ := json.Marshal(sel)
	return `((document.querySelector(` + string(q) + `) || {}).textContent || "").trim()`
}

func jsEq(sel, want string) string { return jsText(sel) + " === " + strconv.Quote(want) }

// browserLogin logs in through the login page and opens path.
func browserLogin(t *testing.T, ctx context.Context, base, name, path string) {
	t.Helper()
	step(t, ctx, "open login", chromedp.Navigate(base+"/login?next="+path))
	step(t, ctx, "fill login",
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
	)
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)
	waitJS(t, ctx, "page "+path, `location.pathname === `+strconv.Quote(path))
}

func TestBrowser_AgentConsolePopsTheCallersRecordOnRing(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	cf := newConsoleFixture(t)
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Company: "<b>Acme</b> Trading", Email: "lilei@example.com",
		Notes: "Prefers Mandarin; ordered twice", Numbers: []string{"+8613812345678"}, VIP: true})
	put(t, cf.st, store.Contact{ID: "k1", Number: "+8613812345678", CustomerID: "c1", Channel: store.ChannelCall,
		Direction: store.DirectionIn, At: time.Now().Add(-48 * time.Hour), Agent: "102", Summary: "Asked about delivery"})
	put(t, cf.st, store.Script{Queue: "sales", Title: "Sales", Start: "q1", Nodes: []store.ScriptNode{
		{ID: "q1", Type: "choice", Text: "Greet the caller by name and ask for the order number.",
			Choices: []store.ScriptNodeChoice{{Value: "y", Label: "Has the number", Next: "q2"}, {Value: "n", Label: "No number", Next: "q2"}}},
		{ID: "q2", Type: "text", Text: "Confirm the delivery address."},
	}})

	browserLogin(t, ctx, cf.base, "li", "/agent")
	waitJS(t, ctx, "stream live", `document.querySelector("#stream.live") !== null`)
	waitJS(t, ctx, "logged-out state", jsEq("#state", i18n.T(i18n.EN, "agentui.state.loggedout")))

	// Log in to the extension from the console: the real dispatcher moves
	// the agent to ready and the page shows it.
	step(t, ctx, "log in to 201", chromedp.Click(`#login-form button`, chromedp.NodeVisible))
	waitJS(t, ctx, "ready state", jsEq("#state", i18n.T(i18n.EN, "agentui.state.available")))
	if a, _ := cf.acd.Dispatcher().Agent("101"); a.State != "available" || a.Extension != "201" {
		t.Fatalf("dispatcher has agent 101 %s on %q", a.State, a.Extension)
	}
	shot(t, ctx, dir, "agent-en-ready")

	// The queue offers a call: the pop shows the right customer, the
	// contact history, the IVR path and digits, and the script.
	cf.offer("call-1", "013812345678")
	waitJS(t, ctx, "pop", jsEq(".popcard .caller-name", "Li Lei"))
	waitJS(t, ctx, "ringing look", `document.querySelector("section.call.ringing") !== null && !document.querySelector("#btn-hangup").disabled`)
	for sel, want := range map[string]string{
		".popcard .company":                 "<b>Acme</b> Trading",
		".popcard .caller-num":              "+8613812345678",
		"table.history tbody td:last-child": "Asked about delivery",
		"ol.path li:nth-child(2)":           "menu:1",
		"ol.script li p":                    "Greet the caller by name and ask for the order number.",
		"#call-id":                          "call-1",
	} {
		if got := text(t, ctx, chromedp.CSS(sel)); got != want {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	waitJS(t, ctx, "wrap-up enabled", `!document.querySelector("#wrap-form button").disabled`)

	// The agent walks the script: the answer is saved with the call and
	// the next step comes up.
	waitJS(t, ctx, "script at its start", `document.querySelector('ol.script li[data-node="q1"].current') !== null`)
	step(t, ctx, "answer q1", chromedp.Click(`ol.script li[data-node="q1"] button[data-value="y"]`, chromedp.NodeVisible))
	waitJS(t, ctx, "script at q2", `document.querySelector('ol.script li[data-node="q2"].current') !== null`)
	if got := text(t, ctx, `ol.script li[data-node="q1"] .given`); got != "→ Has the number" {
		t.Errorf("given answer shows %q", got)
	}
	if a, err := store.Get[store.ScriptAnswers](cf.st, "call-1"); err != nil || len(a.Answers) != 1 || a.Answers[0].Value != "y" {
		t.Errorf("saved answers %+v, %v", a, err)
	}
	shot(t, ctx, dir, "agent-en-pop")

	// The same in Chinese: switch, then a second call rings.
	submit(t, ctx, "switch to zh", `form.langs button[value="zh"]`)
	waitJS(t, ctx, "zh ready", jsEq("#state", i18n.T(i18n.ZH, "agentui.state.available")))
	waitJS(t, ctx, "stream live", `document.querySelector("#stream.live") !== null`)
	cf.offer("call-2", "013812345678")
	waitJS(t, ctx, "zh pop", jsEq(".popcard .caller-name", "Li Lei"))
	if got := text(t, ctx, "#call-h"); got != i18n.T(i18n.ZH, "agentui.call") {
		t.Errorf("heading in zh: %q", got)
	}
	shot(t, ctx, dir, "agent-zh-pop")

	// Saving the wrap-up goes through the API with the CSRF token.
	step(t, ctx, "wrap-up",
		chromedp.SendKeys(chromedp.ID("wrap-code"), "sale"),
		chromedp.SendKeys(chromedp.ID("wrap-notes"), "Ordered 3 boxes"),
		chromedp.Click(`#wrap-form button`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "wrap saved", jsEq("#msg", i18n.T(i18n.ZH, "agentui.wrap.saved")))
}

func TestBrowser_WallboardFollowsQueueEvents(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	cf := newConsoleFixture(t)
	if err := cf.acd.Dispatcher().Login("101", "201"); err != nil {
		t.Fatal(err)
	}

	browserLogin(t, ctx, cf.base, "boss", "/wallboard")
	waitJS(t, ctx, "stream live", `document.querySelector("#stream.live") !== null`)
	waitJS(t, ctx, "sales card", jsEq(`.qcard[data-queue="sales"] [data-f="waiting"]`, "0"))
	waitJS(t, ctx, "agent row", jsEq(`tr[data-agent="101"] .state-badge`, i18n.T(i18n.EN, "agentui.state.available")))
	if got := text(t, ctx, `.qcard[data-queue="sales"] [data-f="sl"]`); got != "80%" {
		t.Errorf("service level %q, want 80%%", got)
	}

	// A caller joins the queue: the figures the box reports change, the
	// event arrives on the stream, and the board shows it without reload.
	vip := servicelevel.Snapshot{Queue: "vip", LoggedIn: 1, Available: 0,
		Day: servicelevel.Interval{Queue: "vip", Offered: 4, Answered: 4, AnsweredInSL: 4}}
	cf.acd.set(servicelevel.Snapshot{Queue: "sales", Waiting: 1, OldestWait: 65 * time.Second, LoggedIn: 1, Available: 1,
		Day: servicelevel.Interval{Queue: "sales", Offered: 10, Answered: 9, AnsweredInSL: 8, Abandoned: 1}}, vip)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	cf.bus.Publish(acd.QueueJoined{Queue: "sales", CallID: "call-9", Caller: acd.Party{Number: "13800000000"}, Position: 1})
	waitJS(t, ctx, "one waiting", jsEq(`.qcard[data-queue="sales"] [data-f="waiting"]`, "1"))
	waitJS(t, ctx, "longest wait", jsText(`.qcard[data-queue="sales"] [data-f="oldest"]`)+` >= "1:05"`)

	// An agent pauses: the row changes on the agent.state event.
	if err := cf.acd.Pause(context.Background(), "101", "lunch"); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "paused", jsEq(`tr[data-agent="101"] .state-badge`, i18n.T(i18n.EN, "agentui.state.paused")+" · "+i18n.T(i18n.EN, "agentui.reason.lunch")))
	waitJS(t, ctx, "no reload", `window.notReloaded === true`)
	shot(t, ctx, dir, "wallboard-en")

	submit(t, ctx, "switch to zh", `form.langs button[value="zh"]`)
	waitJS(t, ctx, "zh board", jsEq(`tr[data-agent="101"] .state-badge`, i18n.T(i18n.ZH, "agentui.state.paused")+" · "+i18n.T(i18n.ZH, "agentui.reason.lunch")))
	waitJS(t, ctx, "zh figures", jsEq(`.qcard[data-queue="sales"] [data-f="waiting"]`, "1"))

	// The queue side's own figures arrive as queue.stats and show as they come.
	vip.Waiting, vip.OldestWait = 3, 20*time.Second
	cf.acd.set(servicelevel.Snapshot{Queue: "sales", Waiting: 1, OldestWait: 65 * time.Second, LoggedIn: 1, Available: 1,
		Day: servicelevel.Interval{Queue: "sales", Offered: 10, Answered: 9, AnsweredInSL: 8, Abandoned: 1}}, vip)
	cf.bus.Publish(acd.QueueStats{Queue: "vip", Waiting: 3, OldestWait: 20 * time.Second, LoggedIn: 1, Offered: 4, Answered: 4, ServiceLevel: 100})
	waitJS(t, ctx, "vip stats", jsEq(`.qcard[data-queue="vip"] [data-f="waiting"]`, "3"))
	shot(t, ctx, dir, "wallboard-zh")
}

// streamCutter sits in front of the server and ends the first event
// stream when told, as a dropped connection or a proxy's timeout would;
// it records the Last-Event-ID each stream request carried.
type streamCutter struct {
	mu  sync.Mutex
	ids []string
	cut chan struct{}
}

func (c *streamCutter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/events" {
			c.mu.Lock()
			c.ids = append(c.ids, r.Header.Get("Last-Event-ID"))
			first := len(c.ids) == 1
			c.mu.Unlock()
			if first {
				// The stream ends when the test cuts it; the watcher
				// goroutine ends with the request either way.
				ctx, cancel := context.WithCancel(r.Context())
				done := make(chan struct{})
				var wg sync.WaitGroup
				wg.Go(func() {
					select {
					case <-c.cut:
						cancel()
					case <-done:
					}
				})
				defer func() { close(done); wg.Wait(); cancel() }()
				r = r.WithContext(ctx)
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (c *streamCutter) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ids...)
}

func TestBrowser_AgentConsoleReconnectsWithTheLastEventIDAndGetsTheMissedPop(t *testing.T) {
	cf := newConsoleFixture(t)
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	cutter := &streamCutter{cut: make(chan struct{})}
	ts := httptest.NewServer(cutter.wrap(cf.srv.Handler()))
	// Close waits for the requests in flight: the browser's event stream
	// ends when the browser does, so the server closes after it (cleanups
	// run last-registered first) and cuts what is left.
	t.Cleanup(func() { ts.CloseClientConnections(); ts.Close() })
	ctx := newChromium(t)

	browserLogin(t, ctx, ts.URL, "li", "/agent")
	waitJS(t, ctx, "stream live", `document.querySelector("#stream.live") !== null`)
	step(t, ctx, "log in to 201", chromedp.Click(`#login-form button`, chromedp.NodeVisible))
	waitJS(t, ctx, "ready", jsEq("#state", i18n.T(i18n.EN, "agentui.state.available")))

	// The stream drops; while the console is away the call is offered.
	close(cutter.cut)
	waitJS(t, ctx, "stream lost", `document.querySelector("#stream.lost") !== null`)
	cf.offer("call-r", "013812345678")
	waitJS(t, ctx, "missed pop", jsEq(".popcard .caller-name", "Li Lei"))
	waitJS(t, ctx, "stream live again", `document.querySelector("#stream.live") !== null`)
	ids := cutter.requests()
	if len(ids) < 2 || ids[0] != "" || ids[1] == "" {
		t.Fatalf("Last-Event-ID of the stream requests: %q, want none and then the last seen", ids)
	}
	if _, err := ParseEventID(ids[1]); err != nil {
		t.Fatalf("reconnected with %q: %v", ids[1], err)
	}
}
