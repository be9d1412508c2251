// Command callbench is the system benchmark of issue 6: it starts each
// system under test itself, loads it with SIPp (signalling) and the paced
// G.711 generator bench/loadgen (media), reads its CPU, memory, threads
// and file descriptors from /proc, stops it by PID, and writes the
// results (bench/results/<date>.json, key "system") and a Markdown
// section of BENCHMARKS.md.
//
// Systems: the callbox binary (./cmd/callbox, `callbox run` on a data
// directory seeded by bench/seed with 1,000 extensions); when it does
// not answer SIP, the stand-in bench/pbxsut (the same packages wired as
// acd/sip/b2bua's Example); and the peer, Kamailio as a stateful proxy
// with rtpengine forwarding media in userspace (bench/peers). The bare
// relay floor (bench/barerelay) runs the concurrent-call steps without
// signalling.
//
// Scenarios: 1, calls per second (register 1,000 extensions, then ramp
// INVITE-200-ACK-BYE with SDP); 2, concurrent relayed calls in steps.
//
// -suite callcenter runs scenarios 2, 3 and 4 on the binary alone, seeded
// with agents, a recorded queue, an IVR flow, a trunk and simulated lines
// (bench/seed -agents): 3, scenario 2 with every call recorded (the
// carrier's calls to the queue, answered at once by agents logged in with
// *45); 4, callers from the trunk and the lines through the IVR menu
// (RFC 4733 digit) into the recorded queue, answered by SIPp agents who
// talk 30 s. -suite soak is scenario 6: half the scenario-2 capacity with
// call churn for -soak, sampled every 30 s. Each suite writes its own
// section of BENCHMARKS.md and its own key of the results file.
//
// All traffic is on 127.0.0.0/8; every loop is bounded in count and time.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// mode is the size of a run.
type mode struct {
	Name      string        `json:"name"`
	cpsRates  []int         // offered calls per second, in order
	cpsStep   time.Duration // per rate
	steps     []int         // concurrent calls
	load      time.Duration // media per step
	setupRate int           // calls per second while a step is set up
	// settle is the pause between the last calls-per-second step and
	// the first concurrent-call step (see settle).
	settle time.Duration
}

var modes = map[string]mode{
	"quick": {Name: "quick", cpsRates: []int{25, 50, 100, 200, 400}, cpsStep: 3 * time.Second,
		steps: []int{200, 300}, load: 6 * time.Second, setupRate: 100},
	"full": {Name: "full", cpsRates: []int{25, 50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500}, cpsStep: 10 * time.Second,
		// The steps with 750, 1,250, 1,500 and 1,750 between,
		// where the systems' highest passing steps have been.
		steps: []int{250, 500, 750, 1000, 1250, 1500, 1750, 2000, 3000, 4000}, load: 15 * time.Second, setupRate: 100,
		settle: 35 * time.Second},
	// A look at call set-up alone, for profiling it: the full run's
	// rates from 200 up, no concurrent-call steps.
	"cps": {Name: "cps", cpsRates: []int{200, 400, 500, 600, 800, 1000, 1200, 1500}, cpsStep: 10 * time.Second},
	// A look at the top of the concurrent-call ramp alone, where the
	// systems' highest passing steps have been: no calls-per-second steps.
	"steps": {Name: "steps", steps: []int{1000, 1250, 1500, 1750, 2000}, load: 15 * time.Second, setupRate: 100},
}

// builds are the programs the run uses.
type builds struct {
	callbox, pbxsut, seed, barerelay string
}

func main() {
	modeName := flag.String("mode", "quick", "quick (under 5 minutes), full, cps (the calls-per-second steps alone) or steps (the top of the concurrent-call ramp alone)")
	systems := flag.String("systems", "", "comma-separated: callbox (falls back to pbxsut when the binary does not answer SIP), pbxsut, peer, bare (default: quick callbox,peer,bare; full adds pbxsut)")
	exts := flag.Int("exts", 1000, "extensions registered")
	callboxBin := flag.String("callbox", "", "callbox binary (default: built from ./cmd/callbox)")
	jsonPath := flag.String("json", "", "results file (merged under the key \"system\")")
	mdPath := flag.String("md", "BENCHMARKS.md", "Markdown file whose callbox-bench section is replaced")
	results := flag.String("results", "bench/results", "directory for profiles")
	scenarios := flag.String("scenarios", "bench/sipp", "SIPp scenario directory")
	peers := flag.String("peers", "bench/peers", "peer configuration directory")
	commit := flag.String("commit", "", "commit measured")
	limit := flag.Duration("limit", 0, "stop the whole run after this long (default 5m quick, 40m full)")
	rerender := flag.Bool("render", false, "only rewrite the Markdown section from the suite's key of -json (\"system\", \"callcenter\" or \"soak\", judged again)")
	suite := flag.String("suite", "system", "system (scenarios 1, 2 and 5), callcenter (scenarios 2, 3 and 4 on the callbox binary) or soak (scenario 6)")
	soakFor := flag.Duration("soak", time.Hour, "soak: how long calls keep coming (scenario 6)")
	soakCalls := flag.Int("soak-calls", 0, "soak: concurrent calls (default half the callbox's highest passing scenario-2 step in -json, else 250)")
	cpuProfile := flag.String("cpuprofile", "", "write the harness's own CPU profile (the load generator runs in it) to this file")
	flag.Parse()
	stopProfile := func() {}
	if *cpuProfile != "" {
		var err error
		if stopProfile, err = profileSelf(*cpuProfile); err != nil {
			log.Fatal(err)
		}
		defer stopProfile()
	}
	if *rerender && *suite != "system" {
		if err := renderSuite(*suite, *jsonPath, *mdPath); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *rerender {
		if err := renderOnly(*jsonPath, *mdPath); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *suite != "system" && *suite != "callcenter" && *suite != "soak" {
		log.Fatalf("callbench: -suite %q: system, callcenter or soak", *suite)
	}
	if err := portsFree(); err != nil {
		log.Fatal(err)
	}
	if *suite == "callcenter" || *suite == "soak" {
		code := runSuite(*suite, *modeName, *callboxBin, *jsonPath, *mdPath, *scenarios, *results, *commit, *limit, *soakFor, *soakCalls, *exts)
		stopProfile()
		os.Exit(code)
	}
	m, ok := modes[*modeName]
	if !ok || *exts < 10 || *exts > 10000 {
		log.Fatal("callbench: -mode quick|full|cps|steps, -exts 10..10000")
	}
	if *systems == "" {
		// Full runs add bench/pbxsut: the same packages as the binary,
		// serving pprof, for profiles and goroutine counts.
		*systems = map[string]string{"quick": "callbox,peer,bare", "full": "callbox,peer,bare,pbxsut", "cps": "callbox", "steps": "callbox,peer"}[m.Name]
	}
	if *limit == 0 {
		*limit = map[string]time.Duration{"quick": 5 * time.Minute, "full": 40 * time.Minute, "cps": 10 * time.Minute, "steps": 30 * time.Minute}[m.Name]
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()
	scenarioDir, _ = filepath.Abs(*scenarios)
	*peers, _ = filepath.Abs(*peers)
	*results, _ = filepath.Abs(*results)
	os.MkdirAll(*results, 0o755)

	work, err := os.MkdirTemp("", "callbench")
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("callbench: mode %s, work directory %s (kept on failure)", m.Name, work)
	b, err := build(ctx, work, *callboxBin)
	if err != nil {
		log.Fatal(err)
	}
	nproc, model := machine()
	run := &runResult{Date: time.Now().UTC().Format(time.RFC3339), Commit: *commit, Mode: m.Name, Nproc: nproc, CPU: model,
		Extensions: *exts, CPSStepSeconds: m.cpsStep.Seconds(), LoadSeconds: m.load.Seconds(), SetupRate: m.setupRate,
		SettleSeconds: m.settle.Seconds()}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		run.LoadAvgBefore = strings.TrimSpace(string(load))
	}
	for _, name := range strings.Split(*systems, ",") {
		if ctx.Err() != nil {
			break
		}
		switch name {
		case "bare":
			run.Bare = runBare(ctx, b.barerelay, m, nproc)
			continue
		case "callbox", "pbxsut", "peer":
		default:
			log.Fatalf("unknown system %q", name)
		}
		sr := benchSystem(ctx, b, m, work, *results, *peers, name, *exts, nproc)
		run.Systems = append(run.Systems, sr)
	}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		run.LoadAvgAfter = strings.TrimSpace(string(load))
	}
	if err := writeJSON(*jsonPath, run); err != nil {
		log.Fatal(err)
	}
	if err := writeMarkdown(*mdPath, run); err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(render(run)))
	if ctx.Err() != nil {
		log.Printf("callbench: stopped early: %v (work directory %s kept)", context.Cause(ctx), work)
		stopProfile()
		os.Exit(1)
	}
	if run.clean() {
		os.RemoveAll(work)
	} else {
		log.Printf("callbench: some steps failed; their logs are in %s", work)
	}
}

// benchSystem starts one system, runs the scenarios on it and stops it.
func benchSystem(ctx context.Context, b builds, m mode, work, results, peers, name string, exts, nproc int) systemResult {
	var s *system
	var err error
	switch name {
	case "callbox":
		s, err = startCallbox(ctx, b, work, "callbox", exts)
		if err != nil {
			log.Printf("callbox binary: %v; benchmarking bench/pbxsut instead", err)
			s, err = startCallbox(ctx, b, work, "pbxsut", exts)
			if s != nil {
				s.Note = "the callbox binary did not answer SIP (" + strings.TrimSpace(errString(err, "no SIP listener")) + "); " + s.Note
			}
		}
	case "pbxsut":
		s, err = startCallbox(ctx, b, work, "pbxsut", exts)
	case "peer":
		s, err = startPeer(ctx, peers, work)
	}
	if err != nil {
		log.Printf("%s: %v", name, err)
		return systemResult{Name: name, Error: err.Error()}
	}
	defer s.stop()
	r := systemResult{Name: s.Name, Note: s.Note, Pprof: s.pprof}
	r.Idle, r.IdleGoroutines = s.usage(), s.goroutines()
	uas, registered, err := phones(ctx, s, work, exts)
	r.Registered = registered
	if err != nil {
		r.Error = err.Error()
		log.Printf("%s: %v", s.Name, err)
		return r
	}
	defer uas.stop()
	r.AfterRegister = s.usage()
	log.Printf("%s: %d of %d extensions registered; PSS %d MB, fds %d, threads %d, goroutines %d", s.Name, registered, exts,
		r.AfterRegister.PSSKB/1024, r.AfterRegister.FDs, r.AfterRegister.Threads, s.goroutines())
	r.CPS = runCPS(ctx, s, m, work, results, exts)
	if len(m.steps) > 0 {
		r.Settled, r.Freed = settle(ctx, s, m.settle)
	}
	r.Concurrent = runConcurrent(ctx, s, m, work, results, exts, nproc)
	return r
}

// settle waits d for what the calls-per-second ramp left in the system
// to go before the concurrent-call steps: SIP stacks keep each INVITE
// transaction 32 s after the call (RFC 6026's Timer L). A Go system then
// has their garbage, and its runtime hands the freed pages back to the
// kernel over minutes: it is asked to collect and hand them back at once
// (POST /debug/free-memory), or, without that, to collect. Without the
// rest the first steps paid for the ramp (at 15:44 on 2026-11-28 the
// box's PSS fell from 1,025 MB at 250 calls to 289 MB at 1,000); with the
// rest and only a collection, at 00:05 on 2026-11-29, it still fell from
// 973 MB after the rest to 219 MB at 1,000 calls, at the pace of the
// runtime's scavenger, so no memory slope was left to read either time.
// It returns the system's memory after the rest and whether the pages
// were handed back; nil when there was no rest.
func settle(ctx context.Context, s *system, d time.Duration) (*usage, bool) {
	if d <= 0 {
		return nil, false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, false
	case <-t.C:
	}
	freed := s.freeMemory()
	if !freed && s.pprof {
		s.goMemory() // asks for a collection first
	}
	u := s.usage()
	log.Printf("%s: settled %s after the calls-per-second steps (free pages handed back: %v); PSS %d MB", s.Name, d, freed, u.PSSKB/1024)
	return &u, freed
}

func errString(err error, def string) string {
	if err == nil {
		return def
	}
	return err.Error()
}

// build compiles the programs from the working tree.
func build(ctx context.Context, work, callbox string) (builds, error) {
	b := builds{callbox: callbox}
	targets := map[string]*string{"./bench/pbxsut": &b.pbxsut, "./bench/seed": &b.seed, "./bench/barerelay": &b.barerelay}
	if callbox == "" {
		targets["./cmd/callbox"] = &b.callbox
	}
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return b, err
	}
	for pkg, out := range targets {
		*out = filepath.Join(bin, filepath.Base(pkg))
		cmd := exec.CommandContext(ctx, "go", "build", "-o", *out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if o, err := cmd.CombinedOutput(); err != nil {
			if pkg == "./cmd/callbox" {
				log.Printf("build %s: %v\n%s", pkg, err, o)
				*out = ""
				continue
			}
			return b, fmt.Errorf("build %s: %v\n%s", pkg, err, o)
		}
	}
	return b, nil
}

func mkdirFor(path string) error { return os.MkdirAll(filepath.Dir(path), 0o755) }

// portsFree refuses to start when the harness's fixed SIP and web ports
// are taken (another run on this machine): the two runs would load each
// other's systems. A second run can go in a network namespace of its own,
// whose loopback has its own ports.
func portsFree() error {
	for _, p := range []int{sutSIP, uasPort, uacPort} {
		c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return fmt.Errorf("callbench: UDP port %d on 127.0.0.1 is taken (another bench run?): wait for it, or run this one in its own network namespace: ip netns add cb && ip netns exec cb ip link set lo up && ip netns exec cb <command>: %w", p, err)
		}
		c.Close()
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", sutHTTP))
	if err != nil {
		return fmt.Errorf("callbench: TCP port %d on 127.0.0.1 is taken (another bench run?): %w", sutHTTP, err)
	}
	return l.Close()
}

// profileSelf starts a CPU profile of the harness into path: the load
// generator (bench/loadgen) runs in this process, and on a shared
// machine its cost decides where a step stops being measured.
func profileSelf(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
