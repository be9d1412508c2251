// Command relaycmp measures, in one run at the same load, the CPU the
// box's relay spends per relayed packet against the bare relay floor.
//
// It builds bench/barerelay and bench/boxrelay, then for each round and
// each variant starts the relay as its own process, loads it with the
// paced G.711 generator (bench/loadgen), reads the process's CPU time from
// /proc/<pid>/stat around the measured window, and stops it. Variants
// alternate within a round so that a noisy neighbour hurts all of them
// alike; the median round of each variant is reported. All traffic is on
// 127.0.0.1.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"callbox/bench/loadgen"
)

// Variant is one relay configuration.
type Variant struct {
	Name string
	Bin  string // "barerelay" or "boxrelay"
	Args []string
}

// Sample is one measured run of one variant.
type Sample struct {
	Variant     string         `json:"variant"`
	Round       int            `json:"round"`
	CPUSeconds  float64        `json:"cpu_seconds"`
	CPUPercent  float64        `json:"cpu_percent"` // of one core
	USPerPacket float64        `json:"us_per_packet"`
	RSSKB       int            `json:"rss_kb"`
	Load        loadgen.Result `json:"load"`
}

// Report is what relaycmp writes.
type Report struct {
	Calls       int                `json:"calls"`
	Duration    string             `json:"duration"`
	Rounds      int                `json:"rounds"`
	Samples     []Sample           `json:"samples"`
	Median      map[string]Sample  `json:"median"`
	RatioToBare map[string]float64 `json:"ratio_to_bare"`
}

var variants = map[string]Variant{
	"bare":            {Name: "bare", Bin: "barerelay"},
	"box":             {Name: "box", Bin: "boxrelay"},
	"box-1loop":       {Name: "box-1loop", Bin: "boxrelay", Args: []string{"-loops", "1"}},
	"box-window1ms":   {Name: "box-window1ms", Bin: "boxrelay", Args: []string{"-window", "1ms"}},
	"box-window2ms":   {Name: "box-window2ms", Bin: "boxrelay", Args: []string{"-window", "2ms", "-loops", "1"}},
	"box-nobatch":     {Name: "box-nobatch", Bin: "boxrelay", Args: []string{"-batch", "1"}},
	"box-uring":       {Name: "box-uring", Bin: "boxrelay", Args: []string{"-backend", "uring"}},
	"box-uring-1loop": {Name: "box-uring-1loop", Bin: "boxrelay", Args: []string{"-backend", "uring", "-loops", "1"}},
	// Not the box: the bare relay's job through io_uring, the floor of
	// that technique.
	"uring": {Name: "uring", Bin: "uringrelay"},
}

func main() {
	calls := flag.Int("calls", 250, "concurrent relayed calls (2 streams of 50 packets/s each)")
	dur := flag.Duration("duration", 15*time.Second, "measured load per run")
	rounds := flag.Int("rounds", 2, "rounds; each runs every variant once")
	names := flag.String("variants", "bare,box", "comma-separated: "+strings.Join(keys(), ","))
	outPath := flag.String("out", "", "write the JSON report here")
	profile := flag.String("profile", "", "write CPU profiles of the box relay runs into this directory")
	flag.Parse()
	if *dur > 5*time.Minute || *rounds > 10 || *calls > 1100 {
		log.Fatal("relaycmp: bounds are duration<=5m, rounds<=10, calls<=1100 (4 ports each above 61000)")
	}
	dir, err := os.MkdirTemp("", "relaycmp")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, b := range []string{"barerelay", "boxrelay", "uringrelay"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b), "callbox/bench/"+b)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("build %s: %v", b, err)
		}
	}
	rep := Report{Calls: *calls, Duration: dur.String(), Rounds: *rounds, Median: map[string]Sample{}, RatioToBare: map[string]float64{}}
	for r := range *rounds {
		for _, name := range strings.Split(*names, ",") {
			v, ok := variants[name]
			if !ok {
				log.Fatalf("unknown variant %q", name)
			}
			// Above the kernel's ephemeral range (32768-60999 by default),
			// so no client socket on the machine holds a relay port;
			// variants run one after the other and reuse the range.
			base := 61000
			if *profile != "" && v.Bin == "boxrelay" {
				p, _ := filepath.Abs(filepath.Join(*profile, fmt.Sprintf("%s-round%d.pprof", name, r)))
				v.Args = append(v.Args[:len(v.Args):len(v.Args)], "-cpuprofile", p)
			}
			s, err := runOne(dir, v, *calls, base, *dur)
			if err != nil {
				log.Fatalf("%s: %v", name, err)
			}
			s.Round = r
			rep.Samples = append(rep.Samples, s)
			log.Printf("round %d %-14s %6.2f us/pkt  cpu %5.1f%%  loss %.4f%%  late %.4f%%  jitter %.2f ms  relay jitter %.2f ms  max delay %.1f ms  pacing behind %.1f ms",
				r, name, s.USPerPacket, s.CPUPercent, 100*s.Load.LossRatio, 100*s.Load.LateRatio, s.Load.JitterMeanMs,
				s.Load.RelayJitterMeanMs, s.Load.DelayMaxMs, s.Load.SendBehindMaxMs)

		}
	}
	// The median round of each variant: on a shared machine one round can
	// be lucky (a busy neighbour makes packets arrive in bursts, which
	// batching makes cheaper) or unlucky.
	for _, name := range strings.Split(*names, ",") {
		var ss []Sample
		for _, s := range rep.Samples {
			if s.Variant == name {
				ss = append(ss, s)
			}
		}
		sort.Slice(ss, func(i, j int) bool { return ss[i].USPerPacket < ss[j].USPerPacket })
		rep.Median[name] = ss[len(ss)/2]
	}
	if bare, ok := rep.Median["bare"]; ok {
		for n, s := range rep.Median {
			rep.RatioToBare[n] = s.USPerPacket / bare.USPerPacket
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			log.Fatal(err)
		}
		e := json.NewEncoder(f)
		e.SetIndent("", "  ")
		e.Encode(rep)
		f.Close()
	}
	fmt.Println("| relay | µs CPU per relayed packet | ratio to bare | CPU % of a core | loss | late | jitter mean ms | relay jitter ms |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, name := range strings.Split(*names, ",") {
		s := rep.Median[name]
		fmt.Printf("| %s | %.2f | %.2f | %.1f | %.4f%% | %.4f%% | %.2f | %.2f |\n", name, s.USPerPacket, rep.RatioToBare[name],
			s.CPUPercent, 100*s.Load.LossRatio, 100*s.Load.LateRatio, s.Load.JitterMeanMs, s.Load.RelayJitterMeanMs)
	}
}

func keys() []string {
	var k []string
	for n := range variants {
		k = append(k, n)
	}
	return k
}

// waitPortsFree waits (bounded) until the range is bindable again: a
// relay that used io_uring releases its sockets only when the kernel has
// torn its ring down, shortly after the process exits.
func waitPortsFree(base, calls int) {
	for range 100 {
		free := true
		for p := base; p < base+4*calls; p += 97 {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
			if err != nil {
				free = false
				break
			}
			c.Close()
		}
		if free {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runOne starts one relay process, loads it and stops it.
func runOne(dir string, v Variant, calls, base int, dur time.Duration) (Sample, error) {
	s := Sample{Variant: v.Name}
	waitPortsFree(base, calls)
	args := append([]string{"-calls", strconv.Itoa(calls), "-base", strconv.Itoa(base), "-maxlife", (dur + time.Minute).String()}, v.Args...)
	cmd := exec.Command(filepath.Join(dir, v.Bin), args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return s, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return s, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return s, err
	}
	pid := cmd.Process.Pid
	defer func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() // this process only, by its PID
			<-done
		}
	}()
	var lcalls []loadgen.Call
	lo := netip.MustParseAddr("127.0.0.1")
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			break
		}
		var a, b uint16
		if _, err := fmt.Sscanf(line, "%d %d", &a, &b); err != nil {
			return s, fmt.Errorf("relay said %q", line)
		}
		lcalls = append(lcalls, loadgen.Call{A: netip.AddrPortFrom(lo, a), B: netip.AddrPortFrom(lo, b)})
	}
	go io.Copy(os.Stderr, stdout) // the relay's closing counters
	if len(lcalls) != calls {
		return s, fmt.Errorf("relay opened %d calls, want %d", len(lcalls), calls)
	}
	var cpu0, cpu1 float64
	var t0, t1 time.Time
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		Calls: lcalls, Local: lo, Duration: dur,
		OnStart: func() { cpu0, t0 = cpuSeconds(pid), time.Now() },
		OnEnd:   func() { cpu1, t1 = cpuSeconds(pid), time.Now() },
	})
	if err != nil {
		return s, err
	}
	s.Load = res
	s.CPUSeconds = cpu1 - cpu0
	s.CPUPercent = 100 * s.CPUSeconds / t1.Sub(t0).Seconds()
	if res.Received > 0 {
		s.USPerPacket = 1e6 * s.CPUSeconds / float64(res.Received)
	}
	s.RSSKB = rssKB(pid)
	return s, nil
}

// cpuSeconds reads utime+stime of a process from /proc/<pid>/stat.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clkTck
}

// clkTck is USER_HZ, 100 on every Linux the box runs on.
const clkTck = 100

func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	return 0
}
