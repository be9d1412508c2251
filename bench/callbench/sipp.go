package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"callbox/bench/account"
)

// sippResult is what one SIPp client run reports.
type sippResult struct {
	Successful, Failed int
	Wall               time.Duration
	CPUSeconds         float64   // SIPp's own CPU, to show when the load side is the limit
	RTTms              []float64 // INVITE to 200, one per call, sorted
	dir                string
}

// runSIPp runs a SIPp client to completion in dir (where SIPp writes its
// trace files), bounded by limit. onStart, if set, gets its PID.
func runSIPp(ctx context.Context, dir string, limit time.Duration, args []string) (sippResult, error) {
	res := sippResult{dir: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	args = append(args, "-nostdin", "-timeout", fmt.Sprintf("%ds", int(limit.Seconds())))
	cmd := exec.CommandContext(ctx, "sipp", args...)
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "sipp.out"))
	if err != nil {
		return res, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	pid := cmd.Process.Pid
	cpu := procTree{pid: pid}
	var last float64
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if c := cpu.cpuSeconds(); c > 0 {
				last = c
			}
		}
	}
	res.Wall = time.Since(t0)
	res.CPUSeconds = last
	// Exit codes: 0 all calls succeeded, 1 some failed, 97/99 by design
	// (internal command / background); the counts below are what matters.
	if err != nil && cmd.ProcessState == nil {
		return res, err
	}
	res.Successful, res.Failed = sippCounts(filepath.Join(dir, "sipp.out"))
	res.RTTms = readRTT(dir)
	if res.Successful+res.Failed == 0 {
		return res, fmt.Errorf("sipp %v: no calls counted (see %s/sipp.out): %v", args[:2], dir, err)
	}
	return res, nil
}

// sippCounts reads the cumulative "Successful call" and "Failed call"
// counters from the last statistics screen SIPp printed.
func sippCounts(path string) (ok, failed int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	return parseCounts(string(b))
}

// parseCounts reads the counters from SIPp's screen output: rows like
// "  Successful call        |        0        |      463        ".
func parseCounts(out string) (ok, failed int) {
	for _, line := range strings.Split(out, "\n") {
		cols := strings.Split(line, "|")
		if len(cols) < 3 {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(cols[len(cols)-1]))
		if err != nil || v < 0 {
			continue
		}
		switch strings.TrimSpace(cols[0]) {
		case "Successful call":
			ok = v
		case "Failed call":
			failed = v
		}
	}
	return ok, failed
}

// readRTT collects the response times SIPp wrote with -trace_rtt.
func readRTT(dir string) []float64 {
	files, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	var out []float64
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, parseRTT(string(b))...)
		}
	}
	sort.Float64s(out)
	return out
}

// parseRTT reads a -trace_rtt file: a header, then
// "Date_ms;response_time_ms;rtd_no" rows.
func parseRTT(csv string) []float64 {
	var out []float64
	for _, line := range strings.Split(csv, "\n") {
		f := strings.Split(line, ";")
		if len(f) < 2 {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(f[1]), 64); err == nil && v >= 0 && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

// percentile of sorted values (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// authField is the SIPp injection field that carries a whole
// authentication keyword (SIPp 3.6 does not expand fields nested in it).
func authField(ext string) string {
	return fmt.Sprintf("[authentication username=%s password=%s]", ext, account.Secret(ext))
}

// writeRegisterCSV writes the injection file for register.xml.
func writeRegisterCSV(path string, n int) error {
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	for i := range n {
		ext := account.Number(i)
		fmt.Fprintf(&b, "%s;%s\n", ext, authField(ext))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// pairKey names one call by its caller and callee.
func pairKey(caller, callee string) string { return caller + " " + callee }

// writeCallCSV writes the injection file for call.xml: n calls, every
// (caller, callee) pair distinct for n up to exts*(exts-1), so a call's
// two legs can be matched in the logs of both SIPp sides; call i is held
// for hold(i) milliseconds.
func writeCallCSV(path string, n, exts int, hold func(i int) int) ([]string, error) {
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	keys := make([]string, 0, n)
	for i := range n {
		c := i % exts
		d := (c + 1 + i/exts) % exts
		caller, callee := account.Number(c), account.Number(d)
		fmt.Fprintf(&b, "%s;%s;%s;%d\n", caller, callee, authField(caller), hold(i))
		keys = append(keys, pairKey(caller, callee))
	}
	return keys, os.WriteFile(path, []byte(b.String()), 0o644)
}

// logTail reads the lines appended to a SIPp -trace_logs file since the
// last call.
type logTail struct {
	glob string
	off  map[string]int64
}

func newLogTail(glob string) *logTail { return &logTail{glob: glob, off: map[string]int64{}} }

// skip moves past everything written so far.
func (t *logTail) skip() {
	files, _ := filepath.Glob(t.glob)
	for _, p := range files {
		if st, err := os.Stat(p); err == nil {
			t.off[p] = st.Size()
		}
	}
}

// read returns the complete new lines.
func (t *logTail) read() []string {
	files, _ := filepath.Glob(t.glob)
	var out []string
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		f.Seek(t.off[p], 0)
		b, _ := io.ReadAll(io.LimitReader(f, 1<<26))
		f.Close()
		end := strings.LastIndexByte(string(b), '\n')
		if end < 0 {
			continue
		}
		t.off[p] += int64(end + 1)
		out = append(out, strings.Split(string(b[:end]), "\n")...)
	}
	return out
}
