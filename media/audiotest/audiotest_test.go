package audiotest

import (
	"math"
	"testing"
)

func TestDominant_FindsToneFrequency(t *testing.T) {
	x := Sine(1234, 5000, 8000)
	if f := Dominant(x, 100, 3900); math.Abs(f-1234) > 1 {
		t.Fatalf("dominant = %v", f)
	}
	if l := Level(x, 1234); math.Abs(l-20*math.Log10(5000/32767.0)) > 0.2 {
		t.Fatalf("level = %v", l)
	}
}

func TestHasTone_TellsPairMembersFromOthers(t *testing.T) {
	x := Tones(4000, 800, 440, 480)
	if !HasTone(x, 440, 0.4) || !HasTone(x, 480, 0.4) || HasTone(x, 620, 0.1) {
		t.Fatal("dual tone misjudged")
	}
	if fs := Frames(x); len(fs) != 5 || len(Join(fs)) != 800 {
		t.Fatal("frames")
	}
}
