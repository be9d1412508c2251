package store

import (
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"callbox/firmware/i18n"
)

// Customer is an entry of the customer directory, found by any of its
// numbers when a call comes in. Key: ID.
//
// VIPLevel (0 none, 1 to MaxVIPLevel) replaced the old VIP flag. VIP is
// kept as its mirror: records written before levels existed say
// "vip": true and read as level 1 (Level), and every record written now
// says "vip" too (level above 0), for readers that only know the flag.
// Code reads the level with Level, never the two fields.
type Customer struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Company string `json:"company,omitempty"`
	// Numbers are the customer's phone numbers (dialable, E.164 preferred).
	Numbers []string  `json:"numbers,omitempty"`
	Email   string    `json:"email,omitempty"`
	Notes   string    `json:"notes,omitempty"`
	Lang    i18n.Lang `json:"lang,omitempty"`
	// VIP is the mirror of VIPLevel > 0; see the type's comment. Setting
	// it without a level means level 1.
	VIP      bool `json:"vip,omitempty"`
	VIPLevel int  `json:"vipLevel,omitempty"`
	// Tags are short labels ("wholesale", "complained-2026"), at most
	// MaxCustomerTags, each at most MaxCustomerTag characters without ';'
	// or ',' (the separators of the CSV files).
	Tags []string `json:"tags,omitempty"`
	// Fields are the values of the installer's custom fields, by the
	// field's name (see CustomerField). The record checks only their
	// shape; the values are checked against the definitions where a
	// customer is written (ValidateCustomerFields).
	Fields    map[string]string `json:"fields,omitempty"`
	CreatedAt time.Time         `json:"createdAt,omitzero"`
	UpdatedAt time.Time         `json:"updatedAt,omitzero"`
}

// Bounds of a customer's VIP level, tags and custom field values.
const (
	MaxVIPLevel         = 5
	MaxCustomerTags     = 20
	MaxCustomerTag      = 32
	MaxCustomerFields   = 50
	MaxCustomerFieldLen = 1024
)

// Level is the customer's VIP level: VIPLevel, or 1 for a record that
// only has the old flag.
func (c Customer) Level() int {
	if c.VIPLevel == 0 && c.VIP {
		return 1
	}
	return c.VIPLevel
}

// customerJSON is Customer without its methods, so that MarshalJSON can
// encode it without recursing. There is no UnmarshalJSON: a method would
// parse every record twice on the directory's searches, and Level reads
// old records right as they decode.
type customerJSON Customer

// MarshalJSON writes the level and its mirror flag consistently.
func (c Customer) MarshalJSON() ([]byte, error) {
	c.VIPLevel = c.Level()
	c.VIP = c.VIPLevel > 0
	return json.Marshal(customerJSON(c))
}

// Kind implements Record.
func (Customer) Kind() Kind { return KindCustomer }

// Key implements Record.
func (c Customer) Key() string { return c.ID }

// Validate implements Record.
func (c Customer) Validate() error {
	var f fields
	f.name("id", c.ID)
	f.text("name", c.Name, true, 128)
	f.text("company", c.Company, false, 128)
	if len(c.Numbers) > 20 {
		f.add("numbers", codeRange, 0, 20)
	}
	for i, n := range c.Numbers {
		f.dialable(indexed("numbers", i), n, true)
	}
	noDuplicates(&f, "numbers", c.Numbers)
	f.email("email", c.Email)
	f.para("notes", c.Notes, false, 4096)
	f.lang("lang", c.Lang, false)
	f.intRange("vipLevel", c.VIPLevel, 0, MaxVIPLevel)
	if len(c.Tags) > MaxCustomerTags {
		f.add("tags", codeRange, 0, MaxCustomerTags)
	}
	for i, t := range c.Tags {
		f.text(indexed("tags", i), t, true, MaxCustomerTag)
		if strings.ContainsAny(t, ";,") || strings.TrimSpace(t) != t {
			f.add(indexed("tags", i), codeTag)
		}
	}
	noDuplicates(&f, "tags", c.Tags)
	if len(c.Fields) > MaxCustomerFields {
		f.add("fields", codeRange, 0, MaxCustomerFields)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Fields)) {
		if !isName(k) {
			f.add("fields."+k, codeName, 64)
			continue
		}
		f.para("fields."+k, c.Fields[k], false, MaxCustomerFieldLen)
	}
	return f.result(KindCustomer, c.ID)
}

// Channel is how a contact or message reached the box.
type Channel string

// The channels.
const (
	ChannelCall Channel = "call"
	ChannelSMS  Channel = "sms"
	ChannelFax  Channel = "fax"
	ChannelNote Channel = "note" // written by an agent, no call
)

// Direction is in (to the box) or out (from the box).
type Direction string

// The directions.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// Contact is one entry of contact history, linked to a customer through
// its number. Key: ID.
type Contact struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	// CustomerID is filled when the number matched a customer.
	CustomerID string    `json:"customerId,omitempty"`
	Channel    Channel   `json:"channel"`
	Direction  Direction `json:"direction,omitempty"`
	At         time.Time `json:"at"`
	Agent      string    `json:"agent,omitempty"`
	// CallID points to the CDR of the call, if any.
	CallID  string `json:"callId,omitempty"`
	Summary string `json:"summary,omitempty"`
	// TransferredFrom names the agents who handed the call on, in
	// order (agent IDs); Agent is then the one who handled it last.
	TransferredFrom []string `json:"transferredFrom,omitempty"`
	// Notes are what agents wrote for each other while handing the call
	// on, and the wrap-ups of agents other than the last one.
	Notes []ContactNote `json:"notes,omitempty"`
}

// ContactNote is one agent's note on a contact.
type ContactNote struct {
	Agent string    `json:"agent,omitempty"` // agent ID, "" for a supervisor
	Name  string    `json:"name,omitempty"`  // who wrote it, as shown
	At    time.Time `json:"at"`
	Text  string    `json:"text"`
	// Kind is "note" (written for the next agent) or "wrapup".
	Kind string `json:"kind,omitempty"`
}

// maxContactNotes bounds the notes one contact keeps.
const maxContactNotes = 50

// Kind implements Record.
func (Contact) Kind() Kind { return KindContact }

// Key implements Record.
func (c Contact) Key() string { return c.ID }

// Validate implements Record.
func (c Contact) Validate() error {
	var f fields
	f.name("id", c.ID)
	f.dialable("number", c.Number, true)
	if c.CustomerID != "" && !isName(c.CustomerID) {
		f.add("customerId", codeName, 64)
	}
	oneOf(&f, "channel", c.Channel, true, ChannelCall, ChannelSMS, ChannelFax, ChannelNote)
	oneOf(&f, "direction", c.Direction, c.Channel != ChannelNote, DirectionIn, DirectionOut)
	if c.At.IsZero() {
		f.add("at", codeRequired)
	}
	f.digits("agent", c.Agent, false, 2, 8)
	f.text("callId", c.CallID, false, 128)
	f.para("summary", c.Summary, false, 4096)
	if len(c.TransferredFrom) > maxContactNotes {
		f.add("transferredFrom", codeTooLong, maxContactNotes)
	}
	for _, a := range c.TransferredFrom {
		f.digits("transferredFrom", a, true, 2, 8)
	}
	if len(c.Notes) > maxContactNotes {
		f.add("notes", codeTooLong, maxContactNotes)
	}
	for _, n := range c.Notes {
		f.digits("notes", n.Agent, false, 2, 8)
		f.text("notes", n.Name, false, 64)
		f.para("notes", n.Text, true, 4096)
	}
	return f.result(KindContact, c.ID)
}

// Disposition is how a call ended for the caller.
type Disposition string

// The dispositions.
const (
	DispositionAnswered  Disposition = "answered"
	DispositionNoAnswer  Disposition = "noanswer"
	DispositionBusy      Disposition = "busy"
	DispositionFailed    Disposition = "failed"
	DispositionAbandoned Disposition = "abandoned" // caller hung up while queued
	DispositionVoicemail Disposition = "voicemail"
	DispositionFax       Disposition = "fax" // handed to fax reception
)

// HangupSide tells who ended the call.
type HangupSide string

// The hang-up sides.
const (
	HangupCaller HangupSide = "caller"
	HangupCallee HangupSide = "callee"
	HangupSystem HangupSide = "system"
)

// CDR is the record of one call. Key: ID (the call's ID).
type CDR struct {
	ID         string    `json:"id"`
	Caller     string    `json:"caller"`
	CallerName string    `json:"callerName,omitempty"`
	Callee     string    `json:"callee"`
	Direction  Direction `json:"direction"`
	// Source is where the call entered ("line:fxo1", "trunk:carrier",
	// "ext:201"); Route lists what it went through ("flow:main>queue:sales").
	Source string    `json:"source,omitempty"`
	Route  string    `json:"route,omitempty"`
	Queue  string    `json:"queue,omitempty"`
	Agent  string    `json:"agent,omitempty"`
	Start  time.Time `json:"start"`
	// Answer is zero for unanswered calls.
	Answer      time.Time   `json:"answer,omitzero"`
	End         time.Time   `json:"end"`
	Disposition Disposition `json:"disposition"`
	HangupSide  HangupSide  `json:"hangupSide,omitempty"`
	// HangupCause is the Q.850 cause (16 normal clearing, 17 busy, ...).
	HangupCause int `json:"hangupCause,omitempty"`
	// Recording is the ID of the Recording record, if the call was recorded.
	Recording string `json:"recording,omitempty"`
	// MOS is the estimated voice quality 1.0-5.0 (0: not measured).
	MOS float64 `json:"mos,omitempty"`
	// Hold is a legal hold: the retention purge never deletes this call
	// record nor its recording (SetCDRHold).
	Hold bool `json:"hold,omitempty"`
}

// Kind implements Record.
func (CDR) Kind() Kind { return KindCDR }

// Key implements Record.
func (c CDR) Key() string { return c.ID }

// Validate implements Record.
func (c CDR) Validate() error {
	var f fields
	f.text("id", c.ID, true, 128)
	f.text("caller", c.Caller, true, 128)
	f.text("callerName", c.CallerName, false, 128)
	f.text("callee", c.Callee, true, 128)
	oneOf(&f, "direction", c.Direction, true, DirectionIn, DirectionOut)
	f.text("source", c.Source, false, 128)
	f.text("route", c.Route, false, 512)
	f.text("queue", c.Queue, false, 64)
	f.digits("agent", c.Agent, false, 2, 8)
	if c.Start.IsZero() {
		f.add("start", codeRequired)
	}
	if c.End.IsZero() {
		f.add("end", codeRequired)
	} else if c.End.Before(c.Start) {
		f.add("end", codeTimeOrder)
	}
	if !c.Answer.IsZero() && (c.Answer.Before(c.Start) || (!c.End.IsZero() && c.Answer.After(c.End))) {
		f.add("answer", codeTimeOrder)
	}
	oneOf(&f, "disposition", c.Disposition, true, DispositionAnswered, DispositionNoAnswer, DispositionBusy,
		DispositionFailed, DispositionAbandoned, DispositionVoicemail, DispositionFax)
	if c.Disposition == DispositionAnswered && c.Answer.IsZero() {
		f.add("answer", codeRequired)
	}
	oneOf(&f, "hangupSide", c.HangupSide, false, HangupCaller, HangupCallee, HangupSystem)
	f.intRange("hangupCause", c.HangupCause, 0, 127)
	f.text("recording", c.Recording, false, 128)
	if c.MOS != 0 && !(c.MOS >= 1 && c.MOS <= 5) {
		f.add("mos", codeRange, 1, 5)
	}
	return f.result(KindCDR, c.ID)
}

// Recording indexes one recorded call on disk. Key: ID.
type Recording struct {
	ID string `json:"id"`
	// Path is relative to the data directory ("rec/2026/11/27/abc.wav").
	Path string `json:"path"`
	// SHA256 is the lowercase hex digest of the finished file.
	SHA256    string        `json:"sha256"`
	Duration  time.Duration `json:"duration"`
	Size      int64         `json:"size,omitempty"`
	CallID    string        `json:"callId,omitempty"`
	CreatedAt time.Time     `json:"createdAt,omitzero"`
	// Hold is a legal hold: the retention purge never deletes it.
	Hold bool `json:"hold,omitempty"`
}

// Kind implements Record.
func (Recording) Kind() Kind { return KindRecording }

// Key implements Record.
func (r Recording) Key() string { return r.ID }

// Validate implements Record.
func (r Recording) Validate() error {
	var f fields
	f.name("id", r.ID)
	f.relPath("path", r.Path, true)
	if b, err := hex.DecodeString(r.SHA256); err != nil || len(b) != 32 || r.SHA256 != hex.EncodeToString(b) {
		f.add("sha256", codeSHA256)
	}
	if r.Duration < 0 {
		f.add("duration", codeRange, 0, "∞")
	}
	if r.Size < 0 {
		f.add("size", codeRange, 0, "∞")
	}
	f.text("callId", r.CallID, false, 128)
	return f.result(KindRecording, r.ID)
}

// Registration is where a SIP phone can be reached, as learned from its
// REGISTER. Key: Extension + "|" + Contact (one phone may register
// several devices).
type Registration struct {
	Extension string `json:"extension"`
	// Contact is the phone's Contact URI.
	Contact string    `json:"contact"`
	Expires time.Time `json:"expires"`
	// Source is the address the REGISTER came from ("ip:port").
	Source    string    `json:"source"`
	Transport Transport `json:"transport"`
	UserAgent string    `json:"userAgent,omitempty"`
	CallID    string    `json:"callId,omitempty"`
	CSeq      uint32    `json:"cseq,omitempty"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// RegistrationKey returns the key of the registration of contact for ext.
func RegistrationKey(ext, contact string) string { return ext + "|" + contact }

// Kind implements Record.
func (Registration) Kind() Kind { return KindRegistration }

// Key implements Record.
func (r Registration) Key() string { return RegistrationKey(r.Extension, r.Contact) }

// Validate implements Record.
func (r Registration) Validate() error {
	var f fields
	f.digits("extension", r.Extension, true, 2, 8)
	f.sipURI("contact", r.Contact, true)
	if r.Expires.IsZero() {
		f.add("expires", codeRequired)
	}
	f.addr("source", r.Source, true)
	oneOf(&f, "transport", r.Transport, true, TransportUDP, TransportTCP, TransportTLS, "ws", "wss")
	f.text("userAgent", r.UserAgent, false, 256)
	f.text("callId", r.CallID, false, 256)
	return f.result(KindRegistration, r.Key())
}

// MessageState is where an SMS or fax is in its life.
type MessageState string

// The message states. Outbound: queued → sending → sent → delivered, or
// failed. Inbound: received.
const (
	StateQueued    MessageState = "queued"
	StateSending   MessageState = "sending"
	StateSent      MessageState = "sent"
	StateDelivered MessageState = "delivered"
	StateFailed    MessageState = "failed"
	StateReceived  MessageState = "received"
)

// MaxSMSText bounds an SMS text (runes); longer texts are split into parts
// by the modem driver (concatenated SMS).
const MaxSMSText = 1600

// Message is one SMS or fax, in or out. Key: ID.
type Message struct {
	ID        string    `json:"id"`
	Channel   Channel   `json:"channel"` // sms or fax
	Direction Direction `json:"direction"`
	// Number is the far end's number.
	Number string `json:"number"`
	// Line is the line or modem that carried it, if known.
	Line string `json:"line,omitempty"`
	// Text is the SMS text (or a fax cover note).
	Text string `json:"text,omitempty"`
	// Path is the fax image (TIFF/PDF) relative to the data directory.
	Path      string       `json:"path,omitempty"`
	Pages     int          `json:"pages,omitempty"`
	State     MessageState `json:"state"`
	Attempts  int          `json:"attempts,omitempty"`
	LastError string       `json:"lastError,omitempty"`
	CreatedAt time.Time    `json:"createdAt"`
	UpdatedAt time.Time    `json:"updatedAt,omitzero"`
	// NextAttempt is when a queued outbound message is tried again.
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	// Partial marks an inbound message missing parts (concatenated SMS
	// parts that never came, a fax cut off mid-page).
	Partial bool `json:"partial,omitempty"`
}

// Kind implements Record.
func (Message) Kind() Kind { return KindMessage }

// Key implements Record.
func (m Message) Key() string { return m.ID }

// Validate implements Record.
func (m Message) Validate() error {
	var f fields
	f.name("id", m.ID)
	oneOf(&f, "channel", m.Channel, true, ChannelSMS, ChannelFax)
	oneOf(&f, "direction", m.Direction, true, DirectionIn, DirectionOut)
	f.dialable("number", m.Number, true)
	if m.Line != "" && !isName(m.Line) {
		f.add("line", codeName, 64)
	}
	f.para("text", m.Text, m.Channel == ChannelSMS && m.Direction == DirectionOut, MaxSMSText)
	// A fax always has its image, except one whose reception broke off
	// before the first page.
	f.relPath("path", m.Path, m.Channel == ChannelFax && !(m.Direction == DirectionIn && m.Partial && m.Pages == 0))
	f.intRange("pages", m.Pages, 0, 10000)
	oneOf(&f, "state", m.State, true, StateQueued, StateSending, StateSent, StateDelivered, StateFailed, StateReceived)
	if m.State != "" {
		in := m.State == StateReceived
		if in != (m.Direction == DirectionIn) && m.Direction != "" {
			f.add("state", codeStateDirection)
		}
	}
	f.intRange("attempts", m.Attempts, 0, 1000)
	f.para("lastError", m.LastError, false, 512)
	if m.CreatedAt.IsZero() {
		f.add("createdAt", codeRequired)
	}
	return f.result(KindMessage, m.ID)
}
