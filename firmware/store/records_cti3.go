package store

import "time"

// KindScheduledCallback keeps the callbacks scheduled through the CTI
// API (acd/cti): each waits for its time, then is booked into its queue
// as an ordinary ACD callback (KindCallback), keeping its notes here for
// the agent's screen pop.
const KindScheduledCallback Kind = "scheduledcallbacks"

// The states of a scheduled callback.
const (
	// ScheduledWaiting: not yet due.
	ScheduledWaiting = "scheduled"
	// ScheduledBooked: handed to its queue, which dials it.
	ScheduledBooked = "booked"
	// ScheduledCancelled: withdrawn before it was dialled.
	ScheduledCancelled = "cancelled"
	// ScheduledFailed: the queue refused it at its time (Error says why).
	ScheduledFailed = "failed"
)

// ScheduledCallbackStates lists the states in their order of life.
var ScheduledCallbackStates = []string{ScheduledWaiting, ScheduledBooked, ScheduledCancelled, ScheduledFailed}

// ScheduledCallback is a callback to Number through Queue at When,
// scheduled from the API (a CRM, an agent's console).
type ScheduledCallback struct {
	ID     string    `json:"id"`
	Queue  string    `json:"queue"`
	Number string    `json:"number"`
	When   time.Time `json:"when"`
	// CustomerID links the built-in directory's customer, if known.
	CustomerID string `json:"customerId,omitempty"`
	Name       string `json:"name,omitempty"`
	Notes      string `json:"notes,omitempty"`
	// CreatedBy is the user (or "token:<name>") who scheduled it.
	CreatedBy string    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	State     string    `json:"state"`
	Error     string    `json:"error,omitempty"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Kind implements Record.
func (ScheduledCallback) Kind() Kind { return KindScheduledCallback }

// Key implements Record.
func (c ScheduledCallback) Key() string { return c.ID }

// Validate implements Record. Whether the number is dialable by the
// site's dialplan and the queue exists is checked when it is scheduled
// (acd/cti), where the dialplan and the queues are known.
func (c ScheduledCallback) Validate() error {
	var f fields
	f.name("id", c.ID)
	f.name("queue", c.Queue)
	f.dialable("number", c.Number, true)
	if c.When.IsZero() {
		f.add("when", codeRequired)
	}
	f.text("customerId", c.CustomerID, false, 64)
	f.text("name", c.Name, false, 100)
	f.para("notes", c.Notes, false, 2000)
	f.text("createdBy", c.CreatedBy, false, 100)
	oneOf(&f, "state", c.State, true, ScheduledCallbackStates...)
	f.text("error", c.Error, false, 300)
	return f.result(KindScheduledCallback, c.ID)
}

func init() {
	recordVersions[KindScheduledCallback] = 1
	codecs[KindScheduledCallback] = codecFor[ScheduledCallback]()
}
