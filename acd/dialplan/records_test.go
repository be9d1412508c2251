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
		[]store.Trunk{{Name: "carrier", Enabled: true}, {Name: "spare"}}, Routes{})
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
	if _, err := FromRecords(store.Settings{}, nil, []store.Line{{ID: "x", Route: "fax:1", Enabled: true}}, nil, Routes{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad route: %v", err)
	}
}

func TestFromRecords_StoredRoutesComeFirstInTheirOrder(t *testing.T) {
	set := store.Settings{Country: "cn", FeatureCodes: map[string]string{"voicemail": "*98", "pickup": ""},
		Emergency: []string{"112"}, EmergencyCallerID: "01012345678"}
	cfg, err := FromRecords(set,
		[]store.Extension{{Number: "201"}, {Number: "202"}},
		[]store.Line{{ID: "fxo1", Type: store.LineFXO, Route: "201", Enabled: true}},
		[]store.Trunk{{Name: "carrier", Enabled: true}, {Name: "backup", Enabled: true}},
		Routes{
			Inbound: []store.InboundRoute{
				{Name: "vip", Order: 2, Caller: "_138.", Target: "ext:202"},
				{Name: "sales-did", Order: 1, DID: "80001234", Target: "queue:sales"},
			},
			Outbound: []store.OutboundRoute{
				{Name: "local", Order: 2, Pattern: "_0XX.", Gateways: []string{"line:fxo1"}},
				{Name: "national", Order: 1, Pattern: "_9ZX.", Strip: 1, Prepend: "17909", CallerID: "01012345678",
					Gateways: []string{"trunk:carrier", "trunk:backup"}},
				{Name: "did-block", Order: 3, Pattern: "_8XXXX", CallerPrepend: "8610", Gateways: []string{"trunk:carrier"}},
			},
		})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := func(caller, dialed string) Decision {
		return p.Decide(Facts{Source: acd.SourceLine, Via: "fxo1", Caller: caller, Dialed: dialed})
	}
	// The DID route to a queue wins over the line's own route, and over
	// the caller route ordered after it.
	if d := in("13800138000", "80001234"); d.Target != (Target{TargetQueue, "sales"}) || d.Rule != "inbound:sales-did" {
		t.Fatalf("DID route: %+v", d)
	}
	if d := in("13800138000", "80009999"); d.Target != (Target{TargetExtension, "202"}) {
		t.Fatalf("caller route: %+v", d)
	}
	if d := in("01087654321", "80009999"); d.Target != (Target{TargetExtension, "201"}) || d.Rule != "inbound:line-fxo1" {
		t.Fatalf("line route: %+v", d)
	}

	out := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "913800138000"})
	want := []Gateway{{GatewayTrunk, "carrier"}, {GatewayTrunk, "backup"}}
	if out.Action != ActionOutbound || out.Rule != "outbound:national" || out.Number != "1790913800138000" ||
		out.CallerID != "01012345678" || len(out.Gateways) != 2 || out.Gateways[0] != want[0] || out.Gateways[1] != want[1] {
		t.Fatalf("national: %+v", out)
	}
	if d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "81234"}); d.CallerID != "8610201" {
		t.Fatalf("caller prepend: %+v", d)
	}
	// Stored outbound routes replace the default one.
	if d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "12345"}); d.Action != ActionReject {
		t.Fatalf("a number no stored route takes went out: %+v", d)
	}

	feature := func(dialed string) Decision {
		return p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: dialed})
	}
	if d := feature("*98"); d.Action != ActionFeature || d.Feature != FeatureVoicemail {
		t.Fatalf("changed voicemail code: %+v", d)
	}
	if d := feature("*8"); d.Action == ActionFeature {
		t.Fatalf("switched-off pickup still works: %+v", d)
	}
	if d := feature("*78"); d.Action != ActionFeature || d.Feature != FeatureDNDOn {
		t.Fatalf("default dnd code: %+v", d)
	}
	if d := feature("112"); d.Action != ActionEmergency || d.CallerID != "01012345678" {
		t.Fatalf("emergency: %+v", d)
	}
	if d := feature("110"); d.Action == ActionEmergency {
		t.Fatalf("the stored emergency list did not replace the country's: %+v", d)
	}
}

func TestFromRecords_RefusesAStoredRouteItCannotRead(t *testing.T) {
	for _, r := range []Routes{
		{Inbound: []store.InboundRoute{{Name: "x", Target: "fax:1"}}},
		{Outbound: []store.OutboundRoute{{Name: "x", Pattern: "_9.", Gateways: []string{"sip:a"}}}},
	} {
		if _, err := FromRecords(store.Settings{}, nil, nil, nil, r); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: got %v, want ErrConfig", r, err)
		}
	}
}

// FuzzFromRecords_StoreValidRoutesAreRead feeds routes as an installer
// may type them: whatever the store accepts, FromRecords reads, and
// Compile either compiles or returns an error, never panics.
func FuzzFromRecords_StoreValidRoutesAreRead(f *testing.F) {
	f.Add("80001234", "_138.", "queue:sales", "_9ZX.", 1, "17909", "trunk:carrier")
	f.Add("_8000[1-3]X", "", "ext:+201", "_0!", 0, "", "line:fxo1")
	f.Add("_[", "_X", "flow:main", "_9.", 3, "#", "trunk:a")
	f.Fuzz(func(t *testing.T, did, caller, target, pattern string, strip int, prepend, gateway string) {
		in := store.InboundRoute{Name: "in", DID: did, Caller: caller, Target: target}
		out := store.OutboundRoute{Name: "out", Pattern: pattern, Strip: strip, Prepend: prepend, Gateways: []string{gateway}}
		if in.Validate() != nil || out.Validate() != nil {
			return
		}
		cfg, err := FromRecords(store.Settings{Country: "cn"}, nil, nil, nil,
			Routes{Inbound: []store.InboundRoute{in}, Outbound: []store.OutboundRoute{out}})
		if err != nil {
			t.Fatalf("store-valid routes %+v %+v: %v", in, out, err)
		}
		if p, err := Compile(cfg); err == nil {
			p.Decide(Facts{Source: acd.SourceLine, Via: "fxo1", Caller: "13800138000", Dialed: "80001234"})
			p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "913800138000"})
		} else if !errors.Is(err, ErrConfig) {
			t.Fatalf("compile error not ErrConfig: %v", err)
		}
	})
}
