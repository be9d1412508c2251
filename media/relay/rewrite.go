package relay

import "encoding/binary"

// RewriterState is what a standby needs to continue an outgoing stream
// exactly where the active box left it.
type RewriterState struct {
	SSRC    uint32 // outgoing SSRC
	InSSRC  uint32 // SSRC of the current source
	SeqOff  uint16 // added to the source's sequence numbers
	TSOff   uint32 // added to the source's timestamps
	LastSeq uint16 // last sequence number sent
	LastTS  uint32 // last timestamp sent
	LastAt  int64  // monotonic nanoseconds of the last packet sent
	Started bool
}

// Rewriter maps the RTP packets of changing sources onto one continuous
// outgoing stream. The first source passes unchanged (same SSRC, sequence
// and timestamp: nothing is rewritten that the leg does not need); when the
// source's SSRC changes, sequence and timestamp continue from the last
// packet sent, advanced by the wall time in between, under the first SSRC.
// Not safe for concurrent use.
type Rewriter struct {
	st        RewriterState
	clockRate uint32
}

// NewRewriter makes a rewriter for a stream clocked at clockRate Hz.
func NewRewriter(clockRate uint32) *Rewriter { return &Rewriter{clockRate: clockRate} }

// State exports the rewriter's position for replication.
func (r *Rewriter) State() RewriterState { return r.st }

// SetState restores a replicated position. The next source is treated as
// new, so the stream continues from st's last packet.
func (r *Rewriter) SetState(st RewriterState) {
	r.st = st
	r.st.InSSRC = ^st.InSSRC // force a re-anchor on the next packet
}

// Rewrite rewrites the RTP header of pkt (at least 12 bytes, version 2) in
// place. now is a monotonic time in nanoseconds.
func (r *Rewriter) Rewrite(pkt []byte, now int64) {
	ssrc := binary.BigEndian.Uint32(pkt[8:12])
	seq := binary.BigEndian.Uint16(pkt[2:4])
	ts := binary.BigEndian.Uint32(pkt[4:8])
	st := &r.st
	switch {
	case !st.Started:
		st.Started = true
		st.SSRC = ssrc
		st.InSSRC = ssrc
	case ssrc != st.InSSRC:
		// A new source: continue the outgoing numbering.
		st.InSSRC = ssrc
		st.SeqOff = st.LastSeq + 1 - seq
		step := uint32(1)
		if now > st.LastAt && r.clockRate > 0 {
			step = max(1, uint32(uint64(now-st.LastAt)*uint64(r.clockRate)/1e9))
		}
		st.TSOff = st.LastTS + step - ts
	}
	seq += st.SeqOff
	ts += st.TSOff
	binary.BigEndian.PutUint16(pkt[2:4], seq)
	binary.BigEndian.PutUint32(pkt[4:8], ts)
	binary.BigEndian.PutUint32(pkt[8:12], st.SSRC)
	// A reordered packet must not pull the continuation point back.
	if int16(seq-st.LastSeq) > 0 || st.LastAt == 0 {
		st.LastSeq = seq
	}
	if int32(ts-st.LastTS) > 0 || st.LastAt == 0 {
		st.LastTS = ts
	}
	st.LastAt = now
}
