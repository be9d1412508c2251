package queue_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd/queue"
	"callbox/acd/siptest"
	"callbox/firmware/store"
)

// sipp is one SIPp process, bounded in time, stopped at cleanup.
type sipp struct {
	out    bytes.Buffer
	done   chan error
	cancel context.CancelFunc
}

func needSIPp(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatalf("sipp is required (CALLBOX_REQUIRE_E2E=1): %v", err)
		}
		t.Skip("sipp not installed")
	}
	return p
}

func freeUDP(t *testing.T) int { return siptest.FreeUDPPort(t, "127.0.0.1") }

// runSIPp starts one call of a shared scenario (acd/sip/testdata/sipp)
// on 127.0.0.1:port; remote is "" for a UAS.
func runSIPp(t *testing.T, bin, scenario string, port int, remote string, args ...string) *sipp {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	var all []string
	if remote != "" {
		all = append(all, remote)
	}
	all = append(all, "-sf", filepath.Join("..", "sip", "testdata", "sipp", scenario),
		"-i", "127.0.0.1", "-p", fmt.Sprint(port))
	all = append(all, siptest.SIPpPorts(t, "127.0.0.1")...)
	all = append(all, "-m", "1", "-l", "1", "-recv_timeout", "10000", "-timeout", "20s", "-timeout_error", "-nostdin",
		"-trace_err", "-error_file", filepath.Join(t.TempDir(), "errors.log"))
	all = append(all, args...)
	s := &sipp{done: make(chan error, 1), cancel: cancel}
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		err := <-s.done
		s.done <- err
	})
	return s
}

// waitBound waits until SIPp holds UDP 127.0.0.1:port, or fails the test
// with what SIPp printed if it exits first or binds nothing in time.
func (s *sipp) waitBound(t *testing.T, port int) {
	t.Helper()
	if err := siptest.AwaitUDPBound("127.0.0.1", port, s.done); err != nil {
		s.cancel()
		e := <-s.done
		s.done <- e
		t.Fatalf("SIPp UAS: %v (SIPp: %v)\n%s", err, e, s.out.String())
	}
}

// passed waits for SIPp and reports whether its call passed.
func (s *sipp) passed(t *testing.T) bool {
	t.Helper()
	err := <-s.done
	s.done <- err
	if err != nil {
		t.Logf("sipp: %v\n%s", err, s.out.String())
		return false
	}
	return true
}

func TestLive_SIPpAgentAnswersQueuedCallerAndEchoes(t *testing.T) {
	bin := needSIPp(t)
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordNone)
	port := freeUDP(t)
	reg := runSIPp(t, bin, "register.xml", port, r.srv.Addr("udp").String(), "-s", "201", "-au", "201", "-ap", secretOf("201"))
	if !reg.passed(t) {
		t.Fatal("SIPp could not register 201")
	}
	uas := runSIPp(t, bin, "answer-uas.xml", port, "", "-s", "201", "-rtp_echo")
	uas.waitBound(t, port)
	d := r.live.Dispatcher()
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	r.talking("101")
	if !hears(t, caller, caller, 1000) {
		t.Error("the caller does not hear the SIPp agent's echo")
	}
	if err := caller.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if !uas.passed(t) {
		t.Error("the SIPp agent's call did not end cleanly")
	}
	r.agentState("101", "available")
	if s, _ := d.Snapshot("sales"); s.Day.Answered != 1 || s.Day.Handled != 1 {
		t.Errorf("figures %+v", s.Day)
	}
}
