package b2bua

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/siptest"
)

// needPeer returns the path of a peer program, skipping the test when it
// is missing unless CALLBOX_REQUIRE_E2E=1.
func needPeer(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatalf("%s is required (CALLBOX_REQUIRE_E2E=1) but missing: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func freeUDP(t *testing.T) int { return siptest.FreeUDPPort(t, "127.0.0.1") }

// sippRun is one SIPp process.
type sippRun struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	done   chan error
	cancel context.CancelFunc
}

// scenarioPath finds a scenario: the shared ones in acd/sip/testdata,
// the B2BUA's own (name "b2bua/...") in its testdata.
func scenarioPath(name string) string {
	if own, ok := strings.CutPrefix(name, "b2bua/"); ok {
		return filepath.Join("testdata", "sipp", own)
	}
	return filepath.Join("..", "testdata", "sipp", name)
}

// startSIPp starts a scenario (scenarioPath) on 127.0.0.1:port, one
// call, bounded in time. remote is "" for a UAS.
func startSIPp(t *testing.T, bin, scenario string, port int, remote string, args ...string) *sippRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	all := []string{}
	if remote != "" {
		all = append(all, remote)
	}
	sf, err := filepath.Abs(scenarioPath(scenario))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	all = append(all,
		"-sf", sf,
		"-i", "127.0.0.1", "-p", fmt.Sprint(port))
	all = append(all, siptest.SIPpPorts(t, "127.0.0.1")...)
	all = append(all, "-m", "1", "-l", "1",
		"-recv_timeout", "10000", "-timeout", "20s", "-timeout_error", "-nostdin",
		"-trace_err", "-error_file", filepath.Join(t.TempDir(), "errors.log"))
	all = append(all, args...)
	r := &sippRun{cmd: exec.CommandContext(ctx, bin, all...), done: make(chan error, 1), cancel: cancel}
	r.cmd.Dir = t.TempDir() // SIPp's logs land there, not in the repository
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// wait returns the exit code (0: the call passed).
func (r *sippRun) wait(t *testing.T) int {
	t.Helper()
	err := <-r.done
	r.done <- err
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sipp: %v", err)
	}
	return 0
}

// sippCallee registers extension ext from a fresh port with SIPp and then
// starts the UAS scenario on that port, with SIPp's further args.
func sippCallee(t *testing.T, bin string, bx *box, ext, scenario string, args ...string) *sippRun {
	t.Helper()
	port := freeUDP(t)
	reg := startSIPp(t, bin, "register.xml", port, bx.addr().String(), "-s", ext, "-au", ext, "-ap", secrets[ext])
	if code := reg.wait(t); code != 0 {
		t.Fatalf("register %s: sipp exit %d\n%s", ext, code, reg.out.String())
	}
	uas := startSIPp(t, bin, scenario, port, "", append([]string{"-s", ext, "-rtp_echo"}, args...)...)
	// The INVITE must not arrive before SIPp listens.
	uas.waitBound(t, port)
	return uas
}

// waitBound waits until SIPp holds UDP 127.0.0.1:port, or fails the test
// with what SIPp printed if it exits first or binds nothing in time.
func (r *sippRun) waitBound(t *testing.T, port int) {
	t.Helper()
	if err := siptest.AwaitUDPBound("127.0.0.1", port, r.done); err != nil {
		r.cancel()
		code := r.wait(t)
		t.Fatalf("SIPp UAS: %v (exit %d)\n%s", err, code, r.out.String())
	}
}

func sippCaller(t *testing.T, bin string, bx *box, ext, callee, scenario string) *sippRun {
	return startSIPp(t, bin, scenario, freeUDP(t), bx.addr().String(),
		"-s", callee, "-key", "caller", ext, "-au", ext, "-ap", secrets[ext])
}

func checkSIPp(t *testing.T, what string, r *sippRun) {
	t.Helper()
	if code := r.wait(t); code != 0 {
		t.Errorf("%s: sipp exit %d\n%s", what, code, r.out.String())
	}
}

func TestSIPp_CallBetweenRegisteredPhonesRelaysRTP(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "answer-uas.xml")
	before := bx.eng.Stats().Forwarded
	uac := sippCaller(t, bin, bx, "201", "202", "call-uac.xml")
	checkSIPp(t, "caller", uac)
	checkSIPp(t, "callee", uas)
	// Two seconds of 20 ms packets one way, echoed back: ~200 relayed.
	if n := bx.eng.Stats().Forwarded - before; n < 100 {
		t.Errorf("the box relayed %d RTP packets, want the call's audio both ways", n)
	}
	if rec := bx.lastEnded(); rec.HangupSide != acd.SideCaller || rec.Answer.IsZero() {
		t.Errorf("record: side %q answer %v", rec.HangupSide, rec.Answer)
	}
	eventually(t, "legs released", func() bool { return bx.b.Active() == 0 && bx.ports.InUse() == 0 })
}

func TestSIPp_CalleeHangsUp(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "hangup-uas.xml")
	uac := sippCaller(t, bin, bx, "201", "202", "call-uac-hungup.xml")
	checkSIPp(t, "caller", uac)
	checkSIPp(t, "callee", uas)
	if rec := bx.lastEnded(); rec.HangupSide != acd.SideCallee {
		t.Errorf("hang-up side %q, want callee", rec.HangupSide)
	}
}

func TestSIPp_CancelBeforeAnswer(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "cancel-uas.xml")
	uac := sippCaller(t, bin, bx, "201", "202", "cancel-uac.xml")
	checkSIPp(t, "caller", uac)
	checkSIPp(t, "callee", uas)
	if rec := bx.lastEnded(); rec.HangupSide != acd.SideCaller || !rec.Answer.IsZero() {
		t.Errorf("record: side %q answer %v", rec.HangupSide, rec.Answer)
	}
}

func TestSIPp_CallToBusyExtension(t *testing.T) {
	bin := needPeer(t, "sipp")
	bx := startBox(t, Config{}, nil)
	uas := sippCallee(t, bin, bx, "202", "busy-uas.xml")
	uac := sippCaller(t, bin, bx, "201", "202", "busy-uac.xml")
	checkSIPp(t, "caller", uac)
	checkSIPp(t, "callee", uas)
	if rec := bx.lastEnded(); rec.Cause != acd.CauseUserBusy {
		t.Errorf("cause %v, want user busy", rec.Cause)
	}
}

// BenchmarkSIPp_CallsPerSecond drives b.N short calls (INVITE with
// digest, answer, ACK, BYE; RTP sessions opened and released, no audio)
// from a SIPp UAC through the box to a registered SIPp UAS, up to 100
// at once, offered at CALLBOX_SIPP_RATE calls/s (default 1000), and
// reports the rate achieved and the number of warnings the box logged
// (0 expected). Run with -benchtime 5000x.
func BenchmarkSIPp_CallsPerSecond(b *testing.B) {
	bin, err := exec.LookPath("sipp")
	if err != nil {
		b.Skip("sipp not installed")
	}
	// The box's warnings are counted: a call whose BYE overtook its ACK
	// used to fail its answer ("No ACK received") at these rates.
	warned := &logRecorder{level: slog.LevelWarn}
	bx := startBoxLogging(b, slog.New(warned), Config{}, nil)
	port := freeUDPB(b)
	regArgs := append([]string{bx.addr().String(), "-sf", filepath.Join("..", "testdata", "sipp", "register.xml"),
		"-i", "127.0.0.1", "-p", fmt.Sprint(port)}, siptest.SIPpPorts(b, "127.0.0.1")...)
	reg := exec.Command(bin, append(regArgs, "-m", "1", "-nostdin", "-timeout", "10s", "-s", "202", "-au", "202", "-ap", secrets["202"])...)
	if out, err := reg.CombinedOutput(); err != nil {
		b.Fatalf("register: %v\n%s", err, out)
	}
	n := fmt.Sprint(b.N)
	rate := "1000"
	if r := os.Getenv("CALLBOX_SIPP_RATE"); r != "" {
		rate = r
	}
	common := []string{"-i", "127.0.0.1", "-m", n, "-nostdin", "-timeout", "120s", "-timeout_error", "-recv_timeout", "10000"}
	uasArgs := append([]string{"-sf", filepath.Join("..", "testdata", "sipp", "answer-uas.xml"), "-p", fmt.Sprint(port), "-s", "202"},
		siptest.SIPpPorts(b, "127.0.0.1")...)
	uas := exec.Command(bin, append(uasArgs, common...)...)
	var uasOut bytes.Buffer
	uas.Stdout, uas.Stderr = &uasOut, &uasOut
	if err := uas.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = uas.Process.Kill(); _ = uas.Wait() }()
	time.Sleep(300 * time.Millisecond) // the UAS binds its port
	b.ResetTimer()
	start := time.Now()
	uacArgs := append([]string{bx.addr().String(), "-sf", filepath.Join("..", "testdata", "sipp", "short-call-uac.xml"),
		"-p", fmt.Sprint(freeUDPB(b)), "-r", rate, "-l", "100", "-s", "202", "-key", "caller", "201", "-au", "201", "-ap", secrets["201"]},
		siptest.SIPpPorts(b, "127.0.0.1")...)
	uac := exec.Command(bin, append(uacArgs, common...)...)
	if out, err := uac.CombinedOutput(); err != nil {
		b.Fatalf("uac: %v\n%s", err, out)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(len(warned.all())), "warnings")
	if all := warned.all(); len(all) > 0 {
		b.Logf("%d warnings, the first: %s", len(all), all[0])
	}
}

func freeUDPB(b *testing.B) int { return siptest.FreeUDPPort(b, "127.0.0.1") }
