package main

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"path/filepath"
	"time"

	"callbox/bench/callcenter"
	"callbox/bench/loadgen"
)

// recStep is one step of scenario 3: concurrent relayed calls, every one
// recorded (the carrier's calls to the queue's DID, answered at once by
// logged-in agents: the queue's recording policy is the only recording
// setting the box has).
type recStep struct {
	concStep
	HoldSeconds float64  `json:"hold_seconds"`
	Recordings  recCheck `json:"recordings"`
	// BytesPerCallMinute is the disk written per minute of recorded call.
	BytesPerCallMinute float64 `json:"bytes_per_call_minute"`
	LoadAvg            string  `json:"loadavg"`
}

// runRecorded holds steps of recorded calls with G.711 both ways from
// bench/loadgen (marked payloads: the box's queue plays music before the
// agent answers, so it sends the relayed stream under its own SSRC),
// until loss passes 0.1%, the system uses more than 80% of the machine,
// or a call is not recorded to the expected length.
func runRecorded(ctx context.Context, s *system, m ccMode, work, data, results string, nproc int) []recStep {
	var steps []recStep
	const rate = 100
	for si, n := range m.recorded {
		if ctx.Err() != nil {
			break
		}
		name := fmt.Sprintf("recorded%d", n)
		dir := filepath.Join(work, name)
		setup := time.Duration(float64(n) / rate * float64(time.Second))
		slack := 8*time.Second + setup/2
		hold := setup + m.load + slack
		st := recStep{concStep: concStep{Calls: n}, HoldSeconds: hold.Seconds(), LoadAvg: loadavg()}
		agents, err := agentPhones(work, name, hold)
		if err != nil {
			st.Why = err.Error()
			steps = append(steps, st)
			break
		}
		agentLog := newLogTail(filepath.Join(work, name, "agents", "cc-agent_*_logs.log"))
		csv := filepath.Join(dir, "callers.csv")
		keys, err := callerCSV(csv, n, 13900000000+int64(si)*100000, callcenter.DIDQueue, func(int) int { return sutSIP })
		if err != nil {
			agents.stop()
			st.Why = err.Error()
			steps = append(steps, st)
			break
		}
		t0 := time.Now()
		callerLog := newLogTail(filepath.Join(dir, "cc-caller_*_logs.log"))
		sippDone := make(chan sippResult, 1)
		go func() {
			res, err := runSIPp(ctx, dir, setup+hold+2*time.Minute, carrierArgs(s, csv, rate, n, hold))
			if err != nil {
				log.Printf("recorded %d calls: sipp: %v", n, err)
			}
			sippDone <- res
		}()
		a, b := map[string]ccLeg{}, map[string]ccLeg{}
		deadline := time.Now().Add(setup + slack - time.Second)
		for time.Now().Before(deadline) && ctx.Err() == nil && (len(a) < n || len(b) < n) {
			time.Sleep(250 * time.Millisecond)
			readLegs(callerLog.read(), 'A', a)
			readLegs(agentLog.read(), 'B', b)
		}
		var calls []loadgen.Call
		for _, k := range keys {
			if la, ok := a[k]; ok {
				if lb, ok := b[k]; ok {
					calls = append(calls, loadgen.Call{A: la.Media, B: lb.Media})
				}
			}
		}
		st.SetUp, st.SetupFailed = len(calls), n-len(calls)
		if len(calls) > 0 {
			var w window
			prof := make(chan struct{})
			go func() {
				defer close(prof)
				s.profile(ctx, m.load-time.Second, filepath.Join(results, fmt.Sprintf("sys-callbox-recorded%d.pprof", n)))
			}()
			lr, err := loadgen.Run(ctx, loadgen.Config{Calls: calls, Local: netip.MustParseAddr("127.0.0.1"), Duration: m.load,
				Marked:  true,
				OnStart: func() { w.begin = measure(s) },
				OnEnd: func() {
					w.end = measure(s)
					st.Usage, st.Goroutines = s.usage(), s.goroutines()
					st.GoMemKB = s.goMemory()
					s.heapProfile(filepath.Join(results, fmt.Sprintf("sys-callbox-recorded%d-heap.pprof", n)))
				}})
			<-prof
			if err != nil {
				st.Why = "load generator: " + err.Error()
			}
			w.fill(&st.concStep, s, lr, nproc)
		} else {
			st.Why = "no call was set up"
		}
		res := <-sippDone
		st.ByeFailed = res.Failed
		agents.stop()
		time.Sleep(2 * time.Second) // the last recordings are closed and indexed
		// The box records the audio it relays: the load window, not the
		// quiet set-up and hang-up around it.
		st.Recordings = checkRecordings(recordings(data, t0), m.load, 1500*time.Millisecond)
		if st.Recordings.Seconds > 0 {
			st.BytesPerCallMinute = float64(st.Recordings.Bytes) / (st.Recordings.Seconds / 60)
		}
		judge(&st.concStep, m.load)
		// Every call must have its recording, none shorter than 80% of
		// the window: the table shows how many are within 1.5 s of it.
		switch {
		case !st.Pass:
		case st.Recordings.Files < st.SetUp:
			st.Pass = false
			st.Why = fmt.Sprintf("%d recordings for %d calls (%d unreadable)", st.Recordings.Files, st.SetUp, st.Recordings.Unreadable)
		case st.Recordings.MinSeconds < 0.8*m.load.Seconds():
			st.Pass = false
			st.Why = fmt.Sprintf("a recording of %.1f s for %.0f s of media", st.Recordings.MinSeconds, m.load.Seconds())
		}
		log.Printf("recorded %5d calls: set up %d, loss %.4f%%, late %.4f%%, %.2f us CPU/pkt, %.0f%% of the machine (machine busy %.0f%%), RSS %d MB, fds %d, %s, %d recordings (%d of expected length, %.1f MB), load %s %s",
			n, st.SetUp, 100*st.LossRatio, 100*st.LateRatio, st.USPerPacket, st.MachineShare, st.MachineBusy, st.Usage.RSSKB/1024, st.Usage.FDs, st.Drops,
			st.Recordings.Files, st.Recordings.ExpectedOK, float64(st.Recordings.Bytes)/1e6, st.LoadAvg, st.Why)
		steps = append(steps, st)
		if !st.Pass {
			break
		}
	}
	return steps
}

// carrierArgs are SIPp's arguments for n callers from the carrier's
// trunk address at rate calls/s, each call lasting up to hold.
func carrierArgs(s *system, csv string, rate, n int, hold time.Duration) []string {
	return []string{s.sip, "-sf", scenario("cc-caller.xml"), "-inf", csv,
		"-i", callcenter.CarrierAddr, "-p", fmt.Sprint(callcenter.CarrierPort), "-mi", callcenter.CarrierAddr,
		"-mp", fmt.Sprint(carrierMed), "-cp", fmt.Sprint(callcenter.CarrierPort + 2000),
		"-r", fmt.Sprint(rate), "-m", fmt.Sprint(n), "-l", fmt.Sprint(n + 10),
		"-recv_timeout", fmt.Sprint((hold + time.Minute).Milliseconds()), "-trace_logs", "-trace_err"}
}

// readLegs adds the lines tagged tag to m, by caller.
func readLegs(lines []string, tag byte, m map[string]ccLeg) {
	for _, l := range lines {
		if t, leg, ok := parseCCLine(l); ok && t == tag {
			m[leg.Caller] = leg
		}
	}
}
