package queue

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"callbox/acd/agent"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// strategyAgents builds four agents whose figures make each counter
// strategy pick a different one:
//
//	101: idle longest (since +100s); 2 calls, 200s talk, last end +100s
//	102: last call longest ago (+50s) but idle since +600s; 2 calls, 300s talk
//	103: fewest calls (1), 400s talk, last end and idle since +200s
//	104: least talk (20s), 2 calls, last end and idle since +300s
func strategyAgents(t *testing.T) []Candidate {
	t.Helper()
	clk := &fakeClock{t: t0.Add(-1000 * time.Second)}
	r := agent.NewRoster(agent.WithClock(clk.now))
	type op struct {
		at  int
		id  string
		do  string
		arg int
	}
	ops := []op{
		{-1000, "101", "login", 0}, {-1000, "102", "login", 0}, {-1000, "103", "login", 0}, {-1000, "104", "login", 0},
		{-300, "101", "call", 1}, {-200, "101", "end", 1}, {0, "101", "call", 2}, {100, "101", "end", 2},
		{-260, "102", "call", 1}, {-110, "102", "end", 1}, {-100, "102", "call", 2}, {50, "102", "end", 2},
		{51, "102", "pause", 0}, {600, "102", "resume", 0},
		{-200, "103", "call", 1}, {200, "103", "end", 1},
		{-50, "104", "call", 1}, {-40, "104", "end", 1}, {290, "104", "call", 2}, {300, "104", "end", 2},
	}
	slices.SortStableFunc(ops, func(a, b op) int { return a.at - b.at })
	for _, id := range []string{"101", "102", "103", "104"} {
		r.Set(agent.Profile{ID: id})
	}
	for _, o := range ops {
		clk.t = t0.Add(time.Duration(o.at) * time.Second)
		call := o.id + "-" + string(rune('0'+o.arg))
		var err error
		switch o.do {
		case "login":
			err = r.Login(o.id, "2"+o.id)
		case "call":
			if err = r.Offer(o.id, call, "q"); err == nil {
				err = r.Answer(o.id, call)
			}
		case "end":
			_, err = r.Hangup(o.id, call, 0)
		case "pause":
			err = r.Pause(o.id, "lunch")
		case "resume":
			err = r.Resume(o.id)
		}
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
	}
	var cands []Candidate
	for i, a := range r.All() {
		cands = append(cands, Candidate{Agent: a, Member: Member{Agent: a.ID()}, Order: i})
	}
	return cands
}

func chosen(cs []Candidate) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.Agent.ID())
	}
	return ids
}

func TestStrategy_CounterStrategiesEachPickTheirAgent(t *testing.T) {
	cases := []struct {
		name StrategyName
		want string
	}{
		{LongestIdle, "101"},
		{LeastRecent, "102"},
		{FewestCalls, "103"},
		{LeastTalkTime, "104"},
		{Linear, "101"},
		{Skills, "101"}, // no requirements, equal levels: longest idle
	}
	for _, c := range cases {
		s, err := NewStrategy(c.name, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := chosen(s.Choose(&View{}, strategyAgents(t)))
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s chose %v, want %s", c.name, got, c.want)
		}
	}
}

func TestStrategy_TiesGoToLongestIdleThenMemberOrder(t *testing.T) {
	cands := strategyAgents(t)
	// 101 and 104 both answered 2 calls, 102 too; without 103 fewest
	// calls ties three ways and longest idle (101) wins.
	got := chosen(FewestCallsStrategy{}.Choose(&View{}, []Candidate{cands[3], cands[1], cands[0]}))
	if got[0] != "101" {
		t.Errorf("tie went to %v", got)
	}
	same := []Candidate{cands[2], cands[2]}
	same[0].Order, same[1].Order = 5, 2
	if c := (LongestIdleStrategy{}).Choose(&View{}, same); c[0].Order != 2 {
		t.Errorf("equal idle: order %d won", c[0].Order)
	}
}

func TestStrategy_RingAllRingsEveryone(t *testing.T) {
	if got := chosen(RingAllStrategy{}.Choose(&View{}, strategyAgents(t))); len(got) != 4 {
		t.Errorf("ring-all chose %v", got)
	}
}

func TestStrategy_RoundRobinRemembersWhereItStopped(t *testing.T) {
	cands := strategyAgents(t)
	s, _ := NewStrategy(RoundRobin, nil)
	rr := s.(*RoundRobinStrategy)
	var got []string
	for range 5 {
		c := rr.Choose(&View{}, slices.Clone(cands))[0]
		rr.Remember(c)
		got = append(got, c.Agent.ID())
	}
	if want := []string{"101", "102", "103", "104", "101"}; !slices.Equal(got, want) {
		t.Fatalf("turns = %v, want %v", got, want)
	}
	// After 101, with 102 and 103 busy, the turn passes to 104, then wraps to 101.
	c := rr.Choose(&View{}, []Candidate{cands[0], cands[3]})[0]
	rr.Remember(c)
	if c.Agent.ID() != "104" {
		t.Errorf("skipping busy agents chose %s", c.Agent.ID())
	}
	if c := rr.Choose(&View{}, []Candidate{cands[0], cands[3]})[0]; c.Agent.ID() != "101" {
		t.Errorf("wrap-around chose %s", c.Agent.ID())
	}
}

func TestStrategy_RandomIsReproducibleWithTheInjectedSource(t *testing.T) {
	cands := strategyAgents(t)
	pick := func() []string {
		s := RandomStrategy{Rand: rand.New(rand.NewPCG(7, 7))}
		var ids []string
		for range 40 {
			ids = append(ids, s.Choose(&View{}, cands)[0].Agent.ID())
		}
		return ids
	}
	a, b := pick(), pick()
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different picks")
	}
	for _, id := range []string{"101", "102", "103", "104"} {
		if !slices.Contains(a, id) {
			t.Errorf("%s never picked in 40 draws", id)
		}
	}
}

func TestStrategy_WeightedRandomFollowsWeights(t *testing.T) {
	cands := strategyAgents(t)[:3]
	cands[0].Member.Weight = 1
	cands[1].Member.Weight = 0 // counts as 1
	cands[2].Member.Weight = 8
	s := WeightedRandomStrategy{Rand: rand.New(rand.NewPCG(1, 1))}
	n := map[string]int{}
	for range 1000 {
		n[s.Choose(&View{}, cands)[0].Agent.ID()]++
	}
	// Expected 100/100/800; the seed makes the count exact and repeatable.
	if n["103"] < 750 || n["103"] > 850 || n["101"] < 60 || n["102"] < 60 {
		t.Errorf("draws = %v, want about 100/100/800", n)
	}
}

func TestStrategy_SkillsPrefersBestMatchThenLevelThenIdle(t *testing.T) {
	cands := strategyAgents(t)
	cands[0].Score, cands[1].Score, cands[2].Score, cands[3].Score = 5, 9, 9, 2
	if got := chosen(SkillsStrategy{}.Choose(&View{}, cands)); got[0] != "103" {
		t.Errorf("chose %v, want 103 (score 9, idle longer than 102)", got)
	}
	cands[1].Member.Level = 3
	if got := chosen(SkillsStrategy{}.Choose(&View{}, cands)); got[0] != "102" {
		t.Errorf("chose %v, want 102 (score 9, level 3)", got)
	}
}

func TestStrategy_AffinityPrefersPreviousAgentThenFallsBack(t *testing.T) {
	cands := strategyAgents(t)
	s := AffinityStrategy{Then: LongestIdleStrategy{}}
	if got := chosen(s.Choose(&View{Preferred: "104"}, cands)); got[0] != "104" {
		t.Errorf("preferred present: %v", got)
	}
	if got := chosen(s.Choose(&View{Preferred: "999"}, cands)); got[0] != "101" {
		t.Errorf("preferred absent: %v", got)
	}
}

func TestStrategy_EveryNameBuilds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range StrategyNames {
		if _, err := NewStrategy(n, rng); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, err := NewStrategy("fastest", rng); err == nil {
		t.Error("unknown strategy accepted")
	}
}
