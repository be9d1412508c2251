package dialplan

import (
	"errors"
	"fmt"
	"strings"

	"callbox/acd/directory"
)

// Customer records, CRM data, callbacks and click-to-dial carry numbers in
// E.164 ("+8613800138000"), while a site's outbound routes are written
// for what its desk phones dial ("013800138000", "0014155550100", often
// behind an access code). The plan bridges the two: an E.164 number that
// no route written for "+" takes is tried in the forms a phone of the site
// would dial (Outward), so every caller can pass the E.164 number as it is.

// ErrE164 is wrapped by ParseE164 errors.
var ErrE164 = errors.New("dialplan: not an E.164 number")

// ParseE164 checks that s is an E.164 number, "+" and a country code
// that does not start with 0, 2 to 15 digits in all, and returns the
// digits after the "+".
func ParseE164(s string) (string, error) {
	digits, ok := strings.CutPrefix(s, "+")
	switch {
	case !ok:
		return "", fmt.Errorf("%w: %q: no leading +", ErrE164, s)
	case len(digits) < 2 || len(digits) > 15:
		return "", fmt.Errorf("%w: %q: %d digits, want 2 to 15", ErrE164, s, len(digits))
	case !allDigits(digits):
		return "", fmt.Errorf("%w: %q: not only digits after +", ErrE164, s)
	case digits[0] == '0':
		return "", fmt.Errorf("%w: %q: country codes do not start with 0", ErrE164, s)
	}
	return digits, nil
}

// NumberingFor is the numbering plan of a site in country (the values of
// store.Settings.Country). China and the US are the directory's plans; a
// UK site dials 0 before national numbers and 00 abroad; "eu" names no
// single country, so every E.164 number is dialled abroad with 00 (which
// reaches one's own country too) and no national number can be told apart.
// Unknown countries get China's plan, as in directory.PlanFor.
func NumberingFor(country string) directory.Plan {
	switch strings.ToLower(country) {
	case "uk":
		return directory.Plan{CountryCode: "44", InternationalPrefix: "00", NationalPrefix: "0", MinNational: 9}
	case "eu":
		return directory.Plan{InternationalPrefix: "00", NationalPrefix: "0"}
	}
	return directory.PlanFor(country)
}

// Outward lists the forms in which a phone of a site with plan p dials the
// E.164 number e164, the likeliest first: a number of the home country
// with the national (trunk) prefix, then without it (Chinese mobiles,
// routes written for ten-digit US numbers); a foreign number after the
// international prefix. It returns nil when e164 is not E.164 or the plan
// has no way to dial it.
func Outward(p directory.Plan, e164 string) []string {
	digits, err := ParseE164(e164)
	if err != nil {
		return nil
	}
	if p.CountryCode != "" {
		if nat, ok := strings.CutPrefix(digits, p.CountryCode); ok && nat != "" {
			if p.NationalPrefix == "" {
				return []string{nat}
			}
			return []string{p.NationalPrefix + nat, nat}
		}
	}
	if p.InternationalPrefix == "" {
		return nil
	}
	return []string{p.InternationalPrefix + digits}
}

// ToE164 writes a number as dialled at a site with plan p in E.164 when it
// can tell which number it is: after the international prefix, after the
// national prefix, or a national number of the home country's length.
// Short codes, extensions, emergency numbers and anything it cannot tell
// are returned as they are.
func ToE164(p directory.Plan, number string) string {
	if _, err := ParseE164(number); err == nil {
		return number
	}
	if !allDigits(number) || number == "" {
		return number
	}
	if p.InternationalPrefix != "" {
		if rest, ok := strings.CutPrefix(number, p.InternationalPrefix); ok {
			if _, err := ParseE164("+" + rest); err == nil && len(rest) > 6 {
				return "+" + rest
			}
			return number
		}
	}
	if p.CountryCode == "" {
		return number
	}
	if n := p.Normalize(number); strings.HasPrefix(n, "+") {
		if _, err := ParseE164(n); err == nil {
			return n
		}
	}
	return number
}

// NumberFormat is how a gateway wants the called number on the wire
// (store.Trunk.NumberFormat).
type NumberFormat string

// The number formats.
const (
	// FormatAsDialed sends the number the dialplan decided on.
	FormatAsDialed NumberFormat = ""
	// FormatNational sends an E.164 number in the site's dialled form.
	FormatNational NumberFormat = "national"
	// FormatE164 sends "+" and the full number (SIP trunks that route
	// E.164); short codes stay as they are.
	FormatE164 NumberFormat = "e164"
)

// FormatNumber writes number in format f for a site with plan p.
func FormatNumber(p directory.Plan, number string, f NumberFormat) string {
	switch f {
	case FormatE164:
		return ToE164(p, number)
	case FormatNational:
		if forms := Outward(p, number); len(forms) > 0 {
			return forms[0]
		}
	}
	return number
}
