package dialplan

import (
	"errors"
	"reflect"
	"testing"

	"callbox/acd"
)

var (
	trunkA = Gateway{GatewayTrunk, "carrier-a"}
	trunkB = Gateway{GatewayTrunk, "carrier-b"}
	line1  = Gateway{GatewayLine, "fxo1"}
)

func testConfig() Config {
	return Config{
		Country:           "cn",
		EmergencyCallerID: "01088886666",
		Extensions:        []string{"201", "202", "301"},
		Inbound: []InboundRoute{
			{Name: "vip", Caller: "_1390000.", Target: Target{TargetQueue, "vip"}},
			{Name: "support-line", Via: "fxo2", Target: Target{TargetFlow, "support"}},
			{Name: "sales-did", DID: "01088886601", Target: Target{TargetQueue, "sales"}},
			{Name: "direct", DID: "_0108888[6-7]2XX", Target: Target{TargetExtension, "201"}},
			{Name: "forward", DID: "01088886699", Target: Target{TargetExternal, "13800138000"}},
			{Name: "default", Target: Target{TargetFlow, "main"}},
		},
		Outbound: []OutboundRoute{
			{Name: "mobile", Pattern: "_91[3-9]XXXXXXXXX", Strip: 1, CallerID: "01088886666",
				Gateways: []Gateway{trunkA, line1}},
			{Name: "international", Pattern: "_900.", Strip: 1, From: "_3XX", Gateways: []Gateway{trunkB}},
			{Name: "local", Pattern: "_9NXXXXXXX", Strip: 1, Prepend: "010", CallerPrepend: "0108888",
				Gateways: []Gateway{line1, trunkA, trunkB}},
		},
	}
}

func TestPlan_Decide(t *testing.T) {
	p, err := Compile(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	ext := func(via, dialed string) Facts {
		return Facts{Source: acd.SourceExtension, Via: via, Caller: via, Dialed: dialed}
	}
	line := func(via, caller, dialed string) Facts {
		return Facts{Source: acd.SourceLine, Via: via, Caller: caller, Dialed: dialed}
	}
	for _, tc := range []struct {
		name  string
		facts Facts
		want  Decision
	}{
		{"extension to extension", ext("201", "202"),
			Decision{Action: ActionExtension, Rule: "extension", Target: Target{TargetExtension, "202"}}},
		{"voicemail code", ext("201", "*97"),
			Decision{Action: ActionFeature, Rule: "feature:voicemail", Feature: FeatureVoicemail}},
		{"voicemail with mailbox", ext("201", "*97202"),
			Decision{Action: ActionFeature, Rule: "feature:voicemail", Feature: FeatureVoicemail, Arg: "202"}},
		{"directed pickup", ext("201", "**202"),
			Decision{Action: ActionFeature, Rule: "feature:directed-pickup", Feature: FeatureDirectedPickup, Arg: "202"}},
		{"group pickup", ext("201", "*8"),
			Decision{Action: ActionFeature, Rule: "feature:pickup", Feature: FeaturePickup}},
		{"dnd on", ext("201", "*78"), Decision{Action: ActionFeature, Rule: "feature:dnd-on", Feature: FeatureDNDOn}},
		{"agent pause with reason", ext("201", "*472"),
			Decision{Action: ActionFeature, Rule: "feature:agent-pause", Feature: FeatureAgentPause, Arg: "2"}},
		{"emergency before everything", ext("201", "110"),
			Decision{Action: ActionEmergency, Rule: "emergency", Number: "110", CallerID: "01088886666",
				Gateways: []Gateway{trunkA, line1, trunkB}}},
		{"emergency from a barred extension", ext("999", "120"),
			Decision{Action: ActionEmergency, Rule: "emergency", Number: "120", CallerID: "01088886666",
				Gateways: []Gateway{trunkA, line1, trunkB}}},
		{"mobile strips access code, fixed caller ID", ext("201", "913800138000"),
			Decision{Action: ActionOutbound, Rule: "outbound:mobile", Number: "13800138000",
				CallerID: "01088886666", Gateways: []Gateway{trunkA, line1}}},
		{"local prepends area code and DID block", ext("202", "962345678"),
			Decision{Action: ActionOutbound, Rule: "outbound:local", Number: "01062345678",
				CallerID: "0108888202", Gateways: []Gateway{line1, trunkA, trunkB}}},
		{"international allowed for 3XX", ext("301", "900441234567"),
			Decision{Action: ActionOutbound, Rule: "outbound:international", Number: "00441234567",
				Gateways: []Gateway{trunkB}}},
		{"international barred for 2XX", ext("201", "900441234567"),
			Decision{Action: ActionReject, Rule: "outbound-barred", Cause: acd.CauseCallRejected}},
		{"unknown number from extension", ext("201", "5555"),
			Decision{Action: ActionReject, Rule: "no-route", Cause: acd.CauseUnallocatedNumber}},
		{"bad characters", ext("201", "20a"),
			Decision{Action: ActionReject, Rule: "invalid-number", Cause: acd.CauseInvalidNumberFormat}},
		{"vip caller wins over DID", line("fxo1", "13900001111", "01088886601"),
			Decision{Action: ActionInbound, Rule: "inbound:vip", Target: Target{TargetQueue, "vip"}}},
		{"route by line", line("fxo2", "13800138000", "01088886601"),
			Decision{Action: ActionInbound, Rule: "inbound:support-line", Target: Target{TargetFlow, "support"}}},
		{"route by DID", line("fxo1", "13800138000", "01088886601"),
			Decision{Action: ActionInbound, Rule: "inbound:sales-did", Target: Target{TargetQueue, "sales"}}},
		{"DID pattern", Facts{Source: acd.SourceTrunk, Via: "carrier-a", Caller: "1", Dialed: "01088887201"},
			Decision{Action: ActionInbound, Rule: "inbound:direct", Target: Target{TargetExtension, "201"}}},
		{"forward to external", line("fxo1", "1", "01088886699"),
			Decision{Action: ActionInbound, Rule: "inbound:forward", Target: Target{TargetExternal, "13800138000"}}},
		{"default route", line("fxo1", "", "01088880000"),
			Decision{Action: ActionInbound, Rule: "inbound:default", Target: Target{TargetFlow, "main"}}},
		{"emergency numbers are not dialled from outside", line("fxo1", "1", "110"),
			Decision{Action: ActionInbound, Rule: "inbound:default", Target: Target{TargetFlow, "main"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Decide(tc.facts); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decide(%+v)\n got  %+v\n want %+v", tc.facts, got, tc.want)
			}
		})
	}
}

func TestPlan_EmergencyByCountry(t *testing.T) {
	for _, tc := range []struct {
		country, number string
	}{{"cn", "119"}, {"cn", "122"}, {"us", "911"}, {"eu", "112"}, {"uk", "999"}, {"uk", "112"}} {
		p, err := Compile(Config{Country: tc.country, Outbound: []OutboundRoute{
			{Name: "all", Pattern: "_0.", Gateways: []Gateway{line1}}}})
		if err != nil {
			t.Fatal(err)
		}
		d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: tc.number})
		if d.Action != ActionEmergency || d.Number != tc.number {
			t.Errorf("%s %s: %+v", tc.country, tc.number, d)
		}
	}
	p, _ := Compile(Config{Country: "us"})
	if d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "911"}); d.Cause != acd.CauseNoCircuitAvailable {
		t.Errorf("emergency without gateways: %+v", d)
	}
}

func TestPlan_FeatureCodesConfigurable(t *testing.T) {
	p, err := Compile(Config{Features: map[Feature]string{FeatureVoicemail: "8500", FeatureDNDOn: ""}})
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "8500"}); d.Feature != FeatureVoicemail {
		t.Errorf("8500: %+v", d)
	}
	if d := p.Decide(Facts{Source: acd.SourceExtension, Via: "201", Dialed: "*78"}); d.Action != ActionReject {
		t.Errorf("switched-off code still decided: %+v", d)
	}
}

func TestCompile_RejectsBadConfig(t *testing.T) {
	for name, mutate := range map[string]func(c *Config){
		"bad DID":         func(c *Config) { c.Inbound[0].DID = "_[" },
		"bad caller":      func(c *Config) { c.Inbound[0].Caller = "abc" },
		"unknown target":  func(c *Config) { c.Inbound[0].Target = Target{"fax", "x"} },
		"bad outbound":    func(c *Config) { c.Outbound[0].Pattern = "_9.X" },
		"strip too far":   func(c *Config) { c.Outbound[0].Strip = 13 },
		"no gateways":     func(c *Config) { c.Outbound[0].Gateways = nil },
		"bad gateway":     func(c *Config) { c.Outbound[0].Gateways = []Gateway{{"pigeon", "x"}} },
		"duplicate codes": func(c *Config) { c.Features = map[Feature]string{FeaturePickup: "*8", FeatureDNDOn: "*8"} },
		"pattern ext":     func(c *Config) { c.Extensions = []string{"_2XX"} },
		"bad emergency":   func(c *Config) { c.Emergency = []string{"_11X"} },
	} {
		c := testConfig()
		mutate(&c)
		if _, err := Compile(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Compile = %v, want ErrConfig", name, err)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for s, ok := range map[string]bool{"ext:201": true, "queue:sales": true, "flow:main": true,
		"external:+8613800138000": true, "voicemail:201": true, "ext:abc": false, "fax:1": false, "queue:": false, "x": false} {
		tg, err := ParseTarget(s)
		if (err == nil) != ok {
			t.Errorf("ParseTarget(%q) = %v", s, err)
		}
		if ok && tg.String() != s {
			t.Errorf("round trip %q -> %q", s, tg.String())
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"ext:201", "queue:sales", "flow:main", "external:+861", "x", ":", "ext:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			if !errors.Is(err, ErrTarget) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if tg.String() != s {
			t.Fatalf("round trip %q -> %q", s, tg.String())
		}
	})
}

func FuzzDecide(f *testing.F) {
	p, err := Compile(testConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(true, "201", "", "913800138000")
	f.Add(false, "fxo1", "13900001111", "01088886601")
	f.Add(true, "301", "", "**2")
	f.Fuzz(func(t *testing.T, inside bool, via, caller, dialed string) {
		src := acd.SourceLine
		if inside {
			src = acd.SourceExtension
		}
		d := p.Decide(Facts{Source: src, Via: via, Caller: caller, Dialed: dialed})
		if d.Action == "" || d.Rule == "" {
			t.Fatalf("empty decision %+v", d)
		}
		if d.Action == ActionReject && !d.Cause.Valid() {
			t.Fatalf("reject without a cause: %+v", d)
		}
		if d.Action == ActionOutbound && len(d.Gateways) == 0 {
			t.Fatalf("outbound without gateways: %+v", d)
		}
	})
}
