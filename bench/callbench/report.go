package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// runResult is the machine-readable record of a run.
type runResult struct {
	Date           string         `json:"date"`
	Commit         string         `json:"commit"`
	Mode           string         `json:"mode"`
	Nproc          int            `json:"nproc"`
	CPU            string         `json:"cpu"`
	LoadAvgBefore  string         `json:"loadavg_before"`
	LoadAvgAfter   string         `json:"loadavg_after"`
	Extensions     int            `json:"extensions"`
	CPSStepSeconds float64        `json:"cps_step_seconds"`
	LoadSeconds    float64        `json:"media_seconds_per_step"`
	SetupRate      int            `json:"setup_cps_in_steps"`
	SettleSeconds  float64        `json:"settle_seconds_before_steps,omitempty"`
	Systems        []systemResult `json:"systems"`
	Bare           []concStep     `json:"bare_relay"`
}

// systemResult is one system's run.
type systemResult struct {
	Name           string    `json:"name"`
	Note           string    `json:"note,omitempty"`
	Error          string    `json:"error,omitempty"`
	Pprof          bool      `json:"pprof"`
	Registered     int       `json:"registered"`
	Idle           usage     `json:"idle"`
	IdleGoroutines int       `json:"idle_goroutines"`
	AfterRegister  usage     `json:"after_register"`
	CPS            []cpsStep `json:"cps"`
	// Settled is the system's memory after the rest between its CPS and
	// concurrent steps (settle); Freed says it handed its free pages back.
	Settled    *usage     `json:"settled,omitempty"`
	Freed      bool       `json:"settle_freed_pages,omitempty"`
	Concurrent []concStep `json:"concurrent"`
}

// clean reports a run without errors or failed steps, whose logs need
// not be kept.
func (r *runResult) clean() bool {
	for _, s := range r.Systems {
		if s.Error != "" {
			return false
		}
		for _, c := range s.CPS {
			if !c.Pass {
				return false
			}
		}
		for _, c := range s.Concurrent {
			if !c.Pass {
				return false
			}
		}
	}
	return true
}

// bestCPS is the highest passing rate.
func (r systemResult) bestCPS() (cpsStep, bool) {
	var best cpsStep
	ok := false
	for _, s := range r.CPS {
		if s.Pass {
			best, ok = s, true
		}
	}
	return best, ok
}

func (r systemResult) cpsAt(rate int) (cpsStep, bool) {
	for _, s := range r.CPS {
		if s.Offered == rate && s.Pass {
			return s, true
		}
	}
	return cpsStep{}, false
}

func bestStep(steps []concStep) (concStep, bool) {
	var best concStep
	ok := false
	for _, s := range steps {
		if s.Pass {
			best, ok = s, true
		}
	}
	return best, ok
}

func stepAt(steps []concStep, n int) (concStep, bool) {
	for _, s := range steps {
		if s.Calls == n && s.Pass {
			return s, true
		}
	}
	return concStep{}, false
}

// memSlope is the PSS growth per call (KB) across the steps that held all
// their calls (passed, or not measured because the generator fell behind:
// the calls were there all the same), from the one with the least memory
// on: the least-squares slope over (calls, PSS).
func memSlope(steps []concStep) (float64, bool) {
	return slope(steps, func(s concStep) int { return s.Usage.PSSKB })
}

// goMemSlope is the same over the Go heap and stacks in use after a GC.
func goMemSlope(steps []concStep) (float64, bool) {
	return slope(steps, func(s concStep) int { return s.GoMemKB })
}

func slope(steps []concStep, kb func(concStep) int) (float64, bool) {
	var xs, ys []float64
	for _, s := range steps {
		if (s.Pass || s.Saturated) && kb(s) > 0 {
			xs, ys = append(xs, float64(s.Calls)), append(ys, float64(kb(s)))
		}
	}
	// The first steps can still hold what the calls-per-second ramp
	// before them left (each INVITE transaction stays 32 s, and freed
	// memory goes back to the kernel slowly): the slope starts at the
	// step with the least memory.
	low := 0
	for i := range ys {
		if ys[i] < ys[low] {
			low = i
		}
	}
	xs, ys = xs[low:], ys[low:]
	if len(xs) < 2 {
		return 0, false
	}
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
	}
	mx, my = mx/float64(len(xs)), my/float64(len(xs))
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	// A negative slope means the Go heap's garbage (collected or not at
	// the moment of reading) outweighed the calls: no figure.
	if den == 0 || num/den < 0 {
		return 0, false
	}
	return num / den, true
}

// writeJSON merges the run into the results file under "system", so the
// media benchmark's keys in the same file stay.
func writeJSON(path string, run *runResult) error {
	if path == "" {
		return nil
	}
	doc := map[string]json.RawMessage{}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &doc)
	}
	b, err := json.Marshal(run)
	if err != nil {
		return err
	}
	doc["system"] = b
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

// renderOnly rewrites the Markdown section from a results file, so the
// presentation can change without measuring again.
func renderOnly(jsonPath, mdPath string) error {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	var run runResult
	if err := json.Unmarshal(doc["system"], &run); err != nil {
		return fmt.Errorf("%s: \"system\": %w", jsonPath, err)
	}
	load := time.Duration(run.LoadSeconds * float64(time.Second))
	for i := range run.Systems {
		for j := range run.Systems[i].Concurrent {
			run.Systems[i].Concurrent[j].rejudge(load)
		}
	}
	for j := range run.Bare {
		run.Bare[j].rejudge(load)
	}
	if err := writeJSONKey(jsonPath, "system", &run); err != nil {
		return err
	}
	return writeMarkdown(mdPath, &run)
}

const (
	mdBegin = "<!-- callbox-bench:begin -->"
	mdEnd   = "<!-- callbox-bench:end -->"
)

// writeMarkdown replaces the harness's section of the file (or appends it).
func writeMarkdown(path string, run *runResult) error {
	old, _ := os.ReadFile(path)
	section := render(run)
	var out []byte
	if i, j := bytes.Index(old, []byte(mdBegin)), bytes.Index(old, []byte(mdEnd)); i >= 0 && j > i {
		out = append(append(append([]byte{}, old[:i]...), section...), old[j+len(mdEnd):]...)
	} else {
		out = append(append(bytes.TrimRight(old, "\n"), "\n\n"...), section...)
		out = append(out, '\n')
	}
	return os.WriteFile(path, out, 0o644)
}

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func num(v float64, format string, ok bool) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

// render is the Markdown section of one run.
func render(run *runResult) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s\n", mdBegin)
	w("### Latest run of `scripts/bench.sh %s` (generated; do not edit by hand)\n\n", run.Mode)
	w("%s, commit %s, %d × %s, load average %s before and %s after. %s\n\n",
		run.Date, run.Commit, run.Nproc, run.CPU, run.LoadAvgBefore, run.LoadAvgAfter, loadNote(run.LoadAvgBefore, run.Nproc))
	var peer *systemResult
	for i := range run.Systems {
		if run.Systems[i].Name == "kamailio+rtpengine" {
			peer = &run.Systems[i]
		}
	}
	for _, s := range run.Systems {
		if s.Note != "" {
			w("- **%s**: %s.\n", s.Name, s.Note)
		}
		if s.Error != "" {
			w("- **%s** did not run: %s\n", s.Name, s.Error)
		}
	}
	w("- Load side: SIPp (`bench/sipp`) registers %d extensions from the answering SIPp's port, calls with digest (407 answered; latency runs from the first INVITE to the 200), BYE from the caller; a failed step is tried once more (marked retry), since a neighbour's build can stall any single step; media by `bench/loadgen` (G.711, 50 packets/s each way per call) to the ports each system put in its SDP. CPS steps last %.0f s; concurrent steps are set up at %d calls/s (unless noted) and loaded for %.0f s. A step whose load generator fell more than a tenth of its window behind its pacing is **not measured**: the generator sends every packet, late, so the system got less than the step's load, and the machine (shared by the system and its load) ran out first.\n",
		run.Extensions, run.CPSStepSeconds, run.SetupRate, run.LoadSeconds)
	if run.SettleSeconds > 0 {
		w("  Between its last CPS step and its first concurrent step each system rests %.0f s (a SIP stack keeps each INVITE transaction 32 s after the call), then a Go system is asked to collect its garbage (and, where marked, to hand its free pages back to the kernel at once rather than over the minutes its runtime takes).", run.SettleSeconds)
		for _, sr := range run.Systems {
			if sr.Settled != nil {
				freed := ""
				if sr.Freed {
					freed = ", free pages handed back"
				}
				w(" %s: PSS %.0f MB after the rest%s.", sr.Name, float64(sr.Settled.PSSKB)/1024, freed)
			}
		}
		w("\n")
	}
	w("- CPU is utime+stime from /proc/<pid>/stat over the step (the box: one process; the peer: Kamailio's process tree plus rtpengine); memory is PSS from smaps_rollup (Kamailio's shared memory counted once). Goroutines come from the box's /status or pprof; `–` where it serves neither (threads are shown).\n\n")

	w("#### Side by side\n\n")
	var boxes []*systemResult
	for i := range run.Systems {
		if &run.Systems[i] != peer && run.Systems[i].Error == "" {
			boxes = append(boxes, &run.Systems[i])
		}
	}
	if peer != nil && peer.Error == "" && len(boxes) > 0 {
		sideBySide(w, run, boxes, peer)
	} else {
		w("No side-by-side figures: a system did not run.\n")
	}
	w("\n#### Scenario 1: calls per second (each step %.0f s)\n\n", run.CPSStepSeconds)
	w("| system | offered/s | achieved/s | calls | failed | p50 | p95 | p99 | ms CPU/call | system CPU %% of a core | SIPp caller CPU %% | PSS MB | fds | threads | goroutines | result |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range run.Systems {
		for _, c := range s.CPS {
			w("| %s%s | %d | %.0f | %d | %d | %.0f ms | %.0f ms | %.0f ms | %.2f | %.0f | %.0f | %d | %d | %d | %s | %s |\n",
				s.Name, retryMark(c.Retry), c.Offered, c.Achieved, c.Calls, c.Failed, c.P50ms, c.P95ms, c.P99ms, c.CPUPerCall, c.CPUPercent, c.SIPpPercent,
				c.Usage.PSSKB/1024, c.Usage.FDs, c.Usage.Threads, gor(c.Goroutines), verdict(c.Pass, c.Why))
		}
	}
	w("\n#### Scenario 2: concurrent relayed calls, G.711 both ways, no recording (each step %.0f s of media)\n\n", run.LoadSeconds)
	w("| system | calls | set up | loss | late (>40 ms) | jitter | µs CPU/packet | %% of the machine | packets/s | PSS MB | Go heap+stacks MB | fds | threads | goroutines | result |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	row := func(name string, c concStep) {
		gm := "–"
		if c.GoMemKB > 0 {
			gm = fmt.Sprintf("%.1f", float64(c.GoMemKB)/1024)
		}
		w("| %s%s | %d | %d | %.4f%% | %.4f%% | %.2f ms | %.2f | %.0f | %.0f | %d | %s | %d | %d | %s | %s |\n",
			name, retryMark(c.Retry), c.Calls, c.SetUp, 100*c.LossRatio, 100*c.LateRatio, c.JitterMs, c.USPerPacket, c.MachineShare,
			float64(c.Packets)/run.LoadSeconds, c.Usage.PSSKB/1024, gm, c.Usage.FDs, c.Usage.Threads, gor(c.Goroutines), verdict(c.Pass, c.Why))
	}
	for _, s := range run.Systems {
		for _, c := range s.Concurrent {
			row(s.Name, c)
		}
	}
	for _, c := range run.Bare {
		row("bare relay floor", c)
	}
	w("\n%s", mdEnd)
	return b.Bytes()
}

// sideBySide writes one row per figure: each box, the peer, and each
// box's ratio to the peer.
func sideBySide(w func(string, ...any), run *runResult, boxes []*systemResult, peer *systemResult) {
	w("| figure |")
	for _, b := range boxes {
		w(" %s |", b.Name)
	}
	w(" %s |", peer.Name)
	for _, b := range boxes {
		w(" %s / peer |", b.Name)
	}
	w(" target |\n|---|")
	for range 2*len(boxes) + 2 {
		w("---|")
	}
	w("\n")
	type cell struct {
		v  float64
		ok bool
		// flat marks a peer figure no ratio is taken against (see the
		// memory line).
		flat bool
	}
	line := func(figure, format, target string, get func(*systemResult) cell) {
		w("| %s |", figure)
		p := get(peer)
		var cs []cell
		for _, b := range boxes {
			c := get(b)
			cs = append(cs, c)
			w(" %s |", num(c.v, format, c.ok))
		}
		w(" %s |", num(p.v, format, p.ok))
		for _, c := range cs {
			if c.ok && p.ok && !p.flat {
				w(" %s |", ratio(c.v, p.v))
			} else {
				w(" – |")
			}
		}
		w(" %s |\n", target)
	}
	line("highest sustained calls/s (≤ 0.1% failed, p99 ≤ 200 ms)", "%.0f", "≥ 0.5", func(r *systemResult) cell {
		c, ok := r.bestCPS()
		return cell{v: float64(c.Offered), ok: ok}
	})
	// CPU per call at the highest rate the first box (the binary) and the
	// peer both sustained.
	common := 0
	for _, c := range peer.CPS {
		if _, ok := boxes[0].cpsAt(c.Offered); ok && c.Pass {
			common = c.Offered
		}
	}
	line(fmt.Sprintf("ms CPU per call at %d calls/s (all processes of the system)", common), "%.2f", "", func(r *systemResult) cell {
		c, ok := r.cpsAt(common)
		return cell{v: c.CPUPerCall, ok: ok}
	})
	line(fmt.Sprintf("p99 INVITE→200 at %d calls/s", common), "%.0f ms", "", func(r *systemResult) cell {
		c, ok := r.cpsAt(common)
		return cell{v: c.P99ms, ok: ok}
	})
	// The signalling target: p99 under 50 ms at half the box's sustained
	// rate (the highest passing step at or below it).
	if best, ok := boxes[0].bestCPS(); ok {
		half := 0
		for _, c := range boxes[0].CPS {
			if c.Pass && c.Offered <= best.Offered/2 {
				half = c.Offered
			}
		}
		line(fmt.Sprintf("p99 INVITE→200 at %d calls/s (about half %s's sustained rate)", half, boxes[0].Name), "%.0f ms", "< 50 ms", func(r *systemResult) cell {
			c, ok := r.cpsAt(half)
			return cell{v: c.P99ms, ok: ok}
		})
	}
	line("highest passing concurrent-call step (loss ≤ 0.1%, ≤ 80% of the machine, the generator within a tenth of the window of its pacing)", "%.0f", "≥ 1.2", func(r *systemResult) cell {
		c, ok := bestStep(r.Concurrent)
		return cell{v: float64(c.Calls), ok: ok}
	})
	// The highest step the peer passed that every box measured; a box
	// run for calls per second only (a full run's pbxsut) has no
	// passing step and is left out, not taken to have none in common.
	commonStep := 0
	for _, c := range peer.Concurrent {
		all := c.Pass
		for _, b := range boxes {
			if _, measured := bestStep(b.Concurrent); !measured {
				continue
			}
			if _, ok := stepAt(b.Concurrent, c.Calls); !ok {
				all = false
			}
		}
		if all {
			commonStep = c.Calls
		}
	}
	line(fmt.Sprintf("µs CPU per relayed packet at %d calls (box: whole process; peer: rtpengine)", commonStep), "%.2f", "≤ 0.8", func(r *systemResult) cell {
		c, ok := stepAt(r.Concurrent, commonStep)
		return cell{v: c.USPerPacket, ok: ok}
	})
	line("memory per active call (PSS slope across steps that held their calls, KB)", "%.0f", "< 100 KB", func(r *systemResult) cell {
		v, ok := memSlope(r.Concurrent)
		// Kamailio takes its shared memory whole at start, so its PSS
		// barely moves with calls: a ratio against that says nothing.
		return cell{v: v, ok: ok, flat: v < 1}
	})
	for _, b := range append(boxes, peer) {
		if v, ok := goMemSlope(b.Concurrent); ok {
			w("\n%s: Go heap and stacks in use after a GC grow by %.0f KB per active call across the steps that held their calls (read from its pprof endpoint).\n", b.Name, v)
		}
	}
	if fl, ok := stepAt(run.Bare, commonStep); ok {
		w("\nAgainst the bare relay floor (bench/barerelay, %.2f µs CPU per packet at %d calls in this run; target ≤ 1.25):", fl.USPerPacket, commonStep)
		for _, b := range boxes {
			if c, ok := stepAt(b.Concurrent, commonStep); ok {
				w(" %s %s×;", b.Name, ratio(c.USPerPacket, fl.USPerPacket))
			}
		}
		if c, ok := stepAt(peer.Concurrent, commonStep); ok {
			w(" rtpengine %s×.", ratio(c.USPerPacket, fl.USPerPacket))
		}
		w("\n")
	}
}

func retryMark(retry bool) string {
	if retry {
		return " (retry)"
	}
	return ""
}

func gor(n int) string {
	if n < 0 {
		return "–"
	}
	return fmt.Sprint(n)
}

func verdict(pass bool, why string) string {
	switch {
	case pass:
		return "pass"
	case strings.HasPrefix(why, notMeasured):
		return strings.ReplaceAll(why, "|", "/")
	}
	return "fail: " + strings.ReplaceAll(why, "|", "/")
}

// loadNote says how to read a run from the machine's load when it
// started: on a busy machine (1-minute load average over the core
// count) other work shared the cores.
func loadNote(loadavg string, nproc int) string {
	f := strings.Fields(loadavg)
	if len(f) > 0 {
		if l, err := strconv.ParseFloat(f[0], 64); err == nil && l <= float64(nproc) {
			return "Nothing else ran on the machine (1-minute load average under its core count at the start); ratios between systems measured in the same run are still the figures to read, absolute times are only a record of this VM."
		}
	}
	return "**Measured under shared load**: other builds and tests ran on the same cores; ratios between systems measured minutes apart in the same run are the figures to read, absolute times are only a record."
}
