package webui

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// followupFixture is the CTI fixture with agent "li" (agent 11 on
// extension 201), agent "tom" (12 on 202), a supervisor "boss" and a
// customer with the number the tests call.
func followupFixture(t *testing.T) *ctiFixture {
	t.Helper()
	cf := newCTIFixture(t)
	cf.agentUser("li", "11", "201")
	cf.agentUser("tom", "12", "202")
	cf.addUser("boss", store.RoleSupervisor, testPassword, false)
	put(t, cf.st, store.Customer{ID: "c1", Name: "Wang Wei", Numbers: []string{"+8613800138000"}})
	return cf
}

func sessionOf(cf *ctiFixture, name string) *browser {
	b := cf.browser()
	b.login(name, testPassword)
	return b
}

func TestFollowupAPI_AgentWorksATaskFromCreateToReached(t *testing.T) {
	cf := followupFixture(t)
	li := sessionOf(cf, "li")
	due := cf.clock.Now().Add(-time.Minute).Format(time.RFC3339)
	r := li.json(http.MethodPost, "/api/v1/followups", map[string]any{"number": "13800138000", "reason": "Refund status", "due": due, "priority": 3})
	wantStatus(t, r, http.StatusCreated)
	f := decode[store.Followup](t, r)
	if f.Agent != "11" || f.Number != "+8613800138000" || f.CustomerID != "c1" || f.State != store.FollowupOpen ||
		f.Source != store.FollowupFromAPI || f.CreatedBy != "li" {
		t.Fatalf("created %+v", f)
	}
	list := decode[[]store.Followup](t, li.get("/api/v1/followups?state=open"))
	if len(list) != 1 || list[0].ID != f.ID {
		t.Fatalf("list %+v", list)
	}

	// Call: the agent's phone rings first, then the customer's number.
	r = li.json(http.MethodPost, "/api/v1/followups/"+f.ID+"/call", nil)
	wantStatus(t, r, http.StatusOK)
	ca := decode[callAnswer](t, r)
	if ca.CallID != "call-new" || ca.Followup.State != store.FollowupDialing || ca.Followup.Attempts != 1 {
		t.Fatalf("call answer %+v", ca)
	}
	if got := cf.ctl.list(); len(got) != 1 || got[0] != "originate 201 +8613800138000" {
		t.Fatalf("dial requests %q", got)
	}

	// No answer: back on the list after the policy's first step.
	r = li.json(http.MethodPost, "/api/v1/followups/"+f.ID+"/outcome", map[string]string{"outcome": "noanswer"})
	wantStatus(t, r, http.StatusOK)
	if g := decode[store.Followup](t, r); g.State != store.FollowupOpen || !g.Due.Equal(cf.clock.Now().Add(30*time.Minute)) {
		t.Fatalf("after no answer %+v", g)
	}
	// The retry comes due; the browser keeps its session alive meanwhile.
	cf.clock.Advance(20 * time.Minute)
	wantStatus(t, li.get("/api/v1/followups"), http.StatusOK)
	cf.clock.Advance(10 * time.Minute)
	wantStatus(t, li.json(http.MethodPost, "/api/v1/followups/"+f.ID+"/call", nil), http.StatusOK)
	r = li.json(http.MethodPost, "/api/v1/followups/"+f.ID+"/outcome", map[string]string{"outcome": "reached", "note": "Refund sent <today>"})
	wantStatus(t, r, http.StatusOK)
	if g := decode[store.Followup](t, r); g.State != store.FollowupDone || g.Attempts != 2 {
		t.Fatalf("after reached %+v", g)
	}
	wantStatus(t, li.json(http.MethodPost, "/api/v1/followups/"+f.ID+"/call", nil), http.StatusConflict)

	// Both attempts are in the customer's history.
	hist := decode[struct{ Contacts []store.Contact }](t, li.get("/api/v1/customers/c1/history")).Contacts
	if len(hist) != 2 || !strings.Contains(hist[0].Summary, "Reached") || !strings.Contains(hist[0].Summary, "Refund sent <today>") {
		t.Fatalf("history %+v", hist)
	}
}

func TestFollowupAPI_AgentsKeepToTheirOwnListSupervisorsAssign(t *testing.T) {
	cf := followupFixture(t)
	due := cf.clock.Now().Add(time.Hour).Format(time.RFC3339)
	body := map[string]any{"agent": "12", "number": "13800138000", "reason": "Quote", "due": due}

	li := sessionOf(cf, "li")
	r := li.json(http.MethodPost, "/api/v1/followups", body)
	wantStatus(t, r, http.StatusForbidden)
	if !strings.Contains(r.Body, msg(i18n.EN, "followup.err.assign")) {
		t.Errorf("refusal says %s", r.Body)
	}

	// A supervisor's token may put a task on any agent's list.
	sup := cf.token(store.RoleSupervisor, "")
	code, out := cf.callJSON(sup, http.MethodPost, "/api/v1/followups", body)
	if code != http.StatusCreated {
		t.Fatalf("supervisor token: %d %s", code, out)
	}
	var f store.Followup
	if err := json.Unmarshal([]byte(out), &f); err != nil || f.Agent != "12" {
		t.Fatalf("%s: %v", out, err)
	}

	// li cannot see, call, record or cancel tom's task.
	wantStatus(t, li.get("/api/v1/followups/"+f.ID), http.StatusForbidden)
	wantStatus(t, li.get("/api/v1/followups?agent=12"), http.StatusForbidden)
	for _, a := range []string{"call", "outcome", "cancel"} {
		wantStatus(t, li.json(http.MethodPost, "/api/v1/followups/"+f.ID+"/"+a, map[string]string{"outcome": "busy"}), http.StatusForbidden)
	}
	if list := decode[[]store.Followup](t, li.get("/api/v1/followups")); len(list) != 0 {
		t.Fatalf("li sees %+v", list)
	}
	// An agent-scoped token that is nobody's agent has no list.
	anon := cf.token(store.RoleAgent, "")
	if code, out := cf.callJSON(anon, http.MethodPost, "/api/v1/followups", map[string]any{"number": "13800138000", "reason": "x", "due": due}); code != http.StatusForbidden {
		t.Fatalf("agent token without an agent: %d %s", code, out)
	}
	// tom's own token acts as tom.
	tom := cf.token(store.RoleAgent, "tom")
	if code, out := cf.callJSON(tom, http.MethodPost, "/api/v1/followups/"+f.ID+"/cancel", nil); code != http.StatusOK || !strings.Contains(out, `"cancelled"`) {
		t.Fatalf("tom cancels his task: %d %s", code, out)
	}
	if code, _ := cf.callJSON(tom, http.MethodPut, "/api/v1/followups/policy", map[string]any{"maxAttempts": 5, "retryMinutes": []int{10}}); code != http.StatusForbidden {
		t.Fatalf("agent changes the retry policy: %d", code)
	}
	code, out = cf.callJSON(sup, http.MethodPut, "/api/v1/followups/policy", map[string]any{"maxAttempts": 5, "retryMinutes": []int{10}})
	if p, _ := store.GetFollowupPolicy(cf.st); code != http.StatusOK || p.MaxAttempts != 5 {
		t.Fatalf("supervisor sets the policy: %d %s, stored %+v", code, out, p)
	}
	audits, err := store.List[store.Audit](cf.st)
	if err != nil || !slices.ContainsFunc(audits, func(a store.Audit) bool {
		return a.Of == store.KindFollowupPolicy && strings.Contains(a.Detail, `"maxAttempts":5`)
	}) {
		t.Fatalf("no audit entry of the policy change: %+v %v", audits, err)
	}
}

func TestFollowupAPI_BadBodiesGet400WithTheFieldsMessage(t *testing.T) {
	cf := followupFixture(t)
	li := sessionOf(cf, "li")
	fields := func(r reply) map[string]string {
		t.Helper()
		wantStatus(t, r, http.StatusBadRequest)
		return decode[fieldErrors](t, r).Errors
	}
	r := li.raw(http.MethodPost, "/api/v1/followups", strings.NewReader(`{"number": "138`))
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, `"error"`) {
		t.Fatalf("bad JSON answer %s", r.Body)
	}
	if e := fields(li.raw(http.MethodPost, "/api/v1/followups", strings.NewReader(`{"number":"13800138000","reason":"x","due":"2026-03-02T10:00","priority":"high"}`))); e["priority"] == "" {
		t.Fatalf("wrong type: %v", e)
	}
	e := fields(li.json(http.MethodPost, "/api/v1/followups", map[string]any{"number": "call me", "due": "tomorrow", "priority": 12, "source": "import"}))
	for _, f := range []string{"number", "due", "reason", "priority", "source"} {
		if e[f] == "" {
			t.Errorf("no message for %s: %v", f, e)
		}
	}
	if e["due"] != msg(i18n.EN, "followup.err.time") {
		t.Errorf("due message %q", e["due"])
	}
	r = li.json(http.MethodPost, "/api/v1/followups", map[string]any{"number": "13800138000", "reason": "x", "due": "2026-03-02T10:00"})
	wantStatus(t, r, http.StatusCreated)
	id := decode[store.Followup](t, r).ID
	if e := fields(li.json(http.MethodPost, "/api/v1/followups/"+id+"/outcome", map[string]string{"outcome": "maybe"})); e["outcome"] == "" {
		t.Errorf("bad outcome: %v", e)
	}
	past := cf.clock.Now().Add(-time.Hour).Format(time.RFC3339)
	if e := fields(li.json(http.MethodPost, "/api/v1/followups/"+id+"/outcome", map[string]string{"outcome": "reschedule", "due": past})); e["due"] != msg(i18n.EN, "followup.err.past") {
		t.Errorf("reschedule into the past: %v", e)
	}
	wantStatus(t, li.get("/api/v1/followups?state=lost"), http.StatusBadRequest)
	wantStatus(t, li.get("/api/v1/followups/nope"), http.StatusNotFound)
}

func TestFollowupAPI_ImportPreviewsThenWritesAllOrNothing(t *testing.T) {
	cf := followupFixture(t)
	csvReq := func(b *browser, path, body string) reply {
		h := http.Header{"Content-Type": {"text/csv"}, "X-Csrf-Token": {b.csrf}}
		return b.do(http.MethodPost, path, strings.NewReader(body), h)
	}
	good := "agent,number,reason,due,priority\n11,13800138000,Refund,2026-03-02 10:00,2\n12,13900139000,Quote,2026-03-02,\n"
	bad := good + "99,n/a,,soon,x\n"

	wantStatus(t, csvReq(sessionOf(cf, "li"), "/api/v1/followups/import", good), http.StatusForbidden)
	boss := sessionOf(cf, "boss")
	r := csvReq(boss, "/api/v1/followups/import", bad)
	wantStatus(t, r, http.StatusOK)
	a := decode[followupImportAnswer](t, r)
	if a.OK || len(a.Preview.Rows) != 3 || len(a.Preview.Rows[2].Problems) != 5 || len(a.Messages) != 5 {
		t.Fatalf("preview of a bad file %+v", a)
	}
	wantStatus(t, csvReq(boss, "/api/v1/followups/import?commit=1", bad), http.StatusBadRequest)
	if fs, _ := store.List[store.Followup](cf.st); len(fs) != 0 {
		t.Fatalf("a bad file half-imported %d tasks", len(fs))
	}
	r = csvReq(boss, "/api/v1/followups/import?commit=1", good)
	wantStatus(t, r, http.StatusOK)
	if a := decode[followupImportAnswer](t, r); a.Imported != 2 {
		t.Fatalf("imported %+v", a)
	}
	list := decode[[]store.Followup](t, boss.get("/api/v1/followups?agent=11"))
	if len(list) != 1 || list[0].CustomerID != "c1" || list[0].Source != store.FollowupFromImport || list[0].CreatedBy != "boss" {
		t.Fatalf("imported tasks %+v", list)
	}
}

func FuzzFollowupDecoders(f *testing.F) {
	fx := newFixture(f)
	fx.finishSetup()
	d := followupDecoder{fx.srv}
	f.Add(`{"agent":"11","number":"13800138000","reason":"Refund","due":"2026-03-02T10:00:00+08:00","priority":3,"source":"wrapup","callId":"c-1"}`)
	f.Add(`{"outcome":"reschedule","due":"2026-03-02 10:00","note":"later"}`)
	f.Add(`{"maxAttempts":3,"retryMinutes":[30,120]}`)
	f.Add(`{"priority":"high"}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, in string) {
		if fu, probs, err := d.decodeFollowup(strings.NewReader(in)); err == nil && len(probs) == 0 {
			if fu.Number == "" || fu.Due.IsZero() || fu.Reason == "" {
				t.Fatalf("accepted %q as %+v", in, fu)
			}
		}
		if res, probs, err := d.decodeOutcome(strings.NewReader(in)); err == nil && len(probs) == 0 {
			if res.Outcome == store.OutcomeReschedule && !res.Due.After(fx.clock.Now()) {
				t.Fatalf("accepted a reschedule to %v", res.Due)
			}
		}
		_, _, _ = decodePolicy(strings.NewReader(in))
	})
}
