package webui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"callbox/acd"
	"callbox/acd/queue"
	"callbox/firmware/store"
)

var errNoPhones = errors.New("no phones in this test")

// acdFixture is a server with a live queue side over the same store:
// agents 101 (linked to user "li") and 102, queue "sales".
func acdFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.finishSetup()
	f.addUser("boss", store.RoleSupervisor, testPassword, false)
	f.addUser("li", store.RoleAgent, testPassword, false)
	for _, a := range []store.Agent{{ID: "101", Name: "Li", User: "li", Extension: "201", Enabled: true},
		{ID: "102", Name: "Wang", Extension: "202", Enabled: true}} {
		if _, err := store.Put(f.st, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Put(f.st, store.Extension{Number: "401", Secret: "Super-Visor-41x", Name: "Boss"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(f.st, store.Queue{Name: "sales", Strategy: store.StrategyLongestIdle,
		Members: []store.QueueMember{{Agent: "101", Level: 1, Weight: 1}, {Agent: "102", Level: 1, Weight: 1}}}); err != nil {
		t.Fatal(err)
	}
	live, err := queue.NewLive(queue.WithStore(f.st), queue.WithLiveClock(f.clock.Now),
		queue.WithDial(func(context.Context, string, acd.Party, acd.Leg) (acd.Leg, error) { return nil, errNoPhones }))
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Dispatcher().Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: f.st, Now: f.clock.Now, Status: f.currentStatus, ACD: live})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	return f
}

func TestAPIACD_SupervisorSeesEveryAgentAndQueue(t *testing.T) {
	f := acdFixture(t)
	b := f.browser()
	b.login("boss", testPassword)
	r := b.get("/api/v1/agents")
	wantStatus(t, r, http.StatusOK)
	agents := decode[[]agentJSON](t, r)
	if len(agents) != 2 || agents[0].ID != "101" || agents[0].State != "available" || agents[0].Extension != "201" ||
		agents[1].State != "loggedout" {
		t.Fatalf("agents %+v", agents)
	}
	r = b.get("/api/v1/queues/live")
	wantStatus(t, r, http.StatusOK)
	qs := decode[[]queueJSON](t, r)
	if len(qs) != 1 || qs[0].Queue != "sales" || qs[0].LoggedIn != 1 || qs[0].Available != 1 || qs[0].ServiceLevel != 100 {
		t.Fatalf("queues %+v", qs)
	}
	wantStatus(t, b.get("/api/v1/queues/sales/intervals"), http.StatusOK)
	wantStatus(t, b.get("/api/v1/callbacks"), http.StatusOK)
}

func TestAPIACD_AgentSeesOnlyThemselves(t *testing.T) {
	f := acdFixture(t)
	b := f.browser()
	b.login("li", testPassword)
	agents := decode[[]agentJSON](t, b.get("/api/v1/agents"))
	if len(agents) != 1 || agents[0].ID != "101" {
		t.Fatalf("agent li sees %+v; want only agent 101", agents)
	}
	wantStatus(t, b.get("/api/v1/agents/101"), http.StatusOK)
	wantStatus(t, b.get("/api/v1/agents/102"), http.StatusForbidden)
	wantStatus(t, b.get("/api/v1/queues/live"), http.StatusForbidden)
	wantStatus(t, b.json(http.MethodPost, "/api/v1/agents/101/supervise", map[string]string{"extension": "401", "mode": "listen"}),
		http.StatusForbidden)
}

func TestAPIACD_RefusesBadSupervisionAndExplains(t *testing.T) {
	f := acdFixture(t)
	b := f.browser()
	b.login("boss", testPassword)
	r := b.json(http.MethodPost, "/api/v1/agents/101/supervise", map[string]string{"extension": "401", "mode": "shout"})
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, "listen, whisper or barge") {
		t.Errorf("bad mode answer %s", r.Body)
	}
	r = b.json(http.MethodPost, "/api/v1/agents/101/supervise", map[string]string{"extension": "999", "mode": "listen"})
	wantStatus(t, r, http.StatusBadRequest)
	// Agent 101 is logged in but on no call.
	r = b.json(http.MethodPost, "/api/v1/agents/101/supervise", map[string]string{"extension": "401", "mode": "listen"})
	wantStatus(t, r, http.StatusConflict)
	wantStatus(t, b.json(http.MethodPost, "/api/v1/agents/101/record", nil), http.StatusConflict)
	wantStatus(t, b.get("/api/v1/agents/555"), http.StatusNotFound)
	wantStatus(t, b.get("/api/v1/queues/sales/intervals?from=yesterday"), http.StatusBadRequest)
}

func TestAPIACD_AnswersUnavailableWithoutQueueService(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	b := f.browser()
	b.login("admin", testPassword)
	wantStatus(t, b.get("/api/v1/agents"), http.StatusServiceUnavailable)
	wantStatus(t, b.get("/api/v1/queues/live"), http.StatusServiceUnavailable)
}

func FuzzDecodeSupervise(f *testing.F) {
	f.Add(`{"extension":"401","mode":"listen"}`)
	f.Add(`{"mode":"barge"}`)
	f.Add(`{"mode":"whisper","extra":1}`)
	f.Add(`[]`)
	f.Add(`{"mode":`)
	f.Fuzz(func(t *testing.T, body string) {
		in, m, err := decodeSupervise(strings.NewReader(body))
		if err == nil && m.String() != in.Mode {
			t.Fatalf("mode %v from %q", m, in.Mode)
		}
	})
}
