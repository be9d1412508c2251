package dtmf

import (
	"errors"
	"fmt"
)

// Named errors.
var (
	ErrShortPayload = errors.New("dtmf: telephone-event payload shorter than 4 bytes")
	ErrUnknownEvent = errors.New("dtmf: event is not a DTMF digit")
	ErrInvalidDigit = errors.New("dtmf: invalid digit")
	ErrVolume       = errors.New("dtmf: volume out of range 0-63")
)

// PayloadSize is the size of one RFC 4733 event payload.
const PayloadSize = 4

// ClockRate is the RTP clock of telephone-event at 8 kHz, in which Duration
// counts.
const ClockRate = 8000

// digits maps RFC 4733 event codes 0-15 to digit characters.
const digits = "0123456789*#ABCD"

// Event is one RFC 4733 telephone-event payload (section 2.3).
type Event struct {
	Digit    byte   // '0'-'9', '*', '#', 'A'-'D'
	End      bool   // E bit: this packet ends the event
	Volume   uint8  // power level as -dBm0, 0-63
	Duration uint16 // in RTP clock units (1/8000 s) since the event started
}

// Code returns the RFC 4733 event code of a digit.
func Code(digit byte) (uint8, error) {
	switch {
	case digit >= '0' && digit <= '9':
		return digit - '0', nil
	case digit == '*':
		return 10, nil
	case digit == '#':
		return 11, nil
	case digit >= 'A' && digit <= 'D':
		return 12 + digit - 'A', nil
	case digit >= 'a' && digit <= 'd':
		return 12 + digit - 'a', nil
	}
	return 0, fmt.Errorf("%w: %q", ErrInvalidDigit, digit)
}

// Digit returns the digit of an RFC 4733 event code.
func Digit(code uint8) (byte, error) {
	if int(code) >= len(digits) {
		return 0, fmt.Errorf("%w: event %d", ErrUnknownEvent, code)
	}
	return digits[code], nil
}

// AppendTo appends the 4-byte payload to b.
func (e Event) AppendTo(b []byte) ([]byte, error) {
	code, err := Code(e.Digit)
	if err != nil {
		return b, err
	}
	if e.Volume > 63 {
		return b, fmt.Errorf("%w: %d", ErrVolume, e.Volume)
	}
	flags := e.Volume
	if e.End {
		flags |= 0x80
	}
	return append(b, code, flags, byte(e.Duration>>8), byte(e.Duration)), nil
}

// Marshal returns the 4-byte payload.
func (e Event) Marshal() ([]byte, error) {
	return e.AppendTo(make([]byte, 0, PayloadSize))
}

// Unmarshal parses a payload. Bytes after the first four (a redundant
// RFC 2198 block is negotiated separately and not handled here) are
// ignored; the reserved bit is ignored as RFC 4733 asks of receivers.
// Events that are not DTMF digits (fax tones, line events) give
// ErrUnknownEvent.
func (e *Event) Unmarshal(b []byte) error {
	if len(b) < PayloadSize {
		return fmt.Errorf("%w: %d bytes", ErrShortPayload, len(b))
	}
	d, err := Digit(b[0])
	if err != nil {
		return err
	}
	*e = Event{
		Digit:    d,
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3f,
		Duration: uint16(b[2])<<8 | uint16(b[3]),
	}
	return nil
}
