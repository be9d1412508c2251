package main

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/netip"
	"path/filepath"
	"time"

	"callbox/bench/rtpdrive"
)

// soakHold is how long each soak call lasts; calls start at
// calls/soakHold per second, so about calls are up at once.
const soakHold = 60 * time.Second

// soakSample is one reading of the box during the soak.
type soakSample struct {
	Seconds    float64 `json:"seconds"` // since the first call
	RSSKB      int     `json:"rss_kb"`
	AnonKB     int     `json:"rss_anon_kb"`
	FileKB     int     `json:"rss_file_kb"`
	DBKB       int64   `json:"database_kb"` // the box's store file on disk
	PSSKB      int     `json:"pss_kb"`
	FDs        int     `json:"fds"`
	Threads    int     `json:"threads"`
	Goroutines int     `json:"goroutines"`
	Streams    int     `json:"streams_started"`
	LoadAvg    string  `json:"loadavg"`
	// Box is what the binary counts itself (/debug/stats), when it does.
	Box *boxStats `json:"box,omitempty"`
}

// trend is first, last, max and the least-squares slope of a series.
type trend struct {
	First, Last, Max float64
	PerHour          float64 // slope
}

// soakRun is the JSON of a soak (key "soak").
type soakRun struct {
	Date          string       `json:"date"`
	Commit        string       `json:"commit"`
	Nproc         int          `json:"nproc"`
	CPU           string       `json:"cpu"`
	LoadAvgBefore string       `json:"loadavg_before"`
	LoadAvgAfter  string       `json:"loadavg_after"`
	Duration      string       `json:"duration"`
	Calls         int          `json:"concurrent_calls"`
	HoldSeconds   float64      `json:"hold_seconds"`
	Started       int          `json:"calls_started"`
	Successful    int          `json:"calls_successful"`
	Failed        int          `json:"calls_failed"`
	Expected      uint64       `json:"packets_expected"`
	Lost          uint64       `json:"packets_lost"`
	Late          uint64       `json:"packets_late"`
	LossRatio     float64      `json:"loss_ratio"`
	PacingMs      float64      `json:"pacing_behind_ms"`
	CPUSeconds    float64      `json:"cpu_seconds"`
	Samples       []soakSample `json:"samples"`
	RSS, FDs, Gor trend
	// Anon is the anonymous part of RSS (heap, stacks), judged for
	// flatness: the file-backed rest is the store's memory map, which
	// grows with the call records written (60,000 an hour at 1,000
	// calls) and is page cache the kernel can take back.
	Anon  trend
	Pass  bool   `json:"pass"`
	Why   string `json:"why,omitempty"`
	Error string `json:"error,omitempty"`
}

// runSoak holds about calls relayed calls (extension to extension, G.711
// both ways from bench/rtpdrive) for dur, each call lasting soakHold
// and replaced as it ends, and samples the box every 30 s.
func runSoak(ctx context.Context, b builds, work, commit string, exts, calls int, dur time.Duration) *soakRun {
	nproc, model := machine()
	r := &soakRun{Date: time.Now().UTC().Format(time.RFC3339), Commit: commit, Nproc: nproc, CPU: model, LoadAvgBefore: loadavg(),
		Duration: dur.String(), Calls: calls, HoldSeconds: soakHold.Seconds()}
	defer func() { r.LoadAvgAfter = loadavg() }()
	fail := func(err error) *soakRun {
		r.Error = err.Error()
		r.Why = r.Error
		return r
	}
	if b.callbox == "" {
		return fail(fmt.Errorf("the callbox binary did not build"))
	}
	s, err := startCallbox(ctx, b, work, "callbox", exts)
	if err != nil {
		return fail(err)
	}
	defer s.stop()
	uas, _, err := phones(ctx, s, work, exts)
	if err != nil {
		return fail(err)
	}
	defer uas.stop()
	total := int(float64(calls) * dur.Seconds() / soakHold.Seconds())
	dir := filepath.Join(work, "soak")
	csv := filepath.Join(dir, "calls.csv")
	if err := mkdirFor(csv); err != nil {
		return fail(err)
	}
	if _, err := writeCallCSV(csv, total, exts, func(int) int { return int(soakHold.Milliseconds()) }); err != nil {
		return fail(err)
	}
	drv, err := rtpdrive.New(rtpdrive.Config{Locals: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
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
	uasLog := newLogTail(filepath.Join(work, s.Name, "phones", "answer_*_logs.log"))
	uasLog.skip()
	uacLog := newLogTail(filepath.Join(dir, "call_*_logs.log"))
	sippDone := make(chan sippResult, 1)
	c0, _ := s.cpu()
	t0 := time.Now()
	go func() {
		res, err := runSIPp(ctx, dir, dur+soakHold+3*time.Minute, []string{s.sip, "-sf", scenario("call.xml"), "-inf", csv,
			"-i", "127.0.0.1", "-p", fmt.Sprint(uacPort), "-mi", "127.0.0.1", "-mp", fmt.Sprint(uacMedia),
			"-cp", fmt.Sprint(uacPort + 2001), "-r", fmt.Sprint(calls), "-rp", fmt.Sprint(soakHold.Milliseconds()),
			"-m", fmt.Sprint(total), "-l", fmt.Sprint(2*calls + 10), "-recv_timeout", "20000", "-trace_logs", "-trace_err"})
		if err != nil {
			log.Printf("soak: sipp: %v", err)
		}
		sippDone <- res
	}()
	var streams []*rtpdrive.Stream
	seen := map[string]bool{}
	sample := func() {
		u := s.usage()
		sm := soakSample{Seconds: time.Since(t0).Seconds(), RSSKB: u.RSSKB, AnonKB: u.AnonKB, FileKB: u.FileKB, PSSKB: u.PSSKB,
			FDs: u.FDs, Threads: u.Threads, DBKB: s.storeKB(),
			Goroutines: s.goroutines(), Streams: len(streams), LoadAvg: loadavg(), Box: s.boxStats()}
		r.Samples = append(r.Samples, sm)
		log.Printf("soak %4.0f s: RSS %d MB (anon %d, file %d; store %d MB), fds %d, threads %d, goroutines %d, streams %d, load %s%s",
			sm.Seconds, sm.RSSKB/1024, sm.AnonKB/1024, sm.FileKB/1024, sm.DBKB/1024, sm.FDs, sm.Threads, sm.Goroutines, sm.Streams, sm.LoadAvg, sm.Box.summary())
	}
	sample()
	next := t0.Add(30 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var res sippResult
loop:
	for {
		select {
		case res = <-sippDone:
			break loop
		case <-ctx.Done():
			break loop
		case <-tick.C:
		}
		now := time.Now()
		for _, side := range []struct {
			lines []string
			tag   string
		}{{uacLog.read(), "A"}, {uasLog.read(), "B"}} {
			got := map[string]netip.AddrPort{}
			collect(side.lines, side.tag, got)
			for k, to := range got {
				if seen[side.tag+k] {
					continue
				}
				seen[side.tag+k] = true
				st, err := drv.Add(netip.MustParseAddr("127.0.0.1"), to, now.Add(soakHold-500*time.Millisecond), 0, 0)
				if err == nil {
					streams = append(streams, st)
				}
			}
		}
		if now.After(next) {
			sample()
			next = next.Add(30 * time.Second)
		}
	}
	sample()
	c1, _ := s.cpu()
	r.CPUSeconds = c1 - c0
	r.Started, r.Successful, r.Failed = total, res.Successful, res.Failed
	for _, st := range streams {
		x := st.Stats()
		r.Expected += x.Expected
		r.Lost += x.Lost
		r.Late += x.Late
	}
	if r.Expected > 0 {
		r.LossRatio = float64(r.Lost) / float64(r.Expected)
	}
	r.PacingMs = float64(drv.Behind()) / 1e6
	r.judge(ctx.Err(), dur)
	return r
}

// judge computes the trends of the steady part and whether the soak
// passed: every call successful, loss at most 0.1%, anonymous RSS and
// fds flat.
// stopped is the run's context error, if it ended early.
func (r *soakRun) judge(stopped error, dur time.Duration) {
	r.RSS = trendOf(r.Samples, dur, func(s soakSample) float64 { return float64(s.RSSKB) })
	r.Anon = trendOf(r.Samples, dur, func(s soakSample) float64 { return float64(s.AnonKB) })
	r.FDs = trendOf(r.Samples, dur, func(s soakSample) float64 { return float64(s.FDs) })
	r.Gor = trendOf(r.Samples, dur, func(s soakSample) float64 { return float64(s.Goroutines) })
	r.Pass, r.Why = false, ""
	switch {
	case r.Error != "":
		r.Why = r.Error
	case stopped != nil:
		r.Why = "stopped early: " + stopped.Error()
	case r.Failed > 0 || r.Successful < r.Started:
		r.Why = fmt.Sprintf("%d failed calls, %d of %d successful", r.Failed, r.Successful, r.Started)
	case r.LossRatio > 0.001:
		r.Why = "loss over 0.1%"
	case !flat(r.Anon, 0.25):
		r.Why = "anonymous RSS grew"
	case !flat(r.FDs, 0.05):
		r.Why = "file descriptors grew"
	default:
		r.Pass = true
	}
}

// steadyFrom is when the soak's steady part begins: after the ramp (one
// hold period) and the first replacement of every call (a second one),
// when the box's buffers and pools have seen the whole cycle.
const steadyFrom = 2 * soakHold

// trendOf reads a series from the samples of the steady part: from
// steadyFrom until calls stop coming (dur): first, last, max, slope per
// hour.
func trendOf(samples []soakSample, dur time.Duration, v func(soakSample) float64) trend {
	var xs, ys []float64
	for _, s := range samples {
		if s.Seconds >= steadyFrom.Seconds() && s.Seconds <= dur.Seconds()+1 {
			xs, ys = append(xs, s.Seconds), append(ys, v(s))
		}
	}
	var t trend
	if len(ys) == 0 {
		return t
	}
	t.First, t.Last = ys[0], ys[len(ys)-1]
	for _, y := range ys {
		t.Max = max(t.Max, y)
	}
	t.PerHour = lsSlope(xs, ys) * 3600
	return t
}

// lsSlope is the least-squares slope of y over x (0 for fewer than two
// points).
func lsSlope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// flat is true when the series ended within frac of where it started
// (after the ramp): a leak shows as a last value well over the first.
func flat(t trend, frac float64) bool {
	if t.First <= 0 {
		return true
	}
	return t.Last <= t.First*(1+frac)
}

func renderSoak(r *soakRun) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s\n", soakBegin)
	w("### Latest soak, `make bench-soak SOAK=%s` (generated; do not edit by hand)\n\n", r.Duration)
	w("%s, commit %s, %d × %s, load average %s before and %s after. **Duration %s** (calls kept coming for that long). %d concurrent relayed calls (extension to extension, G.711 both ways from bench/rtpdrive), each %.0f s long and replaced as it ends: %d calls.\n\n",
		r.Date, r.Commit, r.Nproc, r.CPU, r.LoadAvgBefore, r.LoadAvgAfter, r.Duration, r.Calls, r.HoldSeconds, r.Started)
	if r.Error != "" {
		w("**The run failed**: %s\n\n", r.Error)
	}
	w("| figure | value |\n|---|---|\n")
	w("| calls successful / failed (SIPp) | %d / %d |\n", r.Successful, r.Failed)
	w("| packets lost / late (of %d expected) | %d / %d (%.4f%%) |\n", r.Expected, r.Lost, r.Late, 100*r.LossRatio)
	w("| CPU of the box | %.0f s (%.2f ms per call) |\n", r.CPUSeconds, 1000*r.CPUSeconds/float64(max(r.Started, 1)))
	for _, x := range []struct {
		name string
		t    trend
		unit string
		div  float64
	}{{"RSS", r.RSS, "MB", 1024}, {"RSS, anonymous part (heap, stacks; judged)", r.Anon, "MB", 1024},
		{"file descriptors", r.FDs, "", 1}, {"goroutines", r.Gor, "", 1}} {
		if x.t.First < 0 || x.t.Max <= 0 {
			w("| %s | not served by the binary |\n", x.name)
			continue
		}
		w("| %s first / last / max (from %.0f s until calls stop coming) | %.1f / %.1f / %.1f %s, slope %+.1f %s per hour |\n", x.name,
			steadyFrom.Seconds(), x.t.First/x.div, x.t.Last/x.div, x.t.Max/x.div, x.unit, x.t.PerHour/x.div, x.unit)
	}
	if n := len(r.Samples); n >= 2 {
		a, z := r.Samples[0], r.Samples[n-1]
		w("| before the first call → after the last one ended | RSS %d → %d MB, fds %d → %d, threads %d → %d, goroutines %d → %d |\n",
			a.RSSKB/1024, z.RSSKB/1024, a.FDs, z.FDs, a.Threads, z.Threads, a.Goroutines, z.Goroutines)
	}
	w("| result | %s |\n\n", verdict(r.Pass, r.Why))
	w("Samples every 30 s (calls, SIP legs, RTP sessions and the Go memory classes as the box counts them, /debug/stats; – where it does not):\n\n")
	w("| s | RSS MB | anon / file MB | store file MB | fds | threads | goroutines | calls / legs / RTP sessions | heap objects / free / released / stacks MB | load avg |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Samples {
		w("| %.0f | %d | %d / %d | %d | %d | %d | %d | %s | %s | %s |\n", s.Seconds, s.RSSKB/1024, s.AnonKB/1024, s.FileKB/1024, s.DBKB/1024,
			s.FDs, s.Threads, s.Goroutines, s.Box.counts(), s.Box.memory(), s.LoadAvg)
	}
	w("\n%s\n", soakEnd)
	return b.Bytes()
}
