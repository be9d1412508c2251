package main

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"path/filepath"
	"sort"
	"time"

	"callbox/bench/callcenter"
	"callbox/bench/rtpdrive"
)

// mixedStep is one step of scenario 4: callers from the trunk and from
// simulated PSTN lines reach the IVR, press the menu key (RFC 4733),
// wait in the recorded queue and talk to a SIPp agent.
type mixedStep struct {
	Callers    int `json:"callers"`
	TrunkCalls int `json:"trunk_calls"`
	LineCalls  int `json:"line_calls"`
	// Answered calls reached an agent; Failed = Callers - Answered.
	Answered   int `json:"answered"`
	Failed     int `json:"failed"`
	SIPpFailed int `json:"sipp_failed"` // as SIPp counts (callers and agents)
	// Latency from the caller's INVITE to the agent's answer (IVR
	// greeting, the digit, queueing and ringing included), ms.
	P50ms float64 `json:"invite_to_agent_p50_ms"`
	P95ms float64 `json:"invite_to_agent_p95_ms"`
	P99ms float64 `json:"invite_to_agent_p99_ms"`
	// Packets of the trunk calls, both directions, once bridged.
	Expected  uint64  `json:"packets_expected"`
	Lost      uint64  `json:"packets_lost"`
	Late      uint64  `json:"packets_late"`
	LossRatio float64 `json:"loss_ratio"`
	LateRatio float64 `json:"late_ratio"`
	MaxDelay  float64 `json:"max_delay_ms"`
	PacingMs  float64 `json:"pacing_behind_ms"`
	// CPU of the box over the step (ramp, talk and hang-up), per call.
	CPUSeconds   float64  `json:"cpu_seconds"`
	MsCPUPerCall float64  `json:"ms_cpu_per_call"`
	MachineShare float64  `json:"machine_percent"`
	Peak         usage    `json:"peak"` // the highest RSS seen, with its fds and threads
	MaxFDs       int      `json:"max_fds"`
	Goroutines   int      `json:"goroutines"` // at the highest RSS
	Recordings   recCheck `json:"recordings"`
	// ExpectedRecSeconds is how long both sides of a call sent audio
	// (median): from when the agent's stream started (the harness reads
	// the agent's answer from SIPp's log, a fraction of a second late) to
	// just before the agent hangs up. The box records the audio it relays.
	ExpectedRecSeconds float64 `json:"expected_recording_seconds"`
	LoadAvg            string  `json:"loadavg"`
	Pass               bool    `json:"pass"`
	Why                string  `json:"why,omitempty"`
}

// runMixed steps the concurrent callers of scenario 4 until a step fails.
func runMixed(ctx context.Context, s *system, m ccMode, work, data, results string, nproc int) []mixedStep {
	var steps []mixedStep
	for si, n := range m.mixed {
		if ctx.Err() != nil {
			break
		}
		st := runMixedStep(ctx, s, m, work, data, results, nproc, si, n)
		log.Printf("mixed %4d callers (%d trunk, %d line): answered %d, failed %d, INVITE->agent p50 %.0f p95 %.0f p99 %.0f ms, loss %.4f%%, late %.4f%%, %.1f ms CPU/call, %.0f%% of the machine, RSS %d MB, fds %d, %d recordings (%d of expected length, %.1f MB), load %s %s",
			n, st.TrunkCalls, st.LineCalls, st.Answered, st.Failed, st.P50ms, st.P95ms, st.P99ms, 100*st.LossRatio, 100*st.LateRatio,
			st.MsCPUPerCall, st.MachineShare, st.Peak.RSSKB/1024, st.Peak.FDs, st.Recordings.Files, st.Recordings.ExpectedOK,
			float64(st.Recordings.Bytes)/1e6, st.LoadAvg, st.Why)
		steps = append(steps, st)
		if !st.Pass {
			break
		}
		time.Sleep(3 * time.Second) // the box releases the last calls
	}
	return steps
}

func runMixedStep(ctx context.Context, s *system, m ccMode, work, data, results string, nproc, si, n int) mixedStep {
	st := mixedStep{Callers: n, LoadAvg: loadavg()}
	st.LineCalls = min(m.lines, n/4)
	st.TrunkCalls = n - st.LineCalls
	// All callers arrive within the ramp, shorter than the talk, so that
	// they are all on at once before the first hangs up.
	ramp := min(max(time.Duration(n)*time.Second/20, 2*time.Second), 20*time.Second)
	name := fmt.Sprintf("mixed%d", n)
	dir := filepath.Join(work, name)
	fail := func(err error) mixedStep {
		st.Why = err.Error()
		return st
	}
	agents, err := agentPhones(work, name, m.talk)
	if err != nil {
		return fail(err)
	}
	defer agents.stop()
	agentLog := newLogTail(filepath.Join(work, name, "agents", "cc-agent_*_logs.log"))
	drv, err := rtpdrive.New(rtpdrive.Config{Locals: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr(callcenter.CarrierAddr)}})
	if err != nil {
		return fail(err)
	}
	dctx, stopDrv := context.WithCancel(ctx)
	drvDone := make(chan error, 1)
	go func() { drvDone <- drv.Run(dctx) }()
	defer func() {
		stopDrv()
		<-drvDone
	}()

	base := 13800000000 + int64(si)*100000
	trunkCSV, lineCSV := filepath.Join(dir, "trunk", "callers.csv"), filepath.Join(dir, "lines", "callers.csv")
	if err := mkdirFor(trunkCSV); err != nil {
		return fail(err)
	}
	if err := mkdirFor(lineCSV); err != nil {
		return fail(err)
	}
	trunkKeys, err := callerCSV(trunkCSV, st.TrunkCalls, base, callcenter.DIDFlow, func(int) int { return sutSIP })
	if err != nil {
		return fail(err)
	}
	lineKeys, err := callerCSV(lineCSV, st.LineCalls, base+50000, "80080", func(i int) int { return simBasePort + i%m.lines })
	if err != nil {
		return fail(err)
	}
	isLine := map[string]bool{}
	for _, k := range lineKeys {
		isLine[k] = true
	}
	limit := ramp + m.talk + 2*time.Minute
	rate := func(calls int) int { return max(1, int(float64(calls)/ramp.Seconds()+0.999)) }
	type done struct {
		res sippResult
		err error
	}
	trunkDone, lineDone := make(chan done, 1), make(chan done, 1)
	c0, _ := s.cpu()
	t0 := time.Now()
	go func() {
		res, err := runSIPp(ctx, filepath.Join(dir, "trunk"), limit, carrierArgs(s, trunkCSV, rate(st.TrunkCalls), st.TrunkCalls, m.talk+time.Minute))
		trunkDone <- done{res, err}
	}()
	if st.LineCalls > 0 {
		go func() {
			res, err := runSIPp(ctx, filepath.Join(dir, "lines"), limit, []string{fmt.Sprintf("127.0.0.1:%d", simBasePort),
				"-sf", scenario("cc-caller.xml"), "-inf", lineCSV, "-i", "127.0.0.1", "-p", fmt.Sprint(linePort),
				"-mi", "127.0.0.1", "-mp", fmt.Sprint(lineMedia), "-cp", fmt.Sprint(linePort + 2002),
				"-r", fmt.Sprint(rate(st.LineCalls)), "-m", fmt.Sprint(st.LineCalls), "-l", fmt.Sprint(st.LineCalls + 2),
				"-recv_timeout", fmt.Sprint((m.talk + 2*time.Minute).Milliseconds()), "-trace_logs", "-trace_err"})
			lineDone <- done{res, err}
		}()
	} else {
		lineDone <- done{}
	}
	// A CPU profile of the box while every caller is on (after the
	// ramp and the IVR), when it serves pprof.
	prof := make(chan struct{})
	go func() {
		defer close(prof)
		select {
		case <-time.After(ramp + 3*time.Second):
			s.profile(ctx, min(m.talk-5*time.Second, 20*time.Second), filepath.Join(results, fmt.Sprintf("sys-callbox-mixed%d.pprof", n)))
		case <-ctx.Done():
		}
	}()
	defer func() { <-prof }()
	trunkLog := newLogTail(filepath.Join(dir, "trunk", "cc-caller_*_logs.log"))
	lineLog := newLogTail(filepath.Join(dir, "lines", "cc-caller_*_logs.log"))

	type call struct {
		a, b     ccLeg
		up, ans  bool
		out, in  *rtpdrive.Stream // caller's stream, agent's stream
		both     time.Duration    // how long both streams sent
		lineCall bool
	}
	calls := map[string]*call{}
	get := func(k string) *call {
		c := calls[k]
		if c == nil {
			c = &call{lineCall: isLine[k]}
			calls[k] = c
		}
		return c
	}
	local := map[bool]netip.Addr{false: netip.MustParseAddr(callcenter.CarrierAddr), true: netip.MustParseAddr("127.0.0.1")}
	var peak usage
	var finished []done
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(limit + 10*time.Second)
	samples := 0
	for len(finished) < 2 && time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case d := <-trunkDone:
			finished = append(finished, d)
		case d := <-lineDone:
			finished = append(finished, d)
		case <-tick.C:
		}
		now := time.Now()
		for _, lines := range [][]string{trunkLog.read(), lineLog.read()} {
			for _, l := range lines {
				tag, leg, ok := parseCCLine(l)
				if !ok || tag != 'A' {
					continue
				}
				c := get(leg.Caller)
				if c.up {
					continue
				}
				c.a, c.up = leg, true
				// The menu key a second after the answer (the greeting
				// barges in); sending until the agent's hang-up is known.
				c.out, err = drv.Add(local[c.lineCall], leg.Media, now.Add(m.talk+time.Minute), callcenter.MenuKey, time.Second)
				if err != nil {
					log.Printf("mixed: %v", err)
				}
			}
		}
		for _, l := range agentLog.read() {
			tag, leg, ok := parseCCLine(l)
			if !ok || tag != 'B' {
				continue
			}
			c := get(leg.Caller)
			if c.ans {
				continue
			}
			c.b, c.ans = leg, true
			end := leg.At.Add(m.talk - 300*time.Millisecond)
			c.both = end.Sub(now)
			c.in, err = drv.Add(netip.MustParseAddr("127.0.0.1"), leg.Media, end, 0, 0)
			if err != nil {
				log.Printf("mixed: %v", err)
			}
			if c.out != nil {
				c.out.StopAt(end)
			}
		}
		if samples++; samples%10 == 0 {
			u := s.usage()
			st.MaxFDs = max(st.MaxFDs, u.FDs)
			if u.RSSKB > peak.RSSKB {
				peak = u
				st.Goroutines = s.goroutines()
			}
		}
	}
	c1, _ := s.cpu()
	wall := time.Since(t0)
	for _, d := range finished {
		st.SIPpFailed += d.res.Failed
		if d.err != nil && st.Why == "" {
			st.Why = "sipp: " + d.err.Error()
		}
	}
	st.Peak = peak
	st.CPUSeconds = c1 - c0
	st.MsCPUPerCall = 1000 * st.CPUSeconds / float64(n)
	st.MachineShare = 100 * st.CPUSeconds / wall.Seconds() / float64(nproc)
	st.PacingMs = float64(drv.Behind()) / 1e6
	var lat, both []float64
	var got uint64
	for _, k := range append(append([]string(nil), trunkKeys...), lineKeys...) {
		c := calls[k]
		if c == nil || !c.up || !c.ans {
			continue
		}
		st.Answered++
		lat = append(lat, float64(c.b.At.Sub(c.a.At))/1e6)
		both = append(both, c.both.Seconds())
		if c.lineCall || c.in == nil || c.out == nil {
			continue // a line's audio is decoded and re-encoded: no marks to count
		}
		for _, sm := range []*rtpdrive.Stream{c.out, c.in} {
			x := sm.Stats()
			st.Expected += x.Expected
			st.Lost += x.Lost
			st.Late += x.Late
			got += x.Received
			st.MaxDelay = max(st.MaxDelay, float64(x.MaxDelay)/1e6)
		}
	}
	sort.Float64s(lat)
	st.P50ms, st.P95ms, st.P99ms = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
	st.Failed = n - st.Answered
	if st.Expected > 0 {
		st.LossRatio = float64(st.Lost) / float64(st.Expected)
		st.LateRatio = float64(st.Late) / float64(st.Expected)
	}
	agents.stop()
	time.Sleep(2 * time.Second) // the last recordings are closed and indexed
	sort.Float64s(both)
	st.ExpectedRecSeconds = percentile(both, 50)
	st.Recordings = checkRecordings(recordings(data, t0), time.Duration(st.ExpectedRecSeconds*float64(time.Second)), 2*time.Second)
	switch {
	case st.Why != "":
	case float64(st.Failed) > 0.001*float64(n):
		st.Why = fmt.Sprintf("%d calls did not reach an agent", st.Failed)
	case got == 0 && st.TrunkCalls > 0:
		st.Why = "no marked packet came through a bridged call"
	case saturated(st.PacingMs, m.talk):
		st.Why = saturatedWhy("the media driver", st.PacingMs, m.talk)
	case st.LossRatio > 0.001:
		st.Why = "loss over 0.1%"
	case st.Recordings.Files < st.Answered:
		st.Why = fmt.Sprintf("%d recordings for %d answered calls (%d unreadable)", st.Recordings.Files, st.Answered, st.Recordings.Unreadable)
	case st.Recordings.MinSeconds < 0.8*m.talk.Seconds():
		// Every call recorded, none shorter than 80% of the talk; the
		// table shows how many are within 2 s of it.
		st.Why = fmt.Sprintf("a recording of %.1f s for a %.0f s talk", st.Recordings.MinSeconds, m.talk.Seconds())
	case st.MachineShare > 80:
		st.Why = "over 80% of the machine"
	default:
		st.Pass = true
	}
	return st
}
