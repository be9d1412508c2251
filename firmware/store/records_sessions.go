package store

import (
	"encoding/hex"
	"time"
)

// Web sessions are kept so that a firmware restart or a failover does not
// log every agent and supervisor out in the middle of their shift. The
// record holds a hash of the session token, never the token: a copy of the
// file (a backup, a stolen disk) does not let anyone in. Like the other
// kinds added since schema 3 the bucket came without a schema step: Open
// creates the bucket a file of the current schema lacks.

// KindSession keeps the web UI's logged-in sessions.
const KindSession Kind = "sessions"

// SessionIDLen is the length of Session.ID: a hex SHA-256.
const SessionIDLen = 64

// Session is one logged-in browser. Key: ID.
type Session struct {
	// ID is the hex SHA-256 of the session token (the cookie's value).
	ID   string `json:"id"`
	User string `json:"user"`
	// Role is the user's role at login; a session outlives no role change.
	Role Role `json:"role"`
	// Credential fingerprints the user's password hash at login; a
	// session outlives no password change.
	Credential string    `json:"credential"`
	Created    time.Time `json:"created"`
	// LastSeen is written at most about once a minute per session, so
	// idle expiry after a restart may come up to a minute early.
	LastSeen time.Time `json:"lastSeen"`
	// Expires is the absolute end of the session, however busy.
	Expires   time.Time `json:"expires"`
	Addr      string    `json:"addr,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
}

// Kind implements Record.
func (Session) Kind() Kind { return KindSession }

// Key implements Record.
func (s Session) Key() string { return s.ID }

// Validate implements Record.
func (s Session) Validate() error {
	var f fields
	if _, err := hex.DecodeString(s.ID); err != nil || len(s.ID) != SessionIDLen {
		f.add("id", codeRequired)
	}
	f.name("user", s.User)
	oneOf(&f, "role", s.Role, true, RoleAdmin, RoleSupervisor, RoleAgent)
	f.text("credential", s.Credential, true, 128)
	if s.Created.IsZero() {
		f.add("created", codeRequired)
	}
	if s.LastSeen.Before(s.Created) {
		f.add("lastSeen", codeRequired)
	}
	if !s.Expires.After(s.Created) {
		f.add("expires", codeRequired)
	}
	f.text("addr", s.Addr, false, 64)
	f.text("userAgent", s.UserAgent, false, 256)
	return f.result(KindSession, s.ID)
}

func init() {
	recordVersions[KindSession] = 1
	codecs[KindSession] = codecFor[Session]()
}
