package prompt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"time"

	"callbox/media"
	"callbox/media/g711"
	"callbox/media/wav"
)

// Errors of Convert and Speak.
var (
	// ErrTooLong: the audio is longer than the limit given.
	ErrTooLong = errors.New("prompt: audio too long")
	// ErrSilent: the audio holds no sound at all.
	ErrSilent = errors.New("prompt: audio is silent")
	// ErrNoSpeech: the box has no text-to-speech program (espeak-ng).
	ErrNoSpeech = errors.New("prompt: espeak-ng is not installed")
)

// Convert decodes a WAVE file the library can play (PCM, μ-law or A-law,
// any rate, mono or stereo) and re-encodes it the way the shipped prompts
// are stored: 8 kHz mono μ-law. Audio longer than max is refused with
// ErrTooLong, all-zero audio with ErrSilent; a malformed file with the wav
// package's errors (wav.ErrNotWAV, wav.ErrUnsupported, wav.ErrTruncated).
func Convert(r io.Reader, max time.Duration) ([]byte, time.Duration, error) {
	wr, err := wav.NewReader(r)
	if err != nil {
		return nil, 0, err
	}
	limit := int(max / media.FrameDuration)
	var samples []int16
	var f media.Frame
	for {
		err := wr.ReadFrame(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		if len(samples)/media.FrameSamples >= limit {
			return nil, 0, fmt.Errorf("%w: more than %v", ErrTooLong, max)
		}
		samples = append(samples, f[:]...)
	}
	return encode(samples)
}

// encode writes samples as an 8 kHz mono μ-law WAVE file.
func encode(samples []int16) ([]byte, time.Duration, error) {
	silent := true
	for _, v := range samples {
		if v != 0 {
			silent = false
			break
		}
	}
	if silent {
		return nil, 0, ErrSilent
	}
	data := make([]byte, len(samples))
	g711.EncodeUlaw(data, samples)
	var b bytes.Buffer
	h := wav.Header{Format: wav.FormatMuLaw, Channels: 1, SampleRate: media.SampleRate, BitsPerSample: 8}
	if err := wav.Write(&b, h, data); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), time.Duration(len(samples)) * time.Second / media.SampleRate, nil
}

// speechVoices are the espeak-ng voices of scripts/gen-prompts.sh, which
// made the shipped set.
var speechVoices = map[string]string{"en": "en-us", "zh": "cmn"}

// SpeechProgram is the text-to-speech program Speak runs.
const SpeechProgram = "espeak-ng"

// CanSpeak reports whether the box has the text-to-speech program and a
// voice for lang. Appliance images usually do not carry espeak-ng: then
// the shipped prompts (spoken when the firmware was built) stay in use
// and installers upload recordings instead.
func CanSpeak(lang string) bool {
	if _, ok := speechVoices[lang]; !ok {
		return false
	}
	_, err := exec.LookPath(SpeechProgram)
	return err == nil
}

// maxSpeech bounds what espeak-ng may write, so a runaway text cannot
// fill memory: two minutes of its 22.05 kHz 16-bit output.
const maxSpeech = 2 * 60 * 22050 * 2

// Speak says text in lang the way scripts/gen-prompts.sh does (espeak-ng,
// the same voice and speed), normalised to -3 dBFS peak with trailing
// silence cut to 0.1 s, and returns it as Convert does. It returns
// ErrNoSpeech when espeak-ng is missing.
func Speak(ctx context.Context, lang, text string, max time.Duration) ([]byte, time.Duration, error) {
	voice, ok := speechVoices[lang]
	if !ok {
		return nil, 0, fmt.Errorf("%w: no voice for language %q", ErrBadKey, lang)
	}
	bin, err := exec.LookPath(SpeechProgram)
	if err != nil {
		return nil, 0, ErrNoSpeech
	}
	// The text goes on stdin, never on the command line, so a text that
	// starts with '-' cannot pass as an option.
	cmd := exec.CommandContext(ctx, bin, "-v", voice, "-s", "150", "--stdin", "--stdout")
	cmd.Stdin = bytes.NewReader([]byte(text))
	var out, errb bytes.Buffer
	cmd.Stdout = &limitedBuffer{b: &out, max: maxSpeech}
	cmd.Stderr = &limitedBuffer{b: &errb, max: 4096}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("prompt: %s: %w: %s", SpeechProgram, err, bytes.TrimSpace(errb.Bytes()))
	}
	wr, err := wav.NewReader(&out)
	if err != nil {
		return nil, 0, fmt.Errorf("prompt: %s output: %w", SpeechProgram, err)
	}
	var samples []int16
	var f media.Frame
	for {
		err := wr.ReadFrame(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("prompt: %s output: %w", SpeechProgram, err)
		}
		samples = append(samples, f[:]...)
	}
	samples = trimTail(normalise(samples), media.SampleRate/10)
	if time.Duration(len(samples))*time.Second/media.SampleRate > max {
		return nil, 0, fmt.Errorf("%w: more than %v", ErrTooLong, max)
	}
	return encode(samples)
}

// normalise scales samples so the loudest is at -3 dBFS, as the generator
// script's "gain -n -3" does.
func normalise(s []int16) []int16 {
	peak := 0
	for _, v := range s {
		peak = max(peak, abs(int(v)))
	}
	if peak == 0 {
		return s
	}
	g := math.Pow(10, -3.0/20) * 32767 / float64(peak)
	for i, v := range s {
		s[i] = int16(math.Round(float64(v) * g))
	}
	return s
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// trimTail drops trailing near-silence (below 0.1% of full scale, the
// script's threshold) and keeps pad samples of silence after the sound.
func trimTail(s []int16, pad int) []int16 {
	const floor = 33 // 0.1% of 32767
	end := len(s)
	for end > 0 && abs(int(s[end-1])) < floor {
		end--
	}
	out := s[:end]
	for range pad {
		out = append(out, 0)
	}
	return out
}

// limitedBuffer keeps at most max bytes and fails the writer after that.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.max {
		return 0, fmt.Errorf("prompt: more than %d bytes of output", l.max)
	}
	return l.b.Write(p)
}
