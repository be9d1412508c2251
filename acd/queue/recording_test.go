package queue_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"callbox/acd/queue"
	"callbox/firmware/store"
	"callbox/media/audiotest"
	"callbox/media/mix"
	"callbox/media/record"
	"callbox/media/wav"
)

// A recorded call under supervision: the recording and the bridge's mixer
// both need each side's decoded audio, which has one reader; the
// recording must take it from the bridge's taps, relayed or mixed. Run
// with -race, this also shows the two no longer race for it.
func TestLive_RecordedCallUnderSupervisionKeepsBothSides(t *testing.T) {
	r := startRig(t, []store.Agent{agentRec("101", "201")}, []store.Queue{salesQueue("101")}, queue.RecordAll)
	d := r.live.Dispatcher()
	desk, boss := r.phone("201"), r.phone("401")
	if err := d.Login("101", "201"); err != nil {
		t.Fatal(err)
	}
	caller := r.call(r.phone("301"), "500")
	agentCall, _ := answer(t, desk)
	r.talking("101")

	done := make(chan error, 1)
	go func() { done <- r.live.Supervise(context.Background(), "101", "401", mix.Listen) }()
	sup, _ := answer(t, boss)
	if !hears(t, caller, sup, 1000) || !hears(t, agentCall, sup, 700) {
		t.Error("listening supervisor does not hear both sides")
	}
	if err := r.live.SetSupervision("101", mix.Barge); err != nil {
		t.Fatal(err)
	}
	if !hears(t, sup, caller, 1500) {
		t.Error("barge is not heard by the caller")
	}
	// Mixed now: both sides still reach each other and the recording.
	if !hears(t, caller, agentCall, 1000) || !hears(t, agentCall, caller, 700) {
		t.Error("caller and agent stopped hearing each other under barge")
	}
	hangup(t, sup, sup)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Supervise: %v", err)
		}
	case <-ctxT(t).Done():
		t.Fatal("Supervise did not return when the supervisor hung up")
	}
	hangup(t, agentCall, caller)

	var rec store.Recording
	eventually(t, "recording indexed", func() bool {
		recs, err := store.List[store.Recording](r.st)
		if err != nil || len(recs) != 1 {
			return false
		}
		rec = recs[0]
		return true
	})
	path := filepath.Join(r.dir, filepath.FromSlash(rec.Path))
	if ok, err := record.Verify(path, rec.SHA256); err != nil || !ok {
		t.Fatalf("recording %+v verifies %v (%v)", rec, ok, err)
	}
	left, right := stereo(t, path)
	if !anyWindowHas(left, 1000) {
		t.Error("the caller's tone is not on the recording's left channel")
	}
	if !anyWindowHas(right, 700) {
		t.Error("the agent's tone is not on the recording's right channel")
	}
}

// stereo reads a stereo recording into its two channels.
func stereo(t *testing.T, path string) (left, right []int16) {
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
	// The box records μ-law: half the bytes of 16-bit PCM, the samples
	// the phones sent.
	if h.Channels != 2 || h.Format != wav.FormatMuLaw {
		t.Fatalf("header %+v: want μ-law stereo", h)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	ch := h.Split(data)
	return ch[0], ch[1]
}

// anyWindowHas reports whether 200 ms of x in a row carry the tone freq
// in every 20 ms frame: frames the recording lost to another reader of
// the leg would leave gaps.
func anyWindowHas(x []int16, freq float64) bool {
	const frame, run = 160, 10
	n := 0
	for i := 0; i+frame <= len(x); i += frame {
		if !audiotest.HasTone(x[i:i+frame], freq, 0.5) {
			n = 0
			continue
		}
		if n++; n == run {
			return true
		}
	}
	return false
}
