package pbx

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/acd/voicemail"
	"callbox/firmware/store"
)

// recorder remembers what the router asked of its targets.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// target is a Target that records "kind:name" and answers the caller.
func (r *recorder) target(kind string) Target {
	return func(ctx context.Context, c *acd.Call, name string) error {
		r.add(kind + ":" + name)
		return c.Answer(ctx)
	}
}

func (r *recorder) agent(kind string) AgentAction {
	return func(_ context.Context, ext, arg string) error {
		r.add(kind + ":" + ext + ":" + arg)
		return nil
	}
}

func wantRoute(t *testing.T, rec acd.CallRecord, want ...string) {
	t.Helper()
	if !slices.Equal(rec.Route, want) {
		t.Fatalf("route %q, want %q", rec.Route, want)
	}
}

func TestRouter_RingsTheDialledExtension(t *testing.T) {
	var rec recorder
	h := newHarness(t, Config{Ring: rec.target("ring")})
	cdr, _ := h.call(t, ext("201"), "202")
	if got := rec.got(); !slices.Equal(got, []string{"ring:202"}) {
		t.Fatalf("targets %q", got)
	}
	if cdr.Cause != acd.CauseNormalClearing || cdr.Answer.IsZero() {
		t.Fatalf("record %+v", cdr)
	}
}

func TestRouter_OutboundFailsOverAndPresentsTheRouteCallerID(t *testing.T) {
	type attempt struct{ gw, number, callerID string }
	var mu sync.Mutex
	var tries []attempt
	note := func(gw, number string, p acd.Party) {
		mu.Lock()
		defer mu.Unlock()
		tries = append(tries, attempt{gw, number, p.Number})
	}
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring"), Gateways: map[dialplan.GatewayKind]GatewayDialer{
		dialplan.GatewayTrunk: func(_ context.Context, name, number string, p acd.Party, _ acd.Leg) (acd.Leg, error) {
			note("trunk:"+name, number, p)
			return nil, acd.Reject(acd.CauseNetworkOutOfOrder) // the carrier is down: try the next
		},
		dialplan.GatewayLine: func(_ context.Context, name, number string, p acd.Party, _ acd.Leg) (acd.Leg, error) {
			note("line:"+name, number, p)
			return hungUp("out", acd.Party{Number: number, Source: acd.SourceLine, Via: name}), nil
		},
	}})
	cdr, _ := h.call(t, ext("201"), "913800138000")
	want := []attempt{{"trunk:carrier", "13800138000", "01088886666"}, {"line:line1", "13800138000", "01088886666"}}
	if !slices.Equal(tries, want) {
		t.Fatalf("attempts %+v, want %+v", tries, want)
	}
	wantRoute(t, cdr, "outbound:mobile", "line:line1")
	if cdr.Callee.Number != "13800138000" || cdr.HangupSide != acd.SideCallee {
		t.Fatalf("record %+v", cdr)
	}
}

func TestRouter_OutboundBusyStopsAtTheFirstGateway(t *testing.T) {
	var mu sync.Mutex
	tried := 0
	busy := func(context.Context, string, string, acd.Party, acd.Leg) (acd.Leg, error) {
		mu.Lock()
		tried++
		mu.Unlock()
		return nil, acd.Reject(acd.CauseUserBusy)
	}
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring"),
		Gateways: map[dialplan.GatewayKind]GatewayDialer{dialplan.GatewayTrunk: busy, dialplan.GatewayLine: busy}})
	cdr, _ := h.call(t, ext("201"), "913800138000")
	if tried != 1 || cdr.Cause != acd.CauseUserBusy {
		t.Fatalf("tried %d gateways, cause %v", tried, cdr.Cause)
	}
}

func TestRouter_CallerPrependBuildsTheCallerIDFromTheExtension(t *testing.T) {
	var got acd.Party
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring"), Gateways: map[dialplan.GatewayKind]GatewayDialer{
		dialplan.GatewayLine: func(_ context.Context, name, number string, p acd.Party, _ acd.Leg) (acd.Leg, error) {
			got = p
			return hungUp("out", acd.Party{Number: number}), nil
		},
	}})
	h.call(t, ext("203"), "962345678")
	if got.Number != "0108888203" || got.Via != "203" {
		t.Fatalf("presented %+v", got)
	}
}

func TestRouter_EmergencyGoesOutWithoutGatewaysOfOneKind(t *testing.T) {
	var dialed []string
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring"), Gateways: map[dialplan.GatewayKind]GatewayDialer{
		// No trunk dialer wired: the line still carries the call.
		dialplan.GatewayLine: func(_ context.Context, name, number string, p acd.Party, _ acd.Leg) (acd.Leg, error) {
			dialed = append(dialed, name+":"+number+":"+p.Number)
			return hungUp("out", acd.Party{Number: number}), nil
		},
	}})
	cdr, _ := h.call(t, ext("201"), "110")
	if !slices.Equal(dialed, []string{"line1:110:01088886666"}) {
		t.Fatalf("dialled %q", dialed)
	}
	wantRoute(t, cdr, "emergency:110", "line:line1")
}

func TestRouter_InboundCallsReachTheirTargets(t *testing.T) {
	for _, tc := range []struct {
		line, want string
		route      []string
	}{
		{"line1", "queue:sales", []string{"inbound:sales"}},
		{"line2", "flow:demo", []string{"inbound:ivr"}},
		{"line3", "voicemail:201", []string{"inbound:vm"}},
		{"line4", "ring:202", []string{"inbound:desk"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			var rec recorder
			h := newHarness(t, Config{Ring: rec.target("ring"), Queue: rec.target("queue"), Flow: rec.target("flow"),
				Voicemail: rec.target("voicemail")})
			cdr, _ := h.call(t, line(tc.line, "13900001111"), "80081")
			if got := rec.got(); !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("targets %q, want %s", got, tc.want)
			}
			wantRoute(t, cdr, tc.route...)
			if cdr.Direction != acd.DirectionIn {
				t.Fatalf("direction %s", cdr.Direction)
			}
			if (tc.line == "line3") != (cdr.Disposition == acd.DispositionVoicemail) {
				t.Fatalf("disposition %q", cdr.Disposition)
			}
		})
	}
}

func TestRouter_InboundToAnExternalNumberGoesOutByTheOutboundRoutes(t *testing.T) {
	var dialed []string
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring"), Gateways: map[dialplan.GatewayKind]GatewayDialer{
		dialplan.GatewayTrunk: func(_ context.Context, name, number string, _ acd.Party, _ acd.Leg) (acd.Leg, error) {
			dialed = append(dialed, name+":"+number)
			return hungUp("out", acd.Party{Number: number}), nil
		},
	}})
	cdr, _ := h.call(t, acd.Party{Number: "13900001111", Source: acd.SourceTrunk, Via: "carrier"}, "01088886699")
	if !slices.Equal(dialed, []string{"carrier:13800138000"}) {
		t.Fatalf("dialled %q", dialed)
	}
	wantRoute(t, cdr, "inbound:mobile", "external:913800138000", "trunk:carrier")
}

func TestRouter_UnwiredTargetIsRefusedWithACause(t *testing.T) {
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring")})
	cdr, leg := h.call(t, line("line1", "1"), "80081")
	if cdr.Cause != acd.CauseServiceNotImplemented || leg.answered.Load() {
		t.Fatalf("cause %v answered %v", cdr.Cause, leg.answered.Load())
	}
}

func TestRouter_RejectCarriesTheDialplanCause(t *testing.T) {
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring")})
	cdr, _ := h.call(t, ext("201"), "5555")
	if cdr.Cause != acd.CauseUnallocatedNumber {
		t.Fatalf("cause %v", cdr.Cause)
	}
	wantRoute(t, cdr, "reject:no-route")
}

func TestRouter_FeatureCodes(t *testing.T) {
	for _, tc := range []struct {
		dialed, want string
	}{
		{"*97", "mailbox:201"},
		{"*97202", "mailbox:202"},
		{"*8", "pickup:"},
		{"**202", "pickup:202"},
		{"*45801", "login:201:801"},
		{"*46", "logout:201:"},
		{"*472", "pause:201:2"},
		{"*48", "unpause:201:"},
	} {
		t.Run(tc.dialed, func(t *testing.T) {
			var rec recorder
			h := newHarness(t, Config{Ring: rec.target("ring"), Mailbox: rec.target("mailbox"), Pickup: rec.target("pickup"),
				AgentLogin: rec.agent("login"), AgentLogout: rec.agent("logout"), AgentPause: rec.agent("pause"),
				AgentUnpause: rec.agent("unpause")})
			cdr, leg := h.call(t, ext("201"), tc.dialed)
			if got := rec.got(); !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("targets %q, want %s", got, tc.want)
			}
			if !leg.answered.Load() || cdr.Cause != acd.CauseNormalClearing {
				t.Fatalf("answered %v cause %v", leg.answered.Load(), cdr.Cause)
			}
		})
	}
}

func TestRouter_AgentFeatureRefusedKeepsItsCause(t *testing.T) {
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring"),
		AgentLogin: func(context.Context, string, string) error { return errors.New("no such agent") }})
	cdr, leg := h.call(t, ext("201"), "*45999")
	if cdr.Cause != acd.CauseCallRejected || leg.answered.Load() {
		t.Fatalf("cause %v answered %v", cdr.Cause, leg.answered.Load())
	}
}

func TestRouter_DNDCodesWriteTheExtension(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secret, err := store.GenerateSecret(20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Extension{Number: "201", Name: "Reception", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Config{Ring: (&recorder{}).target("ring"), Store: st})
	dnd := func() bool {
		e, err := store.Get[store.Extension](st, "201")
		if err != nil {
			t.Fatal(err)
		}
		return e.DND
	}
	if h.call(t, ext("201"), "*78"); !dnd() {
		t.Fatal("*78 did not switch do-not-disturb on")
	}
	if h.call(t, ext("201"), "*79"); dnd() {
		t.Fatal("*79 did not switch do-not-disturb off")
	}
	if cdr, _ := h.call(t, ext("203"), "*78"); cdr.Cause != acd.CauseUnallocatedNumber {
		t.Fatalf("DND for an extension not in the store: cause %v", cdr.Cause)
	}
}

func TestNew_RequiresPlanAndRing(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("New(Config{}) = %v", err)
	}
}

func TestRouter_ReachDialsExtensionsAndOutsideNumbersWithoutBridging(t *testing.T) {
	p := testPlan(t)
	var got []string
	r, err := New(Config{Plan: func() *dialplan.Plan { return p }, Ring: (&recorder{}).target("ring"),
		Dial: func(_ context.Context, ext string, caller acd.Party, _ acd.Leg) (acd.Leg, error) {
			got = append(got, "ext:"+ext+" from "+caller.Number)
			return newLeg("x", acd.Party{Number: ext}), nil
		},
		Gateways: map[dialplan.GatewayKind]GatewayDialer{
			dialplan.GatewayTrunk: func(_ context.Context, name, number string, caller acd.Party, _ acd.Leg) (acd.Leg, error) {
				got = append(got, "trunk:"+name+":"+number+" as "+caller.Number)
				return newLeg("y", acd.Party{Number: number}), nil
			},
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Reach(ctx, "203", ext("201"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reach(ctx, "913800138000", ext("201"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reach(ctx, "5555", ext("201"), nil); err == nil {
		t.Fatal("an unknown number was reached")
	} else if c, _ := acd.CauseOf(err); c != acd.CauseUnallocatedNumber {
		t.Fatalf("cause %v", c)
	}
	want := []string{"ext:203 from 201", "trunk:carrier:13800138000 as 01088886666"}
	if !slices.Equal(got, want) {
		t.Fatalf("dialled %q, want %q", got, want)
	}
}

func TestRouter_ConnectBridgesToAnExtensionOrAnOutsideNumber(t *testing.T) {
	var rec recorder
	var dialed []string
	p := testPlan(t)
	r, err := New(Config{Plan: func() *dialplan.Plan { return p }, Ring: rec.target("ring"),
		Gateways: map[dialplan.GatewayKind]GatewayDialer{
			dialplan.GatewayTrunk: func(_ context.Context, name, number string, _ acd.Party, _ acd.Leg) (acd.Leg, error) {
				dialed = append(dialed, number)
				return hungUp("out", acd.Party{Number: number}), nil
			},
		}})
	if err != nil {
		t.Fatal(err)
	}
	// A flow hands the call on: the IVR's transfer node.
	h := newHarness(t, Config{Ring: rec.target("ring"), Flow: func(ctx context.Context, c *acd.Call, _ string) error {
		if err := r.Connect(ctx, c, "203"); err != nil {
			return err
		}
		return r.Connect(ctx, c, "913800138000")
	}})
	cdr, _ := h.call(t, line("line2", "1"), "80082")
	if got := rec.got(); !slices.Equal(got, []string{"ring:203"}) || !slices.Equal(dialed, []string{"13800138000"}) {
		t.Fatalf("rung %q, dialled %q", got, dialed)
	}
	wantRoute(t, cdr, "inbound:ivr", "external:913800138000", "trunk:carrier")
}

func TestRouter_UnansweredExtensionWithAMailboxTakesAMessage(t *testing.T) {
	for _, tc := range []struct {
		cause   acd.Cause
		mailbox bool
		want    []string
	}{
		{acd.CauseNoAnswer, true, []string{"ring:202", "voicemail:202"}},
		{acd.CauseUserBusy, true, []string{"ring:202", "voicemail:202"}},
		{acd.CauseSubscriberAbsent, true, []string{"ring:202", "voicemail:202"}},
		{acd.CauseNoAnswer, false, []string{"ring:202"}},
		{acd.CauseCallRejected, true, []string{"ring:202"}},
	} {
		var rec recorder
		var reason string
		h := newHarness(t, Config{
			Ring: func(_ context.Context, _ *acd.Call, ext string) error {
				rec.add("ring:" + ext)
				return acd.Reject(tc.cause)
			},
			Voicemail: func(ctx context.Context, c *acd.Call, box string) error {
				reason, _ = c.Get(voicemail.ReasonKey)
				return rec.target("voicemail")(ctx, c, box)
			},
			HasMailbox: func(ext string) bool { return tc.mailbox && ext == "202" },
		})
		cdr, _ := h.call(t, ext("201"), "202")
		if got := rec.got(); !slices.Equal(got, tc.want) {
			t.Errorf("%v, mailbox %v: %q, want %q", tc.cause, tc.mailbox, got, tc.want)
		}
		if toMailbox := len(tc.want) == 2; toMailbox != (cdr.Disposition == acd.DispositionVoicemail) {
			t.Errorf("%v, mailbox %v: disposition %q", tc.cause, tc.mailbox, cdr.Disposition)
		}
		// Only a busy owner's mailbox is told to play its busy greeting.
		if busy := tc.cause == acd.CauseUserBusy && tc.mailbox; busy != (reason == voicemail.ReasonBusy) {
			t.Errorf("%v, mailbox %v: reason %q", tc.cause, tc.mailbox, reason)
		}
	}
}
