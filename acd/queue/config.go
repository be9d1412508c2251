package queue

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// StrategyName names a queue strategy.
type StrategyName string

// The strategies (see strategy.go).
const (
	RingAll        StrategyName = "ringall"
	LongestIdle    StrategyName = "longestidle"
	LeastRecent    StrategyName = "leastrecent"
	FewestCalls    StrategyName = "fewestcalls"
	LeastTalkTime  StrategyName = "leasttalktime"
	RoundRobin     StrategyName = "roundrobin"
	Linear         StrategyName = "linear"
	Random         StrategyName = "random"
	WeightedRandom StrategyName = "weightedrandom"
	Skills         StrategyName = "skills"
)

// StrategyNames lists every strategy.
var StrategyNames = []StrategyName{RingAll, LongestIdle, LeastRecent, FewestCalls, LeastTalkTime, RoundRobin,
	Linear, Random, WeightedRandom, Skills}

// Defaults for zero Config fields.
const (
	DefaultRingTime      = 20 * time.Second
	DefaultServiceLevel  = 20 * time.Second
	DefaultHandleTime    = 3 * time.Minute
	DefaultHandleSamples = 20
	DefaultCallbackTries = 3
	DefaultCallbackRetry = 5 * time.Minute
)

// ErrBadConfig: a queue configuration was refused.
var ErrBadConfig = errors.New("queue: bad configuration")

// Member is an agent's membership of one queue.
type Member struct {
	Agent string
	// Penalty: agents with a higher penalty are offered a call only when
	// no free agent with a lower one qualifies.
	Penalty int
	// Level is the agent's skill level in this queue (1-10), used by the
	// skills strategy when a call has no requirements.
	Level int
	// Weight for weighted random (0 counts as 1).
	Weight int
}

// Requirement is a skill a call needs, at a minimum level: language=zh
// is {Skill: "zh", MinLevel: 1}, billing at level 3 {Skill: "billing",
// MinLevel: 3}.
type Requirement struct {
	Skill    string `json:"skill"`
	MinLevel int    `json:"minLevel"`
}

// WidenStep relaxes a call's requirements after it has waited After: each
// required level above MaxLevel drops to MaxLevel, and Any drops every
// requirement (any agent of the queue).
type WidenStep struct {
	After    time.Duration
	MaxLevel int
	Any      bool
}

// DestKind is where a caller can be sent out of a queue.
type DestKind string

// The destination kinds.
const (
	DestNone      DestKind = ""
	DestQueue     DestKind = "queue"
	DestFlow      DestKind = "flow"
	DestVoicemail DestKind = "vm"
	DestExtension DestKind = "ext"
	DestNumber    DestKind = "tel"
)

// Destination is an overflow or exit target.
type Destination struct {
	Kind   DestKind
	Target string
}

func (d Destination) String() string {
	if d.Kind == DestNone {
		return ""
	}
	return string(d.Kind) + ":" + d.Target
}

// ErrBadDestination: a destination string could not be read.
var ErrBadDestination = errors.New("queue: bad destination")

// ParseDestination reads "queue:sales", "flow:main", "vm:201", "ext:201"
// or "tel:+8613800000000". Without a prefix, 2-8 digits are an
// extension, a longer number (optionally with +) is an external number
// and a name is a queue. "" is DestNone.
func ParseDestination(s string) (Destination, error) {
	if s == "" {
		return Destination{}, nil
	}
	if k, t, ok := strings.Cut(s, ":"); ok {
		d := Destination{Kind: DestKind(k), Target: t}
		switch d.Kind {
		case DestQueue, DestFlow:
			if !isName(t) {
				return Destination{}, fmt.Errorf("%w: %q", ErrBadDestination, s)
			}
		case DestVoicemail, DestExtension:
			if !isDigits(t, 2, 8) {
				return Destination{}, fmt.Errorf("%w: %q", ErrBadDestination, s)
			}
		case DestNumber:
			if !Dialable(t) {
				return Destination{}, fmt.Errorf("%w: %q", ErrBadDestination, s)
			}
		default:
			return Destination{}, fmt.Errorf("%w: unknown kind in %q", ErrBadDestination, s)
		}
		return d, nil
	}
	switch {
	case isDigits(s, 2, 8):
		return Destination{Kind: DestExtension, Target: s}, nil
	case Dialable(s):
		return Destination{Kind: DestNumber, Target: s}, nil
	case isName(s):
		return Destination{Kind: DestQueue, Target: s}, nil
	}
	return Destination{}, fmt.Errorf("%w: %q", ErrBadDestination, s)
}

// Dialable reports whether s looks like a number the box can dial: 3 to
// 20 digits, optionally after a leading +.
func Dialable(s string) bool {
	return isDigits(strings.TrimPrefix(s, "+"), 3, 20)
}

func isDigits(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ExitKind is what a caller's key press leaves the queue for.
type ExitKind string

// The exits.
const (
	ExitVoicemail ExitKind = "vm"
	ExitCallback  ExitKind = "callback"
	ExitFlow      ExitKind = "flow"
)

// Exit is the configuration of one exit key.
type Exit struct {
	Kind ExitKind
	// Target is the mailbox or flow (unused for callback).
	Target string
}

// Presence is a rule about the queue's agents for joining or staying.
type Presence int

// The presence rules.
const (
	// Always: join (or stay) whatever the agents do.
	Always Presence = iota
	// LoggedIn: only while some member is logged in (even paused).
	LoggedIn
	// Unpaused: only while some member is logged in and not paused.
	Unpaused
)

// Config is one queue's settings. The dispatcher stamps a Version on
// every change; a waiting call keeps the version it joined with for what
// the caller experiences (see the package doc).
type Config struct {
	Name     string
	Version  int
	Strategy StrategyName
	// Members in order (the order linear and round robin follow).
	Members []Member
	// Requirements every call of the queue has; a call may add its own.
	Requirements []Requirement
	// Widen steps, in any order.
	Widen []WidenStep
	// RingTime an agent's phone rings before the offer counts as missed.
	RingTime time.Duration
	// SkipFor is how long an agent who rejected or missed a call is
	// skipped for that call; 0 skips them for the rest of its wait.
	SkipFor time.Duration
	// WrapUp after each call; the agent's own setting wins when set.
	WrapUp time.Duration
	// MaxWait sends the caller to Overflow (0: no limit).
	MaxWait time.Duration
	// MaxCallers refuses callers beyond this many waiting (0: no limit).
	MaxCallers int
	// ServiceLevel is the answer threshold for the service-level figure.
	ServiceLevel time.Duration
	// AnnounceEvery schedules position / wait announcements (0: none).
	AnnounceEvery    time.Duration
	AnnouncePosition bool
	AnnounceWait     bool
	// ExitKeys maps a DTMF key ("0"-"9", "*", "#") to an exit.
	ExitKeys map[string]Exit
	// Overflow is where callers go after MaxWait or when StayWhen fails.
	Overflow Destination
	// JoinWhen refuses new callers and StayWhen sends waiting ones to
	// Overflow when the queue's agents do not meet the rule.
	JoinWhen, StayWhen Presence
	// AffinityFor remembers which agent served a caller: a caller who
	// calls again within it is offered to that agent first (0: off).
	AffinityFor time.Duration
	// AffinityHold makes a returning caller (or one with a designated
	// agent) wait up to this long for that agent while they are logged in
	// and not paused, before the queue strategy takes over.
	AffinityHold time.Duration
	// HandleSamples is N of the exponentially weighted mean of handle
	// times (alpha = 2/(N+1)) behind the estimated wait.
	HandleSamples int
	// AssumedHandleTime seeds the mean before the first call.
	AssumedHandleTime time.Duration
	// CallbackTries and CallbackRetry bound how a callback is dialled.
	CallbackTries int
	CallbackRetry time.Duration
	// Lang is the default language of the queue's announcements.
	Lang string
	// Record is which of the queue's calls are recorded, for
	// WithConfiguredRecording; empty is RecordAll.
	Record RecordPolicy
}

// withDefaults fills zero fields and sorts the widening steps.
func (c Config) withDefaults() Config {
	c.Members = slices.Clone(c.Members)
	c.Requirements = slices.Clone(c.Requirements)
	c.Widen = slices.Clone(c.Widen)
	slices.SortStableFunc(c.Widen, func(a, b WidenStep) int { return int(a.After - b.After) })
	if c.RingTime <= 0 {
		c.RingTime = DefaultRingTime
	}
	if c.ServiceLevel <= 0 {
		c.ServiceLevel = DefaultServiceLevel
	}
	if c.HandleSamples <= 0 {
		c.HandleSamples = DefaultHandleSamples
	}
	if c.AssumedHandleTime <= 0 {
		c.AssumedHandleTime = DefaultHandleTime
	}
	if c.CallbackTries <= 0 {
		c.CallbackTries = DefaultCallbackTries
	}
	if c.CallbackRetry <= 0 {
		c.CallbackRetry = DefaultCallbackRetry
	}
	if c.Strategy == "" {
		c.Strategy = LongestIdle
	}
	return c
}

// Validate checks a configuration; the error wraps ErrBadConfig and names
// the first bad field.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: queue %q: %s", ErrBadConfig, c.Name, fmt.Sprintf(format, args...))
	}
	if !isName(c.Name) {
		return bad("name")
	}
	if c.Strategy != "" && !slices.Contains(StrategyNames, c.Strategy) {
		return bad("strategy %q", c.Strategy)
	}
	seen := make(map[string]bool, len(c.Members))
	for _, m := range c.Members {
		if m.Agent == "" || seen[m.Agent] {
			return bad("member %q missing or repeated", m.Agent)
		}
		seen[m.Agent] = true
		if m.Penalty < 0 || m.Level < 0 || m.Level > 10 || m.Weight < 0 {
			return bad("member %s: penalty, level or weight out of range", m.Agent)
		}
	}
	for _, r := range c.Requirements {
		if r.Skill == "" || r.MinLevel < 0 || r.MinLevel > 10 {
			return bad("requirement %q", r.Skill)
		}
	}
	for _, w := range c.Widen {
		if w.After < 0 || w.MaxLevel < 0 || w.MaxLevel > 10 {
			return bad("widen step after %v", w.After)
		}
	}
	if c.RingTime < 0 || c.SkipFor < 0 || c.WrapUp < 0 || c.MaxWait < 0 || c.MaxCallers < 0 || c.AnnounceEvery < 0 ||
		c.AffinityFor < 0 || c.AffinityHold < 0 || c.CallbackTries < 0 || c.CallbackRetry < 0 {
		return bad("negative duration or count")
	}
	for k, e := range c.ExitKeys {
		if len(k) != 1 || !strings.Contains("0123456789*#", k) {
			return bad("exit key %q", k)
		}
		switch e.Kind {
		case ExitCallback:
		case ExitVoicemail, ExitFlow:
			if e.Target == "" {
				return bad("exit key %q has no target", k)
			}
		default:
			return bad("exit key %q kind %q", k, e.Kind)
		}
	}
	if c.Overflow.Kind == DestQueue && c.Overflow.Target == c.Name {
		return bad("overflow to itself")
	}
	return nil
}
