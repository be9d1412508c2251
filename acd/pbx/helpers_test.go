package pbx

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/media"
)

// fakeLeg is a leg that ends when the test or the switch says so.
type fakeLeg struct {
	id       string
	party    acd.Party
	answered atomic.Bool
	done     chan struct{}
	once     sync.Once
	cause    atomic.Uint32
}

func newLeg(id string, p acd.Party) *fakeLeg {
	return &fakeLeg{id: id, party: p, done: make(chan struct{})}
}

func (l *fakeLeg) ID() string            { return l.id }
func (l *fakeLeg) Caller() acd.Party     { return l.party }
func (l *fakeLeg) Media() media.Endpoint { return nil }
func (l *fakeLeg) Done() <-chan struct{} { return l.done }
func (l *fakeLeg) Answer(context.Context) error {
	l.answered.Store(true)
	return nil
}
func (l *fakeLeg) Hangup(c acd.Cause) error {
	l.end(c)
	return nil
}
func (l *fakeLeg) end(c acd.Cause) {
	l.once.Do(func() {
		l.cause.Store(uint32(c))
		close(l.done)
	})
}

// hungUp is a leg of the far end that answered and hung up at once, so
// a bridge to it ends by itself.
func hungUp(id string, p acd.Party) *fakeLeg {
	l := newLeg(id, p)
	l.answered.Store(true)
	l.end(acd.CauseNormalClearing)
	return l
}

func ext(n string) acd.Party { return acd.Party{Number: n, Source: acd.SourceExtension, Via: n} }

func line(id, caller string) acd.Party {
	return acd.Party{Number: caller, Source: acd.SourceLine, Via: id}
}

func testPlan(t *testing.T) *dialplan.Plan {
	t.Helper()
	p, err := dialplan.Compile(dialplan.Config{
		Country:           "cn",
		EmergencyCallerID: "01088886666",
		Extensions:        []string{"201", "202", "203"},
		Inbound: []dialplan.InboundRoute{
			{Name: "sales", Via: "line1", Target: dialplan.Target{Kind: dialplan.TargetQueue, Value: "sales"}},
			{Name: "ivr", Via: "line2", Target: dialplan.Target{Kind: dialplan.TargetFlow, Value: "demo"}},
			{Name: "vm", Via: "line3", Target: dialplan.Target{Kind: dialplan.TargetVoicemail, Value: "201"}},
			{Name: "desk", Via: "line4", Target: dialplan.Target{Kind: dialplan.TargetExtension, Value: "202"}},
			{Name: "mobile", Via: "carrier", Target: dialplan.Target{Kind: dialplan.TargetExternal, Value: "913800138000"}},
		},
		Outbound: []dialplan.OutboundRoute{
			{Name: "mobile", Pattern: "_91[3-9]XXXXXXXXX", Strip: 1, CallerID: "01088886666",
				Gateways: []dialplan.Gateway{{Kind: dialplan.GatewayTrunk, Name: "carrier"}, {Kind: dialplan.GatewayLine, Name: "line1"}}},
			{Name: "local", Pattern: "_9NXXXXXXX", Strip: 1, Prepend: "010", CallerPrepend: "0108888",
				Gateways: []dialplan.Gateway{{Kind: dialplan.GatewayLine, Name: "line1"}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// harness runs a real switch whose handler is the router under test.
type harness struct {
	sw     *acd.Switch
	router *Router
	ended  <-chan acd.Event
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	if cfg.Plan == nil {
		p := testPlan(t)
		cfg.Plan = func() *dialplan.Plan { return p }
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bus := acd.NewBus()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{sw: acd.NewSwitch(r.Handle, acd.WithBus(bus)), router: r, ended: bus.Subscribe(ctx, acd.WithBuffer(64))}
	t.Cleanup(func() {
		cut, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = h.sw.Shutdown(cut)
		cancel()
	})
	return h
}

// call places a call from p to dialed and returns its record once the
// call has ended.
func (h *harness) call(t *testing.T, p acd.Party, dialed string) (acd.CallRecord, *fakeLeg) {
	t.Helper()
	leg := newLeg("in-"+dialed, p)
	if _, err := h.sw.Accept(leg, dialed); err != nil {
		t.Fatal(err)
	}
	return h.end(t), leg
}

// end returns the record of the next call that ends.
func (h *harness) end(t *testing.T) acd.CallRecord {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-h.ended:
			if end, ok := e.(acd.CallEnded); ok {
				return end.Call
			}
		case <-timeout:
			t.Fatal("no call ended in 10 s")
		}
	}
}
