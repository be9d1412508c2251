package dialplan

import (
	"errors"
	"testing"

	"callbox/acd"
	"callbox/firmware/store"
)

func TestFromRecords_RoutesLinesAndDialsOutOverTrunksThenLines(t *testing.T) {
	cfg, err := FromRecords(store.Settings{Country: "uk"},
		[]store.Extension{{Number: "201"}, {Number: "202"}},
		[]store.Line{
			{ID: "fxo1", Type: store.LineFXO, Route: "queue:sales", Enabled: true},
			{ID: "fxo2", Type: store.LineFXO, Route: "201", Enabled: true},
			{ID: "fxo3", Type: store.LineFXO, Route: "main", Enabled: true},
			{ID: "off", Type: store.LineFXO, Route: "202", Enabled: false},
		},
		[]store.Trunk{{Name: "carrier", Enabled: true}, {Name: "spare"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := func(via string) Target {
		return p.Decide(Facts{Source: acd.SourceLine, Via: via, Caller: "1", Dialed: "2"}).Target
	}
	if in("fxo1") != (Target{TargetQueue, "sales"}) || in("fxo2") != (Target{TargetExtension, "201"}) ||
		in("fxo3") != (Target{TargetFlow, "main"}) {
		t.Fatalf("inbound targets %v %v %v", in("fxo1"), in("fxo2"), in("fxo3"))
	}
	if d := p.Decide(Facts{Source: acd.SourceLine, Via: "off", Dialed: "2"}); d.Action != ActionReject {
		t.Fatalf("disabled line routed: %+v", d)
	}
	out := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "02079460000"})
	want := []Gateway{{GatewayTrunk, "carrier"}, {GatewayLine, "fxo1"}, {GatewayLine, "fxo2"}, {GatewayLine, "fxo3"}}
	if out.Action != ActionOutbound || len(out.Gateways) != len(want) {
		t.Fatalf("outbound %+v", out)
	}
	for i := range want {
		if out.Gateways[i] != want[i] {
			t.Fatalf("gateways %v, want %v", out.Gateways, want)
		}
	}
	if d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "999"}); d.Action != ActionEmergency {
		t.Fatalf("999 in the uk: %+v", d)
	}
	if d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "202"}); d.Action != ActionExtension {
		t.Fatalf("202: %+v", d)
	}
	if _, err := FromRecords(store.Settings{}, nil, []store.Line{{ID: "x", Route: "fax:1", Enabled: true}}, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad route: %v", err)
	}
}
