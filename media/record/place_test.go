package record

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/g711"
)

// levels are the non-zero sample values μ-law keeps exactly (decoded,
// encoded and decoded again they stay the same), and each one's index.
var levels, levelIndex = func() ([]int16, map[int16]int) {
	var l []int16
	idx := map[int16]int{}
	var s, back [1]int16
	var u [1]byte
	for c := range 256 {
		g711.DecodeUlaw(s[:], []byte{byte(c)})
		g711.EncodeUlaw(u[:], s[:])
		g711.DecodeUlaw(back[:], u[:])
		if _, dup := idx[s[0]]; !dup && s[0] != 0 && back == s {
			idx[s[0]] = len(l)
			l = append(l, s[0])
		}
	}
	return l, idx
}()

// idBias keeps ids positive for the μ-law digits.
const idBias = 10000

// numbered is frame k of a party, marked with the id base+k so where a
// frame landed in the file can be read back (idAt): in 16-bit PCM every
// sample holds the id; in μ-law, which keeps only 255 values, each pair
// of samples holds it as two digits, each a level μ-law keeps exactly.
func numbered(enc Encoding, base, k int) *media.Frame {
	var f media.Frame
	id := base + k
	for i := range f {
		f[i] = int16(id)
		if enc == ULaw {
			u, n := id+idBias, len(levels)
			f[i] = levels[u%n]
			if i%2 == 1 {
				f[i] = levels[u/n%n]
			}
		}
	}
	return &f
}

// idAt reads the id of the frame at sample s of a channel (s even).
func idAt(enc Encoding, ch []int16, s int) int {
	if enc == PCM16 {
		return int(ch[s])
	}
	lo, ok1 := levelIndex[ch[s]]
	hi, ok2 := levelIndex[ch[s+1]]
	if !ok1 || !ok2 {
		return -1 << 30 // silence or a sample no frame had
	}
	return lo + hi*len(levels) - idBias
}

// checkPlaces checks that frame k of each party is at frame k of its
// channel, for the first n frames.
func checkPlaces(t *testing.T, enc Encoding, ch [][]int16, n, callerBase, otherBase int) {
	t.Helper()
	if len(ch[0]) != n*media.FrameSamples {
		t.Fatalf("%d samples, want %d frames", len(ch[0]), n)
	}
	for k := range n {
		for _, i := range []int{0, media.FrameSamples - 2} {
			s := k*media.FrameSamples + i
			if got := idAt(enc, ch[0], s); got != callerBase+k {
				t.Fatalf("left frame %d holds caller frame %d", k, got-callerBase)
			}
			if got := idAt(enc, ch[1], s); got != otherBase+k {
				t.Fatalf("right frame %d holds other frame %d", k, got-otherBase)
			}
		}
	}
}

func TestRecorder_BurstFromOnePartyIsMergedBesideTheOther(t *testing.T) {
	encodings(t, testBurstMerged)
}

func testBurstMerged(t *testing.T, enc Encoding) {
	p := filepath.Join(t.TempDir(), "burst.wav")
	r, err := Create(p, Stereo, enc)
	if err != nil {
		t.Fatal(err)
	}
	// Both parties start together; then the caller's decoder drains 10 s
	// of a burst before the other party's catches up with the same 10 s.
	const n = 500
	if err := r.WriteCaller(numbered(enc, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteOther(numbered(enc, -1000, 0)); err != nil {
		t.Fatal(err)
	}
	for k := 1; k < n; k++ {
		if err := r.WriteCaller(numbered(enc, 1, k)); err != nil {
			t.Fatal(err)
		}
	}
	for k := 1; k < n; k++ {
		if err := r.WriteOther(numbered(enc, -1000, k)); err != nil {
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
	checkPlaces(t, enc, ch, n, 1, -1000)
	soxCheck(t, p, "10.00")
}

func TestRecorder_PartiesOutOfStepInEveryWayStayAligned(t *testing.T) {
	encodings(t, testOutOfStep)
}

func testOutOfStep(t *testing.T, enc Encoding) {
	rng := rand.New(rand.NewPCG(6, 2026))
	for run := range 20 {
		p := filepath.Join(t.TempDir(), "step.wav")
		r, err := Create(p, Stereo, enc)
		if err != nil {
			t.Fatal(err)
		}
		_ = r.WriteCaller(numbered(enc, 1, 0))
		_ = r.WriteOther(numbered(enc, 2000, 0))
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
					_ = r.WriteCaller(numbered(enc, 1, next[0]))
				} else {
					_ = r.WriteOther(numbered(enc, 2000, next[1]))
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
			checkPlaces(t, enc, ch, n, 1, 2000)
		})
	}
}

func TestRecorder_MonoMixMergesALateParty(t *testing.T) {
	encodings(t, testMonoMixMerges)
}

func testMonoMixMerges(t *testing.T, enc Encoding) {
	p := filepath.Join(t.TempDir(), "mono.wav")
	r, err := Create(p, Mono, enc)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.WriteCaller(numbered(PCM16, 1, 0))
	_ = r.WriteOther(numbered(PCM16, 1000, 0))
	for k := 1; k < 100; k++ {
		_ = r.WriteCaller(numbered(PCM16, 1, k))
	}
	for k := 1; k < 100; k++ {
		_ = r.WriteOther(numbered(PCM16, 1000, k))
	}
	if _, err := r.Close(); err != nil {
		t.Fatal(err)
	}
	_, ch := channels(t, p)
	for k := range 100 {
		// μ-law keeps a sum to within half its step there (1/32 of
		// the value, at most), twice: the sum of the first party and
		// then of both.
		got, want := int(ch[0][k*media.FrameSamples]), 1+k+1000+k
		if tol := 2 * (want/32 + 2) * int(enc); got < want-tol || got > want+tol {
			t.Fatalf("frame %d mixes to %d, want %d", k, got, want)
		}
	}
}

func TestRecorder_PartyWhoseClockStoppedRestartsBesideTheOther(t *testing.T) {
	encodings(t, testClockStopped)
}

func testClockStopped(t *testing.T, enc Encoding) {
	p := filepath.Join(t.TempDir(), "lag.wav")
	r, err := Create(p, Stereo, enc)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.WriteCaller(numbered(enc, 1, 0))
	_ = r.WriteOther(numbered(enc, 1, 0))
	// The caller goes on alone for 20 s (the other party on hold, its
	// sender's timestamps frozen), then the other party comes back.
	for k := 1; k <= 1000; k++ {
		_ = r.WriteCaller(numbered(enc, 1, k))
	}
	_ = r.WriteOther(numbered(enc, 5000, 0))
	_ = r.WriteCaller(numbered(enc, 1, 1001))
	if _, err := r.Close(); err != nil {
		t.Fatal(err)
	}
	_, ch := channels(t, p)
	if got := idAt(enc, ch[1], 1000*media.FrameSamples); got != 5000 {
		t.Fatalf("the returning party's frame is not beside the caller's: %d", got)
	}
	if len(ch[1]) != 1002*media.FrameSamples || ch[1][999*media.FrameSamples] != 0 {
		t.Fatalf("%d frames", len(ch[1])/media.FrameSamples)
	}
}
