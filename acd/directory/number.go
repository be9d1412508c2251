package directory

import "strings"

// Plan holds the numbering rules of the country the appliance sits in, so
// that "+86 138 1234 5678", "0086-138-1234-5678" and "13812345678" are
// the same caller.
type Plan struct {
	// CountryCode without "+" ("86", "1").
	CountryCode string
	// InternationalPrefix dialled before a country code ("00", "011").
	InternationalPrefix string
	// NationalPrefix (trunk prefix) dialled before a national number
	// ("0" in China, "1" in the US).
	NationalPrefix string
	// MinNational is the shortest national number; anything shorter is an
	// extension or a service number and is left alone.
	MinNational int
}

// The built-in plans.
var (
	PlanCN = Plan{CountryCode: "86", InternationalPrefix: "00", NationalPrefix: "0", MinNational: 7}
	PlanUS = Plan{CountryCode: "1", InternationalPrefix: "011", NationalPrefix: "1", MinNational: 10}
)

// PlanFor returns the plan of a country ("cn", "us"); unknown countries
// get China's, the appliance's home market.
func PlanFor(country string) Plan {
	if strings.EqualFold(country, "us") {
		return PlanUS
	}
	return PlanCN
}

// Normalize turns a number as dialled or written into E.164 form
// ("+8613812345678") when it looks like a public number, and into its bare
// digits otherwise (extensions, short codes). Spaces, dashes, dots and
// brackets are dropped; anything else that is not a digit makes the
// number unusable and Normalize returns "".
func (p Plan) Normalize(raw string) string {
	var b strings.Builder
	plus := false
	for i, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		default:
			return ""
		}
	}
	d := b.String()
	if d == "" {
		return ""
	}
	switch {
	case plus:
		return "+" + d
	case p.InternationalPrefix != "" && strings.HasPrefix(d, p.InternationalPrefix) && len(d) > len(p.InternationalPrefix)+p.MinNational:
		return "+" + d[len(p.InternationalPrefix):]
	case p.NationalPrefix != "" && strings.HasPrefix(d, p.NationalPrefix) && len(d)-len(p.NationalPrefix) >= p.MinNational:
		return "+" + p.CountryCode + d[len(p.NationalPrefix):]
	case p.MinNational > 0 && len(d) >= p.MinNational:
		return "+" + p.CountryCode + d
	}
	return d
}

// Form is how a source stores numbers, so the directory can ask it in its
// own form.
type Form string

// The number forms.
const (
	// FormE164 is "+8613812345678" (the default).
	FormE164 Form = "e164"
	// FormDigits is E.164 without the plus: "8613812345678".
	FormDigits Form = "digits"
	// FormNational drops the home country code: "13812345678" for a
	// Chinese mobile, "1012345678" for a Beijing line; foreign numbers
	// stay in E.164.
	FormNational Form = "national"
)

// Format writes a normalised number in form. Numbers that are not E.164
// (extensions) are returned as they are.
func (p Plan) Format(n string, form Form) string {
	if !strings.HasPrefix(n, "+") {
		return n
	}
	switch form {
	case FormDigits:
		return n[1:]
	case FormNational:
		if rest, ok := strings.CutPrefix(n, "+"+p.CountryCode); ok && rest != "" {
			return rest
		}
	}
	return n
}
