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
