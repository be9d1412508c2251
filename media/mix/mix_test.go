package mix

import (
	"fmt"
	"math"
	"testing"

	"callbox/media"
	"callbox/media/audiotest"
)

// hears reports which of freqs are audible in x.
func hears(x []int16, freqs ...float64) string {
	s := ""
	for _, f := range freqs {
		if audiotest.HasTone(x, f, 0.05) {
			s += fmt.Sprintf("%v ", f)
		}
	}
	return s
}

func TestConference_EachPartyHearsEveryoneButThemselves(t *testing.T) {
	freqs := []float64{400, 700, 1100, 1500}
	c := NewConference()
	var ps []*Party
	var in [][]media.Frame
	for _, f := range freqs {
		ps = append(ps, c.Join())
		in = append(in, audiotest.Frames(audiotest.Sine(f, 3000, 25*media.FrameSamples)))
	}
	out := make([][]int16, len(ps))
	for step := range 25 {
		for i, p := range ps {
			if err := p.WriteFrame(&in[i][step]); err != nil {
				t.Fatal(err)
			}
		}
		c.Mix()
		for i, p := range ps {
			var f media.Frame
			if err := p.ReadFrame(&f); err != nil {
				t.Fatal(err)
			}
			out[i] = append(out[i], f[:]...)
		}
	}
	for i := range ps {
		want := ""
		for j, f := range freqs {
			if j != i {
				want += fmt.Sprintf("%v ", f)
			}
		}
		if got := hears(out[i], freqs...); got != want {
			t.Fatalf("party %d hears %q, want %q", i, got, want)
		}
	}

	// A muted party is heard by nobody; a party that left gets nothing.
	ps[0].SetMuted(true)
	ps[3].Leave()
	for i, p := range ps {
		_ = p.WriteFrame(&in[i][0])
	}
	c.Mix()
	var f media.Frame
	_ = ps[1].ReadFrame(&f)
	if got := hears(f[:], freqs...); got != "1100 " {
		t.Fatalf("after mute and leave, party 1 hears %q", got)
	}
	if c.Len() != 3 {
		t.Fatalf("len %d", c.Len())
	}
}

func TestConference_LoudPartiesSaturateInsteadOfWrapping(t *testing.T) {
	c := NewConference()
	a, b, listener := c.Join(), c.Join(), c.Join()
	var loud media.Frame
	for i := range loud {
		loud[i] = 30000
	}
	_ = a.WriteFrame(&loud)
	_ = b.WriteFrame(&loud)
	_ = listener.WriteFrame(&media.Frame{})
	c.Mix()
	var f media.Frame
	_ = listener.ReadFrame(&f)
	if f[0] != math.MaxInt16 {
		t.Fatalf("sum of two loud parties = %d, want clipped to %d", f[0], math.MaxInt16)
	}
}

func TestMode_SupervisorHearsRightPartiesInEachMode(t *testing.T) {
	const fc, fa, fs = 500.0, 900.0, 1400.0
	caller := audiotest.Frames(audiotest.Sine(fc, 4000, 800))
	agent := audiotest.Frames(audiotest.Sine(fa, 4000, 800))
	sup := audiotest.Frames(audiotest.Sine(fs, 4000, 800))
	cases := []struct {
		m                 Mode
		toCaller, toAgent string
		toSupervisor      string
	}{
		{Listen, "900 ", "500 ", "500 900 "},
		{Whisper, "900 ", "500 1400 ", "500 900 "},
		{Barge, "900 1400 ", "500 1400 ", "500 900 "},
	}
	for _, c := range cases {
		var oc, oa, os []int16
		for i := range caller {
			var a, b, s media.Frame
			c.m.Mix(&caller[i], &agent[i], &sup[i], Out{Caller: &a, Agent: &b, Supervisor: &s})
			oc, oa, os = append(oc, a[:]...), append(oa, b[:]...), append(os, s[:]...)
		}
		if got := hears(oc, fc, fa, fs); got != c.toCaller {
			t.Errorf("%s: caller hears %q, want %q", c.m, got, c.toCaller)
		}
		if got := hears(oa, fc, fa, fs); got != c.toAgent {
			t.Errorf("%s: agent hears %q, want %q", c.m, got, c.toAgent)
		}
		if got := hears(os, fc, fa, fs); got != c.toSupervisor {
			t.Errorf("%s: supervisor hears %q, want %q", c.m, got, c.toSupervisor)
		}
	}
}

func BenchmarkConferenceMix5(b *testing.B) {
	c := NewConference()
	var ps []*Party
	for range 5 {
		ps = append(ps, c.Join())
	}
	f := audiotest.Frames(audiotest.Sine(700, 3000, media.FrameSamples))[0]
	var out media.Frame
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			_ = p.WriteFrame(&f)
		}
		c.Mix()
		for _, p := range ps {
			_ = p.ReadFrame(&out)
		}
	}
}

func BenchmarkModeMixBarge(b *testing.B) {
	f := audiotest.Frames(audiotest.Sine(700, 3000, media.FrameSamples))[0]
	var x, y, z media.Frame
	b.ReportAllocs()
	for b.Loop() {
		Barge.Mix(&f, &f, &f, Out{Caller: &x, Agent: &y, Supervisor: &z})
	}
}
