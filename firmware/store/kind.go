package store

// Kind names a record type; it is also the name of its bucket.
type Kind string

// The record kinds, one bucket each.
const (
	KindSettings     Kind = "settings"
	KindUser         Kind = "users"
	KindExtension    Kind = "extensions"
	KindTrunk        Kind = "trunks"
	KindLine         Kind = "lines"
	KindAgent        Kind = "agents"
	KindSkill        Kind = "skills"
	KindQueue        Kind = "queues"
	KindFlow         Kind = "flows"
	KindHours        Kind = "hours"
	KindCustomer     Kind = "customers"
	KindContact      Kind = "contacts"
	KindCDR          Kind = "cdrs"
	KindRecording    Kind = "recordings"
	KindRegistration Kind = "registrations"
	KindMessage      Kind = "messages"
)

// Kinds lists every record kind in a fixed order.
func Kinds() []Kind {
	return []Kind{KindSettings, KindUser, KindExtension, KindTrunk, KindLine, KindAgent, KindSkill, KindQueue,
		KindFlow, KindHours, KindCustomer, KindContact, KindCDR, KindRecording, KindRegistration, KindMessage}
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	_, ok := codecs[k]
	return ok
}

// Record is what the store keeps. Record types are plain value structs
// (User, Extension, ...); their Kind, Key and Validate have value receivers
// so that a zero value tells the generic functions which bucket to use.
type Record interface {
	Kind() Kind
	// Key is the record's unique name within its kind.
	Key() string
	// Validate returns a *ValidationError listing every bad field, or nil.
	Validate() error
}

// recordVersions is the current envelope version of each kind. Bump one when
// a record's JSON changes shape, and teach decode to upgrade older versions.
var recordVersions = map[Kind]int{
	KindSettings: 1, KindUser: 1, KindExtension: 1, KindTrunk: 1, KindLine: 1, KindAgent: 1, KindSkill: 1,
	KindQueue: 1, KindFlow: 1, KindHours: 1, KindCustomer: 1, KindContact: 1, KindCDR: 1, KindRecording: 1,
	KindRegistration: 1, KindMessage: 1,
}
