package quality

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// RTCP packet types this package builds and reads (RFC 3550 section 6).
const (
	TypeSR   = 200
	TypeRR   = 201
	TypeSDES = 202
	TypeBYE  = 203
)

// ErrMalformedRTCP reports an RTCP packet that breaks RFC 3550 framing.
var ErrMalformedRTCP = errors.New("quality: malformed RTCP")

// ReceptionReport is one report block of an SR or RR.
type ReceptionReport struct {
	SSRC             uint32
	FractionLost     uint8
	TotalLost        int32 // 24-bit signed on the wire
	HighestSeq       uint32
	Jitter           uint32
	LastSR           uint32
	DelaySinceLastSR uint32 // 1/65536 s
}

// SenderReport is an RTCP SR.
type SenderReport struct {
	SSRC        uint32
	NTPTime     uint64
	RTPTime     uint32
	PacketCount uint32
	OctetCount  uint32
	Reports     []ReceptionReport
}

// ReceiverReport is an RTCP RR.
type ReceiverReport struct {
	SSRC    uint32
	Reports []ReceptionReport
}

// Compound is what Parse found in one compound RTCP datagram. Packet types
// other than SR, RR and BYE are skipped.
type Compound struct {
	SenderReports   []SenderReport
	ReceiverReports []ReceiverReport
	Bye             []uint32 // SSRCs that said goodbye
}

const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970

// NTPTime converts t to the 64-bit NTP timestamp format.
func NTPTime(t time.Time) uint64 {
	sec := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return sec<<32 | frac
}

// MiddleNTP is the middle 32 bits of an NTP timestamp, the unit of the LSR
// field and of round-trip computations.
func MiddleNTP(t time.Time) uint32 { return uint32(NTPTime(t) >> 16) }

// RoundTrip computes the round-trip time from a reception report that came
// back at arrival (RFC 3550 section 6.4.1). It returns 0 when the peer has
// not seen a sender report yet.
func RoundTrip(rr ReceptionReport, arrival time.Time) time.Duration {
	if rr.LastSR == 0 {
		return 0
	}
	d := int64(MiddleNTP(arrival)) - int64(rr.LastSR) - int64(rr.DelaySinceLastSR)
	if d < 0 {
		return 0
	}
	return time.Duration(d * int64(time.Second) >> 16)
}

func appendHeader(b []byte, count int, typ uint8, words int) []byte {
	return append(b, 0x80|uint8(count&0x1f), typ, byte(words>>8), byte(words))
}

func appendBlock(b []byte, r ReceptionReport) []byte {
	b = binary.BigEndian.AppendUint32(b, r.SSRC)
	lost := uint32(r.TotalLost) & 0xffffff
	b = binary.BigEndian.AppendUint32(b, uint32(r.FractionLost)<<24|lost)
	b = binary.BigEndian.AppendUint32(b, r.HighestSeq)
	b = binary.BigEndian.AppendUint32(b, r.Jitter)
	b = binary.BigEndian.AppendUint32(b, r.LastSR)
	return binary.BigEndian.AppendUint32(b, r.DelaySinceLastSR)
}

// AppendSR appends the SR to b. At most 31 report blocks are written.
func AppendSR(b []byte, sr *SenderReport) []byte {
	n := min(len(sr.Reports), 31)
	b = appendHeader(b, n, TypeSR, 6+6*n)
	b = binary.BigEndian.AppendUint32(b, sr.SSRC)
	b = binary.BigEndian.AppendUint64(b, sr.NTPTime)
	b = binary.BigEndian.AppendUint32(b, sr.RTPTime)
	b = binary.BigEndian.AppendUint32(b, sr.PacketCount)
	b = binary.BigEndian.AppendUint32(b, sr.OctetCount)
	for _, r := range sr.Reports[:n] {
		b = appendBlock(b, r)
	}
	return b
}

// AppendRR appends the RR to b. At most 31 report blocks are written.
func AppendRR(b []byte, rr *ReceiverReport) []byte {
	n := min(len(rr.Reports), 31)
	b = appendHeader(b, n, TypeRR, 1+6*n)
	b = binary.BigEndian.AppendUint32(b, rr.SSRC)
	for _, r := range rr.Reports[:n] {
		b = appendBlock(b, r)
	}
	return b
}

// AppendSDESCname appends an SDES packet with one CNAME item, which RFC
// 3550 requires in every compound packet.
func AppendSDESCname(b []byte, ssrc uint32, cname string) []byte {
	if len(cname) > 255 {
		cname = cname[:255]
	}
	// SSRC + type + len + text + at least one null, padded to 32 bits.
	body := 4 + 2 + len(cname) + 1
	pad := (4 - body%4) % 4
	words := (body + pad) / 4
	b = appendHeader(b, 1, TypeSDES, words)
	b = binary.BigEndian.AppendUint32(b, ssrc)
	b = append(b, 1, byte(len(cname)))
	b = append(b, cname...)
	for range 1 + pad {
		b = append(b, 0)
	}
	return b
}

func parseBlocks(p []byte, count int) ([]ReceptionReport, error) {
	if len(p) < 24*count {
		return nil, fmt.Errorf("%w: %d report blocks in %d bytes", ErrMalformedRTCP, count, len(p))
	}
	out := make([]ReceptionReport, count)
	for i := range out {
		q := p[24*i:]
		lost := binary.BigEndian.Uint32(q[4:8]) & 0xffffff
		if lost&0x800000 != 0 {
			lost |= 0xff000000
		}
		out[i] = ReceptionReport{
			SSRC:             binary.BigEndian.Uint32(q[0:4]),
			FractionLost:     q[4],
			TotalLost:        int32(lost),
			HighestSeq:       binary.BigEndian.Uint32(q[8:12]),
			Jitter:           binary.BigEndian.Uint32(q[12:16]),
			LastSR:           binary.BigEndian.Uint32(q[16:20]),
			DelaySinceLastSR: binary.BigEndian.Uint32(q[20:24]),
		}
	}
	return out, nil
}

// Parse reads a compound RTCP datagram. It checks version, lengths and
// padding of every packet and returns ErrMalformedRTCP (wrapped) on any
// violation.
func Parse(b []byte) (Compound, error) {
	var c Compound
	if len(b) < 4 {
		return c, fmt.Errorf("%w: %d bytes", ErrMalformedRTCP, len(b))
	}
	for len(b) > 0 {
		if len(b) < 4 {
			return c, fmt.Errorf("%w: trailing %d bytes", ErrMalformedRTCP, len(b))
		}
		if b[0]>>6 != 2 {
			return c, fmt.Errorf("%w: version %d", ErrMalformedRTCP, b[0]>>6)
		}
		count := int(b[0] & 0x1f)
		size := (int(binary.BigEndian.Uint16(b[2:4])) + 1) * 4
		if size > len(b) {
			return c, fmt.Errorf("%w: length %d beyond %d bytes", ErrMalformedRTCP, size, len(b))
		}
		p := b[4:size]
		if b[0]&0x20 != 0 {
			pad := int(b[size-1])
			if pad == 0 || pad > len(p) {
				return c, fmt.Errorf("%w: padding %d", ErrMalformedRTCP, pad)
			}
			p = p[:len(p)-pad]
		}
		switch b[1] {
		case TypeSR:
			if len(p) < 24 {
				return c, fmt.Errorf("%w: short SR", ErrMalformedRTCP)
			}
			blocks, err := parseBlocks(p[24:], count)
			if err != nil {
				return c, err
			}
			c.SenderReports = append(c.SenderReports, SenderReport{
				SSRC:        binary.BigEndian.Uint32(p[0:4]),
				NTPTime:     binary.BigEndian.Uint64(p[4:12]),
				RTPTime:     binary.BigEndian.Uint32(p[12:16]),
				PacketCount: binary.BigEndian.Uint32(p[16:20]),
				OctetCount:  binary.BigEndian.Uint32(p[20:24]),
				Reports:     blocks,
			})
		case TypeRR:
			if len(p) < 4 {
				return c, fmt.Errorf("%w: short RR", ErrMalformedRTCP)
			}
			blocks, err := parseBlocks(p[4:], count)
			if err != nil {
				return c, err
			}
			c.ReceiverReports = append(c.ReceiverReports, ReceiverReport{
				SSRC:    binary.BigEndian.Uint32(p[0:4]),
				Reports: blocks,
			})
		case TypeBYE:
			if len(p) < 4*count {
				return c, fmt.Errorf("%w: short BYE", ErrMalformedRTCP)
			}
			for i := range count {
				c.Bye = append(c.Bye, binary.BigEndian.Uint32(p[4*i:]))
			}
		}
		b = b[size:]
	}
	return c, nil
}
