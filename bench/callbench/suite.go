package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// runSuite runs the call-center suite (scenarios 2, 3 and 4) or the soak
// (scenario 6) on the callbox binary and writes their own key of the
// results file and their own section of BENCHMARKS.md. It returns the
// exit code.
func runSuite(suite, modeName, callboxBin, jsonPath, mdPath, scenarios, results, commit string, limit, soakFor time.Duration, soakCalls, exts int) int {
	if _, ok := ccModes[modeName]; !ok && suite == "callcenter" {
		log.Printf("callbench: -mode quick, full or probe (call-center suite)")
		return 2
	}
	if suite == "soak" && (soakFor < time.Minute || soakFor > 24*time.Hour) {
		log.Printf("callbench: -soak must be between 1m and 24h")
		return 2
	}
	if limit == 0 {
		limit = map[string]time.Duration{"quick": 5 * time.Minute, "full": 45 * time.Minute, "probe": 15 * time.Minute}[modeName]
		if suite == "soak" {
			limit = soakFor + 15*time.Minute
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	scenarioDir, _ = filepath.Abs(scenarios)
	results, _ = filepath.Abs(results)
	if err := os.MkdirAll(results, 0o755); err != nil {
		log.Print(err)
		return 1
	}
	work, err := os.MkdirTemp("", "callbench-"+suite)
	if err != nil {
		log.Print(err)
		return 1
	}
	log.Printf("callbench: suite %s, mode %s, work directory %s (kept on failure)", suite, modeName, work)
	b, err := build(ctx, work, callboxBin)
	if err != nil {
		log.Print(err)
		return 1
	}
	var key string
	var result any
	var section []byte
	clean := false
	switch suite {
	case "callcenter":
		run := runCallCenter(ctx, b, modeName, work, results, commit, exts)
		key, result, section = "callcenter", run, renderCallCenter(run)
		clean = run.clean()
	case "soak":
		if soakCalls <= 0 {
			soakCalls = soakDefault(jsonPath)
		}
		run := runSoak(ctx, b, work, commit, exts, soakCalls, soakFor)
		key, result, section = "soak", run, renderSoak(run)
		clean = run.Pass
	}
	if err := writeJSONKey(jsonPath, key, result); err != nil {
		log.Print(err)
		return 1
	}
	if err := writeSection(mdPath, section); err != nil {
		log.Print(err)
		return 1
	}
	os.Stdout.Write(section)
	if ctx.Err() != nil {
		log.Printf("callbench: stopped early: %v (work directory %s kept)", context.Cause(ctx), work)
		return 1
	}
	if clean {
		os.RemoveAll(work)
	} else {
		log.Printf("callbench: some steps failed; their logs are in %s", work)
	}
	return 0
}

// writeJSONKey merges v under key into the results file.
func writeJSONKey(path, key string, v any) error {
	if path == "" {
		return nil
	}
	doc := map[string]json.RawMessage{}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &doc)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	doc[key] = b
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := mkdirFor(path); err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

// soakDefault is half the callbox's highest passing scenario-2 step in
// the results file (its "callcenter" run, else its "system" run), or 250.
func soakDefault(jsonPath string) int {
	best := 0
	if b, err := os.ReadFile(jsonPath); err == nil {
		var doc struct {
			CC  *ccRun     `json:"callcenter"`
			Sys *runResult `json:"system"`
		}
		if json.Unmarshal(b, &doc) == nil {
			if doc.CC != nil {
				best = highestPass(doc.CC.Concurrent)
			}
			if best == 0 && doc.Sys != nil {
				for _, s := range doc.Sys.Systems {
					if s.Name == "callbox" {
						best = highestPass(s.Concurrent)
					}
				}
			}
		}
	}
	if best == 0 {
		return 250
	}
	return best / 2
}

func highestPass(steps []concStep) int {
	best := 0
	for _, s := range steps {
		if s.Pass && s.Calls > best {
			best = s.Calls
		}
	}
	return best
}

// renderSuite rewrites a suite's Markdown section from its key of the
// results file; the soak is judged again from its samples.
func renderSuite(suite, jsonPath, mdPath string) error {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	var section []byte
	switch suite {
	case "callcenter":
		var r ccRun
		if err := json.Unmarshal(doc[suite], &r); err != nil {
			return fmt.Errorf("%s: %q: %w", jsonPath, suite, err)
		}
		load := time.Duration(r.LoadSeconds * float64(time.Second))
		for i := range r.Concurrent {
			r.Concurrent[i].rejudge(load)
		}
		for i := range r.Recorded {
			r.Recorded[i].rejudge(load)
		}
		talk := time.Duration(r.TalkSeconds * float64(time.Second))
		for i := range r.Mixed {
			rejudge(&r.Mixed[i].Pass, &r.Mixed[i].Why, "the media driver", r.Mixed[i].PacingMs, talk)
		}
		if err := writeJSONKey(jsonPath, suite, &r); err != nil {
			return err
		}
		section = renderCallCenter(&r)
	case "soak":
		var r soakRun
		if err := json.Unmarshal(doc[suite], &r); err != nil {
			return fmt.Errorf("%s: %q: %w", jsonPath, suite, err)
		}
		dur, err := time.ParseDuration(r.Duration)
		if err != nil {
			return fmt.Errorf("%s: soak duration: %w", jsonPath, err)
		}
		r.judge(nil, dur)
		if err := writeJSONKey(jsonPath, suite, &r); err != nil {
			return err
		}
		section = renderSoak(&r)
	default:
		return fmt.Errorf("unknown suite %q", suite)
	}
	return writeSection(mdPath, section)
}
