package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Ports of one system's run; systems run one after the other. The box's
// RTP range holds 3,750 calls (four ports each) and stays clear of the
// harness's SIP ports and of the kernel's ephemeral range (32768-).
const (
	rtpFirst = 10000
	rtpLast  = 24999
	rtpRange = "10000-24999"

	sutSIP   = 25060
	sutHTTP  = 25080
	sutDebug = 25079 // the binary's --debug listener
	uasPort  = 25081 // the phones of every extension (answer.xml)
	uacPort  = 25082 // the callers (call.xml)
	ngPort   = 25223 // rtpengine's control port
	uasMedia = 26000
	uacMedia = 26010
)

// startCallbox starts the callbox binary (kind "callbox") or the
// stand-in bench/pbxsut (kind "pbxsut") on a freshly seeded data
// directory.
func startCallbox(ctx context.Context, b builds, work, kind string, exts int) (*system, error) {
	return startCallboxWith(ctx, b, work, kind, exts, nil, nil)
}

// startCallboxWith is startCallbox with more seed and (for the binary)
// run arguments.
func startCallboxWith(ctx context.Context, b builds, work, kind string, exts int, seedArgs, runArgs []string) (*system, error) {
	data := filepath.Join(work, "data-"+kind)
	os.RemoveAll(data)
	seed := append([]string{"-data", data, "-n", fmt.Sprint(exts)}, seedArgs...)
	if out, err := exec.CommandContext(ctx, b.seed, seed...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("seed: %v: %s", err, out)
	}
	sipAddr := fmt.Sprintf("127.0.0.1:%d", sutSIP)
	httpAddr := fmt.Sprintf("127.0.0.1:%d", sutHTTP)
	s := &system{Name: kind, sip: sipAddr, http: httpAddr, data: data}
	var c *child
	var err error
	switch kind {
	case "callbox":
		args := append([]string{"run", "--data", data, "--sip", sipAddr, "--http", httpAddr, "--rtp-ports", rtpRange}, runArgs...)
		help, _ := exec.CommandContext(ctx, b.callbox, "run", "--help").CombinedOutput()
		if strings.Contains(string(help), "-debug") {
			// The binary's own profiler and runtime figures, on loopback.
			s.debug = fmt.Sprintf("127.0.0.1:%d", sutDebug)
			args = append(args, "--debug", s.debug)
		}
		if strings.Contains(string(help), "-sip-max-expiry") {
			s.regExpiry = registrationFor(ctx)
			args = append(args, "--sip-max-expiry", s.regExpiry.String())
		}
		if strings.Contains(string(help), "-sip-rate") {
			args = append(args, "--sip-rate", "100000")
		} else {
			s.Note = "the binary as shipped: its per-address SIP rate limit (acd/sip guard: 200 datagrams/s from an address with a registered phone, 20/s otherwise) cannot be lifted by a flag or setting, and all load comes from 127.0.0.1, so its calls per second are the limiter's; concurrent steps are set up at 15 calls/s, under that limit"
			s.setupRate = 15
		}
		c, err = start(work, kind, b.callbox, args...)
	case "pbxsut":
		s.Note = "bench/pbxsut: acd/sip + acd switch + b2bua + media relay wired as in acd/sip/b2bua's Example (no router, queues or CDR writer), rate limit lifted, serving pprof: the profiles and goroutine counts; not the callbox binary"
		c, err = start(work, kind, b.pbxsut, "-data", data, "-sip", sipAddr, "-http", httpAddr, "-maxlife", "40m",
			"-rtp-min", fmt.Sprint(rtpFirst), "-rtp-max", fmt.Sprint(rtpLast))
	default:
		return nil, fmt.Errorf("unknown system %q", kind)
	}
	if err != nil {
		return nil, err
	}
	s.procs = append(s.procs, c)
	s.signal = procTree{pid: c.pid()}
	s.media = s.signal
	if err := probeSIP(ctx, sipAddr, 20*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	s.pprof = s.hasPprof()
	return s, nil
}

// startPeer starts rtpengine (userspace forwarding) and then Kamailio,
// configured by the files in bench/peers.
func startPeer(ctx context.Context, peers, work string) (*system, error) {
	s := &system{Name: "kamailio+rtpengine", sip: fmt.Sprintf("127.0.0.1:%d", sutSIP)}
	raw, err := os.ReadFile(filepath.Join(peers, "rtpengine.args"))
	if err != nil {
		return nil, err
	}
	var args []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			args = append(args, line)
		}
	}
	ng := fmt.Sprintf("127.0.0.1:%d", ngPort)
	// Above the kernel's ephemeral range, like bench/relaycmp, and clear
	// of the box's own RTP range.
	args = append(args, "--listen-ng="+ng, "--port-min=32000", "--port-max=60999")
	rtpe, err := start(work, "rtpengine", "rtpengine", args...)
	if err != nil {
		return nil, err
	}
	s.procs = append(s.procs, rtpe)
	if err := pingNG(ctx, ng, 15*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	kam, err := start(work, "kamailio", "kamailio", "-f", filepath.Join(peers, "kamailio.cfg"), "-DD", "-E",
		"-l", "udp:"+s.sip, "-A", fmt.Sprintf("RTPE_SOCK=\"udp:%s\"", ng), "-m", "256", "-M", "16", "-w", work)
	if err != nil {
		s.stop()
		return nil, err
	}
	s.procs = append(s.procs, kam)
	s.signal = procTree{pid: kam.pid(), tree: true}
	s.media = procTree{pid: rtpe.pid()}
	if err := probeSIP(ctx, s.sip, 15*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// phones registers the benchmark's extensions with the system from the
// answering side's port (so the registrar's NAT handling keeps that
// port as the contact), then starts the answering SIPp there.
func phones(ctx context.Context, s *system, work string, exts int) (*child, int, error) {
	dir := filepath.Join(work, s.Name, "register")
	os.MkdirAll(dir, 0o755)
	csv := filepath.Join(dir, "register.csv")
	if err := writeRegisterCSV(csv, exts); err != nil {
		return nil, 0, err
	}
	res, err := runSIPp(ctx, dir, 2*time.Minute, []string{s.sip, "-sf", scenario("register.xml"), "-inf", csv,
		"-key", "expires", fmt.Sprint(int(cmp.Or(s.regExpiry, time.Hour).Seconds())), "-key", "contact", fmt.Sprintf("127.0.0.1:%d", uasPort), "-i", "127.0.0.1", "-p", fmt.Sprint(uasPort),
		"-cp", fmt.Sprint(uasPort + 2000), "-m", fmt.Sprint(exts), "-r", "250", "-l", "100",
		"-recv_timeout", "10000", "-trace_err"})
	if err != nil {
		return nil, 0, fmt.Errorf("register: %w", err)
	}
	udir := filepath.Join(work, s.Name, "phones")
	os.MkdirAll(udir, 0o755)
	// The answering SIPp lives as long as the run may (it is stopped by
	// its PID before that); a fixed 40 minutes ended the hour-long soak's
	// answers at minute 40.
	life := 40 * time.Minute
	if d, ok := ctx.Deadline(); ok {
		life = time.Until(d) + time.Minute
	}
	uas, err := start(udir, "sipp-answer", "sipp", "-sf", scenario("answer.xml"), "-i", "127.0.0.1",
		"-p", fmt.Sprint(uasPort), "-mi", "127.0.0.1", "-mp", fmt.Sprint(uasMedia), "-cp", fmt.Sprint(uasPort+2001),
		"-aa", "-nostdin", "-trace_logs", "-trace_err", "-timeout", fmt.Sprintf("%ds", int(life.Seconds())))
	if err != nil {
		return nil, 0, err
	}
	time.Sleep(300 * time.Millisecond) // let it bind before calls come in
	if uas.exited() {
		return nil, 0, fmt.Errorf("the answering SIPp exited at once (see %s)", udir)
	}
	return uas, res.Successful, nil
}

// scenarioDir is where the SIPp scenarios live (set from -scenarios).
var scenarioDir string

func scenario(name string) string { return filepath.Join(scenarioDir, name) }
