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
	v = strings.TrimSpace(v)
	if tel, ok := telNumber(v); ok {
		// sipgo parses sip URIs only; a tel URI is just the number.
		name = strings.Trim(strings.TrimSpace(v[:strings.IndexByte(v, '<')]), `"`)
		number = tel
	} else {
		var addr sip.Uri
		params := sip.NewParams()
		var err error
		if name, err = sip.ParseAddressValue(v, &addr, &params); err != nil {
			return "", "", false
		}
		if s := strings.ToLower(addr.Scheme); s != "sip" && s != "sips" {
			return "", "", false
		}
		number = addr.User
	}
	if !dialString(number) {
		return "", "", false
	}
	return name, number, true
}

// telNumber reads the number of a name-addr holding a tel URI
// (RFC 3966): "<tel:+8613911112222;phone-context=...>".
func telNumber(v string) (string, bool) {
	i := strings.IndexByte(v, '<')
	j := strings.LastIndexByte(v, '>')
	if i < 0 || j < i {
		return "", false
	}
	uri := v[i+1 : j]
	if len(uri) < 4 || !strings.EqualFold(uri[:4], "tel:") {
		return "", false
	}
	n, _, _ := strings.Cut(uri[4:], ";")
	return n, true
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
