package record

import (
	"callbox/media"
)

// maxSkew is how far, in frames, one party may run ahead of the other
// before its frames are written against silence: a leg on hold or a relay
// that stopped decoding must not hold the recording back or grow memory.
const maxSkew = 25

// side queues one party's frames until the other party's frame for the
// same instant arrives.
type side struct {
	q    [maxSkew]media.Frame
	head int
	n    int
}

func (s *side) push(f *media.Frame) {
	s.q[(s.head+s.n)%maxSkew] = *f
	s.n++
}

func (s *side) pop() *media.Frame {
	f := &s.q[s.head]
	s.head = (s.head + 1) % maxSkew
	s.n--
	return f
}

// Caller returns a FrameWriter for the caller's audio, for recorders fed by
// two independent stages; Write is simpler when one loop has both frames.
func (r *Recorder) Caller() media.FrameWriter {
	return media.FrameWriterFunc(func(f *media.Frame) error { return r.writeSide(f, true) })
}

// Other returns a FrameWriter for the other party's audio.
func (r *Recorder) Other() media.FrameWriter {
	return media.FrameWriterFunc(func(f *media.Frame) error { return r.writeSide(f, false) })
}

func (r *Recorder) writeSide(f *media.Frame, caller bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	mine, theirs := &r.caller, &r.other
	if !caller {
		mine, theirs = theirs, mine
	}
	if theirs.n > 0 {
		t := theirs.pop()
		if caller {
			return r.write(f, t)
		}
		return r.write(t, f)
	}
	if mine.n == maxSkew {
		if err := r.writeAlone(mine.pop(), caller); err != nil {
			return err
		}
	}
	mine.push(f)
	return nil
}

func (r *Recorder) writeAlone(f *media.Frame, caller bool) error {
	if caller {
		return r.write(f, nil)
	}
	return r.write(nil, f)
}

// drainSides writes frames still waiting for a partner, against silence.
func (r *Recorder) drainSides() {
	for r.caller.n > 0 {
		_ = r.writeAlone(r.caller.pop(), true)
	}
	for r.other.n > 0 {
		_ = r.writeAlone(r.other.pop(), false)
	}
}
