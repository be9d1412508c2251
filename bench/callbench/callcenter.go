package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"callbox/bench/callcenter"
)

// The call-center suite (scenarios 2, 3 and 4 on the callbox binary in
// one run): ports beside the system suite's.
const (
	agentPort   = 25083 // the agents' phones (cc-agent.xml), registered from here
	linePort    = 25084 // the SIPp calling into simulated lines
	loginPort   = 25085 // the agents' log-in calls
	agentMedia  = 26020
	carrierMed  = 26030
	lineMedia   = 26040
	simBasePort = 25100 // simulated line n listens on simBasePort+n-1
)

// ccMode sizes a call-center run.
type ccMode struct {
	agents, lines int
	conc          []int         // scenario 2 steps, for the ratio in the same run
	recorded      []int         // scenario 3 steps
	load          time.Duration // media per scenario 2/3 step
	mixed         []int         // scenario 4 steps (concurrent callers)
	talk          time.Duration // scenario 4 talk time
}

var ccModes = map[string]ccMode{
	"quick": {agents: 100, lines: 4, conc: []int{100}, recorded: []int{100}, load: 6 * time.Second,
		mixed: []int{20}, talk: 10 * time.Second},
	// The steps (250, 500, 1,000, 2,000) with 750, 1,250, 1,500
	// and 1,750 between, so the recorded/not-recorded ratio is measured at
	// a finer grain; a recorded call takes an agent, so there are as many
	// agents as the largest step.
	"full": {agents: 2000, lines: callcenter.MaxLines,
		conc:     []int{250, 500, 750, 1000, 1250, 1500, 1750, 2000},
		recorded: []int{250, 500, 750, 1000, 1250, 1500, 1750, 2000},
		load:     15 * time.Second, mixed: []int{50, 100, 200, 400, 800}, talk: 30 * time.Second},
	// A look at the recorded steps around the limit alone (about 8
	// minutes), beside the unrecorded step they are compared with.
	"probe": {agents: 1500, lines: callcenter.MaxLines, conc: []int{1250}, recorded: []int{1000, 1250, 1500},
		load: 15 * time.Second, talk: 30 * time.Second},
}

// ccRun is the JSON of a call-center run (key "callcenter").
type ccRun struct {
	Date          string      `json:"date"`
	Commit        string      `json:"commit"`
	Mode          string      `json:"mode"`
	Nproc         int         `json:"nproc"`
	CPU           string      `json:"cpu"`
	LoadAvgBefore string      `json:"loadavg_before"`
	LoadAvgAfter  string      `json:"loadavg_after"`
	Agents        int         `json:"agents"`
	LoggedIn      int         `json:"agents_logged_in"`
	Lines         int         `json:"lines"`
	TalkSeconds   float64     `json:"talk_seconds"`
	LoadSeconds   float64     `json:"media_seconds_per_step"`
	Concurrent    []concStep  `json:"concurrent"`
	Recorded      []recStep   `json:"recorded"`
	Mixed         []mixedStep `json:"mixed"`
	Error         string      `json:"error,omitempty"`
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// runCallCenter starts the binary seeded with the call-center records,
// registers the phones and the agents, logs the agents in, and runs
// scenarios 2, 3 and 4.
func runCallCenter(ctx context.Context, b builds, modeName, work, results, commit string, exts int) *ccRun {
	m := ccModes[modeName]
	nproc, model := machine()
	run := &ccRun{Date: time.Now().UTC().Format(time.RFC3339), Commit: commit, Mode: modeName, Nproc: nproc, CPU: model,
		LoadAvgBefore: loadavg(), Agents: m.agents, Lines: m.lines, TalkSeconds: m.talk.Seconds(), LoadSeconds: m.load.Seconds()}
	defer func() { run.LoadAvgAfter = loadavg() }()
	if b.callbox == "" {
		run.Error = "the callbox binary did not build"
		return run
	}
	s, err := startCallboxWith(ctx, b, work, "callbox", exts,
		[]string{"-agents", fmt.Sprint(m.agents), "-lines", fmt.Sprint(m.lines)},
		[]string{"--sim-base-port", fmt.Sprint(simBasePort)})
	if err != nil {
		run.Error = err.Error()
		return run
	}
	defer s.stop()
	uas, registered, err := phones(ctx, s, work, exts)
	if err != nil {
		run.Error = err.Error()
		return run
	}
	log.Printf("callcenter: %d of %d extensions registered", registered, exts)
	if run.LoggedIn, err = agentsIn(ctx, s, work, m.agents); err != nil {
		uas.stop()
		run.Error = err.Error()
		return run
	}
	log.Printf("callcenter: %d of %d agents logged in", run.LoggedIn, m.agents)
	cm := mode{Name: modeName, steps: m.conc, load: m.load, setupRate: 100}
	run.Concurrent = runConcurrent(ctx, s, cm, work, filepath.Join(work, "profiles"), exts, nproc)
	uas.stop()
	// What the relayed steps left is freed and its pages handed back, so
	// the recorded steps' memory starts from the calls they hold.
	s.freeMemory()
	data := filepath.Join(work, "data-callbox")
	run.Recorded = runRecorded(ctx, s, m, work, data, results, nproc)
	run.Mixed = runMixed(ctx, s, m, work, data, results, nproc)
	return run
}

// agentsIn registers the agents' extensions from agentPort, where their
// phones answer, and logs each agent in with the feature code from its
// extension. It returns how many log-ins the box answered (a lower bound
// of the agents logged in: a log-in that timed out may still have been
// carried out).
func agentsIn(ctx context.Context, s *system, work string, n int) (int, error) {
	dir := filepath.Join(work, "agents")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var reg, login strings.Builder
	reg.WriteString("SEQUENTIAL\n")
	login.WriteString("SEQUENTIAL\n")
	for i := range n {
		ext := callcenter.AgentNumber(i)
		fmt.Fprintf(&reg, "%s;%s\n", ext, authField(ext))
		fmt.Fprintf(&login, "%s;%s\n", ext, authField(ext))
	}
	regCSV, loginCSV := filepath.Join(dir, "register.csv"), filepath.Join(dir, "login.csv")
	if err := os.WriteFile(regCSV, []byte(reg.String()), 0o644); err != nil {
		return 0, err
	}
	if err := os.WriteFile(loginCSV, []byte(login.String()), 0o644); err != nil {
		return 0, err
	}
	res, err := runSIPp(ctx, filepath.Join(dir, "register"), 2*time.Minute, []string{s.sip, "-sf", scenario("register.xml"),
		"-inf", regCSV, "-key", "expires", fmt.Sprint(int(cmp.Or(s.regExpiry, time.Hour).Seconds())), "-key", "contact", fmt.Sprintf("127.0.0.1:%d", agentPort), "-i", "127.0.0.1",
		"-p", fmt.Sprint(agentPort), "-cp", fmt.Sprint(agentPort + 2000), "-m", fmt.Sprint(n), "-r", "200", "-l", "100",
		"-recv_timeout", "10000", "-trace_err"})
	if err != nil {
		return 0, fmt.Errorf("agents: register: %w", err)
	}
	if res.Successful < n {
		log.Printf("agents: %d of %d registered", res.Successful, n)
	}
	// Log-ins are answered after a store write each; on a busy machine
	// some time out after the box did log the agent in, so a second pass
	// retries them all: an agent already in is refused (counted apart).
	loggedIn := 0
	for pass := 1; pass <= 2; pass++ {
		res, err = runSIPp(ctx, filepath.Join(dir, fmt.Sprintf("login%d", pass)), 3*time.Minute, []string{s.sip,
			"-sf", scenario("cc-login.xml"), "-inf", loginCSV, "-s", "*45", "-i", "127.0.0.1", "-p", fmt.Sprint(loginPort),
			"-cp", fmt.Sprint(loginPort + 2000), "-mi", "127.0.0.1", "-mp", fmt.Sprint(agentMedia + 4), "-m", fmt.Sprint(n),
			"-r", "25", "-l", "200", "-recv_timeout", "30000", "-trace_err"})
		if err != nil {
			return loggedIn, fmt.Errorf("agents: log-in: %w", err)
		}
		loggedIn += res.Successful
		log.Printf("agents: log-in pass %d: %d answered, %d refused or timed out", pass, res.Successful, res.Failed)
		if res.Failed == 0 || loggedIn >= n {
			break
		}
	}
	return loggedIn, nil
}

// agentPhones starts the agents' phones, each call talked for talk.
func agentPhones(work, name string, talk time.Duration) (*child, error) {
	dir := filepath.Join(work, name, "agents")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c, err := start(dir, "sipp-agents", "sipp", "-sf", scenario("cc-agent.xml"), "-i", "127.0.0.1",
		"-p", fmt.Sprint(agentPort), "-mi", "127.0.0.1", "-mp", fmt.Sprint(agentMedia), "-cp", fmt.Sprint(agentPort+2001),
		"-d", fmt.Sprint(talk.Milliseconds()), "-aa", "-nostdin", "-trace_logs", "-trace_err", "-timeout", "60m",
		"-l", "5000")
	if err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond) // let it bind before calls come in
	if c.exited() {
		return nil, fmt.Errorf("the agents' SIPp exited at once (see %s)", dir)
	}
	return c, nil
}

// callerCSV writes cc-caller.xml's injection file: n callers numbered
// from base, dialling number at the port port(i) gives.
func callerCSV(path string, n int, base int64, number string, port func(i int) int) ([]string, error) {
	var b strings.Builder
	b.WriteString("SEQUENTIAL\n")
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprint(base + int64(i))
		fmt.Fprintf(&b, "%s;%s;%d\n", keys[i], number, port(i))
	}
	return keys, os.WriteFile(path, []byte(b.String()), 0o644)
}

// recordings lists the WAV files under data/rec changed since t.
func recordings(data string, since time.Time) []string {
	var out []string
	filepath.WalkDir(filepath.Join(data, "rec"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".wav") {
			return nil
		}
		if info, err := d.Info(); err == nil && !info.ModTime().Before(since) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// recCheck is what the recordings of a step hold.
type recCheck struct {
	Files      int     `json:"files"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	MinSeconds float64 `json:"min_seconds"`     // the shortest recording
	ExpectedOK int     `json:"expected_length"` // within the tolerance of the talk time
	Short      int     `json:"short"`
	Unreadable int     `json:"unreadable"`
}

// checkRecordings reads every recording of a step: its size and
// duration, and whether it lasts want within tol.
func checkRecordings(files []string, want, tol time.Duration) recCheck {
	var r recCheck
	for _, p := range files {
		w, err := readWAV(p)
		if err != nil {
			r.Unreadable++
			continue
		}
		r.Files++
		if st, err := os.Stat(p); err == nil {
			r.Bytes += st.Size()
		}
		r.Seconds += w.Duration.Seconds()
		if r.Files == 1 || w.Duration.Seconds() < r.MinSeconds {
			r.MinSeconds = w.Duration.Seconds()
		}
		if d := w.Duration - want; d >= -tol && d <= tol {
			r.ExpectedOK++
		} else if w.Duration < want {
			r.Short++
		}
	}
	return r
}
