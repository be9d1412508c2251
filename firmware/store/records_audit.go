package store

import (
	"time"
)

// The audit log (written by the web UI's admin pages). Like the CTI's
// kinds, its bucket came without a schema step: Open creates the bucket a
// file of the current schema lacks (ensureLayout), and older firmware never
// reads it.

// KindAudit keeps one record per configuration change made by a person.
const KindAudit Kind = "audit"

// Audit is one configuration change: who made it, when, and what. Key: ID,
// a NewID of the time, so the log lists in time order.
type Audit struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// User is the login name of who made the change.
	User string `json:"user"`
	// Addr is the client address the change came from.
	Addr string `json:"addr,omitempty"`
	// Action is "create", "update", "delete", "restore", "lift-ban", ...
	Action string `json:"action"`
	// Of and Name name the record changed: its kind and key (empty for
	// actions that are not on one record, such as a restore).
	Of   Kind   `json:"of,omitempty"`
	Name string `json:"name,omitempty"`
	// Detail says what changed: the fields with their old and new values
	// (secrets masked), one "field: old -> new" per line.
	Detail string `json:"detail,omitempty"`
}

// MaxAuditDetail bounds Audit.Detail in runes.
const MaxAuditDetail = 8192

// Kind implements Record.
func (Audit) Kind() Kind { return KindAudit }

// Key implements Record.
func (a Audit) Key() string { return a.ID }

// Validate implements Record.
func (a Audit) Validate() error {
	var f fields
	f.text("id", a.ID, true, 128)
	if a.At.IsZero() {
		f.add("at", codeRequired)
	}
	f.text("user", a.User, true, 64)
	f.text("addr", a.Addr, false, 128)
	f.name("action", a.Action)
	if a.Of != "" && !isName(string(a.Of)) {
		f.add("of", codeName, 64)
	}
	f.text("name", a.Name, false, 256)
	f.para("detail", a.Detail, false, MaxAuditDetail)
	return f.result(KindAudit, a.ID)
}

// AuditTail returns the newest n audit records, newest first.
func AuditTail(s *Store, n int) ([]Audit, error) {
	all, err := List[Audit](s)
	if err != nil {
		return nil, err
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	out := make([]Audit, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		out = append(out, all[i])
	}
	return out, nil
}

func init() {
	recordVersions[KindAudit] = 1
	codecs[KindAudit] = codecFor[Audit]()
}
