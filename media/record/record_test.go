package record

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/g711"
	"callbox/media/wav"
)

// channels reads a recording's header and samples, split per channel.
func channels(t *testing.T, path string) (wav.Header, [][]int16) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := wav.ParseHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, h.DataSize)
	if _, err := f.ReadAt(data, h.DataOffset); err != nil {
		t.Fatalf("reading %d declared bytes: %v", h.DataSize, err)
	}
	ch := int(h.Channels)
	out := make([][]int16, ch)
	if h.Format == wav.FormatMuLaw {
		var s [1]int16
		for i := 0; i+ch <= len(data); i += ch {
			for c := range ch {
				g711.DecodeUlaw(s[:], data[i+c:i+c+1])
				out[c] = append(out[c], s[0])
			}
		}
		return h, out
	}
	for i := 0; i+2*ch <= len(data); i += 2 * ch {
		for c := range ch {
			out[c] = append(out[c], int16(binary.LittleEndian.Uint16(data[i+2*c:])))
		}
	}
	return h, out
}

// encodings runs a test once per encoding.
func encodings(t *testing.T, test func(t *testing.T, enc Encoding)) {
	t.Helper()
	for _, enc := range []Encoding{PCM16, ULaw} {
		t.Run(enc.String(), func(t *testing.T) { test(t, enc) })
	}
}

// stored is what a frame reads back as from a file of enc.
func stored(enc Encoding, f media.Frame) media.Frame {
	if enc == ULaw {
		var u [media.FrameSamples]byte
		g711.EncodeUlaw(u[:], f[:])
		g711.DecodeUlaw(f[:], u[:])
	}
	return f
}

func checkFreq(t *testing.T, name string, x []int16, want float64) {
	t.Helper()
	if f := audiotest.Dominant(x, 100, 3900); math.Abs(f-want) > 2 {
		t.Fatalf("%s: dominant %v Hz, want %v", name, f, want)
	}
}

func twoToneCall(t *testing.T, n int) (caller, other []media.Frame) {
	t.Helper()
	return audiotest.Frames(audiotest.Sine(440, 6000, n*media.FrameSamples)),
		audiotest.Frames(audiotest.Sine(1000, 6000, n*media.FrameSamples))
}

func TestRecorder_TwoToneCallGivesStereoChannels(t *testing.T) {
	encodings(t, testTwoToneCall)
}

func testTwoToneCall(t *testing.T, enc Encoding) {
	p := filepath.Join(t.TempDir(), "call.wav")
	r, err := Create(p, Stereo, enc)
	if err != nil {
		t.Fatal(err)
	}
	caller, other := twoToneCall(t, 500) // 10 s
	for i := range caller {
		if err := r.Write(&caller[i], &other[i]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Duration != 10*time.Second || res.Size != wav.HeaderSize+10*8000*2*enc.bytesPerSample() || res.Encoding != enc {
		t.Fatalf("result %+v", res)
	}
	h, ch := channels(t, p)
	if h.Channels != 2 || h.SampleRate != 8000 || len(ch[0]) != 80000 {
		t.Fatalf("header %+v, %d samples", h, len(ch[0]))
	}
	for _, k := range []int{0, 7, 8, 255, 499} {
		if got, want := ch[0][k*160:(k+1)*160], stored(enc, caller[k]); !slices.Equal(got, want[:]) {
			t.Fatalf("caller's frame %d is not as recorded", k)
		}
		if got, want := ch[1][k*160:(k+1)*160], stored(enc, other[k]); !slices.Equal(got, want[:]) {
			t.Fatalf("other party's frame %d is not as recorded", k)
		}
	}
	checkFreq(t, "left (caller)", ch[0], 440)
	checkFreq(t, "right (other)", ch[1], 1000)
	if audiotest.HasTone(ch[0], 1000, 0.01) || audiotest.HasTone(ch[1], 440, 0.01) {
		t.Fatal("channels bleed into each other")
	}
	if ok, err := Verify(p, res.SHA256); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
	f, _ := os.OpenFile(p, os.O_WRONLY, 0)
	f.WriteAt([]byte{1}, 1000)
	f.Close()
	if ok, _ := Verify(p, res.SHA256); ok {
		t.Fatal("tampered file verified")
	}
	soxCheck(t, p, "10.00")
}

// soxCheck asks sox for the duration, when sox is installed.
func soxCheck(t *testing.T, path, wantSeconds string) {
	t.Helper()
	if _, err := exec.LookPath("sox"); err != nil {
		t.Log("sox not installed; skipping the sox --i check")
		return
	}
	out, err := exec.Command("sox", "--i", "-D", path).CombinedOutput()
	if err != nil {
		t.Fatalf("sox --i: %v %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, wantSeconds) {
		t.Fatalf("sox says %s s, want %s", got, wantSeconds)
	}
}

func TestRecorder_MonoMixHoldsBothTones(t *testing.T) {
	encodings(t, testMonoMixHoldsBothTones)
}

func testMonoMixHoldsBothTones(t *testing.T, enc Encoding) {
	p := filepath.Join(t.TempDir(), "mono.wav")
	r, err := Create(p, Mono, enc)
	if err != nil {
		t.Fatal(err)
	}
	caller, other := twoToneCall(t, 100)
	for i := range caller {
		if err := r.Write(&caller[i], &other[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Close(); err != nil {
		t.Fatal(err)
	}
	_, ch := channels(t, p)
	if len(ch) != 1 || !audiotest.HasTone(ch[0], 440, 0.4) || !audiotest.HasTone(ch[0], 1000, 0.4) {
		t.Fatal("mono mix lacks a party")
	}
}

func TestRecorder_PauseWritesSilenceAndIsReported(t *testing.T) {
	encodings(t, testPause)
}

func testPause(t *testing.T, enc Encoding) {
	p := filepath.Join(t.TempDir(), "pause.wav")
	r, err := Create(p, Stereo, enc)
	if err != nil {
		t.Fatal(err)
	}
	caller, other := twoToneCall(t, 150)
	for i := range caller {
		switch i {
		case 50:
			r.Pause()
		case 100:
			r.Resume()
		}
		if err := r.Write(&caller[i], &other[i]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pauses) != 1 || res.Pauses[0] != (Pause{Start: time.Second, End: 2 * time.Second}) {
		t.Fatalf("pauses %+v", res.Pauses)
	}
	_, ch := channels(t, p)
	for c := range ch {
		for i, v := range ch[c][8000:16000] {
			if v != 0 {
				t.Fatalf("channel %d sample %d = %d during pause", c, 8000+i, v)
			}
		}
	}
	checkFreq(t, "after resume", ch[0][16000:], 440)
}

func TestRecorder_LaterPartyStartsWhereTheOtherGotAndHoldDoesNotStall(t *testing.T) {
	encodings(t, testLaterParty)
}

func testLaterParty(t *testing.T, enc Encoding) {
	p := filepath.Join(t.TempDir(), "sides.wav")
	r, err := Create(p, Stereo, enc)
	if err != nil {
		t.Fatal(err)
	}
	caller, other := twoToneCall(t, 100)
	cw, ow := r.Caller(), r.Other()
	// The caller talks 10 frames before the other party's audio starts.
	for i := range 10 {
		if err := cw.WriteFrame(&caller[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 90 {
		if err := ow.WriteFrame(&other[i]); err != nil {
			t.Fatal(err)
		}
		if err := cw.WriteFrame(&caller[i+10]); err != nil {
			t.Fatal(err)
		}
	}
	// Then the other side goes silent (hold): the caller is not held back.
	for range 60 {
		if err := cw.WriteFrame(&caller[0]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Duration != 160*media.FrameDuration {
		t.Fatalf("duration %v", res.Duration)
	}
	_, ch := channels(t, p)
	checkFreq(t, "left", ch[0][:100*160], 440)
	for i, v := range ch[1][:9*160] {
		if v != 0 {
			t.Fatalf("right sample %d = %d before the other party spoke", i, v)
		}
	}
	// The other party's first frame is beside the caller's latest, the
	// tenth.
	if got, want := ch[1][9*160:10*160], stored(enc, other[0]); !slices.Equal(got, want[:]) {
		t.Fatal("the other party's first frame is not where the caller had got to")
	}
	checkFreq(t, "right", ch[1][9*160:99*160], 1000)
	for i, v := range ch[1][99*160:] {
		if v != 0 {
			t.Fatalf("right sample %d = %d during hold", 99*160+i, v)
		}
	}
}

func TestRecover_FixesZeroSizedHeader(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "crashed.wav")
	hdr, _ := (wav.Header{Format: wav.FormatPCM, Channels: 2, SampleRate: 8000, BitsPerSample: 16}).Encode(0)
	data := wav.PCM16(audiotest.Sine(440, 5000, 16001))
	if err := os.WriteFile(p, append(hdr, data...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.wav"), []byte("not a wave"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixed, err := Recover(dir, nil)
	if err != nil || len(fixed) != 1 || fixed[0] != p {
		t.Fatalf("recover: %v %v", fixed, err)
	}
	h, ch := channels(t, p)
	if h.DataSize != 32000 || len(ch[0]) != 8000 {
		t.Fatalf("%+v", h)
	}
}

// The child half of TestRecorder_FixesHeaderAfterKill: record a call in
// real time-ish (no pacing needed: what matters is the flush points), say
// how many seconds are flushed, then wait to be killed mid-call.
const childEnv = "CALLBOX_RECORD_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		p, enc, _ := strings.Cut(v, "|")
		os.Exit(recordUntilKilled(p, map[string]Encoding{"ulaw": ULaw}[enc]))
	}
	os.Exit(m.Run())
}

func recordUntilKilled(path string, enc Encoding) int {
	r, err := Create(path, Stereo, enc)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	caller := audiotest.Frames(audiotest.Sine(440, 6000, media.SampleRate))
	other := audiotest.Frames(audiotest.Sine(1000, 6000, media.SampleRate))
	// 3.5 s: the file holds what left the ring, the rest (between half
	// and all of the ring) is still in memory.
	for i := range 175 {
		if err := r.Write(&caller[i%50], &other[i%50]); err != nil {
			fmt.Println("error", err)
			return 1
		}
	}
	fmt.Println("recorded 3.5")
	select {} // mid-call: the parent kills us here
}

func TestRecorder_FixesHeaderAfterKill(t *testing.T) {
	encodings(t, testFixesHeaderAfterKill)
}

func testFixesHeaderAfterKill(t *testing.T, enc Encoding) {
	dir := t.TempDir()
	p := filepath.Join(dir, "killed.wav")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+p+"|"+enc.String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "recorded 3.5\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q: %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", err)
	}

	if _, err := Recover(dir, nil); err != nil {
		t.Fatal(err)
	}
	h, ch := channels(t, p)
	// The ring moves on a half at a time once a frame would not fit:
	// frames 0..174 placed leave it at the first multiple of half that
	// holds the last of them.
	fb := 2 * enc.bytesPerSample() * media.FrameSamples
	half := int64(ringBytes / 2 / fb)
	written := ((175-2*half)/half + 1) * half
	if want := written * fb; h.DataSize != want {
		t.Fatalf("after recover %d bytes of samples, want the %d that left the ring", h.DataSize, want)
	}
	checkFreq(t, "left", ch[0], 440)
	checkFreq(t, "right", ch[1], 1000)
	soxCheck(t, p, fmt.Sprintf("%.2f", float64(written)*0.02))
}

// BenchmarkDecodeAndRecordPacket is the per-packet cost of recording a
// call whose legs are relayed: decode one μ-law packet of each party and
// write the stereo frame (file writes, amortised over a second, included).
func BenchmarkDecodeAndRecordPacket(b *testing.B) {
	r, err := Create(filepath.Join(b.TempDir(), "bench.wav"), Stereo, ULaw)
	if err != nil {
		b.Fatal(err)
	}
	pc, po := make([]byte, media.FrameSamples), make([]byte, media.FrameSamples)
	g711.EncodeUlaw(pc, audiotest.Sine(440, 6000, media.FrameSamples))
	g711.EncodeUlaw(po, audiotest.Sine(1000, 6000, media.FrameSamples))
	dec, err := g711.NewDecoder(media.PCMU)
	if err != nil {
		b.Fatal(err)
	}
	var caller, other media.Frame
	b.ReportAllocs()
	for b.Loop() {
		dec.DecodeFrame(&caller, pc)
		dec.DecodeFrame(&other, po)
		if err := r.Write(&caller, &other); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if _, err := r.Close(); err != nil {
		b.Fatal(err)
	}
}
