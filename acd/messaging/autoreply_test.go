package messaging_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"callbox/acd/messaging"
	"callbox/drivers/modem/sms"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func putAll(t *testing.T, st *store.Store, rs ...store.Record) {
	t.Helper()
	for _, r := range rs {
		if _, err := store.PutAll(st, r); err != nil {
			t.Fatalf("%T %s: %v", r, r.Key(), err)
		}
	}
}

// monday10 is a Monday morning in Shanghai, within office hours.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func TestEvaluate_StoredRulesInOrderThenConfigRules(t *testing.T) {
	st := openStore(t)
	set := store.DefaultSettings()
	set.Country, set.TimeZone = "cn", "Asia/Shanghai"
	putAll(t, st, set,
		store.Hours{Name: "office", Weekly: []store.WeeklyRange{{Day: time.Monday, Start: "09:00", End: "18:00"}}},
		store.AutoReply{Name: "b-price", Order: 2, Enabled: true, Regexp: `(?i)price|价格`, ReplyEN: "See our price list.", ReplyZH: "请查看价目表。"},
		store.AutoReply{Name: "a-complaint", Order: 2, Enabled: true, Keyword: "complaint", Queue: "care", Tag: "complaint"},
		store.AutoReply{Name: "closed", Order: 1, Enabled: true, Hours: "office", WhenClosed: true, ReplyEN: "We are closed.", ReplyZH: "我们已下班。"},
		store.AutoReply{Name: "off", Order: 0, Enabled: false, Keyword: "price", ReplyEN: "disabled rule"},
		store.AutoReply{Name: "gsm1-only", Order: 3, Enabled: true, Line: "gsm1", Sender: "_+86139.", ReplyEN: "line one"},
	)
	extra := []messaging.Rule{{Name: "config-hours", Keyword: "HOURS", Reply: "9 to 6."}}
	cases := []struct {
		s     messaging.Sample
		rule  string
		reply string
		queue string
	}{
		{messaging.Sample{From: "13922220002", Text: "What is the price?", At: monday10}, "b-price", "See our price list.", ""},
		{messaging.Sample{From: "13922220002", Text: "价格是多少", At: monday10}, "b-price", "请查看价目表。", ""},
		{messaging.Sample{From: "13922220002", Text: "Complaint: late", At: monday10}, "a-complaint", "", "care"},
		{messaging.Sample{From: "13922220002", Text: "price?", At: monday10.Add(10 * time.Hour)}, "closed", "We are closed.", ""},
		{messaging.Sample{From: "+8613922220002", Line: "gsm1", Text: "hello", At: monday10}, "gsm1-only", "line one", ""},
		{messaging.Sample{From: "+8613722220002", Line: "gsm1", Text: "hello", At: monday10}, "", "", ""},
		{messaging.Sample{From: "13922220002", Text: "hours?", At: monday10}, "config-hours", "9 to 6.", ""},
		{messaging.Sample{From: "13922220002", Text: "hello", At: monday10}, "", "", ""},
	}
	for _, c := range cases {
		d, err := messaging.Evaluate(st, extra, c.s)
		if err != nil {
			t.Fatal(err)
		}
		if d.Rule != c.rule || d.Reply != c.reply || d.Queue != c.queue {
			t.Errorf("%+v: got rule %q reply %q queue %q, want %q %q %q", c.s, d.Rule, d.Reply, d.Queue, c.rule, c.reply, c.queue)
		}
	}
}

func TestEvaluate_ReplyInTheCustomersLanguage(t *testing.T) {
	st := openStore(t)
	putAll(t, st,
		store.Customer{ID: "c1", Name: "Wang", Numbers: []string{"+8613922220002"}, Lang: i18n.ZH},
		store.AutoReply{Name: "hi", Enabled: true, Keyword: "hello", ReplyEN: "Hi!", ReplyZH: "您好！"},
		store.AutoReply{Name: "en-only", Enabled: true, Keyword: "bye", ReplyEN: "Bye!"},
	)
	d, _ := messaging.Evaluate(st, nil, messaging.Sample{From: "+8613922220002", Text: "hello"})
	if d.Reply != "您好！" || d.Lang != i18n.ZH {
		t.Fatalf("customer's language: %+v", d)
	}
	d, _ = messaging.Evaluate(st, nil, messaging.Sample{From: "+8613711110000", Text: "hello"})
	if d.Reply != "Hi!" || d.Lang != i18n.EN {
		t.Fatalf("text's language: %+v", d)
	}
	// A reply written in one language only goes out in that one.
	d, _ = messaging.Evaluate(st, nil, messaging.Sample{From: "+8613922220002", Text: "bye"})
	if d.Reply != "Bye!" {
		t.Fatalf("fallback: %+v", d)
	}
}

func TestEvaluate_RuleWithMissingScheduleIsSkippedAndNamed(t *testing.T) {
	st := openStore(t)
	putAll(t, st, store.AutoReply{Name: "night", Enabled: true, Keyword: "x", Hours: "gone", ReplyEN: "r"})
	d, err := messaging.Evaluate(st, nil, messaging.Sample{From: "+8613922220002", Text: "x", At: monday10})
	if err != nil || d.Matched() || !slices.Equal(d.Skipped, []string{"night"}) {
		t.Fatalf("got %+v, %v", d, err)
	}
}

// inbound stores an inbound SMS as the SMS service does.
func inbound(t *testing.T, st *store.Store, id, from, text string, at time.Time) {
	t.Helper()
	putAll(t, st, store.Message{ID: id, Channel: store.ChannelSMS, Direction: store.DirectionIn, Number: from, Line: "gsm0",
		Text: text, State: store.StateReceived, CreatedAt: at, UpdatedAt: at})
}

func TestClose_NextInboundReopensTheSameConversationUnassigned(t *testing.T) {
	st := openStore(t)
	putAll(t, st, store.Agent{ID: "1001", Name: "Han", Enabled: true}, store.Agent{ID: "1002", Name: "Li", Enabled: true})
	t0 := time.Now().Add(-time.Hour)
	inbound(t, st, "in-1", customer, "my order is late", t0)
	key := customer
	if err := messaging.Claim(st, key, "1001", false); err != nil {
		t.Fatal(err)
	}
	if _, err := messaging.Close(st, key, "1002", "li", false, t0.Add(time.Minute)); !errors.Is(err, messaging.ErrNotHolder) {
		t.Fatalf("another agent closed it: %v", err)
	}
	c, err := messaging.Close(st, key, "1001", "han", false, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Closed || c.Agent != "" || c.Waiting != 0 || c.ClosedBy != "han" {
		t.Fatalf("closed: %+v", c)
	}
	all, _ := messaging.Conversations(st)
	if len(all) != 1 || !all[0].Closed {
		t.Fatalf("list: %+v", all)
	}
	// An outbound text (a notification) leaves it closed.
	if _, err := messaging.QueueSMS(st, customer, "Your callback is booked.", ""); err != nil {
		t.Fatal(err)
	}
	if c, _ := messaging.Get(st, key); !c.Closed {
		t.Fatalf("reopened by an outbound text: %+v", c)
	}
	// The customer writes again: the same conversation, open, unassigned.
	inbound(t, st, "in-2", customer, "still waiting", time.Now().Add(time.Minute))
	c, err = messaging.Get(st, key)
	if err != nil || c.Closed || c.Agent != "" || c.Waiting != 1 || c.Messages != 3 || c.Key != key {
		t.Fatalf("after a new message: %+v, %v", c, err)
	}
	// Anyone may take it now; the old holder has no claim on it.
	if err := messaging.Claim(st, key, "1002", false); err != nil {
		t.Fatal(err)
	}
	if c, _ := messaging.Get(st, key); c.Agent != "1002" {
		t.Fatalf("claimed: %+v", c)
	}
}

func TestClose_ClaimAndReplyTakeAClosedConversationUp(t *testing.T) {
	st := openStore(t)
	putAll(t, st, store.Agent{ID: "1001", Name: "Han", Enabled: true})
	inbound(t, st, "in-1", customer, "hi", time.Now().Add(-time.Hour))
	if _, err := messaging.Close(st, customer, "", "boss", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := messaging.Reopen(st, customer, "someone", false, time.Now()); !errors.Is(err, messaging.ErrNotHolder) {
		t.Fatalf("reopened by a stranger: %v", err)
	}
	if err := messaging.Claim(st, customer, "1001", false); err != nil {
		t.Fatal(err)
	}
	c, _ := messaging.Get(st, customer)
	if c.Closed || c.Agent != "1001" {
		t.Fatalf("claimed after close: %+v", c)
	}
	if _, err := messaging.Close(st, customer, "1001", "han", false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := messaging.Reply(st, customer, "1001", "Anything else?"); err != nil {
		t.Fatal(err)
	}
	c, _ = messaging.Get(st, customer)
	if c.Closed || c.Agent != "1001" {
		t.Fatalf("replied after close: %+v", c)
	}
	c, err := messaging.Reopen(st, customer, "han", false, time.Now())
	if err != nil || c.Closed {
		t.Fatalf("reopen of an open one: %+v %v", c, err)
	}
}

func TestService_StoredRuleChangeAppliesToTheNextMessage(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	b := newBox(t, messaging.Config{Rules: []messaging.Rule{{Name: "config", Keyword: "HOURS", Reply: "from config"}}})
	b.addLine("gsm0", boxSim, "sales")
	putAll(t, b.st, store.AutoReply{Name: "hours", Enabled: true, Keyword: "hours", ReplyEN: "Open 9-18."})
	b.start()
	b.lineUp("gsm0", true, false)

	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "hours?"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first reply", func() bool { return len(sentTo(boxSim, customer)) == 1 })
	// The installer edits the rule while the service runs.
	putAll(t, b.st, store.AutoReply{Name: "hours", Enabled: true, Keyword: "hours", ReplyEN: "Open 8-20 now."})
	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "hours"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second reply", func() bool { return len(sentTo(boxSim, customer)) == 2 })
	// Disabled, the config rule behind it answers.
	putAll(t, b.st, store.AutoReply{Name: "hours", Enabled: false, Keyword: "hours", ReplyEN: "Open 8-20 now."})
	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "HOURS"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "third reply", func() bool { return len(sentTo(boxSim, customer)) == 3 })
	got := sentTo(boxSim, customer)
	if !slices.Equal(got, []string{"Open 9-18.", "Open 8-20 now.", "from config"}) {
		t.Fatalf("replies %q", got)
	}
}

func TestService_RuleRoutesConversationToItsQueueAndTagsIt(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	b := newBox(t, messaging.Config{})
	b.addLine("gsm0", boxSim, "sales")
	putAll(t, b.st, store.AutoReply{Name: "complaints", Enabled: true, Regexp: `(?i)complain`, Queue: "care", Tag: "complaint",
		ReplyEN: "Sorry to hear that; an agent will write to you."})
	b.start()
	b.lineUp("gsm0", true, false)
	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "I want to complain"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "apology", func() bool { return len(sentTo(boxSim, customer)) == 1 })
	// Answered and routed: the console sees it with the rule's name.
	waitFor(t, "conversation event", func() bool { return len(b.eventsOf(kindAutoReply)) == 1 })
	ev := b.eventsOf(kindAutoReply)[0]
	if ev.Queue != "care" || ev.Rule != "complaints" {
		t.Fatalf("event %+v", ev)
	}
	c, err := messaging.Get(b.st, customer)
	if err != nil || c.Queue != "care" || !slices.Equal(c.Tags, []string{"complaint"}) {
		t.Fatalf("conversation %+v, %v", c, err)
	}
	// A follow-up that matches no rule stays in the rule's queue.
	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "order 42"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second event", func() bool { return len(b.eventsOf(kindSMS)) == 1 })
	if ev := b.eventsOf(kindSMS)[0]; ev.Queue != "care" {
		t.Fatalf("follow-up event %+v", ev)
	}
}

func TestService_AutoAnsweredMessageLeavesAClosedConversationClosed(t *testing.T) {
	_, boxSim, _ := gsmNet(t)
	b := newBox(t, messaging.Config{})
	b.addLine("gsm0", boxSim, "sales")
	putAll(t, b.st, store.AutoReply{Name: "hours", Enabled: true, Keyword: "hours", ReplyEN: "Open 9-18."})
	b.start()
	b.lineUp("gsm0", true, false)
	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "conversation", func() bool { return len(b.eventsOf(kindSMS)) == 1 })
	if _, err := messaging.Close(b.st, customer, "", "boss", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "hours?"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "auto-reply", func() bool { return len(b.eventsOf(kindAutoReply)) == 1 })
	if c, err := messaging.Get(b.st, customer); err != nil || !c.Closed {
		t.Fatalf("an answered question reopened it: %+v, %v", c, err)
	}
	if err := boxSim.Deliver(sms.Deliver{From: customer, Text: "one more thing"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second conversation event", func() bool { return len(b.eventsOf(kindSMS)) == 2 })
	if c, err := messaging.Get(b.st, customer); err != nil || c.Closed || c.Waiting != 1 {
		t.Fatalf("a question for the agents left it closed: %+v, %v", c, err)
	}
}
