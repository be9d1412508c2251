package main

import (
	"context"
	"fmt"
	"log"
	"path/filepath"
	"sync"
	"time"
)

// cpsStep is one rate of the calls-per-second ramp (scenario 1).
type cpsStep struct {
	Offered     int     `json:"offered_cps"`
	Achieved    float64 `json:"achieved_cps"`
	Calls       int     `json:"calls"`
	Failed      int     `json:"failed"`
	P50ms       float64 `json:"p50_ms"`
	P95ms       float64 `json:"p95_ms"`
	P99ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	CPUSeconds  float64 `json:"cpu_seconds"`      // the whole system under test
	CPUPerCall  float64 `json:"cpu_ms_per_call"`  // the same per completed call
	CPUPercent  float64 `json:"cpu_percent_core"` // of one core
	SIPpPercent float64 `json:"sipp_cpu_percent"` // the caller SIPp, of one core
	Usage       usage   `json:"usage"`
	Goroutines  int     `json:"goroutines"`
	Pass        bool    `json:"pass"`
	Why         string  `json:"why,omitempty"`
	Retry       bool    `json:"retry,omitempty"` // the second try after a failed one
}

// runCPS ramps INVITE-200-ACK-BYE calls (with SDP, so media sessions are
// set up) until failures pass 0.1% or p99 INVITE→200 passes 200 ms, or
// the offered rate is not reached.
func runCPS(ctx context.Context, s *system, m mode, work, results string, exts int) []cpsStep {
	var steps []cpsStep
	dir := filepath.Join(work, s.Name, "cps")
	csv := filepath.Join(dir, "calls.csv")
	if _, err := writeCallCSVMk(csv, exts, exts, func(int) int { return 0 }); err != nil {
		log.Printf("cps: %v", err)
		return nil
	}
	retried := false
	for i := 0; i < len(m.cpsRates); i++ {
		rate := m.cpsRates[i]
		n := rate * int(m.cpsStep/time.Second)
		sdir := filepath.Join(dir, fmt.Sprint(rate))
		if retried {
			sdir += "-retry"
		}
		sig0, med0 := s.cpu()
		var prof sync.WaitGroup
		prof.Go(func() {
			s.profile(ctx, m.cpsStep-time.Second, filepath.Join(results, fmt.Sprintf("sys-%s-cps%d.pprof", s.Name, rate)))
		})
		prof.Go(func() {
			s.allocProfile(ctx, m.cpsStep-time.Second, filepath.Join(results, fmt.Sprintf("sys-%s-cps%d-allocs.pprof", s.Name, rate)))
			// What the calls in progress and just ended hold.
			s.heapProfile(filepath.Join(results, fmt.Sprintf("sys-%s-cps%d-heap.pprof", s.Name, rate)))
		})
		res, err := runSIPp(ctx, sdir, m.cpsStep+90*time.Second, []string{s.sip, "-sf", scenario("call.xml"), "-inf", csv,
			"-i", "127.0.0.1", "-p", fmt.Sprint(uacPort), "-mi", "127.0.0.1", "-mp", fmt.Sprint(uacMedia),
			"-cp", fmt.Sprint(uacPort + 2001), "-r", fmt.Sprint(rate), "-m", fmt.Sprint(n),
			"-l", fmt.Sprint(max(4*rate, 100)), "-recv_timeout", "10000", "-trace_rtt", "-rtt_freq", "1", "-trace_err"})
		prof.Wait()
		sig1, med1 := s.cpu()
		st := cpsStep{Offered: rate, Usage: s.usage(), Goroutines: s.goroutines(), Retry: retried}
		if err != nil {
			st.Why = err.Error()
			steps = append(steps, st)
			log.Printf("%s cps %d: %v", s.Name, rate, err)
			break
		}
		cpu := sig1 - sig0
		if s.media.pid != s.signal.pid {
			cpu += med1 - med0
		}
		st.Calls, st.Failed = res.Successful+res.Failed, res.Failed
		st.Achieved = float64(st.Calls) / res.Wall.Seconds()
		st.P50ms, st.P95ms = percentile(res.RTTms, 50), percentile(res.RTTms, 95)
		st.P99ms, st.MaxMs = percentile(res.RTTms, 99), percentile(res.RTTms, 100)
		st.CPUSeconds = cpu
		if res.Successful > 0 {
			st.CPUPerCall = 1000 * cpu / float64(res.Successful)
		}
		st.CPUPercent = 100 * cpu / res.Wall.Seconds()
		st.SIPpPercent = 100 * res.CPUSeconds / res.Wall.Seconds()
		// SIPp needs a moment to start and to see the last BYE answered:
		// the offered rate counts as reached within 10% plus one second.
		ideal := time.Duration(float64(n) / float64(rate) * float64(time.Second))
		switch {
		case st.Calls < n:
			st.Why = fmt.Sprintf("only %d of %d calls placed", st.Calls, n)
		case float64(st.Failed) > 0.001*float64(st.Calls):
			st.Why = fmt.Sprintf("%d failed calls", st.Failed)
		case st.P99ms > 200:
			st.Why = "p99 over 200 ms"
		case res.Wall > ideal*11/10+time.Second:
			st.Why = fmt.Sprintf("offered rate not reached (%.0f calls/s)", st.Achieved)
		default:
			st.Pass = true
		}
		log.Printf("%s cps %4d: achieved %.0f, %d calls, %d failed, p50 %.0f p95 %.0f p99 %.0f ms, %.2f ms CPU/call, SUT %.0f%% SIPp %.0f%% of a core %s",
			s.Name, rate, st.Achieved, st.Calls, st.Failed, st.P50ms, st.P95ms, st.P99ms, st.CPUPerCall, st.CPUPercent, st.SIPpPercent, st.Why)
		steps = append(steps, st)
		if !st.Pass {
			// Where the system's goroutines wait, for a step it failed:
			// megabytes of text, kept with the run's logs (a run with a
			// failed step keeps its work directory), not in results.
			s.goroutineDump(filepath.Join(sdir, "goroutines.txt"))
		}
		time.Sleep(2 * time.Second) // the last calls' transactions end
		if !st.Pass {
			// One retry: on a shared machine a neighbour's build can
			// stall any single step.
			if retried {
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

func writeCallCSVMk(path string, n, exts int, hold func(int) int) ([]string, error) {
	if err := mkdirFor(path); err != nil {
		return nil, err
	}
	return writeCallCSV(path, n, exts, hold)
}
