package trunk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"callbox/acd"
	"callbox/acd/dialplan"
	"callbox/acd/pbx"
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

// routeByPlan routes the box's calls as the appliance does: the
// router (acd/pbx) on the stored dialplan, dialling out over the Set.
func routeByPlan(t *testing.T, bx *box) acd.Handler {
	t.Helper()
	plans, err := pbx.NewPlans(bx.st, quiet())
	if err != nil {
		t.Fatal(err)
	}
	r, err := pbx.New(pbx.Config{Plan: plans.Current, Logger: quiet(),
		Ring:     func(context.Context, *acd.Call, string) error { return acd.Reject(acd.CauseUserBusy) },
		Gateways: map[dialplan.GatewayKind]pbx.GatewayDialer{dialplan.GatewayTrunk: bx.set.Dial}})
	if err != nil {
		t.Fatal(err)
	}
	return r.Handle
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
			bx.handle(routeByPlan(t, bx))
			carrier := startSIPp(t, bin, carrierExpecting(t, tc.want), carrierIP, port, 1, "")
			caller := startSIPp(t, bin, "../testdata/sipp/busy-uac.xml", "127.0.0.1", freeUDP(t, "127.0.0.1"), 1,
				bx.addr().String(), "-s", "+8613800138000", "-key", "caller", "201", "-au", "201", "-ap", secrets["201"])
			checkSIPp(t, "carrier (Request-URI "+tc.want+")", carrier)
			checkSIPp(t, "caller", caller)
			// The call record shows what was dialled and what the plan sent (the
			// busy carrier took no call, so no gateway follows).
			rec := bx.lastEnded()
			if rec.Dialed != "+8613800138000" || rec.RouteString() != "outbound:default(as 013800138000)" {
				t.Errorf("record: dialled %q, route %q", rec.Dialed, rec.RouteString())
			}
		})
	}
}

func TestTrunk_NumberFormatIsOneOfTheKnown(t *testing.T) {
	tr := carrierTrunk(5060)
	for _, f := range []string{"", store.TrunkNumberNational, store.TrunkNumberE164} {
		tr.NumberFormat = f
		if err := tr.Validate(); err != nil {
			t.Errorf("format %q: %v", f, err)
		}
	}
	tr.NumberFormat = "E.164"
	var verr *store.ValidationError
	if !errors.As(tr.Validate(), &verr) || len(verr.Fields) != 1 || verr.Fields[0].Field != "numberFormat" {
		t.Errorf("format E.164: %v", tr.Validate())
	}
}
