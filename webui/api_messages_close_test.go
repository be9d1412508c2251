package webui

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"callbox/acd/messaging"
	"callbox/firmware/store"
)

func TestMessagesAPI_CloseByHolderOrSupervisorAndListByState(t *testing.T) {
	f := newFixture(t)
	f.finishSetup()
	for _, a := range []store.Agent{{ID: "1001", Name: "Amy", User: "amy", Enabled: true}, {ID: "1002", Name: "Bob", User: "bob", Enabled: true}} {
		if _, err := store.Put(f.st, a); err != nil {
			t.Fatal(err)
		}
	}
	f.addUser("amy", store.RoleAgent, testPassword, false)
	f.addUser("bob", store.RoleAgent, testPassword, false)
	f.addUser("sue", store.RoleSupervisor, testPassword, false)
	for i, n := range []string{"+8613922220002", "+8613922220003"} {
		at := time.Now().Add(time.Duration(i-10) * time.Minute)
		in := store.Message{ID: "in-" + n[1:], Channel: store.ChannelSMS, Direction: store.DirectionIn, Number: n, Line: "gsm0",
			Text: "hello", State: store.StateReceived, CreatedAt: at, UpdatedAt: at}
		if _, err := store.Put(f.st, in); err != nil {
			t.Fatal(err)
		}
	}
	amy, bob, sue := f.browser(), f.browser(), f.browser()
	amy.login("amy", testPassword)
	bob.login("bob", testPassword)
	sue.login("sue", testPassword)
	one := "/api/v1/conversations/" + url.PathEscape("+8613922220002")
	two := "/api/v1/conversations/" + url.PathEscape("+8613922220003")

	// An agent closes only what they hold.
	wantStatus(t, amy.json(http.MethodPost, one+"/close", struct{}{}), http.StatusForbidden)
	wantStatus(t, amy.json(http.MethodPost, one+"/claim", claimInput{}), http.StatusOK)
	wantStatus(t, bob.json(http.MethodPost, one+"/close", struct{}{}), http.StatusForbidden)
	r := amy.json(http.MethodPost, one+"/close", struct{}{})
	wantStatus(t, r, http.StatusOK)
	if c := decode[messaging.Conversation](t, r); !c.Closed || c.ClosedBy != "amy" || c.Agent != "" {
		t.Fatalf("closed %+v", c)
	}
	// A supervisor closes anything, even unclaimed.
	wantStatus(t, sue.json(http.MethodPost, two+"/close", struct{}{}), http.StatusOK)
	wantStatus(t, sue.json(http.MethodPost, "/api/v1/conversations/+8610000000000/close", struct{}{}), http.StatusNotFound)

	if open := decode[[]messaging.Conversation](t, sue.get("/api/v1/conversations?state=open")); len(open) != 0 {
		t.Fatalf("open after closing both: %+v", open)
	}
	if closed := decode[[]messaging.Conversation](t, sue.get("/api/v1/conversations?state=closed")); len(closed) != 2 {
		t.Fatalf("closed: %+v", closed)
	}
	wantStatus(t, sue.get("/api/v1/conversations?state=maybe"), http.StatusBadRequest)

	// Reopening: whoever closed it, or a supervisor.
	wantStatus(t, bob.json(http.MethodPost, one+"/reopen", struct{}{}), http.StatusForbidden)
	r = amy.json(http.MethodPost, one+"/reopen", struct{}{})
	wantStatus(t, r, http.StatusOK)
	if c := decode[messaging.Conversation](t, r); c.Closed {
		t.Fatalf("reopened %+v", c)
	}
	if open := decode[[]messaging.Conversation](t, sue.get("/api/v1/conversations?state=open")); len(open) != 1 || open[0].Key != "+8613922220002" {
		t.Fatalf("open after reopening one: %+v", open)
	}
}
