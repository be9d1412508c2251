package trunk

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/siptest"
	"callbox/firmware/store"
)

// BenchmarkSIPp_TrunkCalls places b.N calls one after another over a
// trunk to a SIPp carrier: INVITE, 401, INVITE with digest, 200, ACK,
// then BYE from the box; RTP sessions opened and released, no audio.
// It reports calls per second. Run with -benchtime 500x.
func BenchmarkSIPp_TrunkCalls(b *testing.B) {
	bin, err := exec.LookPath("sipp")
	if err != nil {
		b.Skip("sipp not installed")
	}
	pc := freeUDPB(b, carrierIP)
	bx := startBox(b, Config{}, store.Trunk{Name: "carrier", Host: carrierIP, Port: pc, Transport: store.TransportUDP,
		Username: "boxuser", Secret: trunkSecret, CallerID: "+861012345678", Enabled: true})
	args := append([]string{"-sf", "testdata/carrier-short-uas.xml", "-i", carrierIP, "-p", fmt.Sprint(pc)},
		siptest.SIPpPorts(b, carrierIP)...)
	uas := exec.Command(bin, append(args, "-m", fmt.Sprint(b.N), "-nostdin", "-timeout", "120s")...)
	if err := uas.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = uas.Process.Kill(); _ = uas.Wait() }()
	time.Sleep(300 * time.Millisecond) // the UAS binds its port
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		leg, err := bx.set.Dial(ctxT(b), "carrier", "013800138000", acd.Party{Number: "201"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := leg.Hangup(acd.CauseNormalClearing); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}

func freeUDPB(b *testing.B, ip string) int { return freeUDPTB(b, ip) }
