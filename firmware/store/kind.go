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
	// KindCallback keeps ACD callbacks across restarts (schema 3).
	KindCallback Kind = "callbacks"
	// KindQueueInterval keeps finished service-level intervals (schema 3).
	KindQueueInterval Kind = "queueintervals"
	// The CTI's kinds (records_cti.go).
	KindWebhook         Kind = "webhooks"
	KindAPIToken        Kind = "apitokens"
	KindScript          Kind = "scripts"
	KindScriptAnswers   Kind = "scriptanswers"
	KindDirectoryConfig Kind = "directoryconfig"
)

// Kinds lists every record kind in a fixed order.
func Kinds() []Kind {
	return []Kind{KindSettings, KindUser, KindExtension, KindTrunk, KindLine, KindAgent, KindSkill, KindQueue,
		KindFlow, KindHours, KindCustomer, KindContact, KindCDR, KindRecording, KindRegistration, KindMessage, KindCallback, KindQueueInterval,
		KindWebhook, KindAPIToken, KindScript, KindScriptAnswers, KindDirectoryConfig, KindAudit, KindSIPBan, KindAgentEvent,
		KindInboundRoute, KindOutboundRoute,
		KindAutoReply, KindConversation,
		KindFollowup, KindFollowupPolicy,
		KindWrapUp, KindCustomPrompt,
		KindScheduledCallback,
		KindCustomerField,
		KindRetention,
		KindSession}
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
// a record's JSON changes shape, and teach decode to upgrade older versions
// (recordUpgrades).
//
//	settings 2: pauseReasons, autoPauseAfter (version 1 reads as is)
//	queues 2:   members instead of agents, exitKeys instead of
//	            offerCallback, announceSeconds and the other ACD fields
var recordVersions = map[Kind]int{
	KindSettings: 2, KindUser: 1, KindExtension: 1, KindTrunk: 1, KindLine: 1, KindAgent: 1, KindSkill: 1,
	KindQueue: 2, KindFlow: 1, KindHours: 1, KindCustomer: 1, KindContact: 1, KindCDR: 1, KindRecording: 1,
	KindRegistration: 1, KindMessage: 1, KindCallback: 1, KindQueueInterval: 1,
	KindWebhook: 1, KindAPIToken: 1, KindScript: 1, KindScriptAnswers: 1, KindDirectoryConfig: 1,
}

// recordUpgrades[kind][v] rewrites the JSON object of a record of version v
// into version v+1. A version with no entry reads unchanged (it only lacks
// fields that were added).
var recordUpgrades = map[Kind]map[int]func(data map[string]any) error{
	KindQueue: {1: upgradeQueueV1},
}
