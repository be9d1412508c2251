package linecard

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd/siptest"
)

// needSIPp skips without sipp unless CALLBOX_REQUIRE_E2E=1 makes that a
// failure.
func needSIPp(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatal("sipp not installed and CALLBOX_REQUIRE_E2E=1")
		}
		t.Skip("sipp not installed")
	}
	return path
}

// sipp starts sipp with args (plus control and media ports of its own)
// in t's temp directory; wait returns its error and output.
func sipp(t *testing.T, ctx context.Context, args ...string) (wait func() (string, error)) {
	t.Helper()
	bin := needSIPp(t)
	args = append(args, "-i", "127.0.0.1", "-mi", "127.0.0.1")
	args = append(args, siptest.SIPpPorts(t, "127.0.0.1")...)
	args = append(args, "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	})
	return func() (string, error) { err := <-done; return out.String(), err }
}

// waitBound waits until SIPp holds UDP 127.0.0.1:port, read from the
// kernel's table (siptest.AwaitUDPBound: a probe bind could take the
// port in the instant SIPp binds it).
func waitBound(t *testing.T, port int) {
	t.Helper()
	if err := siptest.AwaitUDPBound("127.0.0.1", port, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSim_SIPpCallerRingsLineWithCallerIDAndAudio(t *testing.T) {
	needSIPp(t)
	line := newSim(t, SimConfig{Lines: 1, Ports: newPorts(t)}).Lines()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	scenario, _ := filepath.Abs("testdata/pstn_caller.xml")
	wait := sipp(t, ctx, "-sf", scenario, "-s", "01088886601", "-key", "callerid", "13912345678",
		"-key", "callername", "Wang", line.Addr().String())

	ring := nextEvent(t, line.Events())
	if ring.Kind != EventRing || ring.CallerID.Number != "13912345678" || ring.CallerID.Name != "Wang" ||
		ring.Dialed != "01088886601" {
		t.Fatalf("ring event %+v", ring)
	}
	if err := line.OffHook(ctx); err != nil {
		t.Fatal(err)
	}
	waitAudio(t, line.Media().Reader())
	if e := nextEvent(t, line.Events()); e.Kind != EventHangup {
		t.Fatalf("event %v, want hangup from SIPp's BYE", e.Kind)
	}
	if out, err := wait(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
}

func TestSim_DialReachesSIPpAnswering(t *testing.T) {
	needSIPp(t)
	port := siptest.FreeUDPPort(t, "127.0.0.1")
	peer := netip.AddrPortFrom(loopback, uint16(port))
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	wait := sipp(t, ctx, "-sn", "uas", "-p", fmt.Sprint(port))
	line := newSim(t, SimConfig{Lines: 1, Ports: newPorts(t), Peer: peer}).Lines()[0]

	waitBound(t, port)
	if err := line.Dial(ctx, "13800138000", "01088886666"); err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if e := nextEvent(t, line.Events()); e.Kind != EventAnswer {
		t.Fatalf("event %v, want answer", e.Kind)
	}
	if line.Media() == nil {
		t.Fatal("no media on the answered line")
	}
	if err := line.OnHook(); err != nil {
		t.Fatal(err)
	}
	if out, err := wait(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, out)
	}
}
