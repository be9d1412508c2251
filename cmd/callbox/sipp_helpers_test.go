package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"callbox/acd/siptest"
	"callbox/firmware/store"
)

// Helpers of the switch's end-to-end tests (pbx_test.go): the real binary
// on free loopback ports with a data directory the test seeds through the
// store, and SIPp as phones, PSTN callers and carriers.

// needSIPp returns SIPp's path, skipping without it unless
// CALLBOX_REQUIRE_E2E=1.
func needSIPp(t *testing.T) string {
	t.Helper()
	needBinary(t)
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

// freeSIPPort is a port free for UDP and TCP whose next port is free for
// TCP (TLS).
func freeSIPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := freeUDP(t)
		if p >= 65535 {
			continue
		}
		ok := true
		for _, a := range []string{fmt.Sprintf("127.0.0.1:%d", p), fmt.Sprintf("127.0.0.1:%d", p+1)} {
			ln, err := net.Listen("tcp", a)
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free SIP port")
	return 0
}

// site is what the test seeds: extensions with their secrets.
type site struct {
	secrets map[string]string
}

// seed writes extensions 201-203, line1 (simulated line 1) routed to
// extension 202, and any extra records into a new store in data.
func seed(t *testing.T, data string, extra ...func(*store.Store) error) site {
	t.Helper()
	st, err := store.Open(filepath.Join(data, "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := site{secrets: map[string]string{}}
	for _, n := range []string{"201", "202", "203"} {
		secret, err := store.GenerateSecret(20)
		if err != nil {
			t.Fatal(err)
		}
		s.secrets[n] = secret
		if _, err := store.Put(st, store.Extension{Number: n, Name: "Desk " + n, Secret: secret}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Put(st, store.Line{ID: "line1", Type: store.LineFXO, Device: "sim:1", Route: "202", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, f := range extra {
		if err := f(st); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// box is a running callbox.
type box struct {
	cmd     *exec.Cmd
	data    string
	sip     string // host:port of UDP and TCP
	web     string
	simBase int
	stderr  *lockedBuffer
	exited  chan error
	stopped bool
}

func startBox(t *testing.T, data string, args ...string) *box {
	t.Helper()
	b := &box{data: data, sip: "127.0.0.1:" + strconv.Itoa(freeSIPPort(t)), web: "127.0.0.1:" + strconv.Itoa(freePort(t)),
		simBase: freeUDP(t), stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	all := append([]string{"run", "--data", data, "--http", b.web, "--sip", b.sip,
		"--sim-base-port", strconv.Itoa(b.simBase), "--rtp-ports", "20000-39999"}, args...)
	b.cmd = exec.Command(binary, all...)
	b.cmd.Stderr = b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.exited <- b.cmd.Wait() }()
	t.Cleanup(func() {
		if !b.stopped {
			b.stop(t)
		}
	})
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := client.Get("http://" + b.web + "/healthz"); err == nil {
			var h struct{ Status string }
			json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if h.Status == "ok" {
				return b
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the box did not become healthy in 30 s\n%s", b.stderr.String())
		}
		select {
		case err := <-b.exited:
			b.stopped = true
			t.Fatalf("callbox exited: %v\n%s", err, b.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the box by its PID with SIGTERM, as an init system would.
func (b *box) stop(t *testing.T) {
	t.Helper()
	b.stopped = true
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.exited:
		if err != nil {
			t.Errorf("callbox exit: %v\n%s", err, b.stderr.String())
		}
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.exited
		t.Errorf("callbox did not stop within 10 s of SIGTERM\n%s", b.stderr.String())
	}
}

// cdrs stops the box and reads the call records it wrote.
func (b *box) cdrs(t *testing.T) []store.CDR {
	t.Helper()
	if !b.stopped {
		b.stop(t)
	}
	st, err := store.Open(filepath.Join(b.data, "callbox.db"), store.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out, err := store.List[store.CDR](st)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sipp is one SIPp process.
type sipp struct {
	cmd    *exec.Cmd
	out    lockedBuffer
	done   chan error
	cancel context.CancelFunc
}

// runSIPp starts a scenario of testdata/sipp on 127.0.0.1:port for one
// call, bounded to 25 s. remote is "" for a UAS.
func runSIPp(t *testing.T, bin, scenario string, port int, remote string, args ...string) *sipp {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	all := []string{}
	if remote != "" {
		all = append(all, remote)
	}
	ip := "127.0.0.1"
	if i := slices.Index(args, "-i"); i >= 0 && i+1 < len(args) {
		ip = args[i+1]
	} else {
		args = append([]string{"-i", ip}, args...)
	}
	all = append(all, "-sf", filepath.Join("testdata", "sipp", scenario), "-p", strconv.Itoa(port))
	all = append(all, siptest.SIPpPorts(t, ip)...)
	all = append(all, "-m", "1", "-l", "1", "-recv_timeout", "10000", "-timeout", "20s", "-timeout_error", "-nostdin")
	all = append(all, args...)
	s := &sipp{cmd: exec.CommandContext(ctx, bin, all...), done: make(chan error, 1), cancel: cancel}
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		cancel()
		err := <-s.done
		s.done <- err
	})
	return s
}

// waitBound waits until a socket holds UDP host:port (SIPp's, as a UAS
// listening there), so that nothing reaches SIPp before it listens. If
// SIPp exits first, or nothing binds the port in time, the test fails
// with what SIPp printed (siptest.AwaitUDPBound, which reads the port's
// state rather than binding it).
func (s *sipp) waitBound(t *testing.T, host string, port int) {
	t.Helper()
	if err := siptest.AwaitUDPBound(host, port, s.done); err != nil {
		s.cancel()
		t.Fatalf("%v (SIPp: %v)\n%s", err, s.wait(), s.out.String())
	}
}

// wait waits for SIPp to exit and returns its error (nil: the call
// passed).
func (s *sipp) wait() error {
	err := <-s.done
	s.done <- err
	return err
}

// check waits for SIPp and fails the test unless the call passed.
func (s *sipp) check(t *testing.T, what string) {
	t.Helper()
	if err := s.wait(); err != nil {
		t.Errorf("%s: sipp %v\n%s", what, err, s.out.String())
	}
}

// mediaSink is the callee's RTP socket: it counts what the box relays
// and echoes it back (unless echo is off), so audio crosses the box both
// ways.
type mediaSink struct {
	pc      net.PacketConn
	packets atomic.Int64
	echo    atomic.Bool
	mu      sync.Mutex
	from    map[string]bool
	wg      sync.WaitGroup
}

func newMediaSink(t *testing.T) *mediaSink {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mediaSink{pc: pc, from: map[string]bool{}}
	m.echo.Store(true)
	m.wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n >= 12 && buf[0]>>6 == 2 {
				m.packets.Add(1)
				m.mu.Lock()
				m.from[addr.String()] = true
				m.mu.Unlock()
				if m.echo.Load() {
					_, _ = pc.WriteTo(buf[:n], addr)
				}
			}
		}
	})
	t.Cleanup(func() {
		pc.Close()
		m.wg.Wait()
	})
	return m
}

func (m *mediaSink) port() int { return m.pc.LocalAddr().(*net.UDPAddr).Port }

// phone registers ext with digest from a fresh port and then answers one
// call there, its media going to sink.
func phone(t *testing.T, bin string, b *box, s site, ext string, sink *mediaSink) *sipp {
	t.Helper()
	port := freeUDP(t)
	reg := runSIPp(t, bin, "register.xml", port, b.sip, "-s", ext, "-au", ext, "-ap", s.secrets[ext])
	reg.check(t, "register "+ext)
	if t.Failed() {
		t.FailNow()
	}
	uas := runSIPp(t, bin, "answer-uas.xml", port, "", "-s", ext, "-key", "mport", strconv.Itoa(sink.port()))
	uas.waitBound(t, "127.0.0.1", port)
	return uas
}

// carrierAddr is where the test's carrier lives: a loopback address of
// its own, since trunks recognise their carrier by address and the
// phones use 127.0.0.1.
const carrierAddr = "127.0.0.2"

// withTrunk seeds an enabled trunk "carrier" to a SIPp carrier on port.
func withTrunk(port int) func(*store.Store) error {
	return func(st *store.Store) error {
		_, err := store.Put(st, store.Trunk{Name: "carrier", Host: carrierAddr, Port: port, Transport: store.TransportUDP,
			CallerID: "+861088886666", Enabled: true})
		return err
	}
}

// runCarrierSIPp is runSIPp bound to the carrier's address.
func runCarrierSIPp(t *testing.T, bin, scenario string, port int, remote string, args ...string) *sipp {
	t.Helper()
	return runSIPp(t, bin, scenario, port, remote, append([]string{"-i", carrierAddr}, args...)...)
}
