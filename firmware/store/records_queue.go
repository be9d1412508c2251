package store

import (
	"errors"
	"strings"

	"callbox/firmware/i18n"
)

// Strategy is how a queue picks the next agent.
type Strategy string

// The queue strategies (acd/queue implements them).
const (
	StrategyRingAll        Strategy = "ringall"        // ring every free agent
	StrategyLongestIdle    Strategy = "longestidle"    // the agent idle longest
	StrategyLeastRecent    Strategy = "leastrecent"    // the agent whose last queue call ended longest ago
	StrategyRoundRobin     Strategy = "roundrobin"     // in turn, remembering the last
	StrategyFewestCalls    Strategy = "fewestcalls"    // fewest calls answered today
	StrategyLeastTalkTime  Strategy = "leasttalktime"  // least talk time today
	StrategyRandom         Strategy = "random"         // any free agent
	StrategyWeightedRandom Strategy = "weightedrandom" // at random, in proportion to QueueMember.Weight
	StrategyLinear         Strategy = "linear"         // in the order of Queue.Members
	StrategySkills         Strategy = "skills"         // best skill level first, then longest idle
)

// Strategies lists every queue strategy.
var Strategies = []Strategy{StrategyRingAll, StrategyLongestIdle, StrategyLeastRecent, StrategyRoundRobin,
	StrategyFewestCalls, StrategyLeastTalkTime, StrategyRandom, StrategyWeightedRandom, StrategyLinear, StrategySkills}

// QueueSkill is a skill a queue requires, at a minimum level.
type QueueSkill struct {
	Skill    string `json:"skill"`
	MinLevel int    `json:"minLevel"`
}

// QueueMember is an agent's membership of a queue.
type QueueMember struct {
	// Agent is the agent's ID.
	Agent string `json:"agent"`
	// Penalty 0-100: a member is offered a call only when no free member
	// with a lower penalty qualifies.
	Penalty int `json:"penalty"`
	// Level 1-10 is the member's skill in this queue (skills strategy).
	Level int `json:"level"`
	// Weight 1-100 is the member's share under weightedrandom.
	Weight int `json:"weight"`
}

// ExitKind is where a caller's key press takes them out of a queue.
type ExitKind string

// The exits.
const (
	ExitVoicemail ExitKind = "vm"       // Target: a mailbox (extension number)
	ExitCallback  ExitKind = "callback" // keep the place, call the caller back
	ExitFlow      ExitKind = "flow"     // Target: an IVR flow ID
)

// QueueExit maps one DTMF key to an exit while a caller waits.
type QueueExit struct {
	Key    string   `json:"key"`
	Kind   ExitKind `json:"kind"`
	Target string   `json:"target,omitempty"`
}

// RecordPolicy is which of a queue's calls are recorded; "" is
// RecordAll, because the product records every call unless told not to.
type RecordPolicy string

// The recording policies (acd/queue applies them).
const (
	RecordAll      RecordPolicy = "all"      // every answered call, from the answer
	RecordNone     RecordPolicy = "none"     // no call
	RecordOnDemand RecordPolicy = "ondemand" // from when the agent or a supervisor asks
)

// Presence is a rule about a queue's agents for callers joining or
// staying; "" is PresenceAlways.
type Presence string

// The presence rules.
const (
	PresenceAlways   Presence = "always"   // whatever the agents do
	PresenceLoggedIn Presence = "loggedin" // while some member is logged in (even paused)
	PresenceUnpaused Presence = "unpaused" // while some member is logged in and not paused
)

// WidenStep relaxes a waiting call's required skills after it waited
// AfterSeconds: levels above MaxLevel drop to MaxLevel, and Any drops
// every requirement.
type WidenStep struct {
	AfterSeconds int  `json:"afterSeconds"`
	MaxLevel     int  `json:"maxLevel,omitempty"`
	Any          bool `json:"any,omitempty"`
}

// Queue holds callers until an agent is free. Key: Name. Zero numbers
// mean the ACD's defaults (see acd/queue).
type Queue struct {
	Name string `json:"name"`
	// Number is an optional internal number that dials the queue.
	Number   string       `json:"number,omitempty"`
	Strategy Strategy     `json:"strategy"`
	Skills   []QueueSkill `json:"skills,omitempty"`
	// Members are the static members, in order for linear and round robin.
	Members []QueueMember `json:"members,omitempty"`
	// Widen relaxes Skills as a call waits, in increasing AfterSeconds.
	Widen []WidenStep `json:"widen,omitempty"`
	// MaxWaitSeconds sends the caller to Overflow after this wait (0: no limit).
	MaxWaitSeconds int `json:"maxWaitSeconds,omitempty"`
	// MaxCallers refuses new callers beyond this many waiting (0: no limit).
	MaxCallers          int `json:"maxCallers,omitempty"`
	RingSeconds         int `json:"ringSeconds,omitempty"`
	WrapUpSeconds       int `json:"wrapUpSeconds,omitempty"`
	ServiceLevelSeconds int `json:"serviceLevelSeconds,omitempty"`
	// AnnounceSeconds is the interval of announcements to waiting callers;
	// they say the position (AnnouncePosition) and/or the estimated wait
	// (AnnounceWait).
	AnnounceSeconds  int  `json:"announceSeconds,omitempty"`
	AnnouncePosition bool `json:"announcePosition,omitempty"`
	AnnounceWait     bool `json:"announceWait,omitempty"`
	// ExitKeys are the keys a waiting caller may press to leave.
	ExitKeys []QueueExit `json:"exitKeys,omitempty"`
	// JoinWhen refuses new callers, StayWhen sends waiting ones to
	// Overflow, when the members do not meet the rule.
	JoinWhen Presence `json:"joinWhen,omitempty"`
	StayWhen Presence `json:"stayWhen,omitempty"`
	// AffinitySeconds: a caller who calls again within this time is
	// offered first to the agent who served them (0: off).
	AffinitySeconds int `json:"affinitySeconds,omitempty"`
	// AffinityHoldSeconds: how long such a caller waits for that agent
	// alone while the agent is logged in and not paused.
	AffinityHoldSeconds int `json:"affinityHoldSeconds,omitempty"`
	// SkipSeconds: how long an agent who missed a call is skipped for it
	// (0: for the rest of its wait).
	SkipSeconds int `json:"skipSeconds,omitempty"`
	// CallbackTries and CallbackRetrySeconds bound how a callback is dialled.
	CallbackTries        int `json:"callbackTries,omitempty"`
	CallbackRetrySeconds int `json:"callbackRetrySeconds,omitempty"`
	// HandleSamples is how many recent calls the estimated wait follows.
	HandleSamples int `json:"handleSamples,omitempty"`
	// Overflow is where callers go after MaxWaitSeconds: an extension, a
	// queue name, a flow ID or a number.
	Overflow string `json:"overflow,omitempty"`
	// Hours names the Hours record; outside them callers go to Closed.
	Hours  string    `json:"hours,omitempty"`
	Closed string    `json:"closed,omitempty"`
	Lang   i18n.Lang `json:"lang,omitempty"`
	// Record is which calls are recorded; "" means RecordAll (see
	// RecordPolicyOrDefault).
	Record RecordPolicy `json:"record,omitempty"`
}

// RecordPolicyOrDefault is the queue's recording policy, RecordAll when
// the record leaves it empty.
func (q Queue) RecordPolicyOrDefault() RecordPolicy {
	if q.Record == "" {
		return RecordAll
	}
	return q.Record
}

// Kind implements Record.
func (Queue) Kind() Kind { return KindQueue }

// Key implements Record.
func (q Queue) Key() string { return q.Name }

// Validate implements Record.
func (q Queue) Validate() error {
	var f fields
	f.name("name", q.Name)
	f.digits("number", q.Number, false, 2, 8)
	oneOf(&f, "strategy", q.Strategy, true, Strategies...)
	names := make([]string, len(q.Skills))
	for i, s := range q.Skills {
		f.name(indexed("skills", i)+".skill", s.Skill)
		f.intRange(indexed("skills", i)+".minLevel", s.MinLevel, 1, 10)
		names[i] = s.Skill
	}
	noDuplicates(&f, "skills", names)
	agents := make([]string, len(q.Members))
	for i, m := range q.Members {
		p := indexed("members", i)
		f.digits(p+".agent", m.Agent, true, 2, 8)
		f.intRange(p+".penalty", m.Penalty, 0, 100)
		f.intRange(p+".level", m.Level, 1, 10)
		f.intRange(p+".weight", m.Weight, 1, 100)
		agents[i] = m.Agent
	}
	noDuplicates(&f, "members", agents)
	q.validateWiden(&f)
	f.intRange("maxWaitSeconds", q.MaxWaitSeconds, 0, 86400)
	f.intRange("maxCallers", q.MaxCallers, 0, 10000)
	f.intRange("ringSeconds", q.RingSeconds, 0, 600)
	f.intRange("wrapUpSeconds", q.WrapUpSeconds, 0, 3600)
	f.intRange("serviceLevelSeconds", q.ServiceLevelSeconds, 0, 3600)
	switch {
	case q.AnnounceSeconds == 0 && (q.AnnouncePosition || q.AnnounceWait):
		f.add("announceSeconds", codeAnnounceEvery)
	case q.AnnounceSeconds != 0:
		f.intRange("announceSeconds", q.AnnounceSeconds, 15, 3600)
	}
	q.validateExits(&f)
	oneOf(&f, "joinWhen", q.JoinWhen, false, PresenceAlways, PresenceLoggedIn, PresenceUnpaused)
	oneOf(&f, "stayWhen", q.StayWhen, false, PresenceAlways, PresenceLoggedIn, PresenceUnpaused)
	f.intRange("affinitySeconds", q.AffinitySeconds, 0, 30*86400)
	f.intRange("affinityHoldSeconds", q.AffinityHoldSeconds, 0, 3600)
	f.intRange("skipSeconds", q.SkipSeconds, 0, 3600)
	f.intRange("callbackTries", q.CallbackTries, 0, 20)
	f.intRange("callbackRetrySeconds", q.CallbackRetrySeconds, 0, 86400)
	f.intRange("handleSamples", q.HandleSamples, 0, 1000)
	f.text("overflow", q.Overflow, false, 64)
	if q.Overflow != "" && q.Overflow == q.Name {
		f.add("overflow", codeOverflowSelf)
	}
	if q.Hours != "" && !isName(q.Hours) {
		f.add("hours", codeName, 64)
	}
	f.text("closed", q.Closed, false, 64)
	f.lang("lang", q.Lang, false)
	oneOf(&f, "record", q.Record, false, RecordAll, RecordNone, RecordOnDemand)
	return f.result(KindQueue, q.Name)
}

func (q Queue) validateWiden(f *fields) {
	prev := 0
	for i, w := range q.Widen {
		p := indexed("widen", i)
		f.intRange(p+".afterSeconds", w.AfterSeconds, 1, 86400)
		if i > 0 && w.AfterSeconds <= prev {
			f.add(p+".afterSeconds", codeWidenOrder)
		}
		prev = w.AfterSeconds
		if !w.Any {
			f.intRange(p+".maxLevel", w.MaxLevel, 1, 10)
		} else if w.MaxLevel != 0 {
			f.add(p+".maxLevel", codeWidenAny)
		}
	}
}

func (q Queue) validateExits(f *fields) {
	keys := make([]string, len(q.ExitKeys))
	for i, e := range q.ExitKeys {
		p := indexed("exitKeys", i)
		if len(e.Key) != 1 || !strings.Contains("0123456789*#", e.Key) {
			f.add(p+".key", codeExitKey)
		}
		keys[i] = e.Key
		oneOf(f, p+".kind", e.Kind, true, ExitVoicemail, ExitCallback, ExitFlow)
		switch e.Kind {
		case ExitVoicemail:
			f.digits(p+".target", e.Target, true, 2, 8)
		case ExitFlow:
			f.name(p+".target", e.Target)
		case ExitCallback:
			if e.Target != "" {
				f.add(p+".target", codeExitTarget)
			}
		}
	}
	noDuplicates(f, "exitKeys", keys)
}

// IsCallbackNumber reports whether v is a number a callback may dial: 3 to
// 20 digits, optionally after a leading '+' (acd/queue's rule).
func IsCallbackNumber(v string) bool {
	s := strings.TrimPrefix(v, "+")
	return len(s) >= 3 && len(s) <= 20 && isDigits(s)
}

var errBadAgentList = errors.New("agents is not a list of agent IDs")

// upgradeQueueV1 turns a queue of record version 1 (schema 2: "agents" as
// a list of IDs, "offerCallback" meaning key 1, announcements every
// minute) into the current shape with the same behaviour: each agent
// becomes a member with penalty 0, level 1, weight 1.
func upgradeQueueV1(data map[string]any) error {
	if agents, ok := data["agents"].([]any); ok {
		members := make([]any, 0, len(agents))
		for _, a := range agents {
			id, ok := a.(string)
			if !ok {
				return errBadAgentList
			}
			members = append(members, map[string]any{"agent": id, "penalty": 0, "level": 1, "weight": 1})
		}
		data["members"] = members
	} else if data["agents"] != nil {
		return errBadAgentList
	}
	delete(data, "agents")
	if cb, _ := data["offerCallback"].(bool); cb {
		data["exitKeys"] = []any{map[string]any{"key": "1", "kind": string(ExitCallback)}}
	}
	delete(data, "offerCallback")
	if pos, _ := data["announcePosition"].(bool); pos {
		data["announceSeconds"] = 60
		data["announceWait"] = true
	}
	return nil
}
