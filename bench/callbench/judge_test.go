package main

import (
	"strings"
	"testing"
	"time"
)

func TestJudge_AStepWhoseGeneratorFellBehindIsNotMeasured(t *testing.T) {
	const load = 15 * time.Second
	for _, tc := range []struct {
		behindMs, loss  float64
		pass, saturated bool
		why             string
	}{
		{behindMs: 1200, pass: true},
		{behindMs: 1200, loss: 0.01, why: "loss over 0.1%"},
		{behindMs: 1600, saturated: true, why: "not measured: the load generator fell 1.6 s behind its pacing in 15 s"},
		{behindMs: 8000, loss: 0.05, saturated: true, why: "not measured"},
	} {
		st := concStep{Calls: 1000, SetUp: 1000, PacingMs: tc.behindMs, LossRatio: tc.loss, MachineShare: 50}
		judge(&st, load)
		if st.Pass != tc.pass || st.Saturated != tc.saturated || !strings.HasPrefix(st.Why, tc.why) {
			t.Errorf("%.0f ms behind, loss %.2f: pass %v saturated %v %q", tc.behindMs, tc.loss, st.Pass, st.Saturated, st.Why)
		}
		if v := verdict(st.Pass, st.Why); tc.saturated != strings.HasPrefix(v, notMeasured) {
			t.Errorf("verdict %q", v)
		}
	}
}

func TestRejudge_TurnsOldPassesAndLossesOfASaturatedMachineIntoNotMeasured(t *testing.T) {
	const load = 15 * time.Second
	steps := []concStep{
		{Calls: 1250, PacingMs: 940, Pass: true},
		{Calls: 1500, PacingMs: 4186, Pass: true},
		{Calls: 3000, PacingMs: 23622, Why: "loss over 0.1%, with the load generator 23.6 s behind its pacing: the shared machine is saturated"},
		{Calls: 4000, PacingMs: 27345, Why: "250 calls not set up"},
	}
	for i := range steps {
		steps[i].rejudge(load)
	}
	if !steps[0].Pass || steps[0].Saturated {
		t.Errorf("1,250: %+v", steps[0])
	}
	for _, st := range steps[1:3] {
		if st.Pass || !st.Saturated || !strings.HasPrefix(st.Why, notMeasured) {
			t.Errorf("%d: %+v", st.Calls, st)
		}
	}
	if steps[3].Saturated || steps[3].Why != "250 calls not set up" {
		t.Errorf("a failure of its own stays one: %+v", steps[3])
	}
	if best, _ := bestStep(steps); best.Calls != 1250 {
		t.Errorf("highest passing step %d", best.Calls)
	}
}

func TestMemSlope_StartsAtTheStepWithTheLeastMemory(t *testing.T) {
	step := func(calls, pssMB int) concStep {
		return concStep{Calls: calls, Pass: true, Usage: usage{PSSKB: pssMB * 1024}}
	}
	// What the CPS ramp left is freed by the third step; from there on
	// each call holds 50 KB.
	steps := []concStep{step(250, 1363), step(500, 1328), step(750, 243)}
	for _, n := range []int{1000, 1250, 1500} {
		steps = append(steps, concStep{Calls: n, Saturated: n == 1500, Usage: usage{PSSKB: 243*1024 + (n-750)*50}, Pass: n < 1500})
	}
	if kb, ok := memSlope(steps); !ok || kb < 49.9 || kb > 50.1 {
		t.Fatalf("slope %.1f KB %v, want 50", kb, ok)
	}
}
