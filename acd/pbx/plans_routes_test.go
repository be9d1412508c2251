package pbx

import (
	"context"
	"path/filepath"
	"testing"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/firmware/store"
)

func TestPlans_AStoredRouteEditChangesTheNextDecision(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := store.Put(st, store.Line{ID: "line1", Type: store.LineFXO, Device: "sim:1", Route: "queue:sales", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	p, err := NewPlans(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	call := dialplan.Facts{Source: acd.SourceLine, Via: "line1", Caller: "13800138000", Dialed: "80001234"}
	if d := p.Current().Decide(call); d.Target.String() != "queue:sales" {
		t.Fatalf("before any stored route: %+v", d)
	}
	vip := store.InboundRoute{Name: "vip", Caller: "_138.", Target: "queue:vip"}
	if _, err := store.Put(st, vip); err != nil {
		t.Fatal(err)
	}
	until(t, func() bool { return p.Current().Decide(call).Target.String() == "queue:vip" })
	vip.Caller = "_139."
	if _, err := store.Put(st, vip); err != nil {
		t.Fatal(err)
	}
	until(t, func() bool { return p.Current().Decide(call).Target.String() == "queue:sales" })

	out := dialplan.Facts{Source: acd.SourceExtension, Via: "201", Dialed: "9013800138000"}
	if _, err := store.Put(st, store.OutboundRoute{Name: "pstn", Pattern: "_9X.", Strip: 1, Gateways: []string{"line:line1"}}); err != nil {
		t.Fatal(err)
	}
	until(t, func() bool {
		d := p.Current().Decide(out)
		return d.Rule == "outbound:pstn" && d.Number == "013800138000"
	})
}
