package webui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func TestBrowser_ClickToDialPopsTheCustomerAndTheAgentWrapsItUp(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	cf := newConsoleFixture(t)
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Company: "Acme Trading", Numbers: []string{"+8613812345678"}})
	put(t, cf.st, store.Contact{ID: "k1", Number: "+8613812345678", CustomerID: "c1", Channel: store.ChannelCall,
		Direction: store.DirectionIn, At: time.Now().Add(-48 * time.Hour), Agent: "102", Summary: "Asked about delivery"})

	browserLogin(t, ctx, cf.base, "li", "/agent")
	waitJS(t, ctx, "stream live", `document.querySelector("#stream.live") !== null`)
	// Li reads her messages when she dials: the call brings her back.
	step(t, ctx, "dial from the messages tab",
		chromedp.Click(`#tab-msg`, chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.ID("dial-number"), "013812345678", chromedp.NodeVisible),
		chromedp.Click(`#dial-form button`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "the Current call tab", `!document.querySelector("#panel-call").hidden`)
	waitJS(t, ctx, "the customer's pop", jsEq("#pop .popcard .caller-name", "Li Lei"))
	for sel, want := range map[string]string{
		"#pop .badge.outbound":                   i18n.T(i18n.EN, "consolegaps.outbound"),
		"#pop .company":                          "Acme Trading",
		"#pop .caller-num":                       "+8613812345678",
		"#pop table.history tbody td:last-child": "Asked about delivery",
		"#call-id":                               "call-new",
	} {
		if got := text(t, ctx, chromedp.CSS(sel)); got != want {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	waitJS(t, ctx, "hang-up offered", `!document.querySelector("#btn-hangup").disabled`)
	shot(t, ctx, dir, "agent-en-click-to-dial")
	fitsTheScreen(t, ctx)

	// Li hangs up; the switch ends the call.
	step(t, ctx, "hang up", chromedp.Click(chromedp.ID("btn-hangup"), chromedp.NodeVisible))
	waitJS(t, ctx, "hang-up sent", jsEq("#msg", i18n.T(i18n.EN, "agentui.done")))
	cf.bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "call-new", Caller: acd.Party{Number: "201", Source: acd.SourceExtension},
		Dialed: "013812345678", Direction: acd.DirectionOut, Start: time.Now().Add(-time.Minute),
		Data: map[string]string{cti.OriginatorKey: "201"}}})
	waitJS(t, ctx, "the call is over", jsEq("#msg", strings.Replace(i18n.T(i18n.EN, "consolegaps.call-ended"), "%s", "call-new", 1)))
	waitJS(t, ctx, "no call to act on", `document.querySelector("#btn-hangup").disabled && `+jsEq("#call-id", ""))
	waitJS(t, ctx, "wrap-up offered", `!document.querySelector("#wrap-form button").disabled`)
	step(t, ctx, "wrap up",
		chromedp.SendKeys(chromedp.ID("wrap-code"), "sale"),
		chromedp.SendKeys(chromedp.ID("wrap-notes"), "Ordered the 55 inch TV"),
		chromedp.Click(`#wrap-form button`, chromedp.NodeVisible),
	)
	waitJS(t, ctx, "wrap-up saved", jsEq("#msg", i18n.T(i18n.EN, "agentui.wrap.saved")))
	if got := cf.ctl.list(); len(got) < 2 || got[0] != "originate 201 013812345678" || got[1] != "hangup call-new" {
		t.Fatalf("call control requests %q", got)
	}
	for i := 0; ; i++ {
		ct, err := store.Get[store.Contact](cf.st, "call.call-new")
		if err == nil && ct.Agent == "101" && ct.Summary == "sale\nOrdered the 55 inch TV" && ct.Direction == store.DirectionOut {
			break
		}
		if i > 1000 {
			t.Fatalf("history entry of the click-to-dial %+v %v", ct, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBrowser_TransferTargetReloadingTheConsoleKeepsTheCall(t *testing.T) {
	ctx := newChromium(t)
	cf := newConsoleFixture(t)
	cf.customer(store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	// Li (101, at 201) is logged in; Tom hands her a customer's call.
	cf.bus.Publish(acd.AgentStateChanged{Agent: "101", To: acd.AgentAvailable})
	rec := acd.CallRecord{ID: "call-7", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine},
		Direction: acd.DirectionIn, Queue: "sales", Agent: "102"}
	cf.bus.Publish(acd.CallRinging{Call: rec})
	from := acd.Party{Number: "202", Source: acd.SourceExtension}
	for _, stage := range []acd.HandoffStage{acd.HandoffRinging, acd.HandoffCompleted} {
		cf.bus.Publish(acd.CallHandoff{Call: rec, Kind: acd.HandoffBlind, Stage: stage, From: from, Target: "201", Extension: "201"})
	}
	for i := 0; ; i++ {
		if cur, ok := cf.hub.CurrentCall(context.Background(), "101"); ok && cur.CallID == "call-7" {
			break
		}
		if i > 1000 {
			t.Fatal("the transfer never made the call Li's")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Li opens (or reloads) the console after the transfer.
	browserLogin(t, ctx, cf.base, "li", "/agent")
	waitJS(t, ctx, "the handed call's pop", jsEq("#pop .popcard .caller-name", "Li Lei"))
	waitJS(t, ctx, "the call to act on", jsEq("#call-id", "call-7")+` && !document.querySelector("#btn-hangup").disabled`)
	waitJS(t, ctx, "who handed it over", `document.querySelector("#pop .handoff") !== null`)
	step(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "the pop after the reload", jsEq("#pop .popcard .caller-name", "Li Lei")+" && "+jsEq("#call-id", "call-7"))
}
