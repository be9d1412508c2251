package linecard

import (
	"errors"
	"fmt"
	"math"
)

// Analogue caller ID: the exchange sends a short FSK burst at 1200 baud
// between the first and second ring (ETSI EN 300 659 with V.23 tones in
// Europe and China, Telcordia GR-30 with Bell 202 tones in North
// America). The burst is a channel-seizure preamble of alternating bits,
// a run of marks, and then a message in 8N1 characters: SDMF (type 0x04)
// or MDMF (type 0x80) with a one-byte length and a checksum that makes
// the byte sum zero.

// ErrCallerID is wrapped by every caller-ID message error.
var ErrCallerID = errors.New("linecard: bad caller ID message")

// The message and parameter types (GR-30 / EN 300 659).
const (
	cidSDMF        = 0x04
	cidMDMF        = 0x80
	cidParamTime   = 0x01
	cidParamNumber = 0x02
	cidParamNoNum  = 0x04 // reason the number is absent: 'O' unavailable, 'P' private
	cidParamName   = 0x07
	cidParamNoName = 0x08
)

// ParseCallerID reads one caller-ID message (type, length, body,
// checksum). A withheld number comes back empty with Name "private" or
// "unavailable" when the message says so.
func ParseCallerID(msg []byte) (CallerID, error) {
	if len(msg) < 3 {
		return CallerID{}, fmt.Errorf("%w: %d bytes", ErrCallerID, len(msg))
	}
	n := int(msg[1])
	if len(msg) < n+3 {
		return CallerID{}, fmt.Errorf("%w: length %d, have %d", ErrCallerID, n, len(msg)-3)
	}
	var sum byte
	for _, b := range msg[:n+3] {
		sum += b
	}
	if sum != 0 {
		return CallerID{}, fmt.Errorf("%w: checksum", ErrCallerID)
	}
	body := msg[2 : n+2]
	switch msg[0] {
	case cidSDMF:
		// Eight digits of date and time, then the number (or 'O'/'P').
		if len(body) < 8 {
			return CallerID{}, fmt.Errorf("%w: SDMF without time", ErrCallerID)
		}
		num := string(body[8:])
		switch num {
		case "O":
			return CallerID{Name: "unavailable"}, nil
		case "P":
			return CallerID{Name: "private"}, nil
		}
		if !printable(body[8:]) {
			return CallerID{}, fmt.Errorf("%w: number not printable", ErrCallerID)
		}
		return CallerID{Number: num}, nil
	case cidMDMF:
		var id CallerID
		for len(body) > 0 {
			if len(body) < 2 || len(body) < int(body[1])+2 {
				return CallerID{}, fmt.Errorf("%w: parameter overruns message", ErrCallerID)
			}
			typ, val := body[0], body[2:2+int(body[1])]
			body = body[2+int(body[1]):]
			if !printable(val) {
				return CallerID{}, fmt.Errorf("%w: parameter %#x not printable", ErrCallerID, typ)
			}
			switch typ {
			case cidParamNumber:
				id.Number = string(val)
			case cidParamName:
				id.Name = string(val)
			case cidParamNoNum, cidParamNoName:
				if id.Name == "" && len(val) == 1 {
					if val[0] == 'P' {
						id.Name = "private"
					} else {
						id.Name = "unavailable"
					}
				}
			}
		}
		return id, nil
	}
	return CallerID{}, fmt.Errorf("%w: message type %#x", ErrCallerID, msg[0])
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// FSK tone plans.
type fskPlan struct{ mark, space float64 }

var (
	planV23     = fskPlan{mark: 1300, space: 2100}
	planBell202 = fskPlan{mark: 1200, space: 2200}
)

const (
	fskBaud          = 1200
	samplesPerBit    = float64(8000) / fskBaud
	fskWindow        = 7 // samples a tone decision looks at (about one bit)
	cidMaxBytes      = 258
	cidMinMarkSample = 40 // marks in a row before a start bit counts
)

// fskDemod turns 8 kHz audio into caller-ID bytes: a quadrature
// correlator per tone over a one-bit window, then an 8N1 receiver that
// samples the middle of each bit.
type fskDemod struct {
	plan fskPlan
	n    int // samples seen
	hist [fskWindow][4]float64
	sum  [4]float64

	marks  int     // consecutive mark decisions while idle
	inChar bool    // receiving a character
	next   float64 // sample index of the next bit's middle
	bit    int     // bits of the character so far (-1: the start bit)
	acc    float64 // soft decisions summed around the bit's decision point
	cur    byte
	buf    []byte
}

func newFSKDemod(plan fskPlan) *fskDemod { return &fskDemod{plan: plan} }

// write feeds samples; it returns the message once a whole one has
// arrived, or nil.
func (d *fskDemod) write(samples []int16) []byte {
	for _, s := range samples {
		if msg := d.sample(float64(s)); msg != nil {
			return msg
		}
	}
	return nil
}

func (d *fskDemod) sample(x float64) []byte {
	t := float64(d.n) / 8000
	v := [4]float64{
		x * math.Cos(2*math.Pi*d.plan.mark*t), x * math.Sin(2*math.Pi*d.plan.mark*t),
		x * math.Cos(2*math.Pi*d.plan.space*t), x * math.Sin(2*math.Pi*d.plan.space*t),
	}
	slot := d.n % fskWindow
	for i := range v {
		d.sum[i] += v[i] - d.hist[slot][i]
		d.hist[slot][i] = v[i]
	}
	idx := float64(d.n)
	d.n++
	markE := d.sum[0]*d.sum[0] + d.sum[1]*d.sum[1]
	spaceE := d.sum[2]*d.sum[2] + d.sum[3]*d.sum[3]
	if markE+spaceE < 1e3 {
		d.marks = 0
		return nil // silence
	}
	soft := (markE - spaceE) / (markE + spaceE) // +1 mark, -1 space
	if !d.inChar {
		if soft > 0 {
			d.marks++
			return nil
		}
		if d.marks < cidMinMarkSample && len(d.buf) == 0 {
			d.marks = 0
			return nil // still in the seizure preamble
		}
		// The first space decision comes when half the window holds
		// the start bit: its edge was half a window ago. A bit is
		// decided when the window covers exactly that bit, at its end.
		d.inChar, d.bit, d.cur, d.acc = true, -1, 0, 0
		d.next = idx - fskWindow/2.0 + samplesPerBit
		d.marks = 0
		return nil
	}
	// A bit is decided on the soft values of the sample where the
	// window covers it and its two neighbours, which overlap the next
	// and previous bits by one sample only.
	if idx < d.next-1 {
		return nil
	}
	d.acc += soft
	if idx < d.next+1 {
		return nil
	}
	mark := d.acc > 0
	d.acc = 0
	d.next += samplesPerBit
	switch {
	case d.bit < 0: // the start bit again: a glitch if it is not space
		if mark {
			d.inChar = false
		}
		d.bit++
		return nil
	case d.bit < 8:
		if mark {
			d.cur |= 1 << d.bit
		}
		d.bit++
		return nil
	}
	// Stop bit.
	d.inChar = false
	if !mark {
		d.reset()
		return nil
	}
	d.buf = append(d.buf, d.cur)
	if len(d.buf) >= 2 && len(d.buf) == int(d.buf[1])+3 {
		msg := d.buf
		d.reset()
		return msg
	}
	if len(d.buf) > cidMaxBytes {
		d.reset()
	}
	return nil
}

func (d *fskDemod) reset() {
	d.buf, d.inChar, d.marks = nil, false, 0
}
