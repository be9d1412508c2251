package store

import (
	"strings"
	"time"

	"callbox/firmware/i18n"
)

// Settings is the site-wide configuration, one record with key "site".
type Settings struct {
	SiteName string    `json:"siteName"`
	Lang     i18n.Lang `json:"lang"`
	// Country selects call-progress tones and number formats: cn, us, eu, uk.
	Country string `json:"country"`
	// TimeZone is an IANA name such as "Asia/Shanghai".
	TimeZone string `json:"timeZone"`
	// SetupDone is set when the first-boot wizard has finished.
	SetupDone bool `json:"setupDone"`
	// PauseReasons are the codes agents may give when they pause ("lunch",
	// "training"); none means any reason is accepted.
	PauseReasons []string `json:"pauseReasons,omitempty"`
	// AutoPauseAfter pauses an agent who let this many offers in a row
	// go unanswered (0: never).
	AutoPauseAfter int `json:"autoPauseAfter,omitempty"`
	// FaxDestination is where an inbound call from a line or trunk goes
	// when the caller's fax tone (CNG) is heard in its first seconds: a
	// number dialled as the site dials it, usually the extension of a fax
	// modem on an FXS port or a SIP ATA. Empty: no fax detection.
	FaxDestination string `json:"faxDestination,omitempty"`
	// FeatureCodes overrides the dialplan's feature codes: feature name
	// (FeatureNames) to code; "" switches the feature off, a feature not
	// listed keeps its default code.
	FeatureCodes map[string]string `json:"featureCodes,omitempty"`
	// Emergency overrides the country's emergency numbers when set.
	Emergency []string `json:"emergency,omitempty"`
	// EmergencyCallerID is the number presented on emergency calls (the
	// site's main number); empty leaves the gateway's default.
	EmergencyCallerID string `json:"emergencyCallerId,omitempty"`
}

// MaxPauseReasons bounds Settings.PauseReasons.
const MaxPauseReasons = 32

// SettingsKey is the key of the one Settings record.
const SettingsKey = "site"

// Countries lists the tone/number-plan countries Settings.Country accepts.
var Countries = []string{"cn", "us", "eu", "uk"}

// DefaultSettings is what GetSettings returns before the wizard ran.
func DefaultSettings() Settings {
	return Settings{SiteName: "callbox", Lang: i18n.EN, Country: "cn", TimeZone: "UTC"}
}

// Kind implements Record.
func (Settings) Kind() Kind { return KindSettings }

// Key implements Record.
func (Settings) Key() string { return SettingsKey }

// Validate implements Record.
func (r Settings) Validate() error {
	var f fields
	f.text("siteName", r.SiteName, true, 64)
	f.lang("lang", r.Lang, true)
	oneOf(&f, "country", r.Country, true, Countries...)
	f.timeZone("timeZone", r.TimeZone, true)
	if len(r.PauseReasons) > MaxPauseReasons {
		f.add("pauseReasons", codeTooLong, MaxPauseReasons)
	}
	for i, code := range r.PauseReasons {
		if !isReasonCode(code) {
			f.add(indexed("pauseReasons", i), codePauseReason, 32)
		}
	}
	noDuplicates(&f, "pauseReasons", r.PauseReasons)
	f.intRange("autoPauseAfter", r.AutoPauseAfter, 0, 20)
	f.dialable("faxDestination", r.FaxDestination, false)
	r.validateDialplan(&f)
	return f.result(KindSettings, SettingsKey)
}

// isReasonCode accepts a pause reason code: 1-32 lower-case letters,
// digits and '-', as agents type or pick it and reports group by it.
func isReasonCode(v string) bool { return IsSlug(v, 32) }

// Location returns the site's time zone (UTC when unset or unknown).
func (r Settings) Location() *time.Location {
	if loc, err := time.LoadLocation(r.TimeZone); err == nil && r.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// GetSettings returns the stored settings, or DefaultSettings when none are
// stored yet.
func GetSettings(s *Store) (Settings, error) {
	r, err := Get[Settings](s, SettingsKey)
	if err != nil {
		if isNotFound(err) {
			return DefaultSettings(), nil
		}
		return Settings{}, err
	}
	return r, nil
}

// Role is what a user may do in the web UI.
type Role string

// The roles, from most to least powerful.
const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAgent      Role = "agent"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleSupervisor || r == RoleAgent }

// User is a person who logs in to the web UI. Key: Name.
type User struct {
	// Name is the login name (letters, digits, '.', '_', '-').
	Name string `json:"name"`
	Role Role   `json:"role"`
	// PasswordHash is argon2id in PHC format; set it with SetPassword.
	PasswordHash string `json:"passwordHash"`
	// Lang is the user's UI language; "" means the site language.
	Lang i18n.Lang `json:"lang,omitempty"`
	// OneTimePassword means the password must be changed at next login.
	OneTimePassword bool      `json:"oneTimePassword,omitempty"`
	Disabled        bool      `json:"disabled,omitempty"`
	CreatedAt       time.Time `json:"createdAt,omitzero"`
}

// Kind implements Record.
func (User) Kind() Kind { return KindUser }

// Key implements Record.
func (u User) Key() string { return u.Name }

// Validate implements Record.
func (u User) Validate() error {
	var f fields
	f.name("name", u.Name)
	oneOf(&f, "role", u.Role, true, RoleAdmin, RoleSupervisor, RoleAgent)
	if u.PasswordHash == "" {
		f.add("password", codeRequired)
	} else if _, err := parsePHC(u.PasswordHash); err != nil {
		f.add("password", codeHash)
	}
	f.lang("lang", u.Lang, false)
	return f.result(KindUser, u.Name)
}

// Extension is an internal SIP phone number. Key: Number.
type Extension struct {
	// Number is 2 to 8 digits.
	Number string `json:"number"`
	Name   string `json:"name"`
	// Secret is the SIP digest secret the phone registers with.
	Secret string `json:"secret"`
	// AllowedNets limits where the phone may register from (CIDR or
	// address); empty means anywhere.
	AllowedNets     []string  `json:"allowedNets,omitempty"`
	Voicemail       bool      `json:"voicemail,omitempty"`
	DND             bool      `json:"dnd,omitempty"`
	ForwardAlways   string    `json:"forwardAlways,omitempty"`
	ForwardBusy     string    `json:"forwardBusy,omitempty"`
	ForwardNoAnswer string    `json:"forwardNoAnswer,omitempty"`
	Lang            i18n.Lang `json:"lang,omitempty"`
	// PickupGroup names the call pickup group: a phone of the group may
	// answer a call ringing any other extension of the same group. Empty
	// means no group.
	PickupGroup string `json:"pickupGroup,omitempty"`
	// VoicemailPIN is the argon2id hash of the mailbox PIN (see
	// SetVoicemailPIN); empty means the owner's own phone only.
	VoicemailPIN string `json:"voicemailPin,omitempty"`
}

// Kind implements Record.
func (Extension) Kind() Kind { return KindExtension }

// Key implements Record.
func (e Extension) Key() string { return e.Number }

// Validate implements Record.
func (e Extension) Validate() error {
	var f fields
	f.digits("number", e.Number, true, 2, 8)
	f.text("name", e.Name, false, 64)
	switch {
	case e.Secret == "":
		f.add("secret", codeRequired)
	case e.Secret == e.Number || strings.Contains(e.Secret, e.Number) && len(e.Number) >= 4:
		f.add("secret", codeSecretIsNumber)
	case secretStrength(e.Secret) != "":
		f.add("secret", codeWeakSecret, MinSecretLen)
	}
	for i, n := range e.AllowedNets {
		f.cidr(indexed("allowedNets", i), n)
	}
	f.dialable("forwardAlways", e.ForwardAlways, false)
	f.dialable("forwardBusy", e.ForwardBusy, false)
	f.dialable("forwardNoAnswer", e.ForwardNoAnswer, false)
	f.lang("lang", e.Lang, false)
	if e.PickupGroup != "" {
		f.name("pickupGroup", e.PickupGroup)
	}
	if e.VoicemailPIN != "" {
		if _, err := parsePHC(e.VoicemailPIN); err != nil {
			f.add("voicemailPin", codeBadHash)
		}
	}
	return f.result(KindExtension, e.Number)
}

// Transport is how SIP is carried to a trunk.
type Transport string

// The SIP transports.
const (
	TransportUDP Transport = "udp"
	TransportTCP Transport = "tcp"
	TransportTLS Transport = "tls"
)

// Codec names accepted in Trunk.Codecs.
var Codecs = []string{"PCMA", "PCMU", "telephone-event"}

// Trunk is a SIP trunk to a carrier or another PBX. Key: Name.
type Trunk struct {
	Name      string    `json:"name"`
	Host      string    `json:"host"`
	Port      int       `json:"port,omitempty"` // 0: the transport's default
	Transport Transport `json:"transport"`
	Username  string    `json:"username,omitempty"`
	Secret    string    `json:"secret,omitempty"`
	// Register makes the box send REGISTER to the trunk.
	Register bool `json:"register,omitempty"`
	// CallerID is the number presented on outbound calls (E.164).
	CallerID string `json:"callerId,omitempty"`
	// Prefix is stripped/added by outbound routing (digits, may be empty).
	Prefix      string   `json:"prefix,omitempty"`
	Codecs      []string `json:"codecs,omitempty"`
	MaxChannels int      `json:"maxChannels,omitempty"` // 0: unlimited
	Enabled     bool     `json:"enabled"`

	// Addresses are further sources (IP or CIDR) whose requests count as
	// the trunk's without digest, besides Host's own addresses: a
	// carrier's other signalling servers.
	Addresses []string `json:"addresses,omitempty"`
	// DIDs are the numbers the trunk carries. When listed, an inbound
	// call to a number not listed is refused; empty: every number passes.
	DIDs []TrunkDID `json:"dids,omitempty"`
	// FromDomain is the host of the From URI on outbound calls (default:
	// Host when the trunk registers, else the box's address).
	FromDomain string `json:"fromDomain,omitempty"`
	// CallerIDMode is how outbound calls present the caller: "fixed"
	// (default) always CallerID; "passthrough" an outside caller's own
	// number (a forwarded call), CallerID for the box's extensions.
	CallerIDMode string `json:"callerIdMode,omitempty"`
	// AssertIdentity adds P-Asserted-Identity (RFC 3325) with the
	// presented number; carriers that trust the box want it.
	AssertIdentity bool `json:"assertIdentity,omitempty"`
	// Privacy withholds the number from the called party (RFC 3323):
	// From is anonymous, Privacy: id, the number only in
	// P-Asserted-Identity.
	Privacy bool `json:"privacy,omitempty"`
	// OptionsInterval is the seconds between OPTIONS health checks; 0
	// turns them off (the trunk always counts as up).
	OptionsInterval int `json:"optionsInterval,omitempty"`
	// Expires is the registration lifetime asked for, in seconds (0: 600).
	Expires int `json:"expires,omitempty"`
	// NumberFormat is how the called number goes in the Request-URI:
	// "" as the dialplan sends it, "national" (an E.164 number in the
	// site's dialled form), "e164" ("+" and the full number, for
	// carriers that route E.164).
	NumberFormat string `json:"numberFormat,omitempty"`
}

// TrunkDID maps a number as the carrier sends it to the number inbound
// routes see.
type TrunkDID struct {
	// Number is the dialled number as the carrier sends it (digits, an
	// optional leading '+').
	Number string `json:"number"`
	// Map is the number inbound routes match; empty keeps Number.
	Map string `json:"map,omitempty"`
}

// Caller-ID modes of a Trunk.
const (
	CallerIDFixed       = "fixed"
	CallerIDPassthrough = "passthrough"
)

// Number formats of a Trunk (acd/dialplan.NumberFormat).
const (
	TrunkNumberNational = "national"
	TrunkNumberE164     = "e164"
)

// Kind implements Record.
func (Trunk) Kind() Kind { return KindTrunk }

// Key implements Record.
func (t Trunk) Key() string { return t.Name }

// Validate implements Record.
func (t Trunk) Validate() error {
	var f fields
	f.name("name", t.Name)
	f.host("host", t.Host, true)
	f.intRange("port", t.Port, 0, 65535)
	oneOf(&f, "transport", t.Transport, true, TransportUDP, TransportTCP, TransportTLS)
	f.text("username", t.Username, t.Register, 64)
	f.text("secret", t.Secret, t.Register, 128)
	f.e164("callerId", t.CallerID, false)
	f.digits("prefix", t.Prefix, false, 1, 8)
	for i, c := range t.Codecs {
		oneOf(&f, indexed("codecs", i), c, true, Codecs...)
	}
	noDuplicates(&f, "codecs", t.Codecs)
	f.intRange("maxChannels", t.MaxChannels, 0, 10000)
	for i, a := range t.Addresses {
		f.cidr(indexed("addresses", i), a)
	}
	noDuplicates(&f, "addresses", t.Addresses)
	nums := make([]string, 0, len(t.DIDs))
	for i, d := range t.DIDs {
		f.dialable(indexed("dids", i)+".number", d.Number, true)
		f.dialable(indexed("dids", i)+".map", d.Map, false)
		nums = append(nums, d.Number)
	}
	noDuplicates(&f, "dids", nums)
	f.host("fromDomain", t.FromDomain, false)
	oneOf(&f, "callerIdMode", t.CallerIDMode, false, CallerIDFixed, CallerIDPassthrough)
	oneOf(&f, "numberFormat", t.NumberFormat, false, TrunkNumberNational, TrunkNumberE164)
	if t.OptionsInterval != 0 {
		f.intRange("optionsInterval", t.OptionsInterval, 5, 3600)
	}
	if t.Expires != 0 {
		f.intRange("expires", t.Expires, 60, 86400)
	}
	return f.result(KindTrunk, t.Name)
}

// LineType is the hardware a PSTN line runs on.
type LineType string

// The line types.
const (
	LineFXO LineType = "fxo" // analogue exchange line
	LineFXS LineType = "fxs" // analogue phone port
	LineGSM LineType = "gsm" // GSM modem
)

// Line is one PSTN line (line-card port or modem). Key: ID.
type Line struct {
	ID   string   `json:"id"`
	Name string   `json:"name,omitempty"`
	Type LineType `json:"type"`
	// Device is the driver's address: "/dev/dahdi/chan/001/001",
	// "/dev/ttyUSB0", or "sim:1" for a simulated line.
	Device string `json:"device"`
	// Number is the line's own number, if known (dialable).
	Number string `json:"number,omitempty"`
	// Route is where inbound calls go: a flow ID, queue name or extension.
	Route   string `json:"route,omitempty"`
	Enabled bool   `json:"enabled"`
}

// Kind implements Record.
func (Line) Kind() Kind { return KindLine }

// Key implements Record.
func (l Line) Key() string { return l.ID }

// Validate implements Record.
func (l Line) Validate() error {
	var f fields
	f.name("id", l.ID)
	f.text("name", l.Name, false, 64)
	oneOf(&f, "type", l.Type, true, LineFXO, LineFXS, LineGSM)
	f.text("device", l.Device, true, 256)
	f.dialable("number", l.Number, false)
	f.text("route", l.Route, false, 64)
	return f.result(KindLine, l.ID)
}
