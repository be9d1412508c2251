package mix

import (
	"sync"

	"callbox/media"
	"callbox/media/dsp"
)

// Conference mixes the parties of a conference. Each party writes its
// frame for the current 20 ms with WriteFrame, one loop calls Mix once per
// 20 ms (the pacing loop that serves the box's calls), and each party
// reads what it hears with ReadFrame. A party that wrote nothing since the
// last Mix counts as silent, so a late or lost packet costs that party's
// voice for one frame but never delays the others.
type Conference struct {
	mu      sync.Mutex
	parties []*Party
	sum     [media.FrameSamples]int32
}

// Party is one member of a conference.
type Party struct {
	c     *Conference
	in    media.Frame
	hasIn bool
	out   media.Frame
	muted bool
}

// NewConference returns an empty conference.
func NewConference() *Conference { return &Conference{} }

// Join adds a party.
func (c *Conference) Join() *Party {
	p := &Party{c: c}
	c.mu.Lock()
	c.parties = append(c.parties, p)
	c.mu.Unlock()
	return p
}

// Len returns the number of parties.
func (c *Conference) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.parties)
}

// Leave removes the party; its writes are then ignored.
func (p *Party) Leave() {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, q := range c.parties {
		if q == p {
			c.parties = append(c.parties[:i], c.parties[i+1:]...)
			break
		}
	}
}

// SetMuted stops (or restores) the party's voice reaching the others; it
// still hears them.
func (p *Party) SetMuted(m bool) {
	p.c.mu.Lock()
	p.muted = m
	p.c.mu.Unlock()
}

// WriteFrame sets the party's voice for the next Mix.
func (p *Party) WriteFrame(f *media.Frame) error {
	p.c.mu.Lock()
	p.in, p.hasIn = *f, true
	p.c.mu.Unlock()
	return nil
}

// ReadFrame returns what the party heard at the last Mix.
func (p *Party) ReadFrame(f *media.Frame) error {
	p.c.mu.Lock()
	*f = p.out
	p.c.mu.Unlock()
	return nil
}

// Mix computes every party's output from the frames written since the last
// Mix: the sum of all voices minus the party's own, saturated. It costs
// two passes over the parties whatever their number.
func (c *Conference) Mix() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.sum[:])
	for _, p := range c.parties {
		if !p.hasIn || p.muted {
			continue
		}
		for i, v := range p.in {
			c.sum[i] += int32(v)
		}
	}
	for _, p := range c.parties {
		own := p.hasIn && !p.muted
		for i := range p.out {
			s := c.sum[i]
			if own {
				s -= int32(p.in[i])
			}
			p.out[i] = dsp.Saturate(s)
		}
		p.hasIn = false
	}
}
