// Command report turns one benchmark run into bench/results/<date>.json
// and the media section of BENCHMARKS.md. It reads the output of
// `go test -bench` and the JSON of relaycmp; scripts/bench.sh runs it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
)

// GoBench is one line of `go test -bench -benchmem` output.
type GoBench struct {
	Package     string  `json:"package"`
	Name        string  `json:"name"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
}

// Results is the machine-readable record of a run.
type Results struct {
	Date     string          `json:"date"`
	Commit   string          `json:"commit"`
	Mode     string          `json:"mode"`
	Nproc    int             `json:"nproc"`
	CPU      string          `json:"cpu"`
	GoBench  []GoBench       `json:"go_benchmarks"`
	RelayCmp json.RawMessage `json:"relay_comparison"`
}

type relayReport struct {
	Calls    int    `json:"calls"`
	Duration string `json:"duration"`
	Rounds   int    `json:"rounds"`
	Median   map[string]struct {
		USPerPacket float64 `json:"us_per_packet"`
		CPUPercent  float64 `json:"cpu_percent"`
		Load        struct {
			LossRatio    float64 `json:"LossRatio"`
			LateRatio    float64 `json:"LateRatio"`
			JitterMeanMs float64 `json:"JitterMeanMs"`
			RelayJitter  float64 `json:"RelayJitterMeanMs"`
			DelayMaxMs   float64 `json:"DelayMaxMs"`
			Received     uint64  `json:"Received"`
		} `json:"load"`
	} `json:"median"`
	RatioToBare map[string]float64 `json:"ratio_to_bare"`
}

const (
	begin = "<!-- media-bench:begin -->"
	end   = "<!-- media-bench:end -->"
)

func main() {
	benchOut := flag.String("bench", "", "go test -bench output")
	relayJSON := flag.String("relay", "", "relaycmp JSON report")
	date := flag.String("date", "", "run date (UTC)")
	commit := flag.String("commit", "", "commit measured")
	mode := flag.String("mode", "quick", "quick or full")
	nproc := flag.Int("nproc", 0, "nproc")
	cpu := flag.String("cpu", "", "CPU model name")
	jsonOut := flag.String("json", "", "results file to write")
	md := flag.String("md", "BENCHMARKS.md", "Markdown file whose media section is replaced")
	flag.Parse()

	res := Results{Date: *date, Commit: *commit, Mode: *mode, Nproc: *nproc, CPU: *cpu}
	if b, err := os.ReadFile(*benchOut); err == nil {
		res.GoBench = parseBench(b)
	}
	var rr relayReport
	if b, err := os.ReadFile(*relayJSON); err == nil {
		res.RelayCmp = b
		if err := json.Unmarshal(b, &rr); err != nil {
			log.Fatalf("relay report: %v", err)
		}
	}
	if *jsonOut != "" {
		if err := writeMerged(*jsonOut, res); err != nil {
			log.Fatal(err)
		}
	}
	section := render(res, rr)
	old, _ := os.ReadFile(*md)
	var out []byte
	if i, j := bytes.Index(old, []byte(begin)), bytes.Index(old, []byte(end)); i >= 0 && j > i {
		out = append(append(append([]byte{}, old[:i]...), section...), old[j+len(end):]...)
	} else {
		out = append(append(old, '\n'), section...)
	}
	if err := os.WriteFile(*md, out, 0o644); err != nil {
		log.Fatal(err)
	}
}

// writeMerged writes the media results into the day's results file,
// keeping the keys other benchmarks wrote there (bench/callbench's
// "system").
func writeMerged(path string, res Results) error {
	doc := map[string]json.RawMessage{}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &doc)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	var mine map[string]json.RawMessage
	if err := json.Unmarshal(b, &mine); err != nil {
		return err
	}
	for k, v := range mine {
		doc[k] = v
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

func parseBench(b []byte) []GoBench {
	var out []GoBench
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "pkg:" {
			pkg = f[1]
			continue
		}
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		g := GoBench{Package: pkg, Name: f[0]}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				g.NsPerOp = v
			case "B/op":
				g.BytesPerOp = v
			case "allocs/op":
				g.AllocsPerOp = v
			}
		}
		out = append(out, g)
	}
	return out
}

func render(res Results, rr relayReport) []byte {
	var b bytes.Buffer
	b.WriteString(begin + "\n")
	fmt.Fprintf(&b, "### Relay CPU per packet against the bare floor (latest run, `scripts/bench.sh %s`)\n\n", res.Mode)
	fmt.Fprintf(&b, "%d calls (%d streams of 50 G.711 packets/s, %d packets/s relayed), %s per run, median of %d rounds (variants alternate within each round).\n\n",
		rr.Calls, 2*rr.Calls, 100*rr.Calls, rr.Duration, rr.Rounds)
	b.WriteString("| date (UTC) | commit | nproc | CPU | relay | µs CPU / relayed packet | ratio to bare | CPU % of a core | loss | late (>40 ms) | jitter (RFC 3550) | relay jitter | max delay |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, name := range []string{"bare", "box", "box-1loop", "box-window1ms", "box-window2ms", "box-nobatch", "box-uring", "box-uring-1loop", "uring"} {
		s, ok := rr.Median[name]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %.2f | %.2f | %.1f | %.4f%% | %.4f%% | %.2f ms | %.2f ms | %.1f ms |\n",
			res.Date, res.Commit, res.Nproc, res.CPU, name, s.USPerPacket, rr.RatioToBare[name], s.CPUPercent,
			100*s.Load.LossRatio, 100*s.Load.LateRatio, s.Load.JitterMeanMs, s.Load.RelayJitter, s.Load.DelayMaxMs)
	}
	fmt.Fprintf(&b, "\n### Go benchmarks in media/ (same run)\n\n")
	b.WriteString("| package | benchmark | ns/op | B/op | allocs/op |\n|---|---|---|---|---|\n")
	for _, g := range res.GoBench {
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.0f | %.0f |\n", strings.TrimPrefix(g.Package, "callbox/"), g.Name, g.NsPerOp, g.BytesPerOp, g.AllocsPerOp)
	}
	b.WriteString(end)
	return b.Bytes()
}
