package queue

import (
	"fmt"
	"math/rand/v2"
	"time"

	"callbox/acd/agent"
)

// Candidate is a free agent who may take a call: a member of the call's
// queue who meets its (widened) requirements and was not skipped for it.
type Candidate struct {
	Agent  *agent.Agent
	Member Member
	// Order is the agent's place in the queue's member list.
	Order int
	// Score is how well the agent matches the call's requirements: the
	// sum of their levels in the required skills.
	Score int
}

// View is what a strategy may know about the call being placed.
type View struct {
	CallID string
	Caller string
	// Preferred is the caller's previous agent or the designated agent.
	Preferred string
	Now       time.Time
}

// Strategy orders the candidates for one call and returns the ones to
// ring: all of them for ring-all, one for the others. It may reorder
// cands in place and returns a sub-slice of it; cands is never empty and
// holds only the lowest-penalty tier.
type Strategy interface {
	Choose(v *View, cands []Candidate) []Candidate
}

// Rememberer is a Strategy that learns which agent was offered a call
// (round robin remembers where it stopped).
type Rememberer interface {
	Remember(c Candidate)
}

// NewStrategy returns the strategy called name; random ones draw from
// rng.
func NewStrategy(name StrategyName, rng *rand.Rand) (Strategy, error) {
	switch name {
	case RingAll:
		return RingAllStrategy{}, nil
	case LongestIdle, "":
		return LongestIdleStrategy{}, nil
	case LeastRecent:
		return LeastRecentStrategy{}, nil
	case FewestCalls:
		return FewestCallsStrategy{}, nil
	case LeastTalkTime:
		return LeastTalkTimeStrategy{}, nil
	case RoundRobin:
		return &RoundRobinStrategy{last: -1}, nil
	case Linear:
		return LinearStrategy{}, nil
	case Random:
		return RandomStrategy{Rand: rng}, nil
	case WeightedRandom:
		return WeightedRandomStrategy{Rand: rng}, nil
	case Skills:
		return SkillsStrategy{}, nil
	}
	return nil, fmt.Errorf("%w: strategy %q", ErrBadConfig, name)
}

// best returns the single candidate that sorts first under less.
func best(cands []Candidate, less func(a, b *Candidate) bool) []Candidate {
	i := 0
	for j := 1; j < len(cands); j++ {
		if less(&cands[j], &cands[i]) {
			i = j
		}
	}
	return cands[i : i+1]
}

// idler breaks ties: the agent idle longest, then member order.
func idler(a, b *Candidate) bool {
	ia, ib := a.Agent.Counters().IdleSince, b.Agent.Counters().IdleSince
	if !ia.Equal(ib) {
		return ia.Before(ib)
	}
	return a.Order < b.Order
}

// RingAllStrategy rings every candidate; the first to answer wins.
type RingAllStrategy struct{}

// Choose implements Strategy.
func (RingAllStrategy) Choose(_ *View, cands []Candidate) []Candidate { return cands }

// LongestIdleStrategy picks the agent who has been available longest.
type LongestIdleStrategy struct{}

// Choose implements Strategy.
func (LongestIdleStrategy) Choose(_ *View, cands []Candidate) []Candidate { return best(cands, idler) }

// LeastRecentStrategy picks the agent whose last call ended longest ago
// (never is longest).
type LeastRecentStrategy struct{}

// Choose implements Strategy.
func (LeastRecentStrategy) Choose(_ *View, cands []Candidate) []Candidate {
	return best(cands, func(a, b *Candidate) bool {
		la, lb := a.Agent.Counters().LastCallEnd, b.Agent.Counters().LastCallEnd
		if !la.Equal(lb) {
			return la.Before(lb)
		}
		return idler(a, b)
	})
}

// FewestCallsStrategy picks the agent who answered the fewest calls.
type FewestCallsStrategy struct{}

// Choose implements Strategy.
func (FewestCallsStrategy) Choose(_ *View, cands []Candidate) []Candidate {
	return best(cands, func(a, b *Candidate) bool {
		ca, cb := a.Agent.Counters().Calls, b.Agent.Counters().Calls
		if ca != cb {
			return ca < cb
		}
		return idler(a, b)
	})
}

// LeastTalkTimeStrategy picks the agent with the least talk time.
type LeastTalkTimeStrategy struct{}

// Choose implements Strategy.
func (LeastTalkTimeStrategy) Choose(_ *View, cands []Candidate) []Candidate {
	return best(cands, func(a, b *Candidate) bool {
		ta, tb := a.Agent.Counters().TalkTime, b.Agent.Counters().TalkTime
		if ta != tb {
			return ta < tb
		}
		return idler(a, b)
	})
}

// LinearStrategy picks the first free agent in member order (top-down).
type LinearStrategy struct{}

// Choose implements Strategy.
func (LinearStrategy) Choose(_ *View, cands []Candidate) []Candidate {
	return best(cands, func(a, b *Candidate) bool { return a.Order < b.Order })
}

// RoundRobinStrategy picks the next free agent in member order after the
// one it offered last, wrapping around.
type RoundRobinStrategy struct {
	last int // member order of the last agent offered; -1 before any
}

// Choose implements Strategy.
func (s *RoundRobinStrategy) Choose(_ *View, cands []Candidate) []Candidate {
	// Distance after last, wrapping: members after last come first.
	dist := func(c *Candidate) int {
		if c.Order > s.last {
			return c.Order - s.last
		}
		return c.Order - s.last + 1<<30
	}
	return best(cands, func(a, b *Candidate) bool { return dist(a) < dist(b) })
}

// Remember implements Rememberer.
func (s *RoundRobinStrategy) Remember(c Candidate) { s.last = c.Order }

// RandomStrategy picks a candidate uniformly at random.
type RandomStrategy struct{ Rand *rand.Rand }

// Choose implements Strategy.
func (s RandomStrategy) Choose(_ *View, cands []Candidate) []Candidate {
	i := s.Rand.IntN(len(cands))
	return cands[i : i+1]
}

// WeightedRandomStrategy picks a candidate at random in proportion to
// their member weight (0 counts as 1).
type WeightedRandomStrategy struct{ Rand *rand.Rand }

// Choose implements Strategy.
func (s WeightedRandomStrategy) Choose(_ *View, cands []Candidate) []Candidate {
	total := 0
	for i := range cands {
		total += weight(&cands[i])
	}
	n := s.Rand.IntN(total)
	for i := range cands {
		n -= weight(&cands[i])
		if n < 0 {
			return cands[i : i+1]
		}
	}
	return cands[len(cands)-1:]
}

func weight(c *Candidate) int { return max(c.Member.Weight, 1) }

// SkillsStrategy picks the best skill match (the highest Score, then the
// highest per-queue level), longest idle among equals.
type SkillsStrategy struct{}

// Choose implements Strategy.
func (SkillsStrategy) Choose(_ *View, cands []Candidate) []Candidate {
	return best(cands, func(a, b *Candidate) bool {
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Member.Level != b.Member.Level {
			return a.Member.Level > b.Member.Level
		}
		return idler(a, b)
	})
}

// AffinityStrategy offers the call to the preferred agent (the caller's
// previous agent or a designated one) when they are a candidate, and
// otherwise leaves the choice to Then. The dispatcher wraps a queue's
// strategy in it when the queue has AffinityFor or the call a designated
// agent.
type AffinityStrategy struct{ Then Strategy }

// Choose implements Strategy.
func (s AffinityStrategy) Choose(v *View, cands []Candidate) []Candidate {
	if v.Preferred != "" {
		for i := range cands {
			if cands[i].Agent.ID() == v.Preferred {
				return cands[i : i+1]
			}
		}
	}
	return s.Then.Choose(v, cands)
}

// Remember implements Rememberer by passing on to Then.
func (s AffinityStrategy) Remember(c Candidate) {
	if r, ok := s.Then.(Rememberer); ok {
		r.Remember(c)
	}
}
