package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"callbox/bench/loadgen"
)

// concStep is one step of concurrent relayed calls (scenario 2).
type concStep struct {
	Calls       int     `json:"calls"`
	SetUp       int     `json:"set_up"` // calls whose both legs had media ports
	SetupFailed int     `json:"setup_failed"`
	ByeFailed   int     `json:"calls_failed_at_end"` // SIPp's failed count (setup or BYE)
	LossRatio   float64 `json:"loss_ratio"`
	LateRatio   float64 `json:"late_ratio"`
	JitterMs    float64 `json:"jitter_ms"` // RFC 3550 mean
	RelayJitter float64 `json:"relay_jitter_ms"`
	MaxDelayMs  float64 `json:"max_delay_ms"`
	PacingMs    float64 `json:"pacing_behind_ms"` // how far the generator fell behind
	Packets     uint64  `json:"packets_relayed"`
	// MediaCPU is the relaying process's CPU in the window (the box's
	// whole process; rtpengine for the peer), AllCPU adds the signalling.
	MediaCPU     float64 `json:"media_cpu_seconds"`
	AllCPU       float64 `json:"all_cpu_seconds"`
	USPerPacket  float64 `json:"us_cpu_per_packet"`
	MachineShare float64 `json:"machine_percent"` // AllCPU over the window, of all cores
	// MachineBusy is how busy the whole machine was over the window
	// (/proc/stat: the system, the load side and the kernel).
	MachineBusy float64 `json:"machine_busy_percent"`
	Usage       usage   `json:"usage"`
	GoMemKB     int     `json:"go_heap_stack_kb"` // HeapInuse+StackInuse after a GC; -1 without pprof
	Goroutines  int     `json:"goroutines"`
	Pass        bool    `json:"pass"`
	Why         string  `json:"why,omitempty"`
	Retry       bool    `json:"retry,omitempty"` // the second try after a failed one
	// Saturated marks a step that was not measured: the load generator
	// fell so far behind its pacing that the system got much less than
	// the step's load (saturated).
	Saturated bool `json:"generator_saturated,omitempty"`
	// Drops are the datagrams the kernel dropped at full receive
	// buffers during the window: at the system's sockets, or at the
	// load side's (a generator that did not read in time).
	Drops udpDrops `json:"udp_drops"`
}

// runConcurrent holds steps of concurrent calls with G.711 both ways
// until loss passes 0.1% or the system uses more than 80% of the machine.
// Calls are set up by SIPp at setupRate; the load generator then sends
// to the ports the system put in its SDP, which both SIPp sides log.
func runConcurrent(ctx context.Context, s *system, m mode, work, results string, exts, nproc int) []concStep {
	var steps []concStep
	uasLog := newLogTail(filepath.Join(work, s.Name, "phones", "answer_*_logs.log"))
	retried := false
	for i := 0; i < len(m.steps); i++ {
		n := m.steps[i]
		if s.setupRate > 0 && n > 1000 {
			// Set up under a rate limit, a step of thousands of calls
			// takes minutes; the run stops at 1,000.
			log.Printf("%s: steps above 1,000 calls are skipped at %d calls/s of set-up", s.Name, s.setupRate)
			break
		}
		dir := filepath.Join(work, s.Name, fmt.Sprintf("calls%d", n))
		if retried {
			dir += "-retry"
		}
		csv := filepath.Join(dir, "calls.csv")
		rate := m.setupRate
		if s.setupRate > 0 {
			rate = s.setupRate
		}
		setup := time.Duration(float64(n) / float64(rate) * float64(time.Second))
		// Call i is answered about i/rate seconds in; it is held so that
		// every call of the step ends together, slack after the load. On
		// a busy machine SIPp falls behind its rate and the generator
		// behind its pacing, both in proportion to the step: the slack
		// grows with it, so no call ends while media still flows.
		slack := 8*time.Second + setup/2
		keys, err := writeCallCSVMk(csv, n, exts, func(i int) int {
			return int(((setup - time.Duration(float64(i)/float64(rate)*float64(time.Second))) + m.load + slack).Milliseconds())
		})
		if err != nil {
			log.Printf("calls: %v", err)
			return steps
		}
		uasLog.skip()
		uacLog := newLogTail(filepath.Join(dir, "call_*_logs.log"))
		hold := setup + m.load + slack
		st := concStep{Calls: n, Retry: retried}
		sippDone := make(chan sippResult, 1)
		go func() {
			res, err := runSIPp(ctx, dir, setup+hold+2*time.Minute, []string{s.sip, "-sf", scenario("call.xml"), "-inf", csv,
				"-i", "127.0.0.1", "-p", fmt.Sprint(uacPort), "-mi", "127.0.0.1", "-mp", fmt.Sprint(uacMedia),
				"-cp", fmt.Sprint(uacPort + 2001), "-r", fmt.Sprint(rate), "-m", fmt.Sprint(n),
				"-l", fmt.Sprint(n + 10), "-recv_timeout", "20000",
				"-trace_logs", "-trace_err"})
			if err != nil {
				log.Printf("%s %d calls: sipp: %v", s.Name, n, err)
			}
			sippDone <- res
		}()
		a := map[string]netip.AddrPort{}
		b := map[string]netip.AddrPort{}
		deadline := time.Now().Add(setup + slack - time.Second)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(250 * time.Millisecond)
			collect(uacLog.read(), "A", a)
			collect(uasLog.read(), "B", b)
			if len(a) >= n && len(b) >= n {
				break
			}
		}
		var calls []loadgen.Call
		for _, k := range keys {
			pa, okA := a[k]
			pb, okB := b[k]
			if okA && okB {
				calls = append(calls, loadgen.Call{A: pa, B: pb})
			}
		}
		st.SetUp, st.SetupFailed = len(calls), n-len(calls)
		if len(calls) == 0 {
			st.Why = "no call was set up"
			res := <-sippDone
			st.ByeFailed = res.Failed
			steps = append(steps, st)
			log.Printf("%s %d calls: none set up", s.Name, n)
			break
		}
		var w window
		prof := make(chan struct{})
		go func() {
			defer close(prof)
			s.profile(ctx, m.load-time.Second, filepath.Join(results, fmt.Sprintf("sys-%s-calls%d.pprof", s.Name, n)))
		}()
		lr, err := loadgen.Run(ctx, loadgen.Config{Calls: calls, Local: netip.MustParseAddr("127.0.0.1"), Duration: m.load,
			OnStart: func() { w.begin = measure(s) },
			OnEnd: func() {
				w.end = measure(s)
				st.Usage, st.Goroutines = s.usage(), s.goroutines()
				st.GoMemKB = s.goMemory()
				s.heapProfile(filepath.Join(results, fmt.Sprintf("sys-%s-calls%d-heap.pprof", s.Name, n)))
			}})
		<-prof
		if err != nil {
			st.Why = "load generator: " + err.Error()
		}
		w.fill(&st, s, lr, nproc)
		res := <-sippDone
		st.ByeFailed = res.Failed
		judge(&st, m.load)
		log.Printf("%s %5d calls: set up %d, loss %.4f%%, late %.4f%%, jitter %.2f ms, pacing behind %.0f ms, %.2f us CPU/pkt, %.0f%% of the machine (machine busy %.0f%%), PSS %d MB, fds %d, goroutines %d, sipp failed %d, %s %s",
			s.Name, n, st.SetUp, 100*st.LossRatio, 100*st.LateRatio, st.JitterMs, st.PacingMs, st.USPerPacket, st.MachineShare, st.MachineBusy,
			st.Usage.PSSKB/1024, st.Usage.FDs, st.Goroutines, st.ByeFailed, st.Drops, st.Why)
		steps = append(steps, st)
		time.Sleep(3 * time.Second) // the box releases the last sessions
		if !st.Pass {
			if retried { // one retry, as in runCPS
				break
			}
			retried = true
			i--
			continue
		}
		retried = false
	}
	return steps
}

// sample is what a step reads at each end of its load window.
type sample struct {
	signal, media float64 // the system's CPU seconds (system.cpu)
	at            time.Time
	drops         udpDrops
	machine       machineCPU
}

func measure(s *system) sample {
	sig, med := s.cpu()
	return sample{signal: sig, media: med, at: time.Now(), drops: s.drops(), machine: readMachineCPU()}
}

// window is a step's load window, measured at its start and end.
type window struct{ begin, end sample }

// fill puts the load generator's figures and what the window measured
// into st: the system's CPU and share of the machine, how busy the
// machine was, and where packets were dropped or held.
func (w window) fill(st *concStep, s *system, lr loadgen.Result, nproc int) {
	fillLoad(st, lr)
	st.MachineBusy = w.end.machine.busyPercent(w.begin.machine)
	st.Drops = w.end.drops.sub(w.begin.drops)
	st.Drops.AfterEnd = lr.AfterEnd
	st.MediaCPU = w.end.media - w.begin.media
	st.AllCPU = w.end.signal - w.begin.signal
	if s.media.pid != s.signal.pid {
		st.AllCPU += st.MediaCPU
	}
	if lr.Received > 0 {
		st.USPerPacket = 1e6 * st.MediaCPU / float64(lr.Received)
	}
	if secs := w.end.at.Sub(w.begin.at).Seconds(); secs > 0 {
		st.MachineShare = 100 * st.AllCPU / secs / float64(nproc)
	}
}

func fillLoad(st *concStep, lr loadgen.Result) {
	st.LossRatio, st.LateRatio = lr.LossRatio, lr.LateRatio
	st.JitterMs, st.RelayJitter = lr.JitterMeanMs, lr.RelayJitterMeanMs
	st.MaxDelayMs, st.PacingMs, st.Packets = lr.DelayMaxMs, lr.SendBehindMaxMs, lr.Received
}

// notMeasured begins the verdict of a step whose load was not offered.
const notMeasured = "not measured"

// saturated reports whether the generator fell more than a tenth of the
// load window behind its pacing. It sends every packet, late, so the
// system got the step's packets over a longer time: at most 90% of the
// step's load, whatever the loss. The machine, shared by the system and
// its load, ran out, and the step says nothing about the system at that
// number of calls.
func saturated(behindMs float64, load time.Duration) bool {
	return behindMs > 0.1*float64(load.Milliseconds())
}

func saturatedWhy(who string, behindMs float64, load time.Duration) string {
	return fmt.Sprintf("%s: %s fell %.1f s behind its pacing in %.0f s (the shared machine is saturated)", notMeasured, who, behindMs/1000, load.Seconds())
}

// rejudge applies the saturation rule to a step of a run judged before
// the rule: a pass, or a loss, with the generator too far behind is not
// measured.
func rejudge(pass *bool, why *string, who string, behindMs float64, load time.Duration) bool {
	if !saturated(behindMs, load) || !(*pass || strings.HasPrefix(*why, "loss over 0.1%")) {
		return false
	}
	*pass, *why = false, saturatedWhy(who, behindMs, load)
	return true
}

func (st *concStep) rejudge(load time.Duration) {
	st.Saturated = rejudge(&st.Pass, &st.Why, "the load generator", st.PacingMs, load) || st.Saturated
}

func judge(st *concStep, load time.Duration) {
	switch {
	case st.Why != "":
	case float64(st.SetupFailed) > 0.001*float64(st.Calls):
		st.Why = fmt.Sprintf("%d calls not set up", st.SetupFailed)
	case saturated(st.PacingMs, load):
		st.Saturated = true
		st.Why = saturatedWhy("the load generator", st.PacingMs, load)
	case st.LossRatio > 0.001:
		st.Why = "loss over 0.1%"
	case st.MachineShare > 80:
		st.Why = "over 80% of the machine"
	default:
		st.Pass = true
	}
}

// collect parses "A caller callee ip port ..." log lines into m.
func collect(lines []string, tag string, m map[string]netip.AddrPort) {
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] != tag {
			continue
		}
		ip, err := netip.ParseAddr(f[3])
		if err != nil {
			continue
		}
		port, err := strconv.Atoi(f[4])
		if err != nil || port <= 0 || port > 65535 {
			continue
		}
		m[pairKey(f[1], f[2])] = netip.AddrPortFrom(ip, uint16(port))
	}
}

// runBare measures the bare relay floor (bench/barerelay: one goroutine
// per socket, read then write, no signalling) at the same steps and
// load, for the box's CPU per packet to be judged against.
func runBare(ctx context.Context, bin string, m mode, nproc int) []concStep {
	var steps []concStep
	for _, n := range m.steps {
		if n > 1100 {
			// Four ports per call above 61000, clear of the ephemeral range.
			log.Printf("bare: steps above 1,100 calls do not fit its port range; stopping")
			break
		}
		st, err := bareStep(ctx, bin, n, m.load, nproc)
		if err != nil {
			st.Why = err.Error()
		}
		judge(&st, m.load)
		log.Printf("bare %5d calls: loss %.4f%%, %.2f us CPU/pkt, %.0f%% of the machine %s", n, 100*st.LossRatio, st.USPerPacket, st.MachineShare, st.Why)
		steps = append(steps, st)
		if !st.Pass {
			break
		}
	}
	return steps
}

func bareStep(ctx context.Context, bin string, n int, load time.Duration, nproc int) (concStep, error) {
	st := concStep{Calls: n}
	cmd := exec.CommandContext(ctx, bin, "-calls", fmt.Sprint(n), "-base", "61000", "-maxlife", (load + time.Minute).String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return st, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return st, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return st, err
	}
	defer func() {
		stdin.Close() // barerelay exits when its stdin closes
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	lo := netip.MustParseAddr("127.0.0.1")
	var calls []loadgen.Call
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "ready" {
		var pa, pb uint16
		if _, err := fmt.Sscanf(sc.Text(), "%d %d", &pa, &pb); err != nil {
			return st, fmt.Errorf("barerelay said %q", sc.Text())
		}
		calls = append(calls, loadgen.Call{A: netip.AddrPortFrom(lo, pa), B: netip.AddrPortFrom(lo, pb)})
	}
	go func() {
		for sc.Scan() {
		}
	}()
	st.SetUp = len(calls)
	p := procTree{pid: cmd.Process.Pid}
	var c0, c1 float64
	var t0, t1 time.Time
	lr, err := loadgen.Run(ctx, loadgen.Config{Calls: calls, Local: lo, Duration: load,
		OnStart: func() { c0, t0 = p.cpuSeconds(), time.Now() },
		OnEnd:   func() { c1, t1 = p.cpuSeconds(), time.Now(); st.Usage = p.usage() }})
	if err != nil {
		return st, err
	}
	fillLoad(&st, lr)
	st.MediaCPU, st.AllCPU = c1-c0, c1-c0
	if lr.Received > 0 {
		st.USPerPacket = 1e6 * st.MediaCPU / float64(lr.Received)
	}
	st.MachineShare = 100 * st.AllCPU / t1.Sub(t0).Seconds() / float64(nproc)
	st.Goroutines, st.GoMemKB = -1, -1
	return st, nil
}
