package pbx

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/firmware/store"
)

func TestPlans_FollowsTheStore(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := NewPlans(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	decide := func(f dialplan.Facts) dialplan.Decision { return p.Current().Decide(f) }
	toLine := dialplan.Facts{Source: acd.SourceLine, Via: "line1", Caller: "1", Dialed: "80081"}
	if d := decide(toLine); d.Action != dialplan.ActionReject {
		t.Fatalf("empty store routed a line call: %+v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	secret, _ := store.GenerateSecret(20)
	if _, err := store.Put(st, store.Extension{Number: "201", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Line{ID: "line1", Type: store.LineFXO, Device: "sim:1", Route: "queue:sales", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	until(t, func() bool {
		d := decide(toLine)
		return d.Action == dialplan.ActionInbound && d.Target.String() == "queue:sales"
	})
	if d := decide(dialplan.Facts{Source: acd.SourceExtension, Via: "201", Dialed: "201"}); d.Action != dialplan.ActionExtension {
		t.Fatalf("extension 201 not routed: %+v", d)
	}
	if d := decide(dialplan.Facts{Source: acd.SourceExtension, Via: "201", Dialed: "013800138000"}); d.Action != dialplan.ActionOutbound ||
		len(d.Gateways) != 1 || d.Gateways[0].String() != "line:line1" {
		t.Fatalf("outbound over the line: %+v", d)
	}
	// A route that does not compile keeps the plan in force.
	if _, err := store.Put(st, store.Line{ID: "line2", Type: store.LineFXO, Device: "sim:2", Route: "fax:1", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Line{ID: "line1", Type: store.LineFXO, Device: "sim:1", Route: "201", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Delete[store.Line](st, "line2"); err != nil {
		t.Fatal(err)
	}
	until(t, func() bool { return decide(toLine).Target.String() == "ext:201" })
}

// until waits for cond, which a goroutine of the test makes true; ten
// seconds without it is a failure, not a timing assertion.
func until(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPlans_TrunkCallsRouteByDialledNumber(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secret, _ := store.GenerateSecret(20)
	for _, r := range []func() error{
		func() error { _, err := store.Put(st, store.Extension{Number: "201", Secret: secret}); return err },
		func() error {
			_, err := store.Put(st, store.Line{ID: "line1", Type: store.LineFXO, Device: "sim:1", Number: "80081", Route: "demo", Enabled: true})
			return err
		},
		func() error {
			_, err := store.Put(st, store.Queue{Name: "sales", Number: "600", Strategy: store.StrategyRingAll})
			return err
		},
	} {
		if err := r(); err != nil {
			t.Fatal(err)
		}
	}
	p, err := NewPlans(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	for dialed, want := range map[string]string{"201": "ext:201", "600": "queue:sales", "80081": "flow:demo"} {
		d := p.Current().Decide(dialplan.Facts{Source: acd.SourceTrunk, Via: "carrier", Caller: "13800138000", Dialed: dialed})
		if d.Action != dialplan.ActionInbound || d.Target.String() != want {
			t.Errorf("trunk call to %s: %+v, want %s", dialed, d, want)
		}
	}
	if d := p.Current().Decide(dialplan.Facts{Source: acd.SourceTrunk, Via: "carrier", Dialed: "999"}); d.Action != dialplan.ActionReject {
		t.Errorf("unknown DID routed: %+v", d)
	}
}

func TestPlans_ABadStoredRouteDoesNotStopExtensionCalls(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	secret, _ := store.GenerateSecret(20)
	if _, err := store.Put(st, store.Extension{Number: "201", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Line{ID: "line1", Type: store.LineFXO, Device: "sim:1", Route: "fax:1", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	p, err := NewPlans(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Current().Decide(dialplan.Facts{Source: acd.SourceExtension, Via: "202", Dialed: "201"}); d.Action != dialplan.ActionExtension {
		t.Fatalf("extension call: %+v", d)
	}
	if d := p.Current().Decide(dialplan.Facts{Source: acd.SourceLine, Via: "line1", Dialed: "1"}); d.Action != dialplan.ActionReject {
		t.Fatalf("line call with a bad route: %+v", d)
	}
}
