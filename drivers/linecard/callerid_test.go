package linecard

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// message builds a caller-ID message with its checksum.
func message(typ byte, body []byte) []byte {
	m := append([]byte{typ, byte(len(body))}, body...)
	var sum byte
	for _, b := range m {
		sum += b
	}
	return append(m, -sum)
}

func mdmf(number, name string) []byte {
	body := append([]byte{cidParamTime, 8}, "11270930"...)
	body = append(body, cidParamNumber, byte(len(number)))
	body = append(body, number...)
	if name != "" {
		body = append(body, cidParamName, byte(len(name)))
		body = append(body, name...)
	}
	return message(cidMDMF, body)
}

// modulate is an FSK transmitter for tests: seizure, marks, then the
// bytes in 8N1, phase-continuous.
func modulate(plan fskPlan, msg []byte) []int16 {
	var bits []bool
	for i := range 300 {
		bits = append(bits, i%2 == 1)
	}
	for range 180 {
		bits = append(bits, true)
	}
	for _, b := range msg {
		bits = append(bits, false)
		for i := range 8 {
			bits = append(bits, b&(1<<i) != 0)
		}
		bits = append(bits, true)
	}
	for range 10 {
		bits = append(bits, true)
	}
	var out []int16
	phase := 0.0
	for n := 0; ; n++ {
		i := int(float64(n) / samplesPerBit)
		if i >= len(bits) {
			break
		}
		f := plan.space
		if bits[i] {
			f = plan.mark
		}
		phase += 2 * math.Pi * f / 8000
		out = append(out, int16(6000*math.Sin(phase)))
	}
	return out
}

func TestParseCallerID(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  []byte
		want CallerID
	}{
		{"mdmf", mdmf("13800138000", "WANG"), CallerID{Number: "13800138000", Name: "WANG"}},
		{"sdmf", message(cidSDMF, []byte("112709302125551234")), CallerID{Number: "2125551234"}},
		{"sdmf private", message(cidSDMF, []byte("11270930P")), CallerID{Name: "private"}},
		{"mdmf withheld", message(cidMDMF, []byte{cidParamNoNum, 1, 'O'}), CallerID{Name: "unavailable"}},
	} {
		got, err := ParseCallerID(tc.msg)
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.name, got, err, tc.want)
		}
	}
	bad := mdmf("1", "")
	bad[len(bad)-1]++
	for _, m := range [][]byte{nil, {0x80, 5, 1}, bad, message(0x99, nil), message(cidMDMF, []byte{2, 9, '1'}),
		message(cidSDMF, []byte("123"))} {
		if _, err := ParseCallerID(m); !errors.Is(err, ErrCallerID) {
			t.Errorf("ParseCallerID(%x) = %v, want ErrCallerID", m, err)
		}
	}
}

func TestFSKDemod_DecodesV23AndBell202(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, plan := range map[string]fskPlan{"v23": planV23, "bell202": planBell202} {
		for lead := range 7 {
			msg := mdmf("01088886601", "CALLBOX TEST")
			d := newFSKDemod(plan)
			// Silence of a varying length before the burst, a weaker level
			// than the test modulator's and noise, as a line would give.
			audio := make([]int16, lead*37)
			for _, s := range modulate(plan, msg) {
				audio = append(audio, int16(float64(s)*0.3+rng.NormFloat64()*150))
			}
			var got []byte
			for i := 0; i < len(audio) && got == nil; i += 160 {
				got = d.write(audio[i:min(i+160, len(audio))])
			}
			if string(got) != string(msg) {
				t.Fatalf("%s lead %d: demodulated %x, want %x", name, lead, got, msg)
			}
			id, err := ParseCallerID(got)
			if err != nil || id.Number != "01088886601" || id.Name != "CALLBOX TEST" {
				t.Fatalf("%s: %+v %v", name, id, err)
			}
		}
	}
}

func FuzzParseCallerID(f *testing.F) {
	f.Add(mdmf("13800138000", "WANG"))
	f.Add(message(cidSDMF, []byte("11270930P")))
	f.Add([]byte{0x80, 0, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := ParseCallerID(b)
		if err != nil {
			if !errors.Is(err, ErrCallerID) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		if !printable([]byte(id.Number)) || !printable([]byte(id.Name)) {
			t.Fatalf("unprintable %+v", id)
		}
	})
}

func FuzzFSKDemod(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := newFSKDemod(planV23)
		s := make([]int16, len(b))
		for i, v := range b {
			s[i] = int16(v-128) * 200
		}
		if msg := d.write(s); msg != nil && len(msg) != int(msg[1])+3 {
			t.Fatalf("message of %d bytes with length byte %d", len(msg), msg[1])
		}
	})
}
