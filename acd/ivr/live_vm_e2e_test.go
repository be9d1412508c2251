package ivr_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/ivr"
	"callbox/acd/voicemail"
	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/wav"
)

const voicemailFlow = `{"format": 1, "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "vm"}},
 {"id": "vm", "type": "voicemail", "settings": {"mailbox": "201"}, "exits": {"failed": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`

type lamp struct {
	box      string
	new, old int
}

func TestRunner_VoicemailDepositKeepsTheCallersToneAndLightsTheLamp(t *testing.T) {
	lamps := make(chan lamp, 8)
	var svc *voicemail.Service
	data := t.TempDir()
	bx := startLiveBox(t, voicemailFlow, func(st *store.Store, v *ivr.Voice) ivr.Actions {
		var err error
		svc, err = voicemail.NewService(voicemail.Config{Dir: filepath.Join(data, "voicemail"), DataDir: data, Store: st, Voice: v,
			MWI: func(box string, n, o int) { lamps <- lamp{box, n, o} }})
		if err != nil {
			t.Fatal(err)
		}
		return ivr.Actions{Voicemail: svc.Leave}
	})
	c := bx.call("800")
	if !c.hearsSpeech(5 * time.Second) {
		t.Fatal("the caller heard no greeting")
	}
	// Skip the instructions, as callers who know them do.
	if err := c.SendDigit(ctxT(t), '1'); err != nil {
		t.Fatal(err)
	}
	if !c.hearsTone(1000, 10*time.Second) {
		t.Fatal("the caller never heard the beep")
	}
	// 500 Hz: whole cycles in each 20 ms packet the test phone sends.
	c.tone(500)
	time.Sleep(1500 * time.Millisecond) // the caller speaks for a while
	c.tone(0)
	if err := c.SendDigit(ctxT(t), '#'); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-lamps:
		if l != (lamp{"201", 1, 0}) {
			t.Errorf("lamp %+v, want 201 with one new message", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the MWI hook never fired")
	}
	ms, err := svc.Store().List("201")
	if err != nil || len(ms) != 1 {
		t.Fatalf("mailbox holds %v, %v", ms, err)
	}
	m := ms[0]
	if m.From != "201" || m.Duration < 500*time.Millisecond || m.Duration > 4*time.Second {
		t.Errorf("message %+v: want one to two seconds from 201", m)
	}
	samples := readWAV(t, svc.Store().AudioPath(m))
	if !audiotest.HasTone(samples, 500, 0.5) {
		t.Error("the message does not hold the caller's 500 Hz tone")
	}
	var idx []store.Recording
	for end := time.Now().Add(5 * time.Second); len(idx) == 0 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		idx, err = store.List[store.Recording](bx.st)
	}
	if err != nil || len(idx) != 1 || idx[0].ID != "vm-201-"+m.ID || idx[0].Path != "voicemail/201/"+m.ID+".wav" || idx[0].CallID == "" {
		t.Errorf("recording index %+v, %v", idx, err)
	}
	// The caller hangs up during "message saved": the message stays,
	// and the flow ends served or with the caller's hang-up, whichever
	// the box noticed first.
	_ = c.Hangup(ctxT(t))
	rec := bx.lastEnded()
	end := ivr.End(rec.Data[ivr.CallEnd])
	if rec.Disposition != acd.DispositionVoicemail || end != ivr.EndCaller && end != ivr.EndServed ||
		rec.Data["voicemail.message"] != "201/"+m.ID || rec.Data[ivr.CallPath] != "start>vm" {
		t.Errorf("call record: disposition %q, data %v", rec.Disposition, rec.Data)
	}
}

func readWAV(t *testing.T, path string) []int16 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := wav.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []int16
	var fr media.Frame
	for r.ReadFrame(&fr) == nil {
		out = append(out, fr[:]...)
	}
	return out
}

func TestRunner_UnknownFlowIsRefused(t *testing.T) {
	r := &ivr.Runner{Engine: ivr.NewEngine(), Flows: ivr.NewCatalog().Get}
	if err := r.Run(context.Background(), nil, "nope"); !errors.Is(err, ivr.ErrNoFlow) {
		t.Fatal("ran a flow that is not published")
	}
}

func TestMailbox_OwnerLogsInWithPINHearsTheMessageAndDeletesIt(t *testing.T) {
	lamps := make(chan lamp, 8)
	var svc *voicemail.Service
	data := t.TempDir()
	bx := startBox(t, voicemailFlow, func(st *store.Store, v *ivr.Voice) ivr.Actions {
		var err error
		svc, err = voicemail.NewService(voicemail.Config{Dir: filepath.Join(data, "voicemail"), DataDir: data, Store: st, Voice: v,
			Login: func(box, pin string) bool { return box == "201" && pin == "4321" },
			MWI:   func(box string, n, o int) { lamps <- lamp{box, n, o} }})
		if err != nil {
			t.Fatal(err)
		}
		return ivr.Actions{}
	}, func(bx *liveBox) acd.Handler {
		return func(ctx context.Context, c *acd.Call) error { return svc.Mailbox(ctx, c, "") }
	})
	leaveTone(t, svc)
	if l := <-lamps; l != (lamp{"201", 1, 0}) {
		t.Fatalf("lamp after deposit %+v", l)
	}

	c := bx.call("*97")
	if !c.hearsSpeech(5 * time.Second) {
		t.Fatal("no password prompt")
	}
	for _, d := range []byte("4321#1") { // PIN, then 1: listen
		if err := c.SendDigit(ctxT(t), d); err != nil {
			t.Fatal(err)
		}
	}
	if !c.hearsTone(500, 15*time.Second) {
		t.Fatal("the owner never heard the message")
	}
	if err := c.SendDigit(ctxT(t), '7'); err != nil { // delete
		t.Fatal(err)
	}
	select {
	case l := <-lamps:
		if l != (lamp{"201", 0, 0}) {
			t.Errorf("lamp after delete %+v, want it off", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("deleting never changed the lamp")
	}
	if ms, _ := svc.Store().List("201"); len(ms) != 0 {
		t.Errorf("mailbox still holds %v", ms)
	}
	_ = c.Hangup(ctxT(t))
	if rec := bx.lastEnded(); len(rec.Route) == 0 || rec.Route[0] != "mailbox:201" {
		t.Errorf("route %v", rec.Route)
	}
}

// leaveTone files a message for 201: two seconds of 500 Hz.
func leaveTone(t *testing.T, svc *voicemail.Service) {
	t.Helper()
	dep, err := svc.Store().Begin("201", "13800001111")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(dep.Path())
	if err != nil {
		t.Fatal(err)
	}
	h := wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: media.SampleRate, BitsPerSample: 16}
	if err := wav.Write(f, h, wav.PCM16(audiotest.Sine(500, 8000, 2*media.SampleRate))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := dep.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestMailbox_WithoutPINsTheOwnersOwnPhoneGoesStraightIn(t *testing.T) {
	var svc *voicemail.Service
	data := t.TempDir()
	bx := startBox(t, voicemailFlow, func(st *store.Store, v *ivr.Voice) ivr.Actions {
		var err error
		if svc, err = voicemail.NewService(voicemail.Config{Dir: filepath.Join(data, "voicemail"), Voice: v, Log: quietLog()}); err != nil {
			t.Fatal(err)
		}
		return ivr.Actions{}
	}, func(bx *liveBox) acd.Handler {
		return func(ctx context.Context, c *acd.Call) error {
			// *97 is the caller's own box, *98 someone else's.
			box := ""
			if c.Dialed() == "*98" {
				box = "202"
			}
			return svc.Mailbox(ctx, c, box)
		}
	})
	leaveTone(t, svc)
	c := bx.call("*97")
	if !c.hearsSpeech(5 * time.Second) {
		t.Fatal("no menu")
	}
	if err := c.SendDigit(ctxT(t), '1'); err != nil {
		t.Fatal(err)
	}
	if !c.hearsTone(500, 15*time.Second) {
		t.Fatal("the owner never heard the message")
	}
	_ = c.Hangup(ctxT(t))
	bx.lastEnded()

	// Another box without a PIN store: refused after the PIN prompts.
	c = bx.call("*98")
	for range 3 {
		if !c.hearsSpeech(10 * time.Second) {
			t.Fatal("no PIN prompt")
		}
		for _, d := range []byte("1#") {
			if err := c.SendDigit(ctxT(t), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec := bx.lastEnded()
	if rec.HangupSide != acd.SideSystem {
		t.Errorf("a refused login should end the call from the box: %+v", rec)
	}
}
