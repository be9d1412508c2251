package cti

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/directory"
	"callbox/firmware/store"
)

// desk is who is logged in where, as the queue would answer AgentAt.
type desk struct {
	mu sync.Mutex
	at map[string]string // extension -> agent
}

func (d *desk) agentAt(ext string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.at[ext]
	return a, ok
}

// xferRig is a hub with a customer, agents 11 (Ann, at 201) and 12
// (Bo, at 202), and call-1 from the customer answered by agent 11.
func xferRig(t *testing.T, agentAt func(string) (string, bool)) *rig {
	t.Helper()
	late := &lateLookup{}
	r := newRig(t, Config{Lookup: late, AgentAt: agentAt})
	put(t, r.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	put(t, r.st, store.Agent{ID: "11", Name: "Ann", Extension: "201", Enabled: true})
	put(t, r.st, store.Agent{ID: "12", Name: "Bo", Extension: "202", Enabled: true})
	late.l = builtinDirectory(t, r.st, []directory.Source{})
	all, _ := r.hub.Subscribe(context.Background(), Filter{All: true}, 0)
	r.ringing("call-1", "013812345678")
	next(t, all, EventCallRinging)
	p := r.hub.Offered(context.Background(), OfferInfo{CallID: "call-1", Agent: "11", Extension: "201", Queue: "sales",
		Caller: acd.Party{Number: "013812345678"}, Waited: 42 * time.Second})
	if p.Customer.Name != "Li Lei" {
		t.Fatalf("first pop %+v", p)
	}
	return r
}

func newDesk() *desk { return &desk{at: map[string]string{"201": "11", "202": "12"}} }

// handoff publishes a stage of agent 11's transfer of call-1.
func (r *rig) handoff(kind acd.HandoffKind, stage acd.HandoffStage, target, ext, agent string) {
	r.bus.Publish(acd.CallHandoff{Call: acd.CallRecord{ID: "call-1",
		Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine, Via: "fxo1"}, Direction: acd.DirectionIn,
		Route: []string{"flow:main", "queue:sales"}, Data: map[string]string{"menu": "2"}, Queue: "sales", Agent: "11"},
		Kind: kind, Stage: stage, From: acd.Party{Number: "201", Name: "201", Source: acd.SourceExtension, Via: "201"},
		Target: target, Extension: ext, Agent: agent})
}

func popOf(t *testing.T, e Event) Pop {
	t.Helper()
	var p Pop
	if err := json.Unmarshal(e.Data, &p); err != nil {
		t.Fatalf("pop %s: %v", e.Data, err)
	}
	return p
}

func handoffOf(t *testing.T, e Event) Handoff {
	t.Helper()
	var h Handoff
	if err := json.Unmarshal(e.Data, &h); err != nil {
		t.Fatalf("handoff %s: %v", e.Data, err)
	}
	return h
}

// seen waits until one event of each of typs came on ch (in any
// order: a pop is built beside the bus) and returns the first of each.
func seen(t *testing.T, ch <-chan Event, typs ...string) map[string]Event {
	t.Helper()
	out := map[string]Event{}
	for len(out) < len(typs) {
		e := firstOf(t, ch, typs...)
		if _, ok := out[e.Type]; !ok {
			out[e.Type] = e
		}
	}
	return out
}

// drain returns the events already waiting on ch.
func drain(ch <-chan Event) []Event {
	var out []Event
	for {
		select {
		case e := <-ch:
			out = append(out, e)
		default:
			return out
		}
	}
}

func TestHandoff_ConsultPopsTheCustomerAndNotesToTheTargetThenHistoryNamesThem(t *testing.T) {
	r := xferRig(t, newDesk().agentAt)
	ctx := context.Background()
	bo, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
	if _, err := r.hub.Annotate(ctx, "call-1", Note{Agent: "11", Text: "wants the 55 inch, ask about delivery"}); err != nil {
		t.Fatal(err)
	}
	r.handoff(acd.HandoffConsult, acd.HandoffRinging, "202", "202", "")
	got := seen(t, bo, EventCallOffered, EventCallHandoff)
	if h := handoffOf(t, got[EventCallHandoff]); h.Stage != acd.HandoffRinging || h.Agent != "12" || h.FromAgent != "11" {
		t.Fatalf("handoff event %+v", h)
	}
	p := popOf(t, got[EventCallOffered])
	if p.Agent != "12" || p.CallID != "call-1" || p.Customer.Name != "Li Lei" || !p.Found {
		t.Fatalf("target's pop %+v", p)
	}
	if p.Handoff == nil || p.Handoff.FromAgent != "11" || p.Handoff.FromName != "Ann" || p.Handoff.Kind != acd.HandoffConsult ||
		p.Handoff.Stage != acd.HandoffRinging || p.Handoff.Target != "202" {
		t.Fatalf("handoff %+v", p.Handoff)
	}
	if len(p.Notes) != 1 || p.Notes[0].Text != "wants the 55 inch, ask about delivery" || p.Notes[0].Name != "Ann" {
		t.Fatalf("notes %+v", p.Notes)
	}
	if p.Data["menu"] != "2" || !slices.Equal(p.Route, []string{"flow:main", "queue:sales"}) || p.Queue != "sales" || p.Waited != 42*time.Second {
		t.Fatalf("call data %+v", p)
	}
	if !r.hub.Involved("call-1", "12") || !r.hub.Involved("call-1", "11") {
		t.Fatal("both agents take part in the call")
	}

	// A note written while the target rings reaches their pop at once.
	if _, err := r.hub.Annotate(ctx, "call-1", Note{Agent: "11", Text: "VIP since May"}); err != nil {
		t.Fatal(err)
	}
	if p := popOf(t, next(t, bo, EventPopUpdated)); len(p.Notes) != 2 || p.Notes[1].Text != "VIP since May" {
		t.Fatalf("updated notes %+v", p.Notes)
	}
	r.handoff(acd.HandoffConsult, acd.HandoffAnswered, "202", "202", "")
	if p := popOf(t, next(t, bo, EventPopUpdated)); p.Handoff == nil || p.Handoff.Stage != acd.HandoffAnswered {
		t.Fatalf("answered %+v", p.Handoff)
	}
	r.handoff(acd.HandoffConsult, acd.HandoffCompleted, "202", "202", "")
	if p := popOf(t, next(t, bo, EventPopUpdated)); p.Handoff == nil || p.Handoff.Stage != acd.HandoffCompleted {
		t.Fatalf("completed %+v", p.Handoff)
	}
	if p, err := r.hub.Pop(ctx, "call-1"); err != nil || p.Agent != "12" {
		t.Fatalf("the call's pop is the target's now: %+v %v", p, err)
	}
	if err := r.hub.WrapUpAs(ctx, "call-1", "12", "sale", "delivery Friday"); err != nil {
		t.Fatal(err)
	}
	r.bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "call-1", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine},
		Direction: acd.DirectionIn, Agent: "11", Start: t0, Queue: "sales"}})
	ct := waitContact(t, r.st, "call-1", func(c store.Contact) bool { return c.Summary != "" })
	if ct.Agent != "12" || !slices.Equal(ct.TransferredFrom, []string{"11"}) || ct.Summary != "sale\ndelivery Friday" ||
		len(ct.Notes) != 2 || ct.Notes[0].Agent != "11" || ct.Notes[0].Kind != NoteKindNote {
		t.Fatalf("history entry %+v", ct)
	}
}

func TestHandoff_QueueTargetPopsOncePerCallAndAgentWhicheverComesFirst(t *testing.T) {
	t.Run("queue offer first", func(t *testing.T) {
		r := xferRig(t, newDesk().agentAt)
		ctx := context.Background()
		bo, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
		// The queue's offer notice for the consultation comes first.
		r.hub.Offer(OfferInfo{CallID: "call-1", Agent: "12", Extension: "202", Queue: "support",
			Caller: acd.Party{Number: "013812345678"}})
		if p := popOf(t, next(t, bo, EventCallOffered)); p.Agent != "12" {
			t.Fatalf("offer %+v", p)
		}
		r.handoff(acd.HandoffConsult, acd.HandoffRinging, "queue:support", "202", "12")
		p := popOf(t, next(t, bo, EventPopUpdated))
		if p.Handoff == nil || p.Handoff.FromName != "Ann" || p.Handoff.Target != "queue:support" || p.Queue != "support" {
			t.Fatalf("updated pop %+v", p)
		}
		next(t, bo, EventCallHandoff)
	})
	t.Run("handoff first", func(t *testing.T) {
		r := xferRig(t, newDesk().agentAt)
		ctx := context.Background()
		bo, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
		r.handoff(acd.HandoffConsult, acd.HandoffRinging, "queue:support", "202", "12")
		if p := popOf(t, next(t, bo, EventCallOffered)); p.Handoff == nil {
			t.Fatalf("offer without handoff %+v", p)
		}
		// The queue's own offer of the same call to the same agent.
		p := r.hub.Offered(ctx, OfferInfo{CallID: "call-1", Agent: "12", Extension: "202", Queue: "support",
			Caller: acd.Party{Number: "013812345678"}, Skills: []string{"tv:2"}})
		if p.Handoff == nil || len(p.Skills) != 1 {
			t.Fatalf("queue's pop %+v", p)
		}
		for _, e := range drain(bo) {
			if e.Type == EventCallOffered {
				t.Fatalf("a second offer of the call to the agent: %s", e.Data)
			}
		}
	})
}

func TestHandoff_QueueMovingOnTakesThePopFromTheAgentWhoDidNotAnswer(t *testing.T) {
	d := newDesk()
	d.at["203"] = "13"
	r := xferRig(t, d.agentAt)
	ctx := context.Background()
	bo, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
	cy, _ := r.hub.Subscribe(ctx, Filter{Agent: "13"}, 0)
	r.hub.Offer(OfferInfo{CallID: "call-1", Agent: "12", Extension: "202", Queue: "support", Caller: acd.Party{Number: "013812345678"}})
	r.handoff(acd.HandoffConsult, acd.HandoffRinging, "queue:support", "202", "12")
	seen(t, bo, EventCallOffered, EventCallHandoff)
	// Bo does not answer: the queue rings Cy.
	r.hub.Offer(OfferInfo{CallID: "call-1", Agent: "13", Extension: "203", Queue: "support", Caller: acd.Party{Number: "013812345678"}})
	r.handoff(acd.HandoffConsult, acd.HandoffRinging, "queue:support", "203", "13")
	if h := handoffOf(t, next(t, bo, EventCallHandoff)); h.Stage != acd.HandoffFailed || h.Agent != "12" {
		t.Fatalf("bo's withdrawal %+v", h)
	}
	got := seen(t, cy, EventCallOffered, EventCallHandoff)
	if p := popOf(t, got[EventCallOffered]); p.Agent != "13" {
		t.Fatalf("cy's pop %+v", p)
	}
	if _, err := r.hub.PopFor(ctx, "call-1", "12"); !errors.Is(err, ErrUnknownCall) {
		t.Fatalf("bo's pop kept: %v", err)
	}
	// Cy cannot take it either and the agent goes back to the caller.
	r.handoff(acd.HandoffConsult, acd.HandoffCancelled, "queue:support", "203", "13")
	if h := handoffOf(t, next(t, cy, EventCallHandoff)); h.Stage != acd.HandoffCancelled {
		t.Fatalf("cy's withdrawal %+v", h)
	}
	if p, err := r.hub.Pop(ctx, "call-1"); err != nil || p.Agent != "11" {
		t.Fatalf("the call's pop is the first agent's again: %+v %v", p, err)
	}
	if a, _, ok := r.hub.OfferedTo("call-1"); ok && a != "11" && a != "" {
		t.Fatalf("offered to %s after the transfer was withdrawn", a)
	}
}

func TestHandoff_CancelledOrFailedTransferWithdrawsTheTargetsPop(t *testing.T) {
	for _, stage := range []acd.HandoffStage{acd.HandoffCancelled, acd.HandoffFailed} {
		t.Run(string(stage), func(t *testing.T) {
			r := xferRig(t, newDesk().agentAt)
			ctx := context.Background()
			bo, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
			r.handoff(acd.HandoffBlind, acd.HandoffRinging, "202", "202", "")
			seen(t, bo, EventCallOffered, EventCallHandoff)
			r.handoff(acd.HandoffBlind, stage, "202", "202", "")
			if h := handoffOf(t, next(t, bo, EventCallHandoff)); h.Stage != stage || h.Agent != "12" {
				t.Fatalf("withdrawal %+v", h)
			}
			if _, err := r.hub.PopFor(ctx, "call-1", "12"); !errors.Is(err, ErrUnknownCall) {
				t.Fatalf("target's pop kept: %v", err)
			}
			if r.hub.Involved("call-1", "12") {
				t.Fatal("the target still takes part")
			}
			if p, err := r.hub.Pop(ctx, "call-1"); err != nil || p.Agent != "11" {
				t.Fatalf("the call's pop is the first agent's again: %+v %v", p, err)
			}
		})
	}
}

func TestHandoff_NobodyLoggedInOrAnOutsideNumberPopsNothing(t *testing.T) {
	// No AgentAt: the hub follows agents' state and stored extensions.
	r := xferRig(t, nil)
	ctx := context.Background()
	all, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
	put(t, r.st, store.Agent{ID: "13", Name: "Cy", Extension: "203", Enabled: true})
	r.bus.Publish(acd.AgentStateChanged{Agent: "11", From: acd.AgentLoggedOut, To: acd.AgentAvailable})
	for _, x := range []struct{ target, ext string }{{"203", "203"}, {"013900001111", ""}} {
		r.handoff(acd.HandoffBlind, acd.HandoffRinging, x.target, x.ext, "")
		evs := []Event{}
		for {
			e := firstOf(t, all, EventCallHandoff, EventCallOffered)
			evs = append(evs, e)
			if e.Type == EventCallHandoff {
				break
			}
		}
		h := handoffOf(t, evs[len(evs)-1])
		if len(evs) != 1 || h.Agent != "" || evs[0].Agent != "11" || h.FromAgent != "11" {
			t.Fatalf("transfer to %s: %d events, %+v", x.target, len(evs), h)
		}
		r.handoff(acd.HandoffBlind, acd.HandoffFailed, x.target, x.ext, "")
		next(t, all, EventCallHandoff)
	}
	// Logged in, the same extension gets the pop.
	r.bus.Publish(acd.AgentStateChanged{Agent: "13", From: acd.AgentLoggedOut, To: acd.AgentAvailable})
	next(t, all, EventAgentState)
	r.handoff(acd.HandoffBlind, acd.HandoffRinging, "203", "203", "")
	if p := popOf(t, next(t, all, EventCallOffered)); p.Agent != "13" || p.Handoff == nil || p.Handoff.Kind != acd.HandoffBlind {
		t.Fatalf("pop %+v", p)
	}
}

func TestHandoff_EarlierAgentsWrapUpShowsInTheTargetsPopAndHistory(t *testing.T) {
	r := xferRig(t, newDesk().agentAt)
	ctx := context.Background()
	bo, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
	if err := r.hub.WrapUpAs(ctx, "call-1", "11", "escalated", "refund asked"); err != nil {
		t.Fatal(err)
	}
	r.handoff(acd.HandoffBlind, acd.HandoffRinging, "202", "202", "")
	p := popOf(t, next(t, bo, EventCallOffered))
	if len(p.Notes) != 1 || p.Notes[0].Kind != NoteKindWrapUp || p.Notes[0].Text != "escalated\nrefund asked" {
		t.Fatalf("notes %+v", p.Notes)
	}
	r.handoff(acd.HandoffBlind, acd.HandoffCompleted, "202", "202", "")
	if err := r.hub.WrapUpAs(ctx, "call-1", "12", "refunded", ""); err != nil {
		t.Fatal(err)
	}
	r.bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "call-1", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine},
		Direction: acd.DirectionIn, Agent: "11", Start: t0}})
	ct := waitContact(t, r.st, "call-1", func(c store.Contact) bool { return c.Summary != "" })
	if ct.Summary != "refunded" || ct.Agent != "12" || len(ct.Notes) != 1 || ct.Notes[0].Kind != NoteKindWrapUp {
		t.Fatalf("history %+v", ct)
	}
}

func TestAnnotate_RefusesEmptyLongAndControlNotes(t *testing.T) {
	r := xferRig(t, newDesk().agentAt)
	ctx := context.Background()
	for _, bad := range []string{"", "   ", strings.Repeat("长", MaxNote+1), "bell\a", "bad \xff utf8"} {
		if _, err := r.hub.Annotate(ctx, "call-1", Note{Agent: "11", Text: bad}); !errors.Is(err, ErrNote) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	n, err := r.hub.Annotate(ctx, "call-1", Note{Agent: "11", Text: " " + strings.Repeat("长", MaxNote) + "\n"})
	if err != nil || n.Name != "Ann" || n.Kind != NoteKindNote || n.At.IsZero() {
		t.Fatalf("longest note: %+v %v", n, err)
	}
	if _, err := r.hub.Annotate(ctx, "nope", Note{Text: "x"}); !errors.Is(err, ErrUnknownCall) {
		t.Fatalf("unknown call: %v", err)
	}
	for range maxNotes - 1 {
		if _, err := r.hub.Annotate(ctx, "call-1", Note{Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.hub.Annotate(ctx, "call-1", Note{Text: "one too many"}); !errors.Is(err, ErrNote) {
		t.Fatalf("note %d: %v (%d kept)", maxNotes+1, err, len(r.hub.Notes("call-1")))
	}
}

func FuzzCheckNote(f *testing.F) {
	for _, s := range []string{"", "call back after 5", "第一行\n第二行", "\x00", strings.Repeat("a", MaxNote+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := CheckNote(s)
		if err != nil {
			if !errors.Is(err, ErrNote) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if out == "" || len([]rune(out)) > MaxNote || out != strings.TrimSpace(out) {
			t.Fatalf("%q accepted as %q", s, out)
		}
	})
}

func TestWebhook_CRMGetsEachStageOfATransferAsCallHandoff(t *testing.T) {
	rv := &receiver{secret: "s3cret-s3cret-s3cret", done: make(chan struct{}), want: 2}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	r := xferRig(t, newDesk().agentAt)
	put(t, r.st, store.Webhook{ID: "crm", URL: srv.URL, Events: []string{EventCallHandoff}, Secret: rv.secret, Enabled: true})
	r.handoff(acd.HandoffBlind, acd.HandoffRinging, "013900001111", "", "")
	r.handoff(acd.HandoffBlind, acd.HandoffCompleted, "013900001111", "", "")
	select {
	case <-rv.done:
	case <-time.After(10 * time.Second):
		t.Fatal("no deliveries")
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if len(rv.bad) > 0 {
		t.Fatalf("bad requests: %v", rv.bad)
	}
	// Two workers deliver in parallel: the event IDs give the order.
	slices.SortFunc(rv.got, func(a, b Event) int { return cmp.Compare(a.ID, b.ID) })
	for i, stage := range []acd.HandoffStage{acd.HandoffRinging, acd.HandoffCompleted} {
		var h Handoff
		if err := json.Unmarshal(rv.got[i].Data, &h); err != nil || rv.got[i].Type != EventCallHandoff || h.Stage != stage ||
			h.Kind != acd.HandoffBlind || h.Target != "013900001111" || h.FromAgent != "11" || h.Caller.Number != "013812345678" {
			t.Fatalf("delivery %d: %+v %s %v", i, rv.got[i], rv.got[i].Data, err)
		}
	}
}
