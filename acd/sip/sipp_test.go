package sip

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd/siptest"
)

// needPeer returns the path of a peer program (sipp, baresip), skipping
// the test when it is missing unless CALLBOX_REQUIRE_E2E=1.
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

// freePort returns a port free on ip for network ("udp" or "tcp").
func freePort(t *testing.T, network, ip string) int {
	t.Helper()
	if network == "udp" {
		return siptest.FreeUDPPort(t, ip)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sipp runs one SIPp scenario from testdata/sipp against target and
// returns its exit code (0: every call passed) and output.
func sipp(t *testing.T, bin string, target netip.AddrPort, scenario, localIP string, calls int, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	all := append([]string{
		target.String(),
		"-sf", filepath.Join("testdata", "sipp", scenario),
		"-i", localIP,
		"-p", fmt.Sprint(siptest.FreeUDPPort(t, localIP)),
		"-m", fmt.Sprint(calls),
		"-l", "1",
		"-recv_timeout", "2000",
		"-timeout", "15s",
		"-timeout_error",
		"-nostdin",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
	}, append(siptest.SIPpPorts(t, localIP), args...)...)
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.Dir = "."
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sipp: %v", err)
	}
	logs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
	return code, out.String() + string(logs)
}

func TestSIPp_RegistersWithDigestAndWrongSecretIsRejected(t *testing.T) {
	bin := needPeer(t, "sipp")
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	if code, out := sipp(t, bin, srv.udp(), "register.xml", "127.0.0.1", 1, "-s", "1001", "-au", "1001", "-ap", secret1001); code != 0 {
		t.Fatalf("register: sipp exit %d\n%s", code, out)
	}
	if bs := srv.Contacts("1001"); len(bs) != 1 || !strings.Contains(bs[0].UserAgent, "SIPp") {
		t.Fatalf("Contacts after SIPp = %+v", bs)
	}
	if code, out := sipp(t, bin, srv.udp(), "register-wrong.xml", "127.0.0.1", 1, "-s", "1002", "-au", "1002", "-ap", "Not-The-Secret-1"); code != 0 {
		t.Fatalf("wrong secret: sipp exit %d (want every call to see 403)\n%s", code, out)
	}
	if bs := srv.Contacts("1002"); len(bs) != 0 {
		t.Fatalf("wrong secret registered: %+v", bs)
	}
}

func TestSIPp_BruteForceFromOneAddressIsBanned(t *testing.T) {
	bin := needPeer(t, "sipp")
	clk := newTestClock()
	srv := startServer(t, openStore(t, "", clk), clk, Config{})
	// Five wrong guesses from 127.0.0.2 are each answered 403...
	if code, out := sipp(t, bin, srv.udp(), "register-wrong.xml", "127.0.0.2", 5, "-s", "1001", "-au", "1001", "-ap", "Guess-Number-1"); code != 0 {
		t.Fatalf("guesses: sipp exit %d\n%s", code, out)
	}
	// ...then the address is banned: even the right secret gets no answer.
	if code, out := sipp(t, bin, srv.udp(), "register.xml", "127.0.0.2", 1, "-s", "1001", "-au", "1001", "-ap", secret1001); code == 0 {
		t.Fatalf("banned address registered\n%s", out)
	}
	bans := srv.Bans()
	if len(bans) != 1 || bans[0].Prefix.Addr() != netip.MustParseAddr("127.0.0.2") || bans[0].Failures != 5 {
		t.Fatalf("Bans = %+v", bans)
	}
	// 127.0.0.1 keeps working.
	if code, out := sipp(t, bin, srv.udp(), "register.xml", "127.0.0.1", 1, "-s", "1001", "-au", "1001", "-ap", secret1001); code != 0 {
		t.Fatalf("127.0.0.1 during the ban: sipp exit %d\n%s", code, out)
	}
}
