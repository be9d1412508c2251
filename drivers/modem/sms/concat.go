package sms

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Part is one received message part with where it is stored on the modem.
type Part struct {
	Deliver
	// Index is the message's slot in the modem's storage (-1 if it came
	// straight to the terminal with +CMT).
	Index int
}

// Inbound is a whole received message, joined from its parts.
type Inbound struct {
	From     string
	Text     string
	Time     time.Time // the first part's service centre time stamp
	Encoding Encoding
	// Parts is how many parts the sender sent (1 for a single message);
	// Missing how many of them never came.
	Parts, Missing int
	// Partial is set when the message was given up waiting for parts.
	Partial bool
	// Indexes are the storage slots of its parts, each once, to delete them.
	Indexes []int
}

// MissingMark stands in the text where a part never arrived.
const MissingMark = "[…]"

type groupKey struct {
	from  string
	ref   uint16
	total byte
	ref16 bool
}

type group struct {
	parts   map[byte]Part
	first   time.Time // when the first part arrived here
	indexes []int     // every slot, duplicate parts' included, each once
}

// Reassembler joins concatenated parts into messages. Parts may come in any
// order and more than once; a message still incomplete after the timeout is
// given out marked partial. It is not safe for concurrent use: the SMS
// service owns one.
type Reassembler struct {
	now     func() time.Time
	timeout time.Duration
	groups  map[groupKey]*group
}

// NewReassembler returns a reassembler using now as its clock.
func NewReassembler(now func() time.Time, timeout time.Duration) *Reassembler {
	return &Reassembler{now: now, timeout: timeout, groups: map[groupKey]*group{}}
}

// Add takes one part; it returns the whole message when this part completes
// it (or when it is a single message).
func (r *Reassembler) Add(p Part) (Inbound, bool) {
	if p.Concat == nil || p.Concat.Total <= 1 {
		return Inbound{From: p.From, Text: p.Text, Time: p.Time, Encoding: p.Encoding, Parts: 1, Indexes: indexes(p.Index)}, true
	}
	k := groupKey{p.From, p.Concat.Ref, p.Concat.Total, p.Concat.Ref16}
	g := r.groups[k]
	if g == nil {
		g = &group{parts: map[byte]Part{}, first: r.now()}
		r.groups[k] = g
	}
	// A slot read twice (a listing after a start or reset, and the +CMTI
	// that announced it) is kept once: deleting it twice could delete the
	// next message, which a modem stores in the first free slot.
	if p.Index >= 0 && !slices.Contains(g.indexes, p.Index) {
		g.indexes = append(g.indexes, p.Index)
	}
	if _, dup := g.parts[p.Concat.Seq]; !dup {
		g.parts[p.Concat.Seq] = p
	}
	if len(g.parts) < int(p.Concat.Total) {
		return Inbound{}, false
	}
	delete(r.groups, k)
	return join(k, g, false), true
}

// Expire gives out every message that has waited longer than the timeout
// for its missing parts, marked partial.
func (r *Reassembler) Expire() []Inbound {
	var out []Inbound
	now := r.now()
	for k, g := range r.groups {
		if now.Sub(g.first) >= r.timeout {
			out = append(out, join(k, g, true))
			delete(r.groups, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// ExpireOldest gives out the incomplete message that has waited longest,
// marked partial (to make room when storage is full).
func (r *Reassembler) ExpireOldest() (Inbound, bool) {
	var key groupKey
	var oldest *group
	for k, g := range r.groups {
		if oldest == nil || g.first.Before(oldest.first) {
			key, oldest = k, g
		}
	}
	if oldest == nil {
		return Inbound{}, false
	}
	delete(r.groups, key)
	return join(key, oldest, true), true
}

// Pending returns how many messages wait for parts.
func (r *Reassembler) Pending() int { return len(r.groups) }

// NextExpiry returns when the oldest waiting message expires (false if none).
func (r *Reassembler) NextExpiry() (time.Time, bool) {
	var t time.Time
	for _, g := range r.groups {
		if e := g.first.Add(r.timeout); t.IsZero() || e.Before(t) {
			t = e
		}
	}
	return t, !t.IsZero()
}

func join(k groupKey, g *group, partial bool) Inbound {
	in := Inbound{From: k.from, Parts: int(k.total), Partial: partial, Indexes: g.indexes}
	var b strings.Builder
	first := true
	for seq := 1; seq <= int(k.total); seq++ {
		p, ok := g.parts[byte(seq)]
		if !ok {
			in.Missing++
			b.WriteString(MissingMark)
			continue
		}
		if first {
			in.Time, in.Encoding, first = p.Time, p.Encoding, false
		}
		b.WriteString(p.Text)
	}
	in.Text = b.String()
	return in
}

func indexes(i int) []int {
	if i < 0 {
		return nil
	}
	return []int{i}
}
