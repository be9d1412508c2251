package quality

import "time"

// Sequence-tracking limits from RFC 3550 appendix A.1.
const (
	maxDropout    = 3000
	maxMisorder   = 100
	minSequential = 2
	seqMod        = 1 << 16
)

// Receiver holds the reception statistics of one RTP source, following
// RFC 3550 appendix A.1 (sequence validation and wrap), A.3 (loss) and A.8
// (interarrival jitter). The zero value is ready; the first packet starts
// probation. Call Reset when the source's SSRC changes.
type Receiver struct {
	SSRC uint32

	maxSeq        uint16
	cycles        uint32
	baseSeq       uint32
	badSeq        uint32
	probation     int
	received      uint64
	bytes         uint64
	expectedPrior uint32
	receivedPrior uint64
	started       bool
	probed        uint64 // probation packets counted once the source is valid

	transit int64
	jitter  float64 // in RTP timestamp units
	haveTr  bool

	duplicates uint64
	late       uint64
	lastSR     uint32    // middle 32 bits of the last SR's NTP time
	lastSRAt   time.Time // when it arrived
}

// Reset forgets the stream: the next packet starts probation again.
func (r *Receiver) Reset(ssrc uint32) {
	*r = Receiver{SSRC: ssrc}
}

func (r *Receiver) initSeq(seq uint16) {
	r.baseSeq = uint32(seq)
	r.maxSeq = seq
	r.badSeq = seqMod + 1
	r.cycles = 0
	r.received = 0
	r.receivedPrior = 0
	r.expectedPrior = 0
	r.probed = 0
}

// Update records one packet of size bytes with sequence seq and RTP
// timestamp ts that arrived at arrival (in RTP clock units of the same
// clock as ts, e.g. nanoseconds*8000/1e9 for G.711). It reports whether the
// packet is valid under the RFC 3550 rules; an invalid packet (probation or
// a large jump) is not counted.
func (r *Receiver) Update(seq uint16, ts uint32, arrival uint32, size int) bool {
	if !r.started {
		r.started = true
		r.initSeq(seq)
		r.maxSeq = seq - 1
		r.probation = minSequential
	}
	udelta := seq - r.maxSeq
	switch {
	case r.probation > 0:
		if seq == r.maxSeq+1 {
			r.probation--
			r.maxSeq = seq
			if r.probation == 0 {
				r.initSeq(seq)
				// The packets seen on probation were valid after all.
				r.probed = minSequential - 1
				r.received = r.probed
				r.bytes += r.probed * uint64(size)
				r.count(ts, arrival, size)
				return true
			}
		} else {
			r.probation = minSequential - 1
			r.maxSeq = seq
		}
		return false
	case udelta == 0:
		r.duplicates++
		return false
	case udelta < maxDropout:
		if seq < r.maxSeq {
			r.cycles += seqMod
		}
		r.maxSeq = seq
	case udelta <= seqMod-maxMisorder:
		if uint32(seq) == r.badSeq {
			// Two sequential packets after a big jump: the source
			// restarted without telling us.
			r.initSeq(seq)
		} else {
			r.badSeq = (uint32(seq) + 1) & (seqMod - 1)
			return false
		}
	default:
		// Reordered or duplicated within the window.
		r.late++
	}
	r.count(ts, arrival, size)
	return true
}

func (r *Receiver) count(ts, arrival uint32, size int) {
	r.received++
	r.bytes += uint64(size)
	transit := int64(int32(arrival - ts))
	if r.haveTr {
		d := transit - r.transit
		if d < 0 {
			d = -d
		}
		r.jitter += (float64(d) - r.jitter) / 16
	}
	r.transit = transit
	r.haveTr = true
}

// Received is the number of valid packets counted.
func (r *Receiver) Received() uint64 { return r.received }

// Bytes is the number of bytes in valid packets.
func (r *Receiver) Bytes() uint64 { return r.bytes }

// ExtendedMax is the highest sequence number seen, extended with wrap
// cycles.
func (r *Receiver) ExtendedMax() uint32 { return r.cycles + uint32(r.maxSeq) }

// Expected is the number of packets the source sent since the first one.
func (r *Receiver) Expected() uint64 {
	if r.received == 0 {
		return 0
	}
	return uint64(r.ExtendedMax()-r.baseSeq) + 1 + r.probed
}

// Lost is the cumulative number of packets lost (negative when duplicates
// outnumber losses, as RFC 3550 allows).
func (r *Receiver) Lost() int64 { return int64(r.Expected()) - int64(r.received) }

// LossRatio is Lost/Expected in [0,1].
func (r *Receiver) LossRatio() float64 {
	e := r.Expected()
	if e == 0 {
		return 0
	}
	l := r.Lost()
	if l <= 0 {
		return 0
	}
	return float64(l) / float64(e)
}

// Jitter is the RFC 3550 interarrival jitter in timestamp units.
func (r *Receiver) Jitter() uint32 { return uint32(r.jitter) }

// JitterDuration converts Jitter to time for a clock of clockRate Hz.
func (r *Receiver) JitterDuration(clockRate uint32) time.Duration {
	if clockRate == 0 {
		return 0
	}
	return time.Duration(r.jitter * float64(time.Second) / float64(clockRate))
}

// Duplicates counts packets that repeated the highest sequence number.
func (r *Receiver) Duplicates() uint64 { return r.duplicates }

// NoteSR remembers a sender report from this source, for the LSR/DLSR
// fields of the next reception report.
func (r *Receiver) NoteSR(ntp uint64, at time.Time) {
	r.lastSR = uint32(ntp >> 16)
	r.lastSRAt = at
}

// Report builds a reception report block for this source at time now and
// starts a new interval for the fraction-lost field.
func (r *Receiver) Report(now time.Time) ReceptionReport {
	expected := uint32(r.Expected())
	expInterval := expected - r.expectedPrior
	r.expectedPrior = expected
	recvInterval := r.received - r.receivedPrior
	r.receivedPrior = r.received
	var fraction uint8
	if lostInterval := int64(expInterval) - int64(recvInterval); expInterval != 0 && lostInterval > 0 {
		fraction = uint8((lostInterval << 8) / int64(expInterval))
	}
	lost := r.Lost()
	if lost > 0x7fffff {
		lost = 0x7fffff
	} else if lost < -0x800000 {
		lost = -0x800000
	}
	rr := ReceptionReport{
		SSRC:         r.SSRC,
		FractionLost: fraction,
		TotalLost:    int32(lost),
		HighestSeq:   r.ExtendedMax(),
		Jitter:       r.Jitter(),
		LastSR:       r.lastSR,
	}
	if !r.lastSRAt.IsZero() {
		rr.DelaySinceLastSR = uint32(now.Sub(r.lastSRAt) * 65536 / time.Second)
	}
	return rr
}

// Sender counts what one stream sent, for RTCP sender reports.
type Sender struct {
	SSRC      uint32
	Packets   uint32
	Octets    uint32 // payload octets, as RFC 3550 counts them
	LastTS    uint32
	LastSentN int64 // monotonic nanoseconds of the last packet (any clock)
}

// Count records one sent packet with payload size n and RTP timestamp ts.
func (s *Sender) Count(n int, ts uint32) {
	s.Packets++
	s.Octets += uint32(n)
	s.LastTS = ts
}
