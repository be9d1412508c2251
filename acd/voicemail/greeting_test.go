package voicemail

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"callbox/firmware/store"
	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/wav"
)

// pcmWAV is a 16-bit PCM WAV of a tone at rate with ch identical
// channels.
func pcmWAV(t testing.TB, freq float64, rate uint32, ch uint16, d time.Duration) []byte {
	t.Helper()
	// audiotest.Sine assumes 8 kHz: scale the frequency to the rate.
	mono := audiotest.Sine(freq*8000/float64(rate), 8000, int(d*time.Duration(rate)/time.Second))
	s := make([]int16, 0, len(mono)*int(ch))
	for _, v := range mono {
		for range ch {
			s = append(s, v)
		}
	}
	var b bytes.Buffer
	if err := wav.Write(&b, wav.Header{Format: wav.FormatPCM, Channels: ch, SampleRate: rate, BitsPerSample: 16}, wav.PCM16(s)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPutGreeting_ConvertsA16kStereoUploadTo8kMonoPCM(t *testing.T) {
	st, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.PutGreeting("201", GreetingBusy, bytes.NewReader(pcmWAV(t, 440, 16000, 2, 2*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if d < 1900*time.Millisecond || d > 2100*time.Millisecond {
		t.Errorf("length %v, want about 2 s", d)
	}
	p, ok := st.GreetingFile("201", GreetingBusy)
	if !ok {
		t.Fatal("busy greeting not found after upload")
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := wav.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if h := rd.Header(); h.Format != wav.FormatPCM || h.Channels != 1 || h.SampleRate != 8000 || h.BitsPerSample != 16 {
		t.Fatalf("stored header %+v, want 8 kHz mono 16-bit PCM", h)
	}
	var frames [25]media.Frame
	for i := range frames {
		if err := rd.ReadFrame(&frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !audiotest.HasTone(audiotest.Join(frames[5:]), 440, 0.5) {
		t.Error("the 440 Hz tone did not survive the conversion")
	}
	if g := st.Greetings("201"); !g[GreetingBusy] || g[GreetingUnavailable] || g[GreetingName] {
		t.Errorf("greetings %v, want busy only", g)
	}
}

func TestPutGreeting_RefusesWhatItCannotPlayWithANamedError(t *testing.T) {
	st, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var b24 bytes.Buffer
	h24 := wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: 8000, BitsPerSample: 24}
	if hdr, err := h24.Encode(3 * 8000); err == nil {
		b24.Write(hdr)
		b24.Write(make([]byte, 3*8000))
	} else {
		// Encode refuses 24-bit itself: patch a 16-bit header instead.
		raw := pcmWAV(t, 440, 8000, 1, time.Second)
		raw[34] = 24
		b24.Write(raw)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"text", []byte("hello"), ErrBadAudio},
		{"mp3", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), make([]byte, 4000)...), ErrBadAudio},
		{"24-bit", b24.Bytes(), ErrBadAudio},
		{"too long", recording(t, MaxGreetingTime+time.Second), ErrTooLong},
		{"too short", recording(t, 0), ErrEmpty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := st.PutGreeting("201", GreetingUnavailable, bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
				t.Fatalf("PutGreeting = %v, want %v", err, tc.want)
			}
			if _, ok := st.Greeting("201"); ok {
				t.Fatal("a refused upload left a greeting")
			}
		})
	}
	if _, err := st.PutGreeting("201", "holiday", bytes.NewReader(recording(t, time.Second))); !errors.Is(err, ErrBadGreetingKind) {
		t.Errorf("unknown kind: %v, want ErrBadGreetingKind", err)
	}
	if _, err := st.PutGreeting("../etc", GreetingName, bytes.NewReader(recording(t, time.Second))); !errors.Is(err, ErrBadMailbox) {
		t.Errorf("bad mailbox: %v, want ErrBadMailbox", err)
	}
}

func TestRemoveGreeting_FallsBackAndSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range GreetingKinds {
		if _, err := st.PutGreeting("201", k, bytes.NewReader(recording(t, time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	// Greetings have no details file: reopening must not sweep them.
	st, err = Open(dir, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for k, ok := range st.Greetings("201") {
		if !ok {
			t.Errorf("greeting %s swept at reopen", k)
		}
	}
	if err := st.RemoveGreeting("201", GreetingUnavailable); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveGreeting("201", GreetingUnavailable); err != nil {
		t.Errorf("removing a greeting twice: %v", err)
	}
	ph := &fakePhone{t: t, recLen: time.Second}
	if _, err := Leave(context.Background(), ph, st, "201", "1", "en"); err != nil {
		t.Fatal(err)
	}
	if !has(ph.played, "file", "en/vm-unavailable", "en/vm-leave-message", "record") {
		t.Fatalf("without an unavailable greeting: played %q, want the name inside the standard greeting", ph.played)
	}
}

func TestLeave_BusyOwnerGetsTheBusyGreeting(t *testing.T) {
	st, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ph := &fakePhone{t: t, recLen: time.Second}
	if _, err := Leave(context.Background(), ph, st, "201", "1", "en", WithBusy(true)); err != nil {
		t.Fatal(err)
	}
	if !has(ph.played, "en/vm-unavailable", "en/vm-leave-message") {
		t.Fatalf("busy without a busy greeting: played %q, want the standard greeting", ph.played)
	}
	if _, err := st.PutGreeting("201", GreetingBusy, bytes.NewReader(recording(t, time.Second))); err != nil {
		t.Fatal(err)
	}
	ph = &fakePhone{t: t, recLen: time.Second}
	if _, err := Leave(context.Background(), ph, st, "201", "1", "en", WithBusy(true)); err != nil {
		t.Fatal(err)
	}
	if !has(ph.played, "file", "en/vm-leave-message") || has(ph.played, "en/vm-unavailable") {
		t.Fatalf("busy with a busy greeting: played %q", ph.played)
	}
	ph = &fakePhone{t: t, recLen: time.Second}
	if _, err := Leave(context.Background(), ph, st, "201", "1", "en"); err != nil {
		t.Fatal(err)
	}
	if !has(ph.played, "en/vm-unavailable", "en/vm-leave-message") {
		t.Fatalf("not busy: played %q, want the standard greeting, not the busy one", ph.played)
	}
}

func TestBoxes_ListsExtensionsQueuesAndLeftMessagesWithOwners(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ext := store.Extension{Number: "201", Name: "Alice", Secret: "s3cret-s3cret", Voicemail: true}
	if err := ext.SetVoicemailPIN("4739"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutAll(db, ext,
		store.Extension{Number: "202", Name: "Bob", Secret: "s3cret-s3cret"},
		store.Queue{Name: "sales", Strategy: store.StrategyRingAll},
		store.Agent{ID: "1001", Name: "Alice", User: "alice", Extension: "201", Enabled: true},
	); err != nil {
		t.Fatal(err)
	}
	vm, err := Open(t.TempDir(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, box := range []string{"201", "201", "sales", "299"} {
		if _, err := leave(t, vm, box, "13800001111", time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := vm.PutGreeting("298", GreetingName, bytes.NewReader(recording(t, time.Second))); err != nil {
		t.Fatal(err)
	}
	got, err := Boxes(db, vm)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range got {
		ids = append(ids, b.Mailbox)
	}
	if want := []string{"201", "299", "sales"}; !equalStrings(ids, want) {
		t.Fatalf("boxes %q, want %q (no 202: no voicemail; no 298: greetings only)", ids, want)
	}
	a := got[0]
	if a.Kind != BoxExtension || a.Name != "Alice" || a.New != 2 || a.Owner != "1001" || a.OwnerUser != "alice" || !a.HasPIN {
		t.Errorf("201: %+v", a)
	}
	if got[1].Kind != BoxOther || got[1].New != 1 || got[2].Kind != BoxQueue || got[2].New != 1 {
		t.Errorf("others: %+v", got[1:])
	}
	if _, err := Box(db, vm, "202"); !errors.Is(err, ErrNoSuchBox) {
		t.Errorf("Box(202) = %v, want ErrNoSuchBox", err)
	}
	if b, err := Box(db, vm, "sales"); err != nil || b.Kind != BoxQueue {
		t.Errorf("Box(sales) = %+v, %v", b, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzDecodeGreeting(f *testing.F) {
	f.Add(recording(f, time.Second))
	f.Add(pcmWAV(f, 440, 16000, 2, time.Second))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt "))
	f.Add([]byte("hello"))
	f.Fuzz(func(t *testing.T, b []byte) {
		data, d, err := DecodeGreeting(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrBadAudio) && !errors.Is(err, ErrTooLong) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if d < minGreeting || d > MaxGreetingTime {
			t.Fatalf("accepted a greeting of %v", d)
		}
		h, err := wav.ParseHeader(bytes.NewReader(data))
		if err != nil || h.Format != wav.FormatPCM || h.SampleRate != 8000 || h.Channels != 1 {
			t.Fatalf("stored form %+v, %v", h, err)
		}
	})
}

// BenchmarkDecodeGreeting converts a one-minute 16 kHz stereo upload, the
// work a greeting upload costs the box.
func BenchmarkDecodeGreeting(b *testing.B) {
	upload := pcmWAV(b, 440, 16000, 2, time.Minute)
	b.SetBytes(int64(len(upload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeGreeting(bytes.NewReader(upload)); err != nil {
			b.Fatal(err)
		}
	}
}
