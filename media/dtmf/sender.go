package dtmf

import (
	"time"
)

// Defaults for Sender.
const (
	DefaultVolume   = 10 // -10 dBm0
	DefaultInterval = 20 * time.Millisecond
	// EndRepeats is how many times the end packet is sent (RFC 4733 2.5.1.4
	// asks for three), so one lost packet does not lose the digit's end.
	EndRepeats = 3
)

// Packet is one telephone-event packet for the RTP layer to send at At
// after the event starts. Every packet of an event carries the same RTP
// timestamp (the event start); the RTP layer gives each its own sequence
// number and sets the marker bit as told.
type Packet struct {
	At        time.Duration
	Timestamp uint32
	Marker    bool
	Payload   [PayloadSize]byte
}

// Sender lays out telephone-event packets. The zero value uses the
// defaults.
type Sender struct {
	Volume   uint8         // -dBm0; 0 means DefaultVolume
	Interval time.Duration // between packets; 0 means DefaultInterval
}

// Packets appends to dst the packets that send digit for dur, starting at
// RTP timestamp ts, and returns the extended slice. dur is rounded up to
// whole intervals, at least one; an event longer than the 16-bit duration
// field allows is cut at its limit (about 8 s). It allocates only if dst
// lacks room.
func (s Sender) Packets(dst []Packet, digit byte, dur time.Duration, ts uint32) ([]Packet, error) {
	if _, err := Code(digit); err != nil {
		return dst, err
	}
	vol, step := s.Volume, s.Interval
	if vol == 0 {
		vol = DefaultVolume
	}
	if vol > 63 {
		return dst, ErrVolume
	}
	if step <= 0 {
		step = DefaultInterval
	}
	stepUnits := int64(step) * ClockRate / int64(time.Second)
	n := int64((dur + step - 1) / step)
	n = max(n, 1)
	n = min(n, 0xffff/stepUnits)

	add := func(at time.Duration, marker, end bool, units int64) {
		p := Packet{At: at, Timestamp: ts, Marker: marker}
		e := Event{Digit: digit, End: end, Volume: vol, Duration: uint16(units)}
		// Digit and volume were checked above, so AppendTo cannot fail.
		_, _ = e.AppendTo(p.Payload[:0])
		dst = append(dst, p)
	}
	for k := int64(0); k < n-1; k++ {
		add(time.Duration(k)*step, k == 0, false, (k+1)*stepUnits)
	}
	for r := int64(0); r < EndRepeats; r++ {
		add(time.Duration(n-1+r)*step, n == 1 && r == 0, true, n*stepUnits)
	}
	return dst, nil
}
