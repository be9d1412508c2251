package dtmf

import (
	"errors"
	"io"
	"testing"
	"time"

	"callbox/media"
)

func TestGenerator_DetectorHearsWhatItPlays(t *testing.T) {
	for _, on := range []time.Duration{40 * time.Millisecond, DefaultOn} {
		g, err := NewGenerator(digits, on, 60*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		det := NewDetector(func(d byte) { got = append(got, d) })
		var f media.Frame
		frames := 0
		for {
			err := g.ReadFrame(&f)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			frames++
			_ = det.WriteFrame(&f)
		}
		if string(got) != digits {
			t.Fatalf("on %v: detected %q, want %q", on, got, digits)
		}
		want := 16 * int(on+60*time.Millisecond) / int(media.FrameDuration)
		if frames != want {
			t.Fatalf("on %v: %d frames, want %d", on, frames, want)
		}
	}
	if _, err := NewGenerator("12x", 0, 0); !errors.Is(err, ErrInvalidDigit) {
		t.Fatalf("err = %v", err)
	}
}
