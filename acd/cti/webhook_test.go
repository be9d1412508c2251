package cti

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

// receiver is a webhook endpoint on loopback that refuses the first
// failures requests with 500 and checks every signature.
type receiver struct {
	secret   string
	mu       sync.Mutex
	failures int
	got      []Event
	bad      []error
	headers  []http.Header
	done     chan struct{}
	want     int
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rv.mu.Lock()
	defer rv.mu.Unlock()
	rv.headers = append(rv.headers, r.Header.Clone())
	if err := VerifySignature(rv.secret, r.Header.Get(HeaderSignature), body, time.Now(), time.Minute); err != nil {
		rv.bad = append(rv.bad, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if rv.failures > 0 {
		rv.failures--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		rv.bad = append(rv.bad, err)
	}
	rv.got = append(rv.got, e)
	if len(rv.got) == rv.want {
		close(rv.done)
	}
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhook_SignedDeliveryIsRetriedWithBackoffUntilAccepted(t *testing.T) {
	rv := &receiver{secret: "s3cret-s3cret-s3cret", failures: 2, done: make(chan struct{}), want: 1}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	r := newRig(t, Config{WebhookBackoff: 5 * time.Millisecond, WebhookRetries: 3})
	put(t, r.st, store.Webhook{ID: "crm", URL: srv.URL + "/hook", Events: []string{EventAgentState}, Secret: rv.secret, Enabled: true})
	put(t, r.st, store.Webhook{ID: "off", URL: srv.URL + "/off", Secret: rv.secret})
	r.bus.Publish(acd.QueueJoined{Queue: "sales", CallID: "c1"}) // not subscribed
	r.bus.Publish(acd.AgentStateChanged{Agent: "11", From: acd.AgentAvailable, To: acd.AgentPaused, Reason: "lunch"})
	select {
	case <-rv.done:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery accepted")
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if len(rv.bad) > 0 {
		t.Fatalf("bad requests: %v", rv.bad)
	}
	if rv.got[0].Type != EventAgentState || rv.got[0].Agent != "11" {
		t.Fatalf("delivered %+v", rv.got[0])
	}
	if len(rv.headers) != 3 || rv.headers[0].Get(HeaderDelivery) != rv.headers[2].Get(HeaderDelivery) {
		t.Fatalf("%d attempts, delivery IDs %q %q", len(rv.headers), rv.headers[0].Get(HeaderDelivery), rv.headers[len(rv.headers)-1].Get(HeaderDelivery))
	}
	// The log is written right after the answer; wait for the final entry.
	var st WebhookStatus
	for i := 0; i < 1000; i++ {
		if st = r.hub.Status().Webhooks; st.Delivered == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st.Delivered != 1 || len(st.Recent) != 3 || !st.Recent[0].OK || st.Recent[0].Attempt != 3 || st.Recent[2].Status != 500 {
		t.Fatalf("status %+v", st)
	}
}

func TestWebhook_GivesUpAfterItsRetries(t *testing.T) {
	rv := &receiver{secret: "s3cret-s3cret-s3cret", failures: 100, done: make(chan struct{})}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	r := newRig(t, Config{WebhookBackoff: time.Millisecond, WebhookRetries: 2})
	put(t, r.st, store.Webhook{ID: "crm", URL: srv.URL, Secret: rv.secret, Enabled: true})
	r.bus.Publish(acd.QueueJoined{Queue: "sales", CallID: "c1"})
	var st WebhookStatus
	for i := 0; i < 2000 && st.Failed == 0; i++ {
		time.Sleep(5 * time.Millisecond)
		st = r.hub.Status().Webhooks
	}
	if st.Failed != 1 || len(st.Recent) != 3 || !st.Recent[0].Final || st.Recent[0].OK {
		t.Fatalf("status %+v", st)
	}
}

func TestVerifySignature_RefusesTamperedStaleAndMalformed(t *testing.T) {
	body := []byte(`{"id":1}`)
	now := time.Unix(1_800_000_000, 0)
	h := Sign("key-key-key-key-key", now, body)
	if err := VerifySignature("key-key-key-key-key", h, body, now.Add(time.Second), time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		at             time.Time
	}{
		"body":      {"key-key-key-key-key", h, []byte(`{"id":2}`), now},
		"secret":    {"other-key-other-key", h, body, now},
		"stale":     {"key-key-key-key-key", h, body, now.Add(time.Hour)},
		"malformed": {"key-key-key-key-key", "v1=zz", body, now},
		"empty":     {"key-key-key-key-key", "", body, now},
	} {
		if err := VerifySignature(c.secret, c.header, c.body, c.at, time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestToken_OnlyTheRightLiveSecretPasses(t *testing.T) {
	r := newRig(t, Config{})
	tok, secret, err := NewToken("CRM", store.RoleSupervisor, "", t0, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	put(t, r.st, tok)
	if got, err := CheckToken(r.st, secret, t0.Add(time.Hour)); err != nil || got.ID != tok.ID {
		t.Fatalf("good token: %+v %v", got, err)
	}
	wrong := secret[:len(secret)-1] + map[bool]string{true: "A", false: "B"}[secret[len(secret)-1] != 'A']
	_, otherSecret, _ := NewToken("x", store.RoleAdmin, "", t0, 0)
	for name, c := range map[string]struct {
		tok string
		at  time.Time
	}{
		"wrong":   {wrong, t0},
		"expired": {secret, t0.Add(25 * time.Hour)},
		"unknown": {otherSecret, t0},
		"garbage": {"Bearer xyz", t0},
	} {
		if _, err := CheckToken(r.st, c.tok, c.at); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	tok.Disabled = true
	put(t, r.st, tok)
	if _, err := CheckToken(r.st, secret, t0); !errors.Is(err, ErrBadToken) {
		t.Errorf("disabled: %v", err)
	}
}

func TestCheckAnswers_FollowsTheBranchesAndRefusesStrays(t *testing.T) {
	sc := script()
	got, probs := CheckAnswers(sc, []store.ScriptAnswer{{Node: "q1", Value: "tv"}, {Node: "q2", Value: "55 inch"}})
	if len(probs) != 0 || len(got) != 2 || got[1].Question != "Screen size?" {
		t.Fatalf("tv path: %+v %+v", got, probs)
	}
	for name, c := range map[string]struct {
		in    []store.ScriptAnswer
		field string
	}{
		"off path":    {[]store.ScriptAnswer{{Node: "q1", Value: "radio"}, {Node: "q2", Value: "x"}}, "answers[1].node"},
		"bad choice":  {[]store.ScriptAnswer{{Node: "q1", Value: "phone"}}, "answers[0].value"},
		"empty text":  {[]store.ScriptAnswer{{Node: "q1", Value: "tv"}, {Node: "q2"}}, "answers[1].value"},
		"wrong start": {[]store.ScriptAnswer{{Node: "q2", Value: "x"}}, "answers[0].node"},
	} {
		_, probs := CheckAnswers(sc, c.in)
		if len(probs) != 1 || probs[0].Field != c.field {
			t.Errorf("%s: %+v", name, probs)
		}
	}
}
