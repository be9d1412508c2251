package prompt

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/dsp"
	"callbox/media/wav"
)

func readAll(t *testing.T, r media.FrameReader) []int16 {
	t.Helper()
	var x []int16
	var f media.Frame
	for {
		err := r.ReadFrame(&f)
		if errors.Is(err, io.EOF) {
			return x
		}
		if err != nil {
			t.Fatal(err)
		}
		x = append(x, f[:]...)
	}
}

func TestLibrary_EveryListedPromptIsShippedAndPlays(t *testing.T) {
	lib := NewLibrary("")
	for _, lang := range Languages {
		entries, err := lib.Entries(lang)
		if err != nil {
			t.Fatal(err)
		}
		var listed []string
		for _, e := range entries {
			listed = append(listed, e.Key+".wav")
			p, err := lib.Open(lang, e.Key)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, e.Key, err)
			}
			h := p.Header()
			if h.Format != wav.FormatMuLaw || h.SampleRate != 8000 || h.Channels != 1 {
				t.Fatalf("%s/%s: header %+v, want 8 kHz mono μ-law", lang, e.Key, h)
			}
			x := readAll(t, p)
			p.Close()
			d := time.Duration(len(x)) * time.Second / media.SampleRate
			if d < 200*time.Millisecond || d > 15*time.Second || dsp.RMS(x) < 300 {
				t.Fatalf("%s/%s: %v long, RMS %.0f: not speech", lang, e.Key, d, dsp.RMS(x))
			}
		}
		files, err := fs.Glob(shipped, "sounds/"+lang+"/*.wav")
		if err != nil {
			t.Fatal(err)
		}
		for i := range files {
			files[i] = filepath.Base(files[i])
		}
		sort.Strings(listed)
		sort.Strings(files)
		if strings.Join(listed, " ") != strings.Join(files, " ") {
			t.Fatalf("%s: sounds and text list differ; rerun scripts/gen-prompts.sh", lang)
		}
	}
}

// systemKeys are the prompts the switch, queues, voicemail and fax flows
// use in every language.
var systemKeys = []string{
	"welcome", "language-choice", "main-menu", "enter-extension", "invalid-choice", "no-input",
	"please-try-again", "thank-you", "goodbye", "call-recorded", "enter-account",
	"please-hold", "connecting", "all-agents-busy", "you-are-caller-number", "estimated-wait-is",
	"minute", "minutes", "less-than-a-minute", "press-1-callback", "callback-confirm-number",
	"callback-enter-number", "callback-scheduled", "queue-timeout",
	"office-closed", "office-hours", "holiday-closed", "extension-invalid", "extension-busy",
	"no-answer", "transfer-failed",
	"vm-unavailable", "vm-leave-message", "vm-message-saved", "vm-mailbox-full", "vm-enter-mailbox",
	"vm-enter-password", "vm-login-incorrect", "vm-you-have", "vm-new-message", "vm-new-messages",
	"vm-saved-messages", "vm-no-messages", "vm-main-menu", "vm-message", "vm-message-menu",
	"vm-message-deleted", "vm-end-of-messages", "vm-record-greeting", "vm-greeting-saved",
	"fax-receive", "fax-start", "fax-enter-document", "fax-document-not-found", "fax-sending",
	"fax-received", "fax-failed", "key-star", "key-pound",
}

func TestLibrary_SystemPromptsExistInBothLanguages(t *testing.T) {
	lib := NewLibrary("")
	for _, lang := range Languages {
		for _, k := range systemKeys {
			if !lib.Has(lang, k) {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
		for d := range 10 {
			if !lib.Has(lang, digitKey(d)) {
				t.Errorf("%s lacks digit %d", lang, d)
			}
		}
	}
}

func toneWAV(t *testing.T, rate uint32, freq float64) []byte {
	t.Helper()
	n := int(rate) / 2
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(6000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	var b bytes.Buffer
	if err := wav.Write(&b, wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: rate, BitsPerSample: 16}, wav.PCM16(x)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLibrary_UploadedPromptReplacesShippedOne(t *testing.T) {
	dir := t.TempDir()
	lib := NewLibrary(dir)
	if err := lib.Install("zh", "welcome", bytes.NewReader(toneWAV(t, 16000, 1000))); err != nil {
		t.Fatal(err)
	}
	p, err := lib.Open("zh", "welcome")
	if err != nil {
		t.Fatal(err)
	}
	x := readAll(t, p)
	p.Close()
	if f := audiotest.Dominant(x[100:len(x)-200], 100, 3900); math.Abs(f-1000) > 2 {
		t.Fatalf("replacement plays %v Hz, want the uploaded 1000 Hz", f)
	}
	if err := lib.Revert("zh", "welcome"); err != nil {
		t.Fatal(err)
	}
	p, err = lib.Open("zh", "welcome")
	if err != nil {
		t.Fatal(err)
	}
	if p.Header().Format != wav.FormatMuLaw {
		t.Fatal("revert did not bring back the shipped prompt")
	}
	p.Close()
}

func TestLibrary_RefusesBadUploadsAndKeys(t *testing.T) {
	dir := t.TempDir()
	lib := NewLibrary(dir)
	if err := lib.Install("en", "goodbye", strings.NewReader("RIFF junk")); !errors.Is(err, wav.ErrNotWAV) {
		t.Fatalf("junk upload: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "en")); len(entries) != 0 {
		t.Fatalf("junk upload left %d files", len(entries))
	}
	for _, k := range []string{"../etc/passwd", "Welcome", "", "a/b"} {
		if _, err := lib.Open("en", k); !errors.Is(err, ErrBadKey) {
			t.Fatalf("key %q: %v", k, err)
		}
	}
	if _, err := lib.Open("en", "no-such-prompt"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestSequence_PlaysPromptsBackToBack(t *testing.T) {
	lib := NewLibrary("")
	var total int
	for _, k := range []string{"digit-1", "digit-2"} {
		p, err := lib.Open("en", k)
		if err != nil {
			t.Fatal(err)
		}
		total += (len(readAll(t, p)) + media.FrameSamples - 1) / media.FrameSamples
		p.Close()
	}
	s := lib.Sequence("en", "digit-1", "digit-2")
	defer s.Close()
	if got := len(readAll(t, s)) / media.FrameSamples; got != total {
		t.Fatalf("sequence %d frames, want %d", got, total)
	}
}

func FuzzParseText(f *testing.F) {
	f.Add("# c\nwelcome = Welcome.\n\ndigit-1 = one\n")
	f.Add("a=b\na=c\n")
	f.Add("BAD = x")
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseText(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, e := range entries {
			if !ValidKey(e.Key) || e.Text == "" {
				t.Fatalf("accepted %+v", e)
			}
		}
	})
}
