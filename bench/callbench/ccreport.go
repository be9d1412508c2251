package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// Markers of the generated sections of BENCHMARKS.md besides the system
// suite's.
const (
	ccBegin   = "<!-- callcenter-bench:begin -->"
	ccEnd     = "<!-- callcenter-bench:end -->"
	soakBegin = "<!-- soak-bench:begin -->"
	soakEnd   = "<!-- soak-bench:end -->"
)

func (r *ccRun) clean() bool {
	if r.Error != "" {
		return false
	}
	for _, s := range r.Recorded {
		if !s.Pass {
			return false
		}
	}
	for _, s := range r.Mixed {
		if !s.Pass {
			return false
		}
	}
	return true
}

// writeSection replaces the section between the markers that open and
// close section (its first and last lines) in the Markdown file, or
// appends it.
func writeSection(path string, section []byte) error {
	nl := bytes.IndexByte(section, '\n')
	if nl < 0 {
		return errors.New("writeSection: no marker line")
	}
	begin := section[:nl]
	end := bytes.Replace(begin, []byte(":begin"), []byte(":end"), 1)
	old, _ := os.ReadFile(path)
	var out []byte
	if i, j := bytes.Index(old, begin), bytes.Index(old, end); i >= 0 && j > i {
		out = append(append(append([]byte{}, old[:i]...), bytes.TrimRight(section, "\n")...), old[j+len(end):]...)
	} else {
		out = append(append(bytes.TrimRight(old, "\n"), "\n\n"...), section...)
	}
	return os.WriteFile(path, out, 0o644)
}

// kbCell is a per-call memory slope, or a dash where there is none.
func kbCell(kb float64, ok bool) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.0f KB", kb)
}

// count shows a figure the system may not serve (-1) as a dash.
func count(n int) string {
	if n < 0 {
		return "–"
	}
	return fmt.Sprint(n)
}

func renderCallCenter(r *ccRun) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s\n", ccBegin)
	w("### Latest run of `bench/run.sh callcenter %s` (generated; do not edit by hand)\n\n", r.Mode)
	w("%s, commit %s, %d × %s, load average %s before and %s after (1, 5, 15 min; each step's own in its row). The callbox binary only, seeded by `bench/seed -agents %d -lines %d`; at least %d agents logged in with `*45` (log-ins the box answered). Shared machine: read the ratios. A step whose load generator fell more than a tenth of its window behind its pacing is **not measured**: the generator sends every packet, late, so the system got less than the step's load, and the machine (shared by the system and its load) ran out first.\n\n",
		r.Date, r.Commit, r.Nproc, r.CPU, r.LoadAvgBefore, r.LoadAvgAfter, r.Agents, r.Lines, r.LoggedIn)
	if r.Error != "" {
		w("**The run failed**: %s\n\n", r.Error)
	}
	best2, best3 := highestPass(r.Concurrent), 0
	for _, s := range r.Recorded {
		if s.Pass && s.Calls > best3 {
			best3 = s.Calls
		}
	}
	best4 := 0
	for _, s := range r.Mixed {
		if s.Pass && s.Callers > best4 {
			best4 = s.Callers
		}
	}
	w("| figure | value | target |\n|---|---|---|\n")
	w("| highest passing step, scenario 2 (relayed, not recorded; this run) | %d calls | |\n", best2)
	w("| highest passing step, scenario 3 (every call recorded) | %d calls | |\n", best3)
	if best2 > 0 {
		w("| recorded / not recorded | %.2f | ≥ 0.6 |\n", float64(best3)/float64(best2))
	}
	for _, s := range r.Recorded {
		if s.Pass && s.Calls == best3 {
			w("| disk written per recorded call-minute (at %d calls) | %.0f KB | |\n", s.Calls, s.BytesPerCallMinute/1024)
		}
	}
	w("| highest passing step, scenario 4 (trunk and lines, IVR, DTMF, recorded queue, %.0f s talk) | %d callers | |\n", r.TalkSeconds, best4)
	rec := make([]concStep, len(r.Recorded))
	for i, s := range r.Recorded {
		rec[i] = s.concStep
	}
	for _, m := range []struct {
		what  string
		steps []concStep
	}{{"relayed call (scenario 2)", r.Concurrent}, {"recorded call (scenario 3)", rec}} {
		pss, ok1 := memSlope(m.steps)
		gm, ok2 := goMemSlope(m.steps)
		if ok1 || ok2 {
			w("| memory per %s: PSS slope; Go heap and stacks in use after a GC | %s; %s | < 100 KB |\n", m.what, kbCell(pss, ok1), kbCell(gm, ok2))
		}
	}
	w("\n")

	w("#### Scenario 2 in this run: concurrent relayed calls, not recorded (%.0f s of media per step)\n\n", r.LoadSeconds)
	w("| calls | set up | loss | late (>40 ms) | µs CPU/packet | %% of the machine (whole machine busy) | RSS MB | fds | goroutines | generator behind | dropped at full buffers: box / load side / box sends refused / came back after the end; unread at the end: box / load side | result |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Concurrent {
		w("| %d | %d | %.4f%% | %.4f%% | %.2f | %s | %d | %d | %s | %.1f s | %s | %s |\n", s.Calls, s.SetUp, 100*s.LossRatio, 100*s.LateRatio,
			s.USPerPacket, s.shareCell(), s.Usage.RSSKB/1024, s.Usage.FDs, count(s.Goroutines), s.PacingMs/1000, s.Drops.cell(),
			verdict(s.Pass, s.Why))
	}
	w("\n#### Scenario 3: the same with every call recorded (carrier → queue DID → logged-in SIPp agent; %.0f s of media per step)\n\n", r.LoadSeconds)
	w("| calls | set up | loss | late (>40 ms) | µs CPU/packet | %% of the machine (whole machine busy) | RSS MB | fds | goroutines | dropped at full buffers: box / load side / box sends refused / came back after the end; unread at the end: box / load side | recordings (within 1.5 s of the window) | shortest / mean s | MB written | KB per call-minute | load avg | result |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Recorded {
		mean := 0.0
		if s.Recordings.Files > 0 {
			mean = s.Recordings.Seconds / float64(s.Recordings.Files)
		}
		w("| %d | %d | %.4f%% | %.4f%% | %.2f | %s | %d | %d | %s | %s | %d (%d) | %.1f / %.1f | %.1f | %.0f | %s | %s |\n", s.Calls, s.SetUp, 100*s.LossRatio,
			100*s.LateRatio, s.USPerPacket, s.shareCell(), s.Usage.RSSKB/1024, s.Usage.FDs, count(s.Goroutines), s.Drops.cell(), s.Recordings.Files,
			s.Recordings.ExpectedOK, s.Recordings.MinSeconds, mean, float64(s.Recordings.Bytes)/1e6, s.BytesPerCallMinute/1024,
			s.LoadAvg, verdict(s.Pass, s.Why))
	}
	w("\n#### Scenario 4: mixed call-center load (IVR menu by RFC 4733 DTMF, recorded queue, SIPp agents talk %.0f s)\n\n", r.TalkSeconds)
	w("| callers (trunk + line) | reached an agent | failed | INVITE→agent p50 / p95 / p99 | lost / late (trunk calls) | ms CPU per call | %% of the machine | peak RSS MB | goroutines | fds | recordings (within 2 s of the audio sent both ways) | audio both ways (median) / shortest recording s | MB written | load avg | result |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Mixed {
		g := count(s.Goroutines)
		w("| %d (%d + %d) | %d | %d | %.0f / %.0f / %.0f ms | %.4f%% / %.4f%% | %.1f | %.0f | %d | %s | %d | %d (%d) | %.1f / %.1f | %.1f | %s | %s |\n",
			s.Callers, s.TrunkCalls, s.LineCalls, s.Answered, s.Failed, s.P50ms, s.P95ms, s.P99ms, 100*s.LossRatio, 100*s.LateRatio,
			s.MsCPUPerCall, s.MachineShare, s.Peak.RSSKB/1024, g, s.MaxFDs, s.Recordings.Files, s.Recordings.ExpectedOK,
			s.ExpectedRecSeconds, s.Recordings.MinSeconds, float64(s.Recordings.Bytes)/1e6, s.LoadAvg, verdict(s.Pass, s.Why))
	}
	w("\n%s\n", ccEnd)
	return b.Bytes()
}

// shareCell is the system's share of the machine, with how busy the
// whole machine was where that was measured.
func (s concStep) shareCell() string {
	if s.MachineBusy == 0 {
		return fmt.Sprintf("%.0f", s.MachineShare)
	}
	return fmt.Sprintf("%.0f (%.0f)", s.MachineShare, s.MachineBusy)
}
