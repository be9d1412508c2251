package ivr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"callbox/media"
	"callbox/media/record"
)

// RecordOptions shape a recording of the caller.
type RecordOptions struct {
	// Max bounds the recording (required).
	Max time.Duration
	// Stop lists the keys that end the recording ("#" when empty); the
	// key is not part of the audio's meaning, only its end.
	Stop string
	// NoBeep skips the tone that tells the caller to start.
	NoBeep bool
}

// Record beeps, then records the caller's audio into a new mono WAV file
// at path (media/record: a valid file at every second, so a crash loses
// at most one) until a stop key, opts.Max, the caller's hang-up or the
// end of the leg's media. The file is finished in every case; a hang-up
// returns the result with ctx's error, so a message spoken before the
// caller hung up can still be kept.
func (l *Live) Record(ctx context.Context, path string, opts RecordOptions) (record.Result, error) {
	if err := l.setup(); err != nil {
		return record.Result{}, err
	}
	if opts.Max <= 0 {
		return record.Result{}, fmt.Errorf("ivr: record: no maximum length")
	}
	stop := opts.Stop
	if stop == "" {
		stop = "#"
	}
	if !opts.NoBeep {
		if _, err := l.v.Pacer.Play(ctx, newBeep(), l.ep.Writer()); err != nil {
			return record.Result{}, errors.Join(ctx.Err(), fmt.Errorf("ivr: beep: %w", err))
		}
	}
	// Keys pressed during the greeting were for the greeting.
	l.pending = l.pending[:0]
	rec, err := record.Create(path, record.Mono, record.PCM16)
	if err != nil {
		return record.Result{}, err
	}
	ls := l.listen()
	ls.setSink(media.FrameWriterFunc(func(f *media.Frame) error { return rec.Write(f, nil) }))
	keys := l.keys()
	timer := l.after(opts.Max)
	defer timer.Stop()
	var why error
wait:
	for {
		select {
		case d := <-keys:
			if containsByte(stop, d) {
				break wait
			}
		case <-timer.C():
			break wait
		case <-ctx.Done():
			why = ctx.Err()
			break wait
		case <-l.c.Caller().Done():
			// The caller's leg ended (hang-up): keep what came.
			break wait
		}
	}
	ls.setSink(nil)
	if err := ls.failed(); err != nil && why == nil {
		why = fmt.Errorf("ivr: record: %w", err)
	}
	res, err := rec.Close()
	if err != nil {
		return res, errors.Join(why, err)
	}
	return res, why
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// beep is the start-recording tone: 1 kHz for 300 ms.
type beep struct{ n int }

const (
	beepFreq   = 1000
	beepFrames = 15
	beepAmp    = 8000
)

func newBeep() *beep { return &beep{} }

func (b *beep) ReadFrame(f *media.Frame) error {
	if b.n >= beepFrames {
		return io.EOF
	}
	base := b.n * media.FrameSamples
	for i := range f {
		f[i] = int16(beepAmp * math.Sin(2*math.Pi*beepFreq*float64(base+i)/media.SampleRate))
	}
	b.n++
	return nil
}
