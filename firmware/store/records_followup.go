package store

import "time"

// Follow-up tasks are the agents' outbound work list (acd/followup): a
// customer to call back by a date, for a reason, made from a wrap-up, the
// API or an imported file. Like the CTI's kinds, the buckets came without a
// schema step: Open creates the buckets a file of the current schema
// lacks, and older firmware never reads them.

// The follow-up kinds.
const (
	KindFollowup       Kind = "followups"
	KindFollowupPolicy Kind = "followuppolicy"
)

// FollowupState is where a follow-up task is in its life.
type FollowupState string

// The follow-up states. Open tasks wait for their due time; dialing is
// one attempt in progress; done, failed and cancelled are final.
const (
	FollowupOpen      FollowupState = "open"
	FollowupDialing   FollowupState = "dialing"
	FollowupDone      FollowupState = "done"
	FollowupFailed    FollowupState = "failed"
	FollowupCancelled FollowupState = "cancelled"
)

// FollowupStates lists every state, in life order.
var FollowupStates = []FollowupState{FollowupOpen, FollowupDialing, FollowupDone, FollowupFailed, FollowupCancelled}

// Final reports whether no more work is planned on a task in state s.
func (s FollowupState) Final() bool {
	return s == FollowupDone || s == FollowupFailed || s == FollowupCancelled
}

// FollowupSource says what made a follow-up task.
type FollowupSource string

// The follow-up sources.
const (
	FollowupFromWrapUp FollowupSource = "wrapup"
	FollowupFromAPI    FollowupSource = "api"
	FollowupFromImport FollowupSource = "import"
)

// FollowupOutcome is what an attempt to reach the customer gave.
type FollowupOutcome string

// The follow-up outcomes an agent records.
const (
	OutcomeReached     FollowupOutcome = "reached"
	OutcomeNoAnswer    FollowupOutcome = "noanswer"
	OutcomeBusy        FollowupOutcome = "busy"
	OutcomeWrongNumber FollowupOutcome = "wrongnumber"
	OutcomeReschedule  FollowupOutcome = "reschedule"
)

// FollowupOutcomes lists every outcome, in the order the console offers
// them.
var FollowupOutcomes = []FollowupOutcome{OutcomeReached, OutcomeNoAnswer, OutcomeBusy, OutcomeWrongNumber, OutcomeReschedule}

// Follow-up bounds.
const (
	MaxFollowupPriority = 9
	maxFollowupAttempts = 99
)

// Followup is one task on an agent's follow-up list. Key: ID, the agent
// followed by "." and a NewID (acd/followup), so one agent's tasks are one
// key range.
type Followup struct {
	ID string `json:"id"`
	// Agent is the agent whose list the task is on.
	Agent  string `json:"agent"`
	Number string `json:"number"`
	// CustomerID links the task to a directory customer, when known;
	// Name is who to ask for, as the creator wrote it.
	CustomerID string    `json:"customerId,omitempty"`
	Name       string    `json:"name,omitempty"`
	Reason     string    `json:"reason"`
	Due        time.Time `json:"due"`
	// Priority orders tasks due at the same time: higher first.
	Priority  int            `json:"priority,omitempty"`
	Source    FollowupSource `json:"source"`
	CreatedBy string         `json:"createdBy,omitempty"`
	// CallID is the call the task was made from (a wrap-up).
	CallID   string          `json:"callId,omitempty"`
	State    FollowupState   `json:"state"`
	Attempts int             `json:"attempts,omitempty"`
	Outcome  FollowupOutcome `json:"outcome,omitempty"`
	Note     string          `json:"note,omitempty"`
	// LastCall is the call of the latest attempt.
	LastCall  string    `json:"lastCall,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Kind implements Record.
func (Followup) Kind() Kind { return KindFollowup }

// Key implements Record.
func (f Followup) Key() string { return f.ID }

// Validate implements Record.
func (t Followup) Validate() error {
	var f fields
	f.name("id", t.ID)
	f.digits("agent", t.Agent, true, 2, 8)
	f.dialable("number", t.Number, true)
	if t.CustomerID != "" && !isName(t.CustomerID) {
		f.add("customerId", codeName, 64)
	}
	f.text("name", t.Name, false, 128)
	f.para("reason", t.Reason, true, 500)
	if t.Due.IsZero() {
		f.add("due", codeRequired)
	}
	f.intRange("priority", t.Priority, 0, MaxFollowupPriority)
	oneOf(&f, "source", t.Source, true, FollowupFromWrapUp, FollowupFromAPI, FollowupFromImport)
	f.text("createdBy", t.CreatedBy, false, 64)
	f.text("callId", t.CallID, false, 128)
	oneOf(&f, "state", t.State, true, FollowupStates...)
	f.intRange("attempts", t.Attempts, 0, maxFollowupAttempts)
	oneOf(&f, "outcome", t.Outcome, false, FollowupOutcomes...)
	f.para("note", t.Note, false, 1000)
	f.text("lastCall", t.LastCall, false, 128)
	if t.CreatedAt.IsZero() {
		f.add("createdAt", codeRequired)
	}
	return f.result(KindFollowup, t.ID)
}

// FollowupPolicyKey is the key of the one FollowupPolicy record.
const FollowupPolicyKey = "policy"

// FollowupPolicy is the retry rule of follow-up calls nobody answered:
// after a no-answer or busy attempt the task comes back RetryMinutes
// later (the n-th entry after the n-th attempt, the last one repeated),
// until MaxAttempts attempts have been made; then it has failed.
type FollowupPolicy struct {
	MaxAttempts  int   `json:"maxAttempts"`
	RetryMinutes []int `json:"retryMinutes"`
}

// Kind implements Record.
func (FollowupPolicy) Kind() Kind { return KindFollowupPolicy }

// Key implements Record.
func (FollowupPolicy) Key() string { return FollowupPolicyKey }

// Validate implements Record.
func (p FollowupPolicy) Validate() error {
	var f fields
	f.intRange("maxAttempts", p.MaxAttempts, 1, 20)
	if len(p.RetryMinutes) == 0 {
		f.add("retryMinutes", codeRequired)
	} else if len(p.RetryMinutes) > 10 {
		f.add("retryMinutes", codeRange, 1, 10)
	}
	for i, m := range p.RetryMinutes {
		f.intRange(indexed("retryMinutes", i), m, 1, 7*24*60)
	}
	return f.result(KindFollowupPolicy, FollowupPolicyKey)
}

// DefaultFollowupPolicy is the rule of a box whose installer set none:
// three attempts, half an hour and then two hours apart.
func DefaultFollowupPolicy() FollowupPolicy {
	return FollowupPolicy{MaxAttempts: 3, RetryMinutes: []int{30, 120}}
}

// GetFollowupPolicy returns the stored retry rule, or the default when
// none is stored.
func GetFollowupPolicy(s *Store) (FollowupPolicy, error) {
	p, err := Get[FollowupPolicy](s, FollowupPolicyKey)
	if isNotFound(err) {
		return DefaultFollowupPolicy(), nil
	}
	return p, err
}

// Retry returns how long after its attempt-th failed attempt (from 1) a
// task comes back.
func (p FollowupPolicy) Retry(attempt int) time.Duration {
	if len(p.RetryMinutes) == 0 {
		return time.Hour
	}
	i := min(max(attempt, 1), len(p.RetryMinutes)) - 1
	return time.Duration(p.RetryMinutes[i]) * time.Minute
}

func init() {
	recordVersions[KindFollowup] = 1
	recordVersions[KindFollowupPolicy] = 1
	codecs[KindFollowup] = codecFor[Followup]()
	codecs[KindFollowupPolicy] = codecFor[FollowupPolicy]()
}
