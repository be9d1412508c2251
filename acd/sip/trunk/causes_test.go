package trunk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

func carrierTrunk(port int) store.Trunk {
	return store.Trunk{Name: "carrier", Host: carrierIP, Port: port, Transport: store.TransportUDP,
		Username: "boxuser", Secret: trunkSecret, CallerID: "+861012345678", AssertIdentity: true, Enabled: true}
}

// refusal writes the refusing carrier's scenario with status code.
func refusal(t *testing.T, code string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/carrier-refuse-uas.xml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "refuse.xml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "CODE", code)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSIPp_CarrierRefusalsMapToCauses(t *testing.T) {
	bin := needPeer(t, "sipp")
	for _, tc := range []struct {
		code      string
		cause     acd.Cause
		retryable bool
	}{
		{"486", acd.CauseUserBusy, false},
		{"404", acd.CauseUnallocatedNumber, false},
		{"503", acd.CauseTemporaryFailure, true},
		{"403", acd.CauseTemporaryFailure, true}, // credentials refused: the trunk's fault
	} {
		t.Run(tc.code, func(t *testing.T) {
			port := freeUDP(t, carrierIP)
			bx := startBox(t, Config{}, carrierTrunk(port))
			scenario := refusal(t, tc.code)
			var args []string
			if tc.code == "403" {
				// The carrier challenges and then refuses whatever comes.
				scenario, args = "testdata/carrier-auth-uas.xml", []string{"-key", "trunkuser", "other", "-key", "trunkpass", "x"}
			}
			carrier := startSIPp(t, bin, scenario, carrierIP, port, 1, "", args...)
			_, err := bx.set.Dial(ctxT(t), "carrier", "013800138000", acd.Party{Number: "201"}, nil)
			c, ok := acd.CauseOf(err)
			if !ok || c.Retryable() != tc.retryable || (tc.code != "403" && c != tc.cause) {
				t.Errorf("%s: %v (cause %v), want %v retryable=%v", tc.code, err, c, tc.cause, tc.retryable)
			}
			checkSIPp(t, "carrier", carrier)
		})
	}
}

func TestSIPp_UnansweredTrunkCallIsCancelledAsNoAnswer(t *testing.T) {
	bin := needPeer(t, "sipp")
	port := freeUDP(t, carrierIP)
	bx := startBox(t, Config{RingTimeout: 300 * time.Millisecond}, carrierTrunk(port))
	carrier := startSIPp(t, bin, "testdata/carrier-ring-uas.xml", carrierIP, port, 1, "")
	_, err := bx.set.Dial(ctxT(t), "carrier", "013800138000", acd.Party{Number: "201"}, nil)
	if c, _ := acd.CauseOf(err); c != acd.CauseNoAnswer {
		t.Errorf("unanswered: %v, want no answer", err)
	}
	checkSIPp(t, "carrier", carrier)
	if s := bx.status("carrier"); s.Channels != 0 {
		t.Errorf("%d channels still taken", s.Channels)
	}
}
