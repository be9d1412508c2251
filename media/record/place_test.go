package record

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"callbox/media"
)

// numbered is frame k of a party: every sample holds base+k, so where a
// frame landed in the file can be read back.
func numbered(base, k int) *media.Frame {
	var f media.Frame
	for i := range f {
		f[i] = int16(base + k)
	}
	return &f
}

// checkPlaces checks that frame k of each party is at frame k of its
// channel, for the first n frames.
func checkPlaces(t *testing.T, ch [][]int16, n, callerBase, otherBase int) {
	t.Helper()
	if len(ch[0]) != n*media.FrameSamples {
		t.Fatalf("%d samples, want %d frames", len(ch[0]), n)
	}
	for k := range n {
		for _, i := range []int{0, media.FrameSamples - 1} {
			s := k*media.FrameSamples + i
			if got := int(ch[0][s]); got != callerBase+k {
				t.Fatalf("left frame %d holds caller frame %d", k, got-callerBase)
			}
			if got := int(ch[1][s]); got != otherBase+k {
				t.Fatalf("right frame %d holds other frame %d", k, got-otherBase)
			}
		}
	}
}

func TestRecorder_BurstFromOnePartyIsMergedBesideTheOther(t *testing.T) {
	p := filepath.Join(t.TempDir(), "burst.wav")
	r, err := Create(p, Stereo)
	if err != nil {
		t.Fatal(err)
	}
	// Both parties start together; then the caller's decoder drains 10 s
	// of a burst before the other party's catches up with the same 10 s.
	const n = 500
	if err := r.WriteCaller(numbered(1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteOther(numbered(-1000, 0)); err != nil {
		t.Fatal(err)
	}
	for k := 1; k < n; k++ {
		if err := r.WriteCaller(numbered(1, k)); err != nil {
			t.Fatal(err)
		}
	}
	for k := 1; k < n; k++ {
		if err := r.WriteOther(numbered(-1000, k)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Duration != 10*time.Second {
		t.Fatalf("duration %v, want 10 s", res.Duration)
	}
	_, ch := channels(t, p)
	checkPlaces(t, ch, n, 1, -1000)
	soxCheck(t, p, "10.00")
}

func TestRecorder_PartiesOutOfStepInEveryWayStayAligned(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 2026))
	for run := range 20 {
		p := filepath.Join(t.TempDir(), "step.wav")
		r, err := Create(p, Stereo)
		if err != nil {
			t.Fatal(err)
		}
		_ = r.WriteCaller(numbered(1, 0))
		_ = r.WriteOther(numbered(2000, 0))
		n := 200 + rng.IntN(400)
		next := [2]int{1, 1}
		// Each party's frames come in runs of 1..maxRun, in turns chosen
		// at random: bursts, stalls and steady interleaving.
		maxRun := 1 + rng.IntN(120)
		for next[0] < n || next[1] < n {
			i := rng.IntN(2)
			for range 1 + rng.IntN(maxRun) {
				if next[i] >= n {
					break
				}
				if i == 0 {
					_ = r.WriteCaller(numbered(1, next[0]))
				} else {
					_ = r.WriteOther(numbered(2000, next[1]))
				}
				next[i]++
			}
		}
		if _, err := r.Close(); err != nil {
			t.Fatal(err)
		}
		_, ch := channels(t, p)
		t.Run("", func(t *testing.T) {
			t.Logf("run %d: %d frames, runs up to %d", run, n, maxRun)
			checkPlaces(t, ch, n, 1, 2000)
		})
	}
}

func TestRecorder_MonoMixMergesALateParty(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mono.wav")
	r, err := Create(p, Mono)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.WriteCaller(numbered(1, 0))
	_ = r.WriteOther(numbered(1000, 0))
	for k := 1; k < 100; k++ {
		_ = r.WriteCaller(numbered(1, k))
	}
	for k := 1; k < 100; k++ {
		_ = r.WriteOther(numbered(1000, k))
	}
	if _, err := r.Close(); err != nil {
		t.Fatal(err)
	}
	_, ch := channels(t, p)
	for k := range 100 {
		if got, want := int(ch[0][k*media.FrameSamples]), 1+k+1000+k; got != want {
			t.Fatalf("frame %d mixes to %d, want %d", k, got, want)
		}
	}
}

func TestRecorder_PartyWhoseClockStoppedRestartsBesideTheOther(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lag.wav")
	r, err := Create(p, Stereo)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.WriteCaller(numbered(1, 0))
	_ = r.WriteOther(numbered(1, 0))
	// The caller goes on alone for 20 s (the other party on hold, its
	// sender's timestamps frozen), then the other party comes back.
	for k := 1; k <= 1000; k++ {
		_ = r.WriteCaller(numbered(1, k))
	}
	_ = r.WriteOther(numbered(5000, 0))
	_ = r.WriteCaller(numbered(1, 1001))
	if _, err := r.Close(); err != nil {
		t.Fatal(err)
	}
	_, ch := channels(t, p)
	if got := ch[1][1000*media.FrameSamples]; got != 5000 {
		t.Fatalf("the returning party's frame is not beside the caller's: %d", got)
	}
	if len(ch[1]) != 1002*media.FrameSamples || ch[1][999*media.FrameSamples] != 0 {
		t.Fatalf("%d frames", len(ch[1])/media.FrameSamples)
	}
}
