package cti

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/store"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func script() store.Script {
	return store.Script{Queue: "sales", Title: "Sales", Start: "q1", Nodes: []store.ScriptNode{
		{ID: "q1", Type: store.ScriptChoice, Text: "Which product?", Choices: []store.ScriptNodeChoice{
			{Value: "tv", Label: "TV", Next: "q2"}, {Value: "radio", Label: "Radio", Next: "bye"}}},
		{ID: "q2", Type: store.ScriptText, Text: "Screen size?", Next: "bye"},
		{ID: "bye", Type: store.ScriptEnd, Text: "Thank you"},
	}}
}

// builtinDirectory is a directory over the store's customers and the
// extra sources, as the firmware builds it.
func builtinDirectory(t testing.TB, st *store.Store, extra []directory.Source, opts ...directory.Option) *directory.Directory {
	t.Helper()
	b, err := source.NewBuiltin(st, directory.PlanCN)
	if err != nil {
		t.Fatal(err)
	}
	d := directory.New(append([]directory.Source{b}, extra...), append([]directory.Option{directory.WithPlan(directory.PlanCN)}, opts...)...)
	t.Cleanup(d.Close)
	return d
}

// lateLookup lets a test set the hub's lookup after the store exists.
type lateLookup struct{ l Lookuper }

func (x *lateLookup) Lookup(ctx context.Context, n string) (directory.Result, error) {
	return x.l.Lookup(ctx, n)
}

func (x *lateLookup) Health() []directory.Health {
	if h, ok := x.l.(healther); ok {
		return h.Health()
	}
	return nil
}

func TestHub_PopMergesSourcesHistoryScriptAndIVRPath(t *testing.T) {
	late := &lateLookup{}
	r := newRig(t, Config{Lookup: late})
	put(t, r.st, store.Customer{ID: "c1", Name: "Li Lei", Company: "ACME", Numbers: []string{"+8613812345678"}, VIP: true})
	put(t, r.st, store.Contact{ID: "k1", Number: "+8613812345678", CustomerID: "c1", Channel: store.ChannelCall,
		Direction: store.DirectionIn, At: t0, Agent: "11", Summary: "asked about TVs"})
	put(t, r.st, script())
	late.l = builtinDirectory(t, r.st, []directory.Source{fixed{name: "crm", num: "+8613812345678",
		rec: directory.Record{Name: "Lei Li (CRM)", Fields: map[string]string{"level": "gold"}}}})

	ctx := context.Background()
	all, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
	mine, _ := r.hub.Subscribe(ctx, Filter{Agent: "11"}, 0)
	other, _ := r.hub.Subscribe(ctx, Filter{Agent: "12"}, 0)
	r.ringing("call-1", "013812345678")
	next(t, all, EventCallRinging)

	p := r.hub.Offered(ctx, OfferInfo{CallID: "call-1", Agent: "11", Extension: "201", Queue: "sales",
		Caller: acd.Party{Number: "013812345678"}, Waited: 42 * time.Second, Skills: []string{"zh:1", "tv:3"}})
	if !p.Found || p.Partial || p.Customer.Name != "Li Lei" || p.Customer.Fields["level"] != "gold" || !p.Customer.VIP {
		t.Fatalf("customer: %+v", p)
	}
	if !slices.Equal(p.Customer.Sources, []string{"builtin", "crm"}) {
		t.Errorf("sources %v", p.Customer.Sources)
	}
	if len(p.History) != 1 || p.History[0].Summary != "asked about TVs" {
		t.Errorf("history %+v", p.History)
	}
	if p.Script == nil || p.Script.Start != "q1" {
		t.Errorf("script %+v", p.Script)
	}
	if !slices.Equal(p.Route, []string{"flow:main", "queue:sales"}) || p.Data["menu"] != "2" || p.Waited != 42*time.Second || len(p.Skills) != 2 {
		t.Errorf("call data: %+v", p)
	}
	e := next(t, mine, EventCallOffered)
	var got Pop
	if err := json.Unmarshal(e.Data, &got); err != nil || got.CallID != "call-1" || got.Customer.Name != "Li Lei" {
		t.Fatalf("event pop %s: %v", e.Data, err)
	}
	next(t, all, EventCallOffered)
	r.bus.Publish(acd.AgentStateChanged{Agent: "12", From: acd.AgentAvailable, To: acd.AgentPaused})
	if e := next(t, other, EventAgentState); e.Agent != "12" {
		t.Fatalf("agent 12 got %+v", e)
	}
	// Agent 12 saw its own state first: the offer to 11 never reached it.
	select {
	case e := <-other:
		t.Fatalf("agent 12 got another agent's event %+v", e)
	default:
	}
	byID, err := r.hub.Pop(ctx, "call-1")
	if err != nil || byID.Customer.Name != "Li Lei" {
		t.Fatalf("Pop: %+v %v", byID, err)
	}
	if _, err := r.hub.Pop(ctx, "nope"); !errors.Is(err, ErrUnknownCall) {
		t.Fatalf("unknown call: %v", err)
	}
}

func TestHub_DeadAndSlowHTTPSourcesGivePartialPopsWithVisibleErrors(t *testing.T) {
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hang)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/lookup?n={number}"
	ln.Close()

	for _, tc := range []struct{ name, url string }{{"slow", slow.URL + "/lookup?n={number}"}, {"dead", dead}} {
		t.Run(tc.name, func(t *testing.T) {
			late := &lateLookup{}
			r := newRig(t, Config{Lookup: late, PopTimeout: time.Minute})
			put(t, r.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
			crm, err := source.NewHTTP(source.HTTPConfig{Name: "crm", URL: tc.url, Timeout: 300 * time.Millisecond,
				Fields: map[string]string{"level": "level"}})
			if err != nil {
				t.Fatal(err)
			}
			late.l = builtinDirectory(t, r.st, []directory.Source{crm},
				directory.WithSourceTimeout(300*time.Millisecond), directory.WithDeadline(time.Second))
			r.ringing("call-1", "+8613812345678")
			p := r.hub.Offered(context.Background(), OfferInfo{CallID: "call-1", Agent: "11", Queue: "sales",
				Caller: acd.Party{Number: "+8613812345678"}})
			if !p.Partial || !p.Found || p.Customer.Name != "Li Lei" {
				t.Fatalf("pop %+v", p)
			}
			if len(p.Errors) != 1 || p.Errors[0].Source != "crm" {
				t.Fatalf("errors %+v", p.Errors)
			}
			st := r.hub.Status()
			i := slices.IndexFunc(st.Sources, func(h directory.Health) bool { return h.Name == "crm" })
			if i < 0 || st.Sources[i].Failures != 1 || st.Sources[i].LastError == "" {
				t.Fatalf("status %+v", st.Sources)
			}
		})
	}
}

func TestHub_SlowLookupNeverHoldsTheOfferAndThePopFollows(t *testing.T) {
	g := newGate(directory.Record{Name: "Han Meimei", VIP: true})
	r := newRig(t, Config{Lookup: g, PopTimeout: 20 * time.Millisecond})
	ctx := context.Background()
	ch, _ := r.hub.Subscribe(ctx, Filter{Agent: "11"}, 0)
	r.ringing("call-2", "13900001111")
	p := r.hub.Offered(ctx, OfferInfo{CallID: "call-2", Agent: "11", Caller: acd.Party{Number: "13900001111"}})
	if !p.Partial || p.Found || len(p.Errors) != 1 || !p.Errors[0].Timeout {
		t.Fatalf("pop before the lookup ended: %+v", p)
	}
	next(t, ch, EventCallOffered)
	close(g.release)
	e := next(t, ch, EventPopUpdated)
	var upd Pop
	if err := json.Unmarshal(e.Data, &upd); err != nil || !upd.Found || upd.Partial || upd.Customer.Name != "Han Meimei" {
		t.Fatalf("updated pop %s: %v", e.Data, err)
	}
	if got, _ := r.hub.Pop(ctx, "call-2"); got.Customer.Name != "Han Meimei" {
		t.Fatalf("Pop after update: %+v", got)
	}
}

func TestHub_CallerNameSharesTheLookupStartedWhenTheCallRang(t *testing.T) {
	g := newGate(directory.Record{Name: "Han Meimei", VIP: true})
	r := newRig(t, Config{Lookup: g, NameTimeout: time.Minute})
	ctx := context.Background()
	all, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
	r.ringing("call-3", "13900001111")
	next(t, all, EventCallRinging)
	close(g.release)
	if got := r.hub.DisplayName(ctx, "+86 139 0000 1111"); got != "★ Han Meimei" {
		t.Fatalf("display name %q", got)
	}
	g.mu.Lock()
	calls := g.calls
	g.mu.Unlock()
	if calls != 1 {
		t.Fatalf("%d lookups, want the ringing one shared", calls)
	}
	r.bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "call-3"}})
	next(t, all, EventCallEnded)
}

func TestHub_CallerNameGivesUpAfterItsTimeout(t *testing.T) {
	g := newGate(directory.Record{Name: "Late"})
	r := newRig(t, Config{Lookup: g, NameTimeout: 10 * time.Millisecond})
	defer close(g.release)
	if name, vip := r.hub.CallerName(context.Background(), "13900001111"); name != "" || vip {
		t.Fatalf("got %q %v from a source that has not answered", name, vip)
	}
}

func TestStream_ReplaysWhatAReconnectingClientMissedAndReportsAGap(t *testing.T) {
	r := newRig(t, Config{Replay: 4})
	ctx := context.Background()
	all, _ := r.hub.Subscribe(ctx, Filter{All: true}, 0)
	var ids []uint64
	for i := range 6 {
		r.bus.Publish(acd.AgentStateChanged{Agent: []string{"11", "12"}[i%2], To: acd.AgentAvailable})
		ids = append(ids, next(t, all, EventAgentState).ID)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("ids %v not consecutive", ids)
		}
	}
	ch, err := r.hub.Subscribe(ctx, Filter{Agent: "12"}, ids[2])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []uint64{ids[3], ids[5]} {
		if e := <-ch; e.ID != want || e.Agent != "12" {
			t.Fatalf("replayed %+v, want ID %d", e, want)
		}
	}
	if _, err := r.hub.Subscribe(ctx, Filter{All: true}, ids[0]); !errors.Is(err, ErrReplayGap) {
		t.Fatalf("subscribe from a dropped ID: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	ch2, _ := r.hub.Subscribe(cctx, Filter{All: true}, 0)
	cancel()
	for range ch2 {
	}
}

func put[T store.Record](t *testing.T, st *store.Store, rec T) {
	t.Helper()
	if _, err := store.Put(st, rec); err != nil {
		t.Fatal(err)
	}
}

func TestHub_OfferReturnsAtOnceAndPublishesThePop(t *testing.T) {
	g := newGate(directory.Record{Name: "Han Meimei"})
	r := newRig(t, Config{Lookup: g, PopTimeout: time.Minute})
	ch, _ := r.hub.Subscribe(context.Background(), Filter{Agent: "11"}, 0)
	r.hub.Offer(OfferInfo{CallID: "call-4", Agent: "11", Caller: acd.Party{Number: "13900001111"}})
	close(g.release) // the source answers only after Offer returned
	var p Pop
	if err := json.Unmarshal(next(t, ch, EventCallOffered).Data, &p); err != nil || p.Customer.Name != "Han Meimei" {
		t.Fatalf("pop %+v %v", p, err)
	}
}
