package webui

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/firmware/store"
)

// waitCurrent polls the current-call API until it answers want (a call
// ID, or "" for none) and returns the last answer.
func waitCurrent(t *testing.T, cf *ctiFixture, tok, agent, want string) cti.Current {
	t.Helper()
	var cur cti.Current
	for i := 0; ; i++ {
		code, body := cf.call(tok, http.MethodGet, "/api/v1/agents/"+agent+"/call", "", nil)
		cur = cti.Current{}
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &cur); err != nil {
				t.Fatalf("current call %s: %v", body, err)
			}
		} else if code != http.StatusNotFound {
			t.Fatalf("current call: %d %s", code, body)
		}
		if cur.CallID == want {
			return cur
		}
		if i > 1000 {
			t.Fatalf("current call of %s is %+v, want %q", agent, cur, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCurrentCallAPI_ATransferTargetReloadingFindsTheCallAndItsPop(t *testing.T) {
	cf := newCTIFixture(t)
	cf.agentUser("lily", "11", "201")
	cf.agentUser("tom", "12", "202")
	put(t, cf.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	lily, tom := cf.token(store.RoleAgent, "lily"), cf.token(store.RoleAgent, "tom")
	boss := cf.token(store.RoleSupervisor, "")
	ctx := context.Background()
	// Tom is logged in at 202, so a transfer to 202 is his.
	cf.bus.Publish(acd.AgentStateChanged{Agent: "12", To: acd.AgentAvailable})

	rec := acd.CallRecord{ID: "call-1", Caller: acd.Party{Number: "013812345678", Source: acd.SourceLine},
		Direction: acd.DirectionIn, Queue: "sales", Agent: "11"}
	cf.bus.Publish(acd.CallRinging{Call: rec})
	cf.hub.Offered(ctx, cti.OfferInfo{CallID: "call-1", Agent: "11", Extension: "201", Queue: "sales", Caller: rec.Caller})
	cf.bus.Publish(acd.CallAnswered{Call: rec})
	waitCurrent(t, cf, lily, "11", "call-1")

	from := acd.Party{Number: "201", Source: acd.SourceExtension}
	for _, stage := range []acd.HandoffStage{acd.HandoffRinging, acd.HandoffCompleted} {
		cf.bus.Publish(acd.CallHandoff{Call: rec, Kind: acd.HandoffBlind, Stage: stage, From: from, Target: "202", Extension: "202"})
	}
	cur := waitCurrent(t, cf, tom, "12", "call-1")
	if cur.Kind != cti.KindTransfer {
		t.Fatalf("Tom's current call %+v", cur)
	}
	waitCurrent(t, cf, lily, "11", "")
	// The reloaded console shows the pop of the call it was given, once
	// the hub has built it (the customer lookup runs after the handoff).
	var code int
	var body string
	var p cti.Pop
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		code, body = cf.call(tom, http.MethodGet, "/api/v1/calls/call-1/pop", "", nil)
		if code != http.StatusForbidden || time.Now().After(deadline) {
			break
		}
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil || p.Agent != "12" || p.Customer.Name != "Li Lei" {
		t.Fatalf("Tom's pop: %d %s", code, body)
	}
	// Agents read their own current call only; supervisors any.
	if code, _ := cf.call(lily, http.MethodGet, "/api/v1/agents/12/call", "", nil); code != http.StatusForbidden {
		t.Fatalf("another agent's current call: %d", code)
	}
	waitCurrent(t, cf, boss, "12", "call-1")

	cf.bus.Publish(acd.CallEnded{Call: rec})
	waitCurrent(t, cf, tom, "12", "")
}

func TestCurrentCallAPI_ClickToDialIsTheAgentsCallAndTheirHistory(t *testing.T) {
	cf := newCTIFixture(t)
	cf.agentUser("lily", "11", "201")
	lily := cf.token(store.RoleAgent, "lily")
	put(t, cf.st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})

	if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls", map[string]string{"number": "013812345678"}); code != http.StatusCreated {
		t.Fatalf("originate: %d %s", code, body)
	}
	if cur := waitCurrent(t, cf, lily, "11", "call-new"); cur.Kind != cti.KindOutbound {
		t.Fatalf("current %+v", cur)
	}
	var p cti.Pop
	for i := 0; p.Customer.Name == ""; i++ {
		code, body := cf.call(lily, http.MethodGet, "/api/v1/calls/call-new/pop", "", nil)
		if code == http.StatusOK {
			_ = json.Unmarshal([]byte(body), &p)
		}
		if i > 1000 {
			t.Fatalf("pop of the click-to-dial: %d %s", code, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p.Kind != cti.KindOutbound || p.Number != "+8613812345678" || p.Agent != "11" {
		t.Fatalf("pop %+v", p)
	}
	cf.bus.Publish(acd.CallEnded{Call: acd.CallRecord{ID: "call-new", Caller: acd.Party{Number: "201", Source: acd.SourceExtension},
		Dialed: "013812345678", Direction: acd.DirectionOut, Start: time.Now(), Data: map[string]string{cti.OriginatorKey: "201"}}})
	waitCurrent(t, cf, lily, "11", "")
	if code, body := cf.callJSON(lily, http.MethodPost, "/api/v1/calls/call-new/wrapup", map[string]string{"code": "sale"}); code != http.StatusNoContent {
		t.Fatalf("wrap-up: %d %s", code, body)
	}
	for i := 0; ; i++ {
		ct, err := store.Get[store.Contact](cf.st, "call.call-new")
		if err == nil && ct.Agent == "11" && ct.Summary == "sale" && ct.CustomerID == "c1" {
			break
		}
		if i > 1000 {
			t.Fatalf("history entry %+v %v", ct, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
