package siptest

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/dtmf"
	"callbox/media/g711"
)

// Play sends a sine tone of freq Hz toward the far end for d, one
// packet per 20 ms.
func (c *Call) Play(ctx context.Context, freq float64, d time.Duration) error {
	n := int(d / media.FrameDuration)
	samples := audiotest.Sine(freq, 8000, n*media.FrameSamples)
	t := time.NewTicker(media.FrameDuration)
	defer t.Stop()
	pkt := make([]byte, 12+media.FrameSamples)
	for i := range n {
		c.mu.Lock()
		to := c.remote
		seq, ts := c.seq, c.ts
		c.seq++
		c.ts += media.FrameSamples
		c.mu.Unlock()
		pkt[0], pkt[1] = 0x80, 0
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		pkt[4], pkt[5], pkt[6], pkt[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		pkt[8], pkt[9], pkt[10], pkt[11] = 0x51, 0x7e, 0x57, 0x01
		g711.EncodeUlaw(pkt[12:], samples[i*media.FrameSamples:(i+1)*media.FrameSamples])
		if to.IsValid() {
			if _, err := c.rtp.WriteToUDPAddrPort(pkt, to); err != nil {
				return err
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.ended:
			return errors.New("siptest: call ended")
		}
	}
	return nil
}

// SendDigit sends digit as RFC 4733 telephone-events: three packets
// 20 ms apart, then the end packet three times, all with one timestamp.
func (c *Call) SendDigit(ctx context.Context, digit byte) error {
	c.mu.Lock()
	pt, to := c.dtmfPT, c.remote
	c.mu.Unlock()
	if pt == 0 {
		return errors.New("siptest: telephone-event not negotiated")
	}
	c.mu.Lock()
	ts := c.ts
	c.ts += 8 * media.FrameSamples
	c.mu.Unlock()
	for i := range 6 {
		end := i >= 3
		ev := dtmf.Event{Digit: digit, End: end, Volume: 10, Duration: uint16(min(i+1, 4) * media.FrameSamples)}
		payload, err := ev.Marshal()
		if err != nil {
			return err
		}
		c.mu.Lock()
		seq := c.seq
		c.seq++
		c.mu.Unlock()
		pkt := make([]byte, 12, 16)
		pkt[0], pkt[1] = 0x80, pt
		if i == 0 {
			pkt[1] |= 0x80 // marker: the event starts
		}
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		binary.BigEndian.PutUint32(pkt[8:], 0x517e5701)
		pkt = append(pkt, payload...)
		if _, err := c.rtp.WriteToUDPAddrPort(pkt, to); err != nil {
			return err
		}
		select {
		case <-time.After(media.FrameDuration):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Digits delivers the RFC 4733 digits received, each once.
func (c *Call) Digits() <-chan byte { return c.digits }

// Listen collects the audio received during the next d, decoded to
// linear PCM (silence when nothing arrives).
func (c *Call) Listen(d time.Duration) []int16 {
	c.mu.Lock()
	c.rec, c.keep = c.rec[:0], true
	c.mu.Unlock()
	select {
	case <-time.After(d):
	case <-c.ended:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep = false
	return append([]int16(nil), c.rec...)
}

// receive decodes arriving PCMU while someone listens.
func (c *Call) receive() {
	buf := make([]byte, 2048)
	pcm := make([]int16, 2048)
	for {
		n, err := c.rtp.Read(buf)
		if err != nil {
			return
		}
		if n <= 12 || buf[0]>>6 != 2 {
			continue
		}
		pt := buf[1] & 0x7f
		c.mu.Lock()
		isDTMF := pt != 0 && pt == c.dtmfPT
		c.mu.Unlock()
		if isDTMF {
			c.mu.Lock()
			ev, fresh, err := c.dtmfRx.Push(binary.BigEndian.Uint32(buf[4:8]), buf[12:n])
			c.mu.Unlock()
			if err == nil && fresh {
				select {
				case c.digits <- ev.Digit:
				default:
				}
			}
			continue
		}
		if pt != 0 {
			continue
		}
		k := g711.DecodeUlaw(pcm, buf[12:n])
		c.mu.Lock()
		if c.keep {
			c.rec = append(c.rec, pcm[:k]...)
		}
		c.mu.Unlock()
	}
}
