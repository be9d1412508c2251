package b2bua

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"callbox/acd"
	acdsip "callbox/acd/sip"
)

// trunkParty is the caller of a call that came in over a trunk: the
// number the carrier asserts (P-Asserted-Identity, RFC 3325; the trunk
// is trusted to assert it) or else the From user, and the display name.
// A caller who asked for privacy (RFC 3323 "id") is still identified to
// the box, which is a trusted network for the carrier; the From then
// usually reads "anonymous", which is not a number and is dropped.
func trunkParty(r *acdsip.Request) acd.Party {
	p := acd.Party{Source: acd.SourceTrunk, Via: r.Trunk}
	if from := r.From(); from != nil {
		p.Name = from.DisplayName
		p.Number = from.Address.User
	}
	if h := r.GetHeader("P-Asserted-Identity"); h != nil {
		if name, number, ok := parseAssertedIdentity(h.Value()); ok {
			p.Number = number
			if name != "" {
				p.Name = name
			}
		}
	}
	if strings.EqualFold(p.Number, "anonymous") {
		p.Number = ""
	}
	if strings.EqualFold(p.Name, "anonymous") {
		p.Name = ""
	}
	return p
}

// parseAssertedIdentity reads the first identity of a P-Asserted-Identity
// value: a sip/sips URI's user or a tel URI's number, with its display
// name. It is lenient in what it skips and strict in what it returns: a
// number only of dial characters.
func parseAssertedIdentity(v string) (name, number string, ok bool) {
	if len(v) > 1024 {
		return "", "", false
	}
	// Several identities are separated by commas outside quotes; the
	// first is enough (a sip and a tel URI name the same caller).
	inQuote := false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			if inQuote {
				i++
			}
		case ',':
			if !inQuote {
				v = v[:i]
				i = len(v)
			}
		}
	}
	var addr sip.Uri
	params := sip.NewParams()
	name, err := sip.ParseAddressValue(strings.TrimSpace(v), &addr, &params)
	if err != nil {
		return "", "", false
	}
	switch strings.ToLower(addr.Scheme) {
	case "sip", "sips":
		number = addr.User
	case "tel":
		number = addr.Host
		if number == "" {
			number = addr.User
		}
	default:
		return "", "", false
	}
	if !dialString(number) {
		return "", "", false
	}
	return name, number, true
}

// dialString reports whether s is a plausible caller number: an optional
// '+' then 1 to 32 digits.
func dialString(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
