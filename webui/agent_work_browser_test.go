package webui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/acd"
	"callbox/acd/followup"
	"callbox/acd/messaging"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// fitsTheScreen fails the test when the console scrolls sideways at
// 1366x768 (the smallest screen it must suit).
func fitsTheScreen(t *testing.T, ctx context.Context) {
	t.Helper()
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil || !wide {
		w, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
		t.Errorf("the console is %v px wide in a 1366 px window (%v)", w, err)
	}
}

func TestBrowser_AgentCallsAFollowUpRecordsTheOutcomeAndSeesItInTheHistory(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	cf := newConsoleFixture(t)
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Company: "Acme Trading", Numbers: []string{"+8613812345678"}})
	put(t, cf.st, store.Contact{ID: "k1", Number: "+8613812345678", CustomerID: "c1", Channel: store.ChannelCall,
		Direction: store.DirectionIn, At: time.Now().Add(-48 * time.Hour), Agent: "102", Summary: "Asked about delivery"})
	book := followup.New(cf.st)
	later, err := book.Create(context.Background(), store.Followup{Agent: "101", Number: "+8613900000000", Reason: "Send the catalogue",
		Due: time.Now().Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	task, err := book.Create(context.Background(), store.Followup{Agent: "101", Number: "+8613812345678", CustomerID: "c1",
		Reason: "Confirm the delivery date", Due: time.Now().Add(-10 * time.Minute), Priority: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Tom's task is not on Li's list.
	if _, err := book.Create(context.Background(), store.Followup{Agent: "102", Number: "+8613700000000", Reason: "Tom's",
		Due: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}

	browserLogin(t, ctx, cf.base, "li", "/agent")
	waitJS(t, ctx, "stream live", `document.querySelector("#stream.live") !== null`)
	waitJS(t, ctx, "task count on the tab", jsEq("#fu-count", "2"))
	step(t, ctx, "open the follow-ups", chromedp.Click(`#tab-fu`, chromedp.NodeVisible))
	waitJS(t, ctx, "the list in work order", `[...document.querySelectorAll("#fu-list [data-fu]")].map(b => b.dataset.fu).join(",") === `+
		strconv.Quote(task.ID+","+later.ID))

	// Next opens the task that is due, with the customer's record and
	// history drawn like a screen pop.
	step(t, ctx, "next task", chromedp.Click(`#fu-list [data-fu-next]`, chromedp.NodeVisible))
	waitJS(t, ctx, "task card", jsEq("#fu-detail .fu-reason", "Confirm the delivery date"))
	for sel, want := range map[string]string{
		"#fu-detail .caller-name":                           "Li Lei",
		"#fu-detail .company":                               "Acme Trading",
		"#fu-detail table.history tbody td:last-child":      "Asked about delivery",
		`#fu-detail .fu-state`:                              i18n.T(i18n.EN, "followup.state.open"),
		`#fu-list [data-fu="` + task.ID + `"].open .fu-why`: "Confirm the delivery date",
	} {
		if got := text(t, ctx, chromedp.CSS(sel)); got != want {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	shot(t, ctx, dir, "agent-en-followup")
	fitsTheScreen(t, ctx)

	// Call: the click-to-dial rings Li's extension, then the customer's
	// stored E.164 number (the dialplan maps it for the site's routes).
	step(t, ctx, "call", chromedp.Click(`#fu-detail [data-fu-call]`, chromedp.NodeVisible))
	waitJS(t, ctx, "dialling said", jsEq("#msg", strings.Replace(i18n.T(i18n.EN, "consoleui.fu.dialing"), "%s", "+8613812345678", 1)))
	waitJS(t, ctx, "dialling state", jsEq("#fu-detail .fu-state", i18n.T(i18n.EN, "followup.state.dialing")))
	if got := cf.ctl.list(); !slices.Contains(got, "originate 201 +8613812345678") {
		t.Fatalf("dial requests %q", got)
	}

	// Reached, with a note: the task is done and the history says so.
	step(t, ctx, "outcome",
		chromedp.Click(`#fu-detail input[name="outcome"][value="reached"]`, chromedp.NodeVisible),
		chromedp.SendKeys(`#fu-detail input[name="note"]`, "Delivery on Friday <morning>", chromedp.NodeVisible),
		chromedp.Click(`#fu-detail form[data-fu-outcome] button[type="submit"]`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "done", jsEq("#fu-detail .fu-state", i18n.T(i18n.EN, "followup.state.done")))
	waitJS(t, ctx, "history has the outcome", jsText("#fu-detail table.history tbody tr:first-child td:last-child")+
		` === `+strconv.Quote("Follow-up “Confirm the delivery date”: Reached.\nDelivery on Friday <morning>"))
	waitJS(t, ctx, "list without the done task", jsEq("#fu-count", "1"))
	waitJS(t, ctx, "no more actions on a done task", `document.querySelector("#fu-detail [data-fu-call]") === null`)
	if f, _ := book.Get(context.Background(), task.ID); f.State != store.FollowupDone || f.Attempts != 1 || f.LastCall != "call-new" {
		t.Fatalf("stored task %+v", f)
	}
	shot(t, ctx, dir, "agent-en-followup-done")

	// The wrap-up of a call adds a follow-up for its caller.
	cf.offer("call-9", "013812345678")
	waitJS(t, ctx, "back on the call tab", `!document.querySelector("#panel-call").hidden`)
	waitJS(t, ctx, "pop", jsEq("#pop .popcard .caller-name", "Li Lei"))
	waitJS(t, ctx, "wrap-up enabled", `!document.querySelector("#wrap-form button").disabled`)
	step(t, ctx, "wrap-up with a follow-up",
		chromedp.SendKeys(chromedp.ID("wrap-code"), "callback"),
		chromedp.Click(chromedp.ID("wrap-fu"), chromedp.NodeVisible),
		chromedp.SetValue(chromedp.ID("wrap-fu-due"), time.Now().Add(24*time.Hour).Format("2006-01-02T15:04")),
		chromedp.SendKeys(chromedp.ID("wrap-fu-reason"), "Check the refund arrived"),
		chromedp.Click(`#wrap-form button`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "follow-up added", jsEq("#msg", strings.Replace(i18n.T(i18n.EN, "consoleui.fu.created"), "%s", "+8613812345678", 1)))
	fs, err := book.List(context.Background(), followup.Filter{Agent: "101", States: []store.FollowupState{store.FollowupOpen}})
	if err != nil || len(fs) != 2 {
		t.Fatalf("open tasks %+v %v", fs, err)
	}
	var made store.Followup
	for _, f := range fs {
		if f.Source == store.FollowupFromWrapUp {
			made = f
		}
	}
	if made.Reason != "Check the refund arrived" || made.CallID != "call-9" || made.CustomerID != "c1" || made.CreatedBy != "li" {
		t.Fatalf("task from the wrap-up %+v", made)
	}

	// The same panel in Chinese.
	submit(t, ctx, "switch to zh", `form.langs button[value="zh"]`)
	waitJS(t, ctx, "zh tab", jsText("#tab-fu")+` .startsWith(`+strconv.Quote(i18n.T(i18n.ZH, "consoleui.fu"))+`)`)
	step(t, ctx, "open the follow-ups in zh", chromedp.Click(`#tab-fu`, chromedp.NodeVisible))
	waitJS(t, ctx, "zh list", `document.querySelectorAll("#fu-list [data-fu]").length === 2`)
	step(t, ctx, "open the first", chromedp.Click(`#fu-list [data-fu]`, chromedp.NodeVisible))
	waitJS(t, ctx, "zh card", jsEq("#fu-detail .fu-state", i18n.T(i18n.ZH, "followup.state.open")))
	shot(t, ctx, dir, "agent-zh-followup")
	fitsTheScreen(t, ctx)
}

func TestBrowser_AgentClaimsRepliesToAndClosesAnSMSConversation(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	cf := newConsoleFixture(t)
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	put(t, cf.st, store.Line{ID: "gsm1", Type: store.LineGSM, Device: "sim:1", Route: "sales", Enabled: true})
	inbound := func(text string) store.Message {
		now := time.Now()
		m := store.Message{ID: store.NewID(now), Channel: store.ChannelSMS, Direction: store.DirectionIn, Number: "+8613812345678",
			Line: "gsm1", Text: text, State: store.StateReceived, CreatedAt: now.Truncate(time.Second), UpdatedAt: now}
		put(t, cf.st, m)
		return m
	}
	inbound("Where is my parcel? <b>today</b>")
	key := messaging.Key(cf.srv.plan(), "+8613812345678")

	browserLogin(t, ctx, cf.base, "li", "/agent")
	waitJS(t, ctx, "stream live", `document.querySelector("#stream.live") !== null`)
	step(t, ctx, "open messages", chromedp.Click(`#tab-msg`, chromedp.NodeVisible))
	waitJS(t, ctx, "unclaimed conversation", `document.querySelector('#msg-list .unclaimed [data-conv="`+key+`"]') !== null`)
	step(t, ctx, "open it", chromedp.Click(`#msg-list [data-conv="`+key+`"]`, chromedp.NodeVisible))
	waitJS(t, ctx, "thread", jsEq("#msg-thread .bubble.in p", "Where is my parcel? <b>today</b>"))
	if got := text(t, ctx, "#msg-thread .caller-name"); got != "Li Lei" {
		t.Errorf("thread names %q", got)
	}

	step(t, ctx, "claim", chromedp.Click(`#msg-thread [data-conv-claim]`, chromedp.NodeVisible))
	waitJS(t, ctx, "reply box", `document.querySelector("#msg-thread form[data-conv-reply]") !== null`)
	waitJS(t, ctx, "in my list", `document.querySelector('#msg-list .mine [data-conv="`+key+`"]') !== null`)
	step(t, ctx, "reply",
		chromedp.SendKeys(`#reply-text`, "It arrives on Friday.", chromedp.NodeVisible),
		chromedp.Click(`#msg-thread form[data-conv-reply] button`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "reply shown", jsEq("#msg-thread .bubble.out p", "It arrives on Friday."))
	msgs, err := messaging.ConversationMessages(cf.st, key)
	if err != nil || len(msgs) != 2 || msgs[1].Direction != store.DirectionOut || msgs[1].Text != "It arrives on Friday." || msgs[1].State != store.StateQueued {
		t.Fatalf("conversation in the store %+v %v", msgs, err)
	}

	// The customer answers: the event stream brings it into the open thread.
	m := inbound("Thanks!")
	cf.bus.Publish(acd.MessageReceived{ID: m.ID, Channel: acd.MessageSMS, From: m.Number, To: "gsm1", Text: m.Text,
		Conversation: key, Queue: "sales", Agent: "101", CustomerID: "c1"})
	waitJS(t, ctx, "live update", jsEq("#msg-thread .bubble.in:last-child p", "Thanks!"))
	shot(t, ctx, dir, "agent-en-messages")
	fitsTheScreen(t, ctx)

	step(t, ctx, "close", chromedp.Click(`#msg-thread [data-conv-close]`, chromedp.NodeVisible))
	waitJS(t, ctx, "closed", jsEq("#msg", i18n.T(i18n.EN, "consoleui.msg.closed")))
	waitJS(t, ctx, "gone from the list", `document.querySelector('#msg-list [data-conv="`+key+`"]') === null`)
	if c, err := messaging.Get(cf.st, key); err != nil || !c.Closed {
		t.Fatalf("conversation after close %+v %v", c, err)
	}
}

func TestBrowser_SupervisorChecksAndImportsAFollowUpFile(t *testing.T) {
	ctx := newChromium(t)
	cf := newConsoleFixture(t)
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	files := t.TempDir()
	bad := filepath.Join(files, "bad.csv")
	good := filepath.Join(files, "good.csv")
	rows := "agent,number,reason,due,priority\n101,13812345678,Renewal offer,2026-12-01 14:30,5\n102,13900000000,Survey,2026-12-02,\n"
	if err := os.WriteFile(bad, []byte(rows+"999,n/a,,soon,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}

	browserLogin(t, ctx, cf.base, "boss", "/agent")
	step(t, ctx, "open the follow-ups", chromedp.Click(`#tab-fu`, chromedp.NodeVisible))
	step(t, ctx, "open the import", chromedp.Click(`.fu-import summary`, chromedp.NodeVisible))
	step(t, ctx, "check a bad file",
		chromedp.SetUploadFiles(`#fu-file`, []string{bad}),
		chromedp.Click(`#fu-check`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "problems listed", jsEq("#fu-import-result", i18n.T(i18n.EN, "consoleui.imp.bad"))+
		` && document.querySelectorAll("#fu-import-problems li").length === 4`)
	if got := text(t, ctx, "#fu-import-problems li"); !strings.HasPrefix(got, "line 4, ") {
		t.Errorf("first problem %q", got)
	}
	waitJS(t, ctx, "import stays off", `document.querySelector("#fu-import").disabled`)
	if fs, _ := store.List[store.Followup](cf.st); len(fs) != 0 {
		t.Fatalf("checking a file wrote %d tasks", len(fs))
	}

	step(t, ctx, "check the good file",
		chromedp.SetUploadFiles(`#fu-file`, []string{good}),
		chromedp.Click(`#fu-check`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "ready", jsEq("#fu-import-result", strings.Replace(i18n.T(i18n.EN, "consoleui.imp.ready"), "%d", "2", 1)))
	step(t, ctx, "import", chromedp.Click(`#fu-import`, chromedp.NodeVisible))
	waitJS(t, ctx, "imported", jsEq("#fu-import-result", strings.Replace(i18n.T(i18n.EN, "consoleui.imp.done"), "%d", "2", 1)))
	fs, err := store.List[store.Followup](cf.st)
	if err != nil || len(fs) != 2 {
		t.Fatalf("imported %+v %v", fs, err)
	}
	for _, f := range fs {
		if f.Source != store.FollowupFromImport || f.CreatedBy != "boss" || (f.Agent == "101" && f.CustomerID != "c1") {
			t.Errorf("imported task %+v", f)
		}
	}

	// The retry rule: shown as stored (the default), changed, kept.
	step(t, ctx, "open the retry rule", chromedp.Click(`#fu-policy summary`, chromedp.NodeVisible))
	waitJS(t, ctx, "default rule", `document.querySelector("#pol-minutes").value === "30, 120"`)
	step(t, ctx, "change the rule",
		chromedp.SetValue(`#pol-max`, "5", chromedp.NodeVisible),
		chromedp.SetValue(`#pol-minutes`, "15, 60", chromedp.NodeVisible),
		chromedp.Click(`#fu-policy-form button`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "rule saved", jsEq("#msg", i18n.T(i18n.EN, "consoleui.pol.saved")))
	if p, err := store.GetFollowupPolicy(cf.st); err != nil || p.MaxAttempts != 5 || !slices.Equal(p.RetryMinutes, []int{15, 60}) {
		t.Fatalf("stored rule %+v %v", p, err)
	}
}
