package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// waitCall waits until the hub knows call id (its bus is asynchronous).
func waitCall(t *testing.T, h *cti.Hub, id string) {
	t.Helper()
	for i := 0; ; i++ {
		if _, ok := h.Call(id); ok {
			return
		}
		if i > 2000 {
			t.Fatalf("the hub never saw call %s", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCTITransfer_NoteIsCheckedByFieldAndKeptForTheTarget(t *testing.T) {
	cf := newCTIFixture(t)
	put(t, cf.st, store.Queue{Name: "support", Strategy: store.StrategyLongestIdle})
	cf.agentUser("bo", "12", "202")
	sup := cf.token(store.RoleSupervisor, "")
	bo := cf.token(store.RoleAgent, "bo")
	cf.bus.Publish(acd.CallRinging{Call: acd.CallRecord{ID: "call-1", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine},
		Direction: acd.DirectionIn, Queue: "sales", Data: map[string]string{"menu": "2"}}})
	waitCall(t, cf.hub, "call-1")

	long := strings.Repeat("长", cti.MaxNote+1)
	for _, c := range []struct {
		action string
		body   map[string]string
		field  string
		says   string
	}{
		{"transfer", map[string]string{"target": "203", "note": long}, "note", "500"},
		{"consult", map[string]string{"target": "203", "note": long}, "note", "500"},
		{"transfer", map[string]string{"target": "203", "note": "ring \a twice"}, "note", i18n.T(i18n.EN, "transferpop.err.note-text")},
		{"transfer", map[string]string{"target": "queue:nosuch"}, "target", "nosuch"},
		{"transfer", map[string]string{"target": "queue:"}, "target", ""},
	} {
		code, body := cf.callJSON(sup, http.MethodPost, "/api/v1/calls/call-1/"+c.action, c.body)
		if code != http.StatusBadRequest || !strings.Contains(body, `"`+c.field+`"`) || !strings.Contains(body, c.says) {
			t.Errorf("%s %v: %d %s, want 400 naming %s", c.action, c.body["target"], code, body, c.field)
		}
	}
	if n := cf.hub.Notes("call-1"); len(n) != 0 {
		t.Fatalf("refused requests left notes: %+v", n)
	}

	// The longest note is taken, kept on the call, and the transfer asked.
	note := strings.Repeat("长", cti.MaxNote)
	if code, body := cf.callJSON(sup, http.MethodPost, "/api/v1/calls/call-1/transfer", map[string]string{"target": "queue:support", "note": note}); code != http.StatusNoContent {
		t.Fatalf("transfer: %d %s", code, body)
	}
	if n := cf.hub.Notes("call-1"); len(n) != 1 || n[0].Text != note {
		t.Fatalf("notes %+v", n)
	}
	if got := cf.ctl.list(); len(got) != 1 || got[0] != "transfer call-1 queue:support" {
		t.Fatalf("control asked %q", got)
	}

	// The target agent rings: their own pop, their own call to act on.
	cf.bus.Publish(acd.AgentStateChanged{Agent: "12", From: acd.AgentLoggedOut, To: acd.AgentAvailable})
	cf.bus.Publish(acd.CallHandoff{Call: acd.CallRecord{ID: "call-1", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine}, Queue: "sales",
		Data: map[string]string{"menu": "2"}},
		Kind: acd.HandoffBlind, Stage: acd.HandoffRinging, From: acd.Party{Number: "201", Source: acd.SourceExtension, Via: "201"},
		Target: "202", Extension: "202"})
	var p cti.Pop
	for i := 0; ; i++ {
		code, body := cf.call(bo, http.MethodGet, "/api/v1/calls/call-1/pop", "", nil)
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			break
		}
		if i > 2000 {
			t.Fatalf("target's pop: %d %s", code, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p.Agent != "12" || p.Handoff == nil || p.Handoff.Kind != acd.HandoffBlind || len(p.Notes) != 1 || p.Data["menu"] != "2" {
		t.Fatalf("target's pop %+v", p)
	}
	if code, body := cf.call(bo, http.MethodPost, "/api/v1/calls/call-1/hold", "", nil); code != http.StatusNoContent {
		t.Fatalf("the target may act on the call: %d %s", code, body)
	}
}

// FuzzDecodeTargetNote: whatever the body, a target and note the decoder
// takes are ones the hub keeps (or a queue's name), and it never panics.
func FuzzDecodeTargetNote(f *testing.F) {
	for _, s := range []string{`{"target":"203","note":"wants a refund"}`, `{"target":"queue:support"}`, `{"target":"queue: x"}`,
		`{"target":"203","note":"\u0007"}`, `{"target":"203","note":7}`, `{"note":"x"}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, probs, err := decodeTarget(bytes.NewReader(data))
		if err != nil || len(probs) > 0 {
			return
		}
		if in.Note != "" {
			if _, err := cti.CheckNote(in.Note); err != nil || utf8.RuneCountInString(in.Note) > cti.MaxNote {
				t.Fatalf("note %q taken: %v", in.Note, err)
			}
		}
		if q, ok := strings.CutPrefix(in.Target, queueTarget); ok && (q == "" || strings.ContainsAny(q, " \t\n")) {
			t.Fatalf("queue target %q taken", in.Target)
		}
	})
}

// consultControl is the fixture's call control that also consults, and
// tells the bus each stage as the switch does: the target of queue:vip
// is agent 102 on extension 202.
type consultControl struct {
	*fakeControl
	cf *consoleFixture
}

func (c *consultControl) handoff(id, target string, stage acd.HandoffStage) {
	rec, _ := c.cf.hub.Call(id)
	h := acd.CallHandoff{Call: rec, Kind: acd.HandoffConsult, Stage: stage, Target: target, Extension: target,
		From: acd.Party{Number: "201", Name: "Li", Source: acd.SourceExtension, Via: "201"}}
	if target == "queue:vip" {
		h.Extension, h.Agent = "202", "102"
	}
	c.cf.bus.Publish(h)
}

func (c *consultControl) Consult(_ context.Context, id, target string) error {
	c.handoff(id, target, acd.HandoffRinging)
	c.handoff(id, target, acd.HandoffAnswered)
	return c.add("consult " + id + " " + target)
}

func (c *consultControl) CompleteConsult(_ context.Context, id string) error {
	c.handoff(id, "queue:vip", acd.HandoffCompleted)
	return c.add("complete " + id)
}

func (c *consultControl) CancelConsult(_ context.Context, id string) error {
	c.handoff(id, "queue:vip", acd.HandoffCancelled)
	return c.add("cancel " + id)
}

func TestBrowser_TransferTargetsConsoleShowsTheCustomerWhoHandedItOverAndTheNote(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	var ctl *consultControl
	cf := newConsoleFixtureWith(t, func(cf *consoleFixture) cti.Control {
		ctl = &consultControl{fakeControl: cf.ctl, cf: cf}
		return ctl
	})
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Company: "Acme Trading", Numbers: []string{"+8613812345678"}})

	// Tom (agent 102) has his console open in a browser of his own.
	tom, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first action opens the tab; like the browser's, it carries no timeout.
	if err := chromedp.Do(tom, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("open tom's tab: %v", err)
	}
	browserLogin(t, tom, cf.base, "tom", "/agent")
	waitJS(t, tom, "tom's stream", `document.querySelector("#stream.live") !== null`)
	step(t, tom, "tom logs in to 202", chromedp.Click(`#login-form button`, chromedp.NodeVisible))
	waitJS(t, tom, "tom ready", jsEq("#state", i18n.T(i18n.EN, "agentui.state.available")))

	// Li takes a customer's call from the queue.
	browserLogin(t, ctx, cf.base, "li", "/agent")
	waitJS(t, ctx, "li's stream", `document.querySelector("#stream.live") !== null`)
	cf.offer("call-1", "013812345678")
	waitJS(t, ctx, "li's pop", jsEq(".popcard .caller-name", "Li Lei"))
	waitJS(t, ctx, "queues offered", `document.querySelector('#xfer-queues option[value="queue:vip"]') !== null`)

	// Li consults queue vip with a note for whoever takes it.
	const note = "Wants the 55 inch TV; promised delivery by Friday"
	step(t, ctx, "consult queue vip",
		chromedp.SendKeys(chromedp.ID("xfer-target"), "queue:vip"),
		chromedp.SendKeys(chromedp.ID("xfer-note"), note),
		chromedp.Click(`#xfer-form button[value="consult"]`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "consulting", `!document.querySelector("#consult-steps").hidden`)
	shot(t, ctx, dir, "transfer-en-consulting")

	// Tom's console pops the customer's call: the record, who hands it
	// over and how, and Li's note.
	waitJS(t, tom, "tom's pop", jsEq(".popcard .caller-name", "Li Lei"))
	by := i18n.T(i18n.EN, "transferpop.by", "Li")
	waitJS(t, tom, "handed by Li", jsEq(".popcard .handoff-by", by))
	for sel, want := range map[string]string{
		".popcard .handoff-kind":  i18n.T(i18n.EN, "transferpop.kind.consult"),
		".popcard .note-text":     note,
		".popcard .note-who":      "Li",
		".popcard .company":       "Acme Trading",
		"#call-id":                "call-1",
		".popcard .handnotes h3":  i18n.T(i18n.EN, "transferpop.notes"),
		".popcard .handoff-stage": i18n.T(i18n.EN, "transferpop.stage.answered"),
	} {
		waitJS(t, tom, sel, jsEq(sel, want))
	}
	shot(t, tom, dir, "transfer-en-target-pop")

	// Li completes: the call is Tom's, and his pop says so.
	step(t, ctx, "complete", chromedp.Click(`#btn-consult-complete`, chromedp.NodeVisible))
	waitJS(t, ctx, "completed", jsEq("#msg", i18n.T(i18n.EN, "transferpop.completed")))
	waitJS(t, tom, "the call is tom's", jsEq(".popcard .handoff-stage", i18n.T(i18n.EN, "transferpop.stage.completed")))
	waitJS(t, tom, "tom's controls", `!document.querySelector("#btn-hangup").disabled`)
	if got := ctl.list(); len(got) != 2 || got[0] != "consult call-1 queue:vip" || got[1] != "complete call-1" {
		t.Fatalf("control asked %q", got)
	}

	// In Chinese the same pop reads in Chinese.
	submit(t, tom, "tom switches to zh", `form.langs button[value="zh"]`)
	waitJS(t, tom, "zh console", jsEq("#state", i18n.T(i18n.ZH, "agentui.state.available")))
	// The reloaded console has no call; its pop fragment is fetched as
	// the console does on an event.
	if _, err := chromedp.Run(tom, chromedp.Evaluate[bool](`fetch("/agent/pop/call-1").then(r => r.text()).then(h => { document.querySelector("#pop").innerHTML = h; }), true`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tom, "zh handed by", jsEq(".popcard .handoff-by", i18n.T(i18n.ZH, "transferpop.by", "Li")))
	waitJS(t, tom, "zh kind", jsEq(".popcard .handoff-kind", i18n.T(i18n.ZH, "transferpop.kind.consult")))
	shot(t, tom, dir, "transfer-zh-target-pop")
}
