package firmware

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"callbox/acd/cti"
	"callbox/acd/siptest"
	"callbox/firmware/store"
	"callbox/media/audiotest"
)

// ctiBox is a whole appliance on loopback with desk phones 201 (agent
// Lily), 202 and 203, queue "sales" (number 600) served by Lily, a
// simulated PSTN line 1 routed to that queue, and API tokens: a
// supervisor's, Lily's (agent) and Tom's (agent 12, desk 203).
type ctiBox struct {
	t       *testing.T
	a       *Appliance
	web     string
	sip     netip.AddrPort
	secrets map[string]string
	sup     string // supervisor token
	lily    string // agent 11's token
	tom     string // agent 12's token
	client  *http.Client
}

// newCTIBox starts the box; seed, when given, adds records to its store
// before it starts.
func newCTIBox(t *testing.T, seed ...func(st *store.Store) error) *ctiBox {
	t.Helper()
	dir := dataDir(t)
	st, err := store.Open(StorePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	b := &ctiBox{t: t, secrets: map[string]string{}, client: &http.Client{Timeout: 25 * time.Second}}
	set, err := store.GetSettings(st)
	if err != nil {
		t.Fatal(err)
	}
	set.SetupDone, set.PauseReasons = true, []string{"lunch", "training"}
	must := func(_ store.Change, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.Put(st, set))
	for _, n := range []string{"201", "202", "203"} {
		if b.secrets[n], err = store.GenerateSecret(20); err != nil {
			t.Fatal(err)
		}
		must(store.Put(st, store.Extension{Number: n, Name: "Desk " + n, Secret: b.secrets[n]}))
	}
	for _, u := range []struct{ name, agent, ext, agentName string }{{"lily", "11", "201", "Lily"}, {"tom", "12", "203", "Tom"}} {
		user := store.User{Name: u.name, Role: store.RoleAgent}
		if err := user.SetPassword("Correct-Horse-42-Battery"); err != nil {
			t.Fatal(err)
		}
		must(store.Put(st, user))
		must(store.Put(st, store.Agent{ID: u.agent, Name: u.agentName, User: u.name, Extension: u.ext, Enabled: true}))
	}
	must(store.Put(st, store.Queue{Name: "sales", Number: "600", Strategy: store.StrategyRingAll,
		Members: []store.QueueMember{{Agent: "11", Level: 1, Weight: 1}}, RingSeconds: 20}))
	must(store.Put(st, store.Line{ID: "line1", Type: store.LineFXO, Device: "sim:1", Route: "queue:sales", Enabled: true}))
	token := func(role store.Role, user string) string {
		tok, secret, err := cti.NewToken("e2e-"+string(role)+user, role, user, time.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		must(store.Create(st, tok))
		return secret
	}
	b.sup, b.lily, b.tom = token(store.RoleSupervisor, ""), token(store.RoleAgent, "lily"), token(store.RoleAgent, "tom")
	for _, f := range seed {
		if err := f(st); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	b.a, err = New(context.Background(), testConfig(t, dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(StopTimeout):
			t.Error("Run did not return within StopTimeout")
		}
	})
	settle(t, "SIP and web listening", func() bool { return b.a.tel.srv.Addr("udp").IsValid() && b.a.WebAddr() != "" })
	b.sip, b.web = b.a.tel.srv.Addr("udp"), b.a.WebAddr()
	settle(t, "the CTI answering", func() bool { code, _ := b.api(b.sup, "GET", "/api/v1/cti/status", nil); return code == 200 })
	return b
}

// phone registers a desk phone of extension ext.
func (b *ctiBox) phone(ext string) *siptest.Phone {
	b.t.Helper()
	p := siptest.NewPhone(b.t, siptest.WithUser(ext, b.secrets[ext]))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if res, err := p.Register(ctx, b.sip); err != nil || res.StatusCode != 200 {
		b.t.Fatalf("register %s: %v %v", ext, res, err)
	}
	return p
}

// pstn is a caller with an outside number on simulated line 1.
func (b *ctiBox) pstn(number string) *siptest.Phone {
	b.t.Helper()
	lines := b.a.tel.lines.Sim.Lines()
	if len(lines) == 0 {
		b.t.Fatal("no simulated line")
	}
	p := siptest.NewPhone(b.t, siptest.WithUser(number, ""))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// A line takes no registration; this only points the phone at it.
	_, _ = p.Register(ctx, lines[0].Addr())
	return p
}

// api calls the box's API with a bearer token and a JSON body (raw when
// body is a string).
func (b *ctiBox) api(tok, method, path string, body any) (int, string) {
	b.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, "http://"+b.web+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

// want calls the API and fails unless the status is code.
func (b *ctiBox) want(code int, tok, method, path string, body any) string {
	b.t.Helper()
	got, out := b.api(tok, method, path, body)
	if got != code {
		b.t.Fatalf("%s %s: %d %s, want %d", method, path, got, out, code)
	}
	return out
}

// async runs an API call that blocks while a phone rings.
func (b *ctiBox) async(tok, method, path string, body any) <-chan [2]string {
	out := make(chan [2]string, 1)
	go func() {
		var rd io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			rd = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, "http://"+b.web+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := b.client.Do(req)
		if err != nil {
			out <- [2]string{"error", err.Error()}
			return
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		out <- [2]string{fmt.Sprint(res.StatusCode), string(data)}
	}()
	return out
}

// activeCall returns the ID of the one call the switch has.
func (b *ctiBox) activeCall() string {
	b.t.Helper()
	var id string
	settle(b.t, "one active call", func() bool {
		calls := b.a.tel.sw.Calls()
		if len(calls) != 1 {
			return false
		}
		id = calls[0].ID
		return true
	})
	return id
}

// incoming waits for a call ringing p and answers it.
func incoming(t *testing.T, p *siptest.Phone, what string) *siptest.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.Incoming(ctx)
	if err != nil {
		t.Fatalf("%s never rang: %v", what, err)
	}
	return c
}

func answer(t *testing.T, c *siptest.Call) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Answer(ctx); err != nil {
		t.Fatal(err)
	}
}

func ended(t *testing.T, c *siptest.Call, what string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not end", what)
	}
}

func alive(t *testing.T, c *siptest.Call, what string) {
	t.Helper()
	select {
	case <-c.Done():
		t.Fatalf("%s ended", what)
	default:
	}
}

// hears reports whether to hears a tone of freq that from plays.
func hears(from, to *siptest.Call, freq float64) bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = from.Play(ctx, freq, 1500*time.Millisecond) }()
	time.Sleep(200 * time.Millisecond) // the tone reaches the box
	return audiotest.HasTone(to.Listen(800*time.Millisecond), freq, 0.5)
}

func asyncResult(t *testing.T, ch <-chan [2]string, code int, what string) string {
	t.Helper()
	select {
	case r := <-ch:
		if r[0] != fmt.Sprint(code) {
			t.Fatalf("%s: %s %s, want %d", what, r[0], r[1], code)
		}
		return r[1]
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no answer", what)
	}
	return ""
}

func TestCTI_QueueCallAnsweredByNotifyHeldConsultedAndCompletedThroughTheAPI(t *testing.T) {
	b := newCTIBox(t)
	desk, target := b.phone("201"), b.phone("202")

	// Lily logs in, pauses for lunch and comes back, all by the API.
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/login", nil)
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/pause", map[string]string{"reason": "lunch"})
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/ready", nil)

	// A customer calls the line routed to the queue; Lily's phone rings
	// and the API answers it by NOTIFY talk.
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	customer, err := b.pstn("013812345678").Dial(ctx, "80081")
	if err != nil {
		t.Fatal(err)
	}
	ringing := incoming(t, desk, "Lily's desk")
	if err := ringing.Ring(); err != nil {
		t.Fatal(err)
	}
	id := b.activeCall()
	// The API answers 409 until the phone's 180 has reached the box.
	settle(t, "the remote answer taken", func() bool {
		code, out := b.api(b.lily, "POST", "/api/v1/calls/"+id+"/answer", nil)
		if code != http.StatusNoContent && code != http.StatusConflict {
			t.Fatalf("answer: %d %s", code, out)
		}
		return code == http.StatusNoContent
	})
	select {
	case <-ringing.Sipfrags(): // the NOTIFY reached the phone inside the ringing dialog
	case <-time.After(5 * time.Second):
		t.Fatal("the phone got no NOTIFY in its ringing dialog")
	}
	answer(t, ringing) // the phone answers, as a desk phone does on NOTIFY talk
	if err := customer.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	if !hears(customer, ringing, 1000) {
		t.Fatal("Lily does not hear the customer")
	}
	// Tom may not touch Lily's call; a bad body is named by field.
	b.want(http.StatusForbidden, b.tom, "POST", "/api/v1/calls/"+id+"/hold", nil)
	if out := b.want(http.StatusBadRequest, b.lily, "POST", "/api/v1/calls/"+id+"/consult", `{"target": 202}`); !strings.Contains(out, `"target"`) {
		t.Fatalf("type error not named by field: %s", out)
	}

	// Hold and resume.
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/calls/"+id+"/hold", nil)
	if hears(customer, ringing, 1000) {
		t.Fatal("Lily hears the customer on hold")
	}
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/calls/"+id+"/resume", nil)
	if !hears(customer, ringing, 1000) {
		t.Fatal("Lily does not hear the customer after resume")
	}

	// Consult 202: Lily talks to it while the customer waits.
	consult := b.async(b.lily, "POST", "/api/v1/calls/"+id+"/consult", map[string]string{"target": "202"})
	t202 := incoming(t, target, "the consulted desk 202")
	answer(t, t202)
	asyncResult(t, consult, http.StatusNoContent, "consult")
	b.want(http.StatusConflict, b.lily, "POST", "/api/v1/calls/"+id+"/hold", nil)
	if !hears(t202, ringing, 700) {
		t.Fatal("Lily does not hear the consulted party")
	}
	if hears(t202, customer, 700) {
		t.Fatal("the customer hears the consultation")
	}

	// Complete: the customer and 202 talk, Lily is released.
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/calls/"+id+"/consult/complete", nil)
	ended(t, ringing, "Lily's leg")
	if !hears(t202, customer, 700) || !hears(customer, t202, 1000) {
		t.Fatal("the customer and the transfer target do not hear each other")
	}
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/calls/"+id+"/wrapup", map[string]string{"code": "sale", "notes": "sent to billing"})

	// A supervisor hangs the call up.
	b.want(http.StatusNoContent, b.sup, "POST", "/api/v1/calls/"+id+"/hangup", nil)
	ended(t, t202, "the target's leg")
	ended(t, customer, "the customer's leg")
	// The wrap-up is with the call in the customer history.
	settle(t, "the wrap-up in the history", func() bool {
		ct, err := store.Get[store.Contact](b.a.store, "call."+id)
		return err == nil && ct.Summary == "sale\nsent to billing"
	})
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/logout", nil)
}

func TestCTI_ClickToDialConsultCancelledConferenceAndBlindTransfer(t *testing.T) {
	b := newCTIBox(t)
	d201, d202, d203 := b.phone("201"), b.phone("202"), b.phone("203")

	// Click-to-dial: 201 rings first, then 202.
	dial := b.async(b.lily, "POST", "/api/v1/calls", map[string]string{"number": "202"})
	agent := incoming(t, d201, "Lily's desk")
	answer(t, agent)
	other := incoming(t, d202, "the dialled desk")
	answer(t, other)
	var created struct {
		CallID string `json:"callId"`
	}
	if err := json.Unmarshal([]byte(asyncResult(t, dial, http.StatusCreated, "click-to-dial")), &created); err != nil || created.CallID == "" {
		t.Fatalf("click-to-dial answer: %+v %v", created, err)
	}
	id := created.CallID
	if !hears(agent, other, 1000) {
		t.Fatal("the dialled party does not hear Lily")
	}

	// A consultation cancelled: 203 is dropped, Lily is back.
	consult := b.async(b.sup, "POST", "/api/v1/calls/"+id+"/consult", map[string]string{"target": "203"})
	c203 := incoming(t, d203, "the consulted desk")
	answer(t, c203)
	asyncResult(t, consult, http.StatusNoContent, "consult")
	b.want(http.StatusNoContent, b.sup, "POST", "/api/v1/calls/"+id+"/consult/cancel", nil)
	ended(t, c203, "the consulted leg")
	b.want(http.StatusConflict, b.sup, "POST", "/api/v1/calls/"+id+"/consult/complete", nil)
	if !hears(other, agent, 700) {
		t.Fatal("Lily is not back with the dialled party")
	}

	// Conference 203 in: everyone hears everyone.
	conf := b.async(b.sup, "POST", "/api/v1/calls/"+id+"/conference", map[string]string{"target": "203"})
	c203 = incoming(t, d203, "the conferenced desk")
	answer(t, c203)
	asyncResult(t, conf, http.StatusNoContent, "conference")
	if !hears(c203, agent, 700) || !hears(c203, other, 700) {
		t.Fatal("the conference does not reach everyone")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c203.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	// Blind transfer of the dialled party to 203: Lily leaves.
	xfer := b.async(b.sup, "POST", "/api/v1/calls/"+id+"/transfer", map[string]string{"target": "203"})
	c203 = incoming(t, d203, "the transfer target")
	answer(t, c203)
	asyncResult(t, xfer, http.StatusNoContent, "transfer")
	ended(t, agent, "Lily's leg")
	alive(t, other, "the transferred party")
	if !hears(other, c203, 1000) {
		t.Fatal("the transferred party does not reach the target")
	}
	b.want(http.StatusNoContent, b.sup, "POST", "/api/v1/calls/"+id+"/hangup", nil)
	ended(t, other, "the transferred party")
	ended(t, c203, "the transfer target")
	settle(t, "the call gone", func() bool {
		code, _ := b.api(b.sup, "POST", "/api/v1/calls/"+id+"/hangup", nil)
		return code == http.StatusNotFound
	})
}

func TestCTI_ScheduledCallbackIsDialledThroughTheQueueAndRefusalsAreNamed(t *testing.T) {
	b := newCTIBox(t)
	desk, customer := b.phone("201"), b.phone("203")

	// Scope and body refusals.
	b.want(http.StatusForbidden, b.lily, "GET", "/api/v1/cti/status", nil)
	b.want(http.StatusForbidden, b.lily, "POST", "/api/v1/agents/12/pause", map[string]string{"reason": "lunch"})
	b.want(http.StatusUnauthorized, "cbx_nope", "POST", "/api/v1/callbacks", map[string]string{})
	for body, field := range map[string]string{
		`{"number": 5, "queue": "sales"}`:                                                   `"number"`,
		`{"number": "203", "queue": "sales", "colour": "red"}`:                              `"colour"`,
		`{"number": "*45", "queue": "sales"}`:                                               `"number"`,
		`{"number": "203", "queue": "nope"}`:                                                `"queue"`,
		`{"number": "203", "queue": "sales", "when": "2001-01-01T00:00:00Z"}`:               `"when"`,
		`{"number": "203", "queue": "sales", "when": "tomorrow"}`:                           `"when"`,
		`{"number": "203", "queue": "sales", "notes": "` + strings.Repeat("x", 2001) + `"}`: `"notes"`,
	} {
		if out := b.want(http.StatusBadRequest, b.lily, "POST", "/api/v1/callbacks", body); !strings.Contains(out, field) {
			t.Errorf("%s: %s, want an error for %s", body, out, field)
		}
	}
	b.want(http.StatusBadRequest, b.lily, "POST", "/api/v1/callbacks", `{"number": "203"`)

	// A later one is listed and cancelled.
	var later store.ScheduledCallback
	out := b.want(http.StatusCreated, b.lily, "POST", "/api/v1/callbacks", map[string]string{"number": "203", "queue": "sales",
		"when": time.Now().Add(time.Hour).Format(time.RFC3339)})
	if err := json.Unmarshal([]byte(out), &later); err != nil || later.State != store.ScheduledWaiting {
		t.Fatalf("scheduled: %s %v", out, err)
	}
	b.want(http.StatusForbidden, b.tom, "DELETE", "/api/v1/callbacks/"+later.ID, nil)
	b.want(http.StatusNoContent, b.lily, "DELETE", "/api/v1/callbacks/"+later.ID, nil)
	b.want(http.StatusConflict, b.lily, "DELETE", "/api/v1/callbacks/"+later.ID, nil)
	if out := b.want(http.StatusOK, b.sup, "GET", "/api/v1/callbacks/scheduled", nil); !strings.Contains(out, `"state": "cancelled"`) {
		t.Fatalf("list: %s", out)
	}

	// One due now: the queue rings Lily with it, then dials 203.
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/login", nil)
	var now store.ScheduledCallback
	out = b.want(http.StatusCreated, b.lily, "POST", "/api/v1/callbacks", map[string]string{"number": "203", "queue": "sales",
		"name": "Li Lei", "notes": "wants the invoice again", "customerId": "c1"})
	if err := json.Unmarshal([]byte(out), &now); err != nil {
		t.Fatal(err)
	}
	preview := incoming(t, desk, "Lily's desk with the callback")
	if name, _, _ := preview.From(); !strings.Contains(name, "Li Lei") {
		t.Errorf("the desk shows %q", name)
	}
	settle(t, "the callback's pop", func() bool {
		p, err := b.a.tel.parts.cti.Pop(context.Background(), now.ID)
		return err == nil && p.Data["callback.notes"] == "wants the invoice again"
	})
	answer(t, preview)
	cust := incoming(t, customer, "the customer called back")
	answer(t, cust)
	if !hears(preview, cust, 1000) {
		t.Fatal("the customer does not hear Lily")
	}
	if got, _ := b.a.tel.parts.cti.ScheduledCallback(now.ID); got.State != store.ScheduledBooked {
		t.Errorf("state %q, want booked", got.State)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cust.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(t, preview, "Lily's leg")
}
