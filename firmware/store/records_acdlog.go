package store

import (
	"time"

	"callbox/firmware/i18n"
)

// The states and outcomes a Callback may hold; they spell acd/queue's
// CallbackState and CallbackOutcome.
var (
	CallbackStates   = []string{"pending", "offered", "dialing", "done", "failed"}
	CallbackOutcomes = []string{"connected", "noanswer", "busy", "failed", "invalid", "cancelled"}
)

// Callback is a caller's request to be called back, kept so that it
// survives a restart with the caller's place in the queue (Seq and
// Joined). Key: ID, the original call's ID. acd/queue reads and writes
// these through its CallbackStore.
type Callback struct {
	ID string `json:"id"`
	// Queue names the queue; it may no longer exist (the callback waits).
	Queue string `json:"queue"`
	// Number is what the box dials: 3 to 20 digits after an optional '+'.
	Number       string       `json:"number"`
	Caller       string       `json:"caller,omitempty"`
	CallerName   string       `json:"callerName,omitempty"`
	Lang         i18n.Lang    `json:"lang,omitempty"`
	Priority     int          `json:"priority,omitempty"`
	Requirements []QueueSkill `json:"requirements,omitempty"`
	// Joined and Seq are the caller's place: the first join and its order.
	Joined    time.Time `json:"joined"`
	Seq       uint64    `json:"seq"`
	CreatedAt time.Time `json:"createdAt"`
	// State is one of CallbackStates, Outcome one of CallbackOutcomes.
	State       string    `json:"state"`
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	Outcome     string    `json:"outcome,omitempty"`
	Agent       string    `json:"agent,omitempty"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
}

// Kind implements Record.
func (Callback) Kind() Kind { return KindCallback }

// Key implements Record.
func (c Callback) Key() string { return c.ID }

// Validate implements Record.
func (c Callback) Validate() error {
	var f fields
	f.text("id", c.ID, true, 128)
	f.name("queue", c.Queue)
	switch {
	case c.Number == "":
		f.add("number", codeRequired)
	case !IsCallbackNumber(c.Number):
		f.add("number", codeCallbackNumber)
	}
	f.text("caller", c.Caller, false, 64)
	f.text("callerName", c.CallerName, false, 64)
	f.lang("lang", c.Lang, false)
	f.intRange("priority", c.Priority, -1<<20, 1<<20)
	for i, r := range c.Requirements {
		f.name(indexed("requirements", i)+".skill", r.Skill)
		f.intRange(indexed("requirements", i)+".minLevel", r.MinLevel, 0, 10)
	}
	if c.Joined.IsZero() {
		f.add("joined", codeRequired)
	}
	if c.CreatedAt.IsZero() {
		f.add("createdAt", codeRequired)
	} else if !c.Joined.IsZero() && c.CreatedAt.Before(c.Joined) {
		f.add("createdAt", codeTimeOrder)
	}
	oneOf(&f, "state", c.State, true, CallbackStates...)
	f.intRange("attempts", c.Attempts, 0, 1000)
	oneOf(&f, "outcome", c.Outcome, false, CallbackOutcomes...)
	f.digits("agent", c.Agent, false, 2, 8)
	return f.result(KindCallback, c.ID)
}

// QueueIntervalKey is the key of a queue's interval starting at start:
// the queue, '|', and the start in RFC 3339 UTC, so that one queue's
// intervals sort by time and ListFunc(queue+"|") reads them in order.
func QueueIntervalKey(queue string, start time.Time) string {
	return queue + "|" + start.UTC().Format(time.RFC3339)
}

// QueueInterval holds the finished figures of one queue for one
// reporting interval. acd/servicelevel.Interval is this type with the
// arithmetic (service level, ASA, AHT), so the figures are defined here
// once and convert as they are. Key: QueueIntervalKey.
type QueueInterval struct {
	Queue string    `json:"queue"`
	Start time.Time `json:"start"`
	// Offered counts every wait that ended in the interval: answered +
	// abandoned + overflowed + callbacks.
	Offered        int `json:"offered"`
	Answered       int `json:"answered"`
	AnsweredInSL   int `json:"answeredInSL"`
	Abandoned      int `json:"abandoned"`
	AbandonedShort int `json:"abandonedShort"`
	Overflowed     int `json:"overflowed"`
	Callbacks      int `json:"callbacks"`
	// AnswerWait sums the waits of answered calls.
	AnswerWait  time.Duration `json:"answerWait"`
	LongestWait time.Duration `json:"longestWait"`
	Handled     int           `json:"handled"`
	TalkTime    time.Duration `json:"talkTime"`
	WrapTime    time.Duration `json:"wrapTime"`
}

// Kind implements Record.
func (QueueInterval) Kind() Kind { return KindQueueInterval }

// Key implements Record.
func (iv QueueInterval) Key() string { return QueueIntervalKey(iv.Queue, iv.Start) }

// Validate implements Record.
func (iv QueueInterval) Validate() error {
	var f fields
	f.name("queue", iv.Queue)
	if iv.Start.IsZero() {
		f.add("start", codeRequired)
	} else if !iv.Start.Equal(iv.Start.Truncate(time.Second)) {
		// The key keeps whole seconds; two starts within a second
		// would share it.
		f.add("start", codeWholeSeconds)
	}
	const most = 1 << 30
	f.intRange("offered", iv.Offered, 0, most)
	f.intRange("answered", iv.Answered, 0, iv.Offered)
	f.intRange("answeredInSL", iv.AnsweredInSL, 0, iv.Answered)
	f.intRange("abandoned", iv.Abandoned, 0, iv.Offered)
	f.intRange("abandonedShort", iv.AbandonedShort, 0, iv.Abandoned)
	f.intRange("overflowed", iv.Overflowed, 0, iv.Offered)
	f.intRange("callbacks", iv.Callbacks, 0, iv.Offered)
	f.intRange("handled", iv.Handled, 0, most)
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"answerWait", iv.AnswerWait}, {"longestWait", iv.LongestWait}, {"talkTime", iv.TalkTime}, {"wrapTime", iv.WrapTime}} {
		if d.v < 0 {
			f.add(d.field, codeNegative)
		}
	}
	return f.result(KindQueueInterval, iv.Key())
}
