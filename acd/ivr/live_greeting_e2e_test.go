package ivr_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/ivr"
	"callbox/acd/voicemail"
	"callbox/firmware/store"
	"callbox/media/audiotest"
	"callbox/media/wav"
)

// An installer uploads greetings as 16 kHz stereo WAV files (the box
// converts them); on a live call the caller hears the unavailable
// greeting, and a busy owner's caller the busy one.
func TestRunner_CallerHearsTheUploadedGreetingOfTheOwnersState(t *testing.T) {
	var svc *voicemail.Service
	data := t.TempDir()
	busy := make(chan bool, 1)
	bx := startBox(t, voicemailFlow, func(st *store.Store, v *ivr.Voice) ivr.Actions {
		var err error
		svc, err = voicemail.NewService(voicemail.Config{Dir: filepath.Join(data, "voicemail"), DataDir: data, Store: st, Voice: v})
		if err != nil {
			t.Fatal(err)
		}
		return ivr.Actions{}
	}, func(bx *liveBox) acd.Handler {
		return func(ctx context.Context, c *acd.Call) error {
			if <-busy {
				c.Set(voicemail.ReasonKey, voicemail.ReasonBusy)
			}
			return svc.Deposit(ctx, c, "201")
		}
	})
	// 16 kHz stereo: the tones are written at half their frequency, as
	// audiotest.Sine counts samples at 8 kHz.
	upload := func(k voicemail.GreetingKind, freq float64) {
		t.Helper()
		mono := audiotest.Sine(freq/2, 8000, 3*16000)
		st := make([]int16, 0, 2*len(mono))
		for _, v := range mono {
			st = append(st, v, v)
		}
		var b bytes.Buffer
		if err := wav.Write(&b, wav.Header{Format: wav.FormatPCM, Channels: 2, SampleRate: 16000, BitsPerSample: 16}, wav.PCM16(st)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Store().PutGreeting("201", k, &b); err != nil {
			t.Fatal(err)
		}
	}
	upload(voicemail.GreetingUnavailable, 700)
	upload(voicemail.GreetingBusy, 1300)

	for _, tc := range []struct {
		busy       bool
		hear, not  float64
		what, whom string
	}{
		{false, 700, 1300, "unavailable", "a caller"},
		{true, 1300, 700, "busy", "a busy owner's caller"},
	} {
		busy <- tc.busy
		c := bx.call("800")
		if !c.hearsTone(tc.hear, 10*time.Second) {
			t.Errorf("%s never heard the uploaded %s greeting", tc.whom, tc.what)
		}
		if c.hearsTone(tc.not, 1500*time.Millisecond) {
			t.Errorf("%s heard the other greeting", tc.whom)
		}
		_ = c.Hangup(ctxT(t))
		bx.lastEnded()
	}
}
