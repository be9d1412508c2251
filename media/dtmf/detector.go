package dtmf

import (
	"math"

	"callbox/media"
	"callbox/media/dsp"
)

// Detection parameters. The block of 102 samples (12.75 ms) is the usual
// compromise between frequency resolution (the rows are 73-89 Hz apart) and
// time resolution. A digit needs three consecutive agreeing blocks, which
// every 40 ms tone gives whatever its alignment (two full blocks plus at
// least 58 samples of a partial one) while a tone shorter than about 32 ms
// never does.
const (
	blockSize   = 102
	hitsToEmit  = 3
	missesToEnd = 2
	// The two tones must hold this share of the block's energy: speech and
	// music spread their energy, a real digit puts nearly all of it in the
	// pair.
	minShare = 0.5
	// Each tone must be at least this amplitude (about -38 dBFS).
	minAmplitude = 400
	// Twist limits in dB: the row (low) tone may be stronger than the column
	// tone by normalTwist (lines lose treble), weaker by reverseTwist.
	normalTwist  = 8.0
	reverseTwist = 4.0
	// The strongest tone of each group must beat the others of its group by
	// this many dB. Not more: a block that holds only the first or last
	// 58 samples of a tone smears it over the neighbouring row (73 Hz away)
	// at about -4.4 dB, and such a block is the third hit of a 40 ms digit.
	groupMargin = 3.0
)

var (
	rowFreqs = [4]float64{697, 770, 852, 941}
	colFreqs = [4]float64{1209, 1336, 1477, 1633}
	keypad   = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
)

// Tones returns the row and column frequencies of a digit, for generators.
func Tones(digit byte) (row, col float64, err error) {
	for r := range keypad {
		for c := range keypad[r] {
			if keypad[r][c] == digit {
				return rowFreqs[r], colFreqs[c], nil
			}
		}
	}
	return 0, 0, ErrInvalidDigit
}

// Detector finds in-band DTMF digits in 8 kHz PCM. Write frames to it in
// order; it calls emit once per digit, when the digit has lasted long
// enough, from the goroutine that calls WriteFrame. It is not safe for
// concurrent use.
type Detector struct {
	emit       func(digit byte)
	rows, cols [4]dsp.Goertzel
	block      [blockSize]int16
	fill       int
	candidate  byte // digit seen in the latest blocks
	hits       int  // consecutive blocks showing candidate
	current    byte // digit reported and still sounding
	misses     int  // consecutive blocks without current
	minPower   float64
	normTwist  float64
	revTwist   float64
	groupRatio float64
}

// NewDetector returns a detector that calls emit for each digit.
func NewDetector(emit func(digit byte)) *Detector {
	d := &Detector{emit: emit}
	for i := range 4 {
		d.rows[i] = dsp.NewGoertzel(rowFreqs[i], media.SampleRate)
		d.cols[i] = dsp.NewGoertzel(colFreqs[i], media.SampleRate)
	}
	a := minAmplitude * blockSize / 2.0
	d.minPower = a * a
	d.normTwist = math.Pow(10, normalTwist/10)
	d.revTwist = math.Pow(10, reverseTwist/10)
	d.groupRatio = math.Pow(10, groupMargin/10)
	return d
}

// WriteFrame consumes one frame. It never fails.
func (d *Detector) WriteFrame(f *media.Frame) error {
	d.Write(f[:])
	return nil
}

// Write consumes samples of any length.
func (d *Detector) Write(x []int16) {
	for len(x) > 0 {
		n := copy(d.block[d.fill:], x)
		d.fill += n
		x = x[n:]
		if d.fill == blockSize {
			d.fill = 0
			d.step(d.classify())
		}
	}
}

// Reset forgets any partly heard digit.
func (d *Detector) Reset() {
	d.fill, d.candidate, d.hits, d.current, d.misses = 0, 0, 0, 0, 0
}

func (d *Detector) step(digit byte) {
	if digit != 0 && digit == d.candidate {
		d.hits++
	} else {
		d.candidate, d.hits = digit, 1
	}
	if digit != 0 && d.hits >= hitsToEmit && digit != d.current {
		d.current, d.misses = digit, 0
		if d.emit != nil {
			d.emit(digit)
		}
		return
	}
	if d.current == 0 {
		return
	}
	if digit == d.current {
		d.misses = 0
	} else if d.misses++; d.misses >= missesToEnd {
		d.current = 0
	}
}

// classify returns the digit the current block holds, or 0.
func (d *Detector) classify() byte {
	x := d.block[:]
	var rp, cp [4]float64
	br, bc := 0, 0
	for i := range 4 {
		rp[i] = d.rows[i].Power(x)
		cp[i] = d.cols[i].Power(x)
		if rp[i] > rp[br] {
			br = i
		}
		if cp[i] > cp[bc] {
			bc = i
		}
	}
	row, col := rp[br], cp[bc]
	if row < d.minPower || col < d.minPower {
		return 0
	}
	if row > col*d.normTwist || col > row*d.revTwist {
		return 0
	}
	for i := range 4 {
		if i != br && rp[i]*d.groupRatio > row {
			return 0
		}
		if i != bc && cp[i]*d.groupRatio > col {
			return 0
		}
	}
	if dsp.RelativePower(row+col, dsp.Energy(x), blockSize) < minShare {
		return 0
	}
	return keypad[br][bc]
}
