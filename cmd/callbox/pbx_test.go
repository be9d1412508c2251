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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"callbox/firmware/store"
)

// The end-to-end tests of the switch: the real binary on free loopback
// ports with a data directory the test seeds through the store, and
// SIPp as phones, PSTN callers and carriers.

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

func freeUDP(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

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
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan error
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
	if !slices.Contains(args, "-i") {
		args = append([]string{"-i", "127.0.0.1"}, args...)
	}
	all = append(all, "-sf", filepath.Join("testdata", "sipp", scenario), "-p", strconv.Itoa(port),
		"-mp", strconv.Itoa(freeUDP(t)&^1), "-cp", strconv.Itoa(freeUDP(t)), "-m", "1", "-l", "1",
		"-recv_timeout", "10000", "-timeout", "20s", "-timeout_error", "-nostdin")
	all = append(all, args...)
	s := &sipp{cmd: exec.CommandContext(ctx, bin, all...), done: make(chan error, 1)}
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

// waitListening waits until SIPp holds its UDP port, so that an INVITE
// does not arrive before it listens.
func waitListening(t *testing.T, port int) {
	t.Helper()
	waitListeningOn(t, "127.0.0.1", port)
}

func waitListeningOn(t *testing.T, host string, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pc, err := net.ListenPacket("udp", host+":"+strconv.Itoa(port))
		if err != nil {
			return
		}
		pc.Close()
		if time.Now().After(deadline) {
			t.Fatal("SIPp did not bind its port")
		}
		time.Sleep(20 * time.Millisecond)
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
	waitListening(t, port)
	return uas
}

func TestCallbox_PhonesRegisterAndCallEachOtherThroughTheBox(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data)
	b := startBox(t, data)

	wrong := runSIPp(t, bin, "register.xml", freeUDP(t), b.sip, "-s", "203", "-au", "203", "-ap", "not-the-secret-1A")
	if err := wrong.wait(); err == nil {
		t.Fatalf("a wrong password registered\n%s", wrong.out.String())
	}

	sink := newMediaSink(t)
	callee := phone(t, bin, b, s, "202", sink)
	caller := runSIPp(t, bin, "call-uac.xml", freeUDP(t), b.sip, "-s", "202", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	caller.check(t, "caller 201")
	callee.check(t, "callee 202")
	// Two seconds of 20 ms packets from the caller reach the callee
	// through the box's relay (from the box's media port, not SIPp's).
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the callee got %d RTP packets, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	c := cdrs[0]
	if c.Caller != "201" || c.Callee != "202" || c.Source != "ext:201" || c.Route != "ext:202" || c.Answer.IsZero() ||
		c.HangupSide != store.HangupSide("caller") {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_CallFromASimulatedPSTNLineRingsAnExtension(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data)
	b := startBox(t, data)
	sink := newMediaSink(t)
	callee := phone(t, bin, b, s, "202", sink)
	pstn := runSIPp(t, bin, "pstn-call.xml", freeUDP(t), "127.0.0.1:"+strconv.Itoa(b.simBase),
		"-s", "80081", "-key", "callerid", "13800138000", "-key", "callername", "PSTN caller")
	pstn.check(t, "PSTN caller")
	callee.check(t, "callee 202")
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the extension got %d RTP packets from the line, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	c := cdrs[0]
	if c.Caller != "13800138000" || c.Source != "line:line1" || c.Direction != store.Direction("in") ||
		!strings.Contains(c.Route, "inbound:line-line1") || !strings.HasSuffix(c.Route, "ext:202") || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_OutsideNumberGoesOutOverASimulatedLine(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data)
	// The far end of the simulated lines: a SIPp UAS playing the
	// exchange and the called party.
	peerPort := freeUDP(t)
	sink := newMediaSink(t)
	far := runSIPp(t, bin, "answer-uas.xml", peerPort, "", "-s", "13800138000", "-key", "mport", strconv.Itoa(sink.port()))
	waitListening(t, peerPort)
	b := startBox(t, data, "--sim-peer", "127.0.0.1:"+strconv.Itoa(peerPort))
	caller := runSIPp(t, bin, "call-uac.xml", freeUDP(t), b.sip, "-s", "013800138000", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	caller.check(t, "caller 201")
	far.check(t, "far end")
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the far end got %d RTP packets over the line, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Route != "outbound:default>line:line1" || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
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

func TestCallbox_OutsideNumberGoesOutOverASIPTrunkWithItsCallerID(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	carrierPort := freeUDP(t)
	s := seed(t, data, withTrunk(carrierPort))
	sink := newMediaSink(t)
	carrier := runCarrierSIPp(t, bin, "carrier-uas.xml", carrierPort, "", "-s", "13800138000", "-key", "mport", strconv.Itoa(sink.port()))
	waitListeningOn(t, carrierAddr, carrierPort)
	b := startBox(t, data)
	caller := runSIPp(t, bin, "call-uac.xml", freeUDP(t), b.sip, "-s", "013800138000", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	caller.check(t, "caller 201")
	carrier.check(t, "carrier")
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the carrier got %d RTP packets, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Route != "outbound:default>trunk:carrier" || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_CallFromASIPTrunkRingsTheExtensionItsDIDNames(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data, withTrunk(freeUDP(t)))
	b := startBox(t, data)
	sink := newMediaSink(t)
	callee := phone(t, bin, b, s, "202", sink)
	// The carrier sends a call for DID 202 without digest: it is known by
	// its address.
	in := runCarrierSIPp(t, bin, "pstn-call.xml", freeUDP(t), b.sip, "-s", "202", "-key", "callerid", "13900001111",
		"-key", "callername", "Carrier caller")
	in.check(t, "carrier caller")
	callee.check(t, "callee 202")
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the extension got %d RTP packets from the trunk, want the caller's audio", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Source != "trunk:carrier" || c.Caller != "13900001111" || c.Route != "inbound:did-ext-202>ext:202" {
		t.Errorf("CDR %+v", c)
	}
}

func TestCallbox_DemoLineCallerHearsTheIVR(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	b := startBox(t, data, "--demo")
	sink := newMediaSink(t)
	sink.echo.Store(false)
	caller := runSIPp(t, bin, "pstn-listen.xml", freeUDP(t), "127.0.0.1:"+strconv.Itoa(b.simBase),
		"-s", "80081", "-key", "callerid", "13800138000", "-key", "callername", "Demo caller", "-key", "mport", strconv.Itoa(sink.port()))
	caller.check(t, "PSTN caller")
	// Three seconds of the demo flow's greeting: 20 ms packets.
	if n := sink.packets.Load(); n < 50 {
		t.Errorf("the caller heard %d RTP packets, want the IVR's greeting", n)
	}
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	c := cdrs[0]
	if c.Source != "line:line1" || !strings.HasPrefix(c.Route, "inbound:line-line1>flow:demo") || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
	t.Logf("route through the IVR: %s", c.Route)
}

func TestCallbox_PSTNCallerQueuesForAnAgentWhoLoggedInByFeatureCode(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data, func(st *store.Store) error {
		for _, r := range []func() error{
			func() error { _, err := store.Put(st, store.Skill{Name: "sales"}); return err },
			func() error {
				_, err := store.Put(st, store.Agent{ID: "802", Name: "Anna", Extension: "202", Enabled: true,
					Skills: []store.SkillLevel{{Skill: "sales", Level: 5}}})
				return err
			},
			func() error {
				_, err := store.Put(st, store.Queue{Name: "sales", Number: "600", Strategy: store.StrategyRingAll,
					Members: []store.QueueMember{{Agent: "802", Level: 1, Weight: 1}}, RingSeconds: 20})
				return err
			},
			func() error {
				_, err := store.Put(st, store.Line{ID: "line2", Type: store.LineFXO, Device: "sim:2", Route: "queue:sales", Enabled: true})
				return err
			},
		} {
			if err := r(); err != nil {
				return err
			}
		}
		return nil
	})
	b := startBox(t, data)
	login := runSIPp(t, bin, "feature-uac.xml", freeUDP(t), b.sip, "-s", "*45", "-key", "caller", "202",
		"-au", "202", "-ap", s.secrets["202"])
	login.check(t, "agent log-in *45 at 202")
	sink := newMediaSink(t)
	desk := phone(t, bin, b, s, "202", sink)
	pstn := runSIPp(t, bin, "pstn-call.xml", freeUDP(t), "127.0.0.1:"+strconv.Itoa(b.simBase+1),
		"-s", "80082", "-key", "callerid", "13800138000", "-key", "callername", "Customer")
	pstn.check(t, "PSTN caller")
	desk.check(t, "agent's desk 202")
	if n := sink.packets.Load(); n < 25 {
		t.Errorf("the agent got %d RTP packets from the caller", n)
	}
	var queued *store.CDR
	cdrs := b.cdrs(t)
	for i, c := range cdrs {
		if c.Source == "line:line2" {
			queued = &cdrs[i]
		}
	}
	if queued == nil {
		t.Fatalf("no CDR of the queued call: %+v", cdrs)
	}
	if queued.Route != "inbound:line-line2>queue:sales" || queued.Queue != "sales" || queued.Agent != "802" || queued.Answer.IsZero() {
		t.Errorf("CDR %+v", *queued)
	}
}

func TestCallbox_CallerLeavesAMessageWhenTheExtensionIsNotRegistered(t *testing.T) {
	bin := needSIPp(t)
	data := shortDir(t)
	s := seed(t, data, func(st *store.Store) error {
		secret, err := store.GenerateSecret(20)
		if err != nil {
			return err
		}
		_, err = store.Put(st, store.Extension{Number: "204", Name: "Away desk", Secret: secret, Voicemail: true})
		return err
	})
	b := startBox(t, data)
	caller := runSIPp(t, bin, "message-uac.xml", freeUDP(t), b.sip, "-s", "204", "-key", "caller", "201",
		"-au", "201", "-ap", s.secrets["201"])
	caller.check(t, "caller 201")
	cdrs := b.cdrs(t)
	if len(cdrs) != 1 {
		t.Fatalf("%d CDRs, want 1: %+v", len(cdrs), cdrs)
	}
	if c := cdrs[0]; c.Route != "ext:204>voicemail:204" || c.Disposition != store.Disposition("voicemail") || c.Answer.IsZero() {
		t.Errorf("CDR %+v", c)
	}
	st, err := store.Open(filepath.Join(data, "callbox.db"), store.WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := store.List[store.Recording](st)
	if err != nil || len(recs) != 1 {
		t.Fatalf("recordings %+v %v, want the message", recs, err)
	}
}
