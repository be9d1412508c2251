package store

import (
	"net/netip"
	"time"
)

// SIP bans (acd/sip's guard) are kept so that a restart — a power cut, a
// firmware update — does not hand a brute-forcing address a fresh start.
// Like the CTI's kinds the bucket came without a schema step: Open
// creates the bucket a file of the current schema lacks, and older
// firmware never reads it.

// KindSIPBan keeps the SIP addresses banned for failed authentications.
const KindSIPBan Kind = "sipbans"

// SIPBan is one banned address: a host (/32) or an IPv6 /64. Key: Prefix.
type SIPBan struct {
	Prefix   string    `json:"prefix"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Failures int       `json:"failures,omitempty"`
	// Reason is the last failure, a message key of firmware/i18n (sip.go).
	Reason string `json:"reason,omitempty"`
}

// Kind implements Record.
func (SIPBan) Kind() Kind { return KindSIPBan }

// Key implements Record.
func (b SIPBan) Key() string { return b.Prefix }

// Validate implements Record.
func (b SIPBan) Validate() error {
	var f fields
	if p, err := netip.ParsePrefix(b.Prefix); err != nil || p != p.Masked() {
		f.add("prefix", codeCIDR)
	}
	if b.Since.IsZero() {
		f.add("since", codeRequired)
	}
	if !b.Until.After(b.Since) {
		f.add("until", codeRequired)
	}
	if b.Failures < 0 || b.Failures > 1<<20 {
		f.add("failures", codeRange, 0, 1<<20)
	}
	f.text("reason", b.Reason, false, 128)
	return f.result(KindSIPBan, b.Prefix)
}

func init() {
	recordVersions[KindSIPBan] = 1
	codecs[KindSIPBan] = codecFor[SIPBan]()
}
