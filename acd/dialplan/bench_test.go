package dialplan

import (
	"testing"

	"callbox/acd"
)

// BenchmarkPlan_Decide routes an outbound call that passes the
// emergency, feature and extension steps and matches the last route.
func BenchmarkPlan_Decide(b *testing.B) {
	p, err := Compile(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	f := Facts{Source: acd.SourceExtension, Via: "202", Dialed: "962345678"}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(f); d.Action != ActionOutbound {
			b.Fatal(d)
		}
	}
}

// BenchmarkPlan_DecideE164 routes an E.164 number that no route written
// for "+" takes: every route is tried as dialled, then in the site's
// dialled forms behind its access code, and the international route
// (the second of three) matches.
func BenchmarkPlan_DecideE164(b *testing.B) {
	c := testConfig()
	c.Numbering = NumberingFor("cn")
	p, err := Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	f := Facts{Source: acd.SourceExtension, Via: "301", Dialed: "+14155550100"}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(f); d.Action != ActionOutbound {
			b.Fatal(d)
		}
	}
}
