package record

import (
	"callbox/media"
)

// maxLag is how far, in frames, a party may fall behind the other before
// its next frame is taken to start a new stretch at the other's place
// (10 s): a sender whose clock stopped while it was silent (some phones
// on hold) would otherwise stay behind for the rest of the call. A burst
// or a decoder held up for less than that keeps its place.
const maxLag = 500

// party is where one party's next frame goes.
type party struct {
	next    int64
	started bool
}

// Caller returns a FrameWriter for the caller's audio, for recorders fed by
// two independent stages; Write is simpler when one loop has both frames.
func (r *Recorder) Caller() media.FrameWriter { return media.FrameWriterFunc(r.WriteCaller) }

// Other returns a FrameWriter for the other party's audio.
func (r *Recorder) Other() media.FrameWriter { return media.FrameWriterFunc(r.WriteOther) }

// WriteCaller records the caller's next 20 ms frame. A party's first
// frame goes beside the other party's latest (or at the start), each
// later one right after its previous one, whenever it arrives.
func (r *Recorder) WriteCaller(f *media.Frame) error { return r.writeParty(0, f) }

// WriteOther records the other party's next 20 ms frame.
func (r *Recorder) WriteOther(f *media.Frame) error { return r.writeParty(1, f) }

func (r *Recorder) writeParty(i int, f *media.Frame) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.usable(); err != nil {
		return err
	}
	me, them := &r.parties[i], &r.parties[1-i]
	if !me.started || (them.started && them.next-me.next > maxLag) {
		// Beside the other party's latest frame: the two came within
		// 20 ms of each other.
		me.started = true
		me.next = max(me.next, them.next-1)
	}
	pos := me.next
	me.next++
	return r.place(pos, i, f)
}
