package trunk

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/firmware/store"
)

// carrierExpecting writes the scenario of a carrier that fails the call
// unless the Request-URI's user part is want.
func carrierExpecting(t *testing.T, want string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/carrier-ruri-uas.xml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ruri.xml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "WANT", regexp.QuoteMeta(want))), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// routeByPlan is the box's handler for extensions' calls: the stored
// dialplan decides, and outbound decisions go out over the trunks.
func routeByPlan(bx *box, decided chan<- dialplan.Decision) acd.Handler {
	return func(ctx context.Context, c *acd.Call) error {
		cfg, err := dialplan.Load(bx.st)
		if err != nil {
			return err
		}
		plan, err := dialplan.Compile(cfg)
		if err != nil {
			return err
		}
		p := c.Caller().Caller()
		d := plan.Decide(dialplan.Facts{Source: p.Source, Via: p.Via, Caller: p.Number, Dialed: c.Dialed()})
		decided <- d
		if d.Action != dialplan.ActionOutbound {
			return acd.Reject(d.Cause)
		}
		leg, err := bx.set.Dial(ctx, d.Gateways[0].Name, d.Number, acd.Party{Number: d.CallerID, Source: p.Source, Via: p.Via}, c.Caller())
		if err != nil {
			return err
		}
		return c.Bridge(ctx, leg)
	}
}

func TestSIPp_ExtensionDialsE164AndTheTrunkGetsItsNumberFormat(t *testing.T) {
	bin := needPeer(t, "sipp")
	for _, tc := range []struct {
		format string
		want   string
	}{
		{"", "013800138000"},
		{store.TrunkNumberNational, "013800138000"},
		{store.TrunkNumberE164, "+8613800138000"},
	} {
		t.Run("format="+tc.format, func(t *testing.T) {
			port := freeUDP(t, carrierIP)
			tr := carrierTrunk(port)
			tr.NumberFormat = tc.format
			bx := startBox(t, Config{}, tr)
			set, err := store.GetSettings(bx.st)
			if err != nil {
				t.Fatal(err)
			}
			set.Country = "cn"
			if _, err := store.Put(bx.st, set); err != nil {
				t.Fatal(err)
			}
			decided := make(chan dialplan.Decision, 1)
			bx.handle(routeByPlan(bx, decided))
			carrier := startSIPp(t, bin, carrierExpecting(t, tc.want), carrierIP, port, 1, "")
			caller := startSIPp(t, bin, "../testdata/sipp/busy-uac.xml", "127.0.0.1", freeUDP(t, "127.0.0.1"), 1,
				bx.addr().String(), "-s", "+8613800138000", "-key", "caller", "201", "-au", "201", "-ap", secrets["201"])
			checkSIPp(t, "carrier (Request-URI "+tc.want+")", carrier)
			checkSIPp(t, "caller", caller)
			d := <-decided
			if d.Rule != "outbound:default(as 013800138000)" || d.Dialed != "+8613800138000" || d.Number != "013800138000" {
				t.Errorf("decision %+v", d)
			}
		})
	}
}
