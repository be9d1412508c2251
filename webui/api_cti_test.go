package webui

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/firmware/store"
)

func TestEvents_SSEDeliversTheOfferedPopToItsAgentAndReplaysOnReconnect(t *testing.T) {
	cf := newCTIFixture(t)
	cf.agentUser("lily", "11", "201")
	cf.agentUser("tom", "12", "202")
	if _, err := store.Put(cf.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}, VIP: true}); err != nil {
		t.Fatal(err)
	}
	lily, tom, sup := cf.token(store.RoleAgent, "lily"), cf.token(store.RoleAgent, "tom"), cf.token(store.RoleSupervisor, "")
	lilyStream, tomStream, supStream := cf.openSSE(lily, ""), cf.openSSE(tom, ""), cf.openSSE(sup, "")

	cf.hub.Offered(context.Background(), cti.OfferInfo{CallID: "call-1", Agent: "11", Extension: "201", Queue: "sales",
		Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine}, Waited: 30 * time.Second, Skills: []string{"zh:1"}})
	e := lilyStream.next(t, cti.EventCallOffered)
	var p cti.Pop
	if err := json.Unmarshal([]byte(e.Data), &p); err != nil {
		t.Fatal(err)
	}
	if p.CallID != "call-1" || p.Customer.Name != "Li Lei" || !p.Customer.VIP || p.Partial || p.Number != "+8613812345678" {
		t.Fatalf("pop %+v", p)
	}
	supStream.next(t, cti.EventCallOffered)

	// Tom's stream gets his own state change, never Lily's offer.
	cf.bus.Publish(acd.AgentStateChanged{Agent: "12", From: acd.AgentAvailable, To: acd.AgentPaused, Reason: "lunch"})
	supStream.next(t, cti.EventAgentState)
	if got := tomStream.next(t, cti.EventAgentState); !strings.Contains(got.Data, `"agent":"12"`) {
		t.Fatalf("tom got %+v", got)
	}

	// Lily reconnects after missing an event: the stream replays it.
	cf.bus.Publish(acd.AgentStateChanged{Agent: "11", From: acd.AgentAvailable, To: acd.AgentRinging, CallID: "call-1"})
	missed := supStream.next(t, cti.EventAgentState)
	again := cf.openSSE(lily, e.ID)
	if got := again.next(t, cti.EventAgentState); got.ID != missed.ID {
		t.Fatalf("replayed %+v, want %s", got, missed.ID)
	}

	// The pop is the same by call ID, for the agent and the supervisor;
	// the other agent may not read it.
	code, body := cf.call(lily, http.MethodGet, "/api/v1/calls/call-1/pop", "", nil)
	if code != http.StatusOK || !strings.Contains(body, "Li Lei") {
		t.Fatalf("pop by ID: %d %s", code, body)
	}
	if code, _ := cf.call(tom, http.MethodGet, "/api/v1/calls/call-1/pop", "", nil); code != http.StatusForbidden {
		t.Fatalf("other agent's pop: %d", code)
	}
	if code, _ := cf.call(sup, http.MethodGet, "/api/v1/calls/nope/pop", "", nil); code != http.StatusNotFound {
		t.Fatalf("unknown pop: %d", code)
	}
}

func TestTokens_ScopeRevocationAndRefusals(t *testing.T) {
	cf := newCTIFixture(t)
	sup := cf.token(store.RoleSupervisor, "")
	if code, body := cf.call(sup, http.MethodGet, "/api/v1/cti/status", "", nil); code != http.StatusOK || !strings.Contains(body, `"sources"`) {
		t.Fatalf("status: %d %s", code, body)
	}
	if code, _ := cf.callJSON(sup, http.MethodPut, "/api/v1/directory/sources", map[string]any{"sources": []any{}}); code != http.StatusForbidden {
		t.Fatalf("supervisor token on an admin route: %d", code)
	}
	if code, _ := cf.call(sup, http.MethodGet, "/api/v1/users", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("token on a session-only route: %d", code)
	}
	if code, _ := cf.callJSON(sup, http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "admin"}); code != http.StatusUnauthorized {
		t.Fatalf("a token minting a token: %d", code)
	}
	if code, _ := cf.call("cbx_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.MethodGet, "/api/v1/cti/status", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", code)
	}
	// The list never shows hashes or secrets; revoking takes effect at once.
	b := cf.browser()
	b.login("admin", testPassword)
	list := b.get("/api/v1/tokens")
	if strings.Contains(list.Body, "hash") || strings.Contains(list.Body, sup) {
		t.Fatalf("token list leaks: %s", list.Body)
	}
	toks := decode[[]tokenJSON](t, list)
	wantStatus(t, b.raw(http.MethodDelete, "/api/v1/tokens/"+toks[0].ID, nil), http.StatusNoContent)
	if code, _ := cf.call(sup, http.MethodGet, "/api/v1/cti/status", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", code)
	}
}

func TestCallControl_ActionsReachTheControlAndBodiesAreChecked(t *testing.T) {
	cf := newCTIFixture(t)
	cf.agentUser("lily", "11", "201")
	cf.agentUser("tom", "12", "202")
	lily, tom := cf.token(store.RoleAgent, "lily"), cf.token(store.RoleAgent, "tom")
	cf.hub.Offered(context.Background(), cti.OfferInfo{CallID: "call-1", Agent: "11", Caller: acd.Party{Number: "13800000000"}})

	if code, body := cf.call(lily, http.MethodPost, "/api/v1/calls/call-1/transfer", "application/json", []byte(`{"target":`)); code != http.StatusBadRequest || !strings.Contains(body, "error") {
		t.Fatalf("bad JSON: %d %s", code, body)
	}
	code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-1/transfer", map[string]string{"target": "abc"})
	if code != http.StatusBadRequest || !strings.Contains(body, `"target"`) {
		t.Fatalf("bad target: %d %s", code, body)
	}
	for _, a := range []string{"hold", "resume", "hangup"} {
		if code, body := cf.call(lily, http.MethodPost, "/api/v1/calls/call-1/"+a, "", nil); code != http.StatusNoContent {
			t.Fatalf("%s: %d %s", a, code, body)
		}
	}
	if code, _ := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-1/conference", map[string]string{"target": "203"}); code != http.StatusNoContent {
		t.Fatalf("conference: %d", code)
	}
	if code, _ := cf.callJSON(tom, http.MethodPost, "/api/v1/calls/call-1/transfer", map[string]string{"target": "203"}); code != http.StatusForbidden {
		t.Fatalf("another agent's call: %d", code)
	}
	// Click-to-dial rings the agent's own extension.
	if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls", map[string]string{"number": "+8613912345678", "extension": "999"}); code != http.StatusCreated || !strings.Contains(body, "call-new") {
		t.Fatalf("originate: %d %s", code, body)
	}
	if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-1/wrapup", map[string]string{"code": "bad\ncode"}); code != http.StatusBadRequest || !strings.Contains(body, `"code"`) {
		t.Fatalf("bad wrap-up: %d %s", code, body)
	}
	if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-1/wrapup", map[string]string{"code": "sale", "notes": "TV"}); code != http.StatusNoContent {
		t.Fatalf("wrap-up: %d %s", code, body)
	}
	// Once the installer lists wrap-up codes, the API holds calls to them:
	// an unlisted or retired code is refused, a code that asks for a note
	// gets one.
	for _, w := range []store.WrapUp{{Code: "sale", LabelEN: "Sale", NoteRequired: true}, {Code: "old", LabelEN: "Old", Disabled: true}} {
		if _, err := store.Put(cf.st, w); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		in    map[string]string
		field string
	}{
		{map[string]string{"code": "sale"}, `"notes"`},
		{map[string]string{"code": "old", "notes": "x"}, `"code"`},
		{map[string]string{"code": "freetext", "notes": "x"}, `"code"`},
	} {
		if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-1/wrapup", tc.in); code != http.StatusBadRequest || !strings.Contains(body, tc.field) {
			t.Fatalf("wrap-up %v: %d %s", tc.in, code, body)
		}
	}
	if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-1/wrapup", map[string]string{"code": "sale", "notes": "TV"}); code != http.StatusNoContent {
		t.Fatalf("listed wrap-up with its note: %d %s", code, body)
	}
	if code, _ := cf.call(lily, http.MethodPost, "/api/v1/agents/11/pause", "application/json", []byte(`{"reason":"lunch"}`)); code != http.StatusNoContent {
		t.Fatalf("pause: %d", code)
	}
	if code, _ := cf.call(lily, http.MethodPost, "/api/v1/agents/12/ready", "", nil); code != http.StatusForbidden {
		t.Fatalf("another agent's state: %d", code)
	}
	want := []string{"hold call-1", "resume call-1", "hangup call-1", "conference call-1 203", "originate 201 +8613912345678"}
	if got := cf.ctl.list(); !slices.Equal(got, want) {
		t.Fatalf("control got %q, want %q", got, want)
	}
	if got := cf.ags.list(); !slices.Equal(got, []string{"pause 11 lunch"}) {
		t.Fatalf("agents got %q", got)
	}
	sup := cf.token(store.RoleSupervisor, "")
	if code, _ := cf.call(sup, http.MethodPost, "/api/v1/calls/gone/hangup", "", nil); code != http.StatusNotFound {
		t.Fatalf("unknown call: %d", code)
	}
}

func TestScripts_AnswersAreCheckedAndKeptWithTheCall(t *testing.T) {
	cf := newCTIFixture(t)
	cf.agentUser("lily", "11", "201")
	admin, lily := cf.token(store.RoleAdmin, ""), cf.token(store.RoleAgent, "lily")
	sc := store.Script{Title: "Sales", Start: "q1", Nodes: []store.ScriptNode{
		{ID: "q1", Type: store.ScriptChoice, Text: "Which product?", Choices: []store.ScriptNodeChoice{{Value: "tv", Label: "TV", Next: "q1"}}}}}
	if code, body := cf.callJSON(admin, http.MethodPut, "/api/v1/scripts/sales", sc); code != http.StatusBadRequest || !strings.Contains(body, "nodes") {
		t.Fatalf("looping script: %d %s", code, body)
	}
	sc.Nodes[0].Choices[0].Next = ""
	if code, body := cf.callJSON(admin, http.MethodPut, "/api/v1/scripts/sales", sc); code != http.StatusOK {
		t.Fatalf("script: %d %s", code, body)
	}
	p := cf.hub.Offered(context.Background(), cti.OfferInfo{CallID: "call-7", Agent: "11", Queue: "sales", Caller: acd.Party{Number: "13800000000"}})
	if p.Script == nil || p.Script.Title != "Sales" {
		t.Fatalf("pop script %+v", p.Script)
	}
	if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-7/script", map[string]any{"answers": []any{map[string]string{"node": "q1", "value": "radio"}}}); code != http.StatusBadRequest || !strings.Contains(body, "answers[0].value") {
		t.Fatalf("bad answer: %d %s", code, body)
	}
	if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-7/script", map[string]any{"answers": []any{map[string]string{"node": "q1", "value": "tv"}}}); code != http.StatusOK {
		t.Fatalf("answers: %d %s", code, body)
	}
	a, err := store.Get[store.ScriptAnswers](cf.st, "call-7")
	if err != nil || a.Agent != "11" || a.Queue != "sales" || a.Answers[0].Question != "Which product?" {
		t.Fatalf("kept %+v %v", a, err)
	}
}

func TestDirectoryLookup_ADeadSourceMakesAPartialAnswerThatNamesIt(t *testing.T) {
	cf := newCTIFixture(t)
	admin := cf.token(store.RoleAdmin, "")
	if _, err := store.Put(cf.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/c?n={number}"
	ln.Close()
	cfg := map[string]any{"sources": []map[string]any{{"type": "builtin"}, {"type": "http", "name": "crm", "url": dead, "timeoutMs": 500,
		"fields": map[string]string{"level": "level"}}}}
	code, body := cf.callJSON(admin, http.MethodPost, "/api/v1/directory/lookup", map[string]any{"number": "13812345678", "config": cfg})
	if code != http.StatusOK {
		t.Fatalf("lookup: %d %s", code, body)
	}
	var out lookupAnswer
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if !out.Result.Partial || out.Result.Record.Name != "Li Lei" || len(out.Messages) != 1 || !strings.Contains(out.Messages[0], "crm") {
		t.Fatalf("answer %+v", out)
	}
	// Saved, the same configuration is what the live directory uses.
	if code, body := cf.callJSON(admin, http.MethodPut, "/api/v1/directory/sources", cfg); code != http.StatusOK {
		t.Fatalf("save sources: %d %s", code, body)
	}
	for i := 0; len(cf.live.Health()) != 2; i++ {
		if i > 2000 {
			t.Fatal("live directory not rebuilt")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, body = cf.callJSON(admin, http.MethodPost, "/api/v1/directory/lookup", map[string]any{"number": "13812345678"})
	if code != http.StatusOK || !strings.Contains(body, `"partial": true`) {
		t.Fatalf("live lookup: %d %s", code, body)
	}
	if code, body := cf.callJSON(admin, http.MethodPut, "/api/v1/directory/sources", map[string]any{"sources": []map[string]any{{"type": "sql", "driver": "oracle"}}}); code != http.StatusBadRequest || !strings.Contains(body, "sources[0].driver") {
		t.Fatalf("bad sources: %d %s", code, body)
	}
}

func TestWebhooks_ConfiguredThroughTheAPIReceiveSignedEvents(t *testing.T) {
	cf := newCTIFixture(t)
	admin := cf.token(store.RoleAdmin, "")
	got := make(chan http.Header, 4)
	bodies := make(chan []byte, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Header.Clone()
		bodies <- b
	}))
	defer recv.Close()
	hook := map[string]any{"id": "crm", "url": recv.URL + "/hook", "events": []string{cti.EventCallOffered}, "secret": "0123456789abcdef-secret", "enabled": true}
	if code, body := cf.callJSON(admin, http.MethodPost, "/api/v1/webhooks", hook); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := cf.callJSON(admin, http.MethodPost, "/api/v1/webhooks", map[string]any{"id": "bad", "url": "ftp://x", "secret": "s"}); code != http.StatusBadRequest ||
		!strings.Contains(body, `"url"`) || !strings.Contains(body, `"secret"`) {
		t.Fatalf("bad webhook: %d %s", code, body)
	}
	cf.hub.Offered(context.Background(), cti.OfferInfo{CallID: "call-1", Agent: "11", Caller: acd.Party{Number: "13800000000"}})
	var h http.Header
	select {
	case h = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	body := <-bodies
	if h.Get(cti.HeaderEvent) != cti.EventCallOffered {
		t.Fatalf("headers %v", h)
	}
	if err := cti.VerifySignature("0123456789abcdef-secret", h.Get(cti.HeaderSignature), body, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		code, out := cf.call(admin, http.MethodGet, "/api/v1/webhooks/deliveries", "", nil)
		if code == http.StatusOK && strings.Contains(out, `"delivered": 1`) {
			break
		}
		if i > 2000 {
			t.Fatalf("deliveries: %d %s", code, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTokenRate_RefillsOverTime(t *testing.T) {
	var l rateLimiter
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range tokenBurst {
		if d := l.take("t", now); d != 0 {
			t.Fatalf("request %d refused", i)
		}
	}
	if d := l.take("t", now); d <= 0 {
		t.Fatal("burst exceeded without a wait")
	}
	if d := l.take("other", now); d != 0 {
		t.Fatal("one token's rate limits another")
	}
	if d := l.take("t", now.Add(time.Second)); d != 0 {
		t.Fatalf("still refused after a second: %v", d)
	}
}
