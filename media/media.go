// Package media carries the audio of every call: RTP sessions and the relay
// fast path, SDP offer/answer, G.711, DTMF, tones, prompts, recording,
// mixing and fax tone detection. Sub-packages hold each concern; this
// package holds the few types they share.
//
// The internal audio format is 8 kHz signed 16-bit linear PCM in frames of
// 20 ms (160 samples). Stages that decode, detect, record or mix pass
// *Frame values through FrameReader and FrameWriter, the way io.Reader and
// io.Writer compose, without knowing each other.
package media

import (
	"errors"
	"time"
)

// The internal audio format.
const (
	SampleRate    = 8000
	FrameSamples  = 160
	FrameDuration = 20 * time.Millisecond
)

// Frame is 20 ms of 8 kHz mono linear PCM.
type Frame [FrameSamples]int16

// FrameReader yields decoded frames. ReadFrame fills f and returns io.EOF
// when the stream ends.
type FrameReader interface {
	ReadFrame(f *Frame) error
}

// FrameWriter consumes decoded frames. WriteFrame must not keep f after it
// returns.
type FrameWriter interface {
	WriteFrame(f *Frame) error
}

// Capturer is an endpoint that hands its decoded audio to one more
// reader beside its relay and its other readers, in 20 ms frames
// delivered in small batches from a packet queue, with no goroutine of
// the reader's own (media/rtp Session.Capture): the cheap way for
// recordings, supervisors and tone detectors to hear a leg. stop ends
// it; w is not called after stop returns.
type Capturer interface {
	Capture(w FrameWriter) (stop func())
}

// FrameReaderFunc adapts a function to FrameReader.
type FrameReaderFunc func(f *Frame) error

// ReadFrame calls fn(f).
func (fn FrameReaderFunc) ReadFrame(f *Frame) error { return fn(f) }

// FrameWriterFunc adapts a function to FrameWriter.
type FrameWriterFunc func(f *Frame) error

// WriteFrame calls fn(f).
func (fn FrameWriterFunc) WriteFrame(f *Frame) error { return fn(f) }

// Codec names a payload format negotiated in SDP.
type Codec struct {
	Name        string // "PCMU", "PCMA", "telephone-event"
	PayloadType uint8
	ClockRate   uint32
}

// The codecs the box speaks on the wire.
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}
)

// Endpoint is where one leg's audio comes and goes. The switch bridges two
// endpoints with RelayTo when their codecs match (packets are forwarded
// without decoding), and asks for Reader/Writer only when something must
// listen or speak (recording, DTMF in-band, prompts, mixing, transcoding).
type Endpoint interface {
	Reader() FrameReader
	Writer() FrameWriter
	RelayTo(other Endpoint) (stop func())
}

// Named errors shared by the media packages.
var (
	ErrClosed  = errors.New("media: closed")
	ErrTimeout = errors.New("media: no media received")
)

// Direction is an SDP media direction (RFC 3264 section 5.1), seen from
// the side that holds it: SendOnly means "I send, I do not receive". Hold
// is a direction without receiving on the held party's side.
type Direction uint8

// The four SDP directions. The zero value is SendRecv.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

// Sends reports whether media flows out in this direction.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether media flows in in this direction.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// Reverse is the direction the other side holds: the answer to an offer
// of SendOnly is RecvOnly.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// String is the SDP attribute name.
func (d Direction) String() string {
	switch d {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return "sendrecv"
}
