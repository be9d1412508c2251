package store

import (
	"fmt"
	"net"
	"net/netip"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"callbox/firmware/i18n"

	// The appliance's root file system may carry no zoneinfo; embedding it
	// keeps time-zone validation and conversion working everywhere.
	_ "time/tzdata"
)

// Message keys of field errors (see firmware/i18n/store.go).
const (
	codeRequired       = "store.err.required"
	codeTooLong        = "store.err.too_long"
	codeName           = "store.err.name"
	codeKey            = "store.err.key"
	codeDigits         = "store.err.digits"
	codeWeakSecret     = "store.err.weak_secret"
	codeWeakPassword   = "store.err.weak_password"
	codeSecretIsNumber = "store.err.secret_is_number"
	codeNumber         = "store.err.number"
	codeE164           = "store.err.e164"
	codeTimeZone       = "store.err.timezone"
	codeLang           = "store.err.lang"
	codeOneOf          = "store.err.one_of"
	codeRange          = "store.err.range"
	codeCIDR           = "store.err.cidr"
	codeHost           = "store.err.host"
	codeJSONObject     = "store.err.json_object"
	codeClock          = "store.err.clock"
	codeClockOrder     = "store.err.clock_order"
	codeDate           = "store.err.date"
	codeDateOrder      = "store.err.date_order"
	codeTimeOrder      = "store.err.time_order"
	codeDuplicate      = "store.err.duplicate"
	codeUnknown        = "store.err.unknown"
	codePath           = "store.err.path"
	codeSHA256         = "store.err.sha256"
	codeURI            = "store.err.uri"
	codeAddr           = "store.err.addr"
	codeHash           = "store.err.hash"
	codeEmail          = "store.err.email"
	codeStateDirection = "store.err.state_direction"
	codeAnnounceEvery  = "store.err.announce_every"
	codeExitKey        = "store.err.exit_key"
	codeExitTarget     = "store.err.exit_target"
	codeWidenOrder     = "store.err.widen_order"
	codeWidenAny       = "store.err.widen_any"
	codeOverflowSelf   = "store.err.overflow_self"
	codeCallbackNumber = "store.err.callback_number"
	codeWholeSeconds   = "store.err.whole_seconds"
	codeNegative       = "store.err.negative"
	codePauseReason    = "store.err.pause_reason"
)

// fields collects field errors while a record validates itself.
type fields struct{ errs []FieldError }

func (f *fields) add(field, code string, args ...any) {
	f.errs = append(f.errs, FieldError{Field: field, Code: code, Args: args})
}

// result turns the collected errors into a *ValidationError, or nil.
func (f *fields) result(kind Kind, key string) error {
	if len(f.errs) == 0 {
		return nil
	}
	return &ValidationError{Kind: kind, Key: key, Fields: f.errs}
}

// text checks a one-line free-text field: required or not, at most max
// runes, valid UTF-8 without control characters (they would break logs,
// phone displays and CSV exports).
func (f *fields) text(field, v string, required bool, max int) {
	f.freeText(field, v, required, max, false)
}

// para is text that may span lines (notes, SMS texts).
func (f *fields) para(field, v string, required bool, max int) {
	f.freeText(field, v, required, max, true)
}

func (f *fields) freeText(field, v string, required bool, max int, lines bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	if utf8.RuneCountInString(v) > max {
		f.add(field, codeTooLong, max)
		return
	}
	bad := func(r rune) bool {
		if lines && (r == '\n' || r == '\t' || r == '\r') {
			return false
		}
		return unicode.IsControl(r) || r == utf8.RuneError
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, bad) >= 0 {
		f.add(field, codeUnknown)
	}
}

// name checks an identifier used as a key: letters, digits, '.', '_', '-',
// starting with a letter or digit, 1-64 bytes.
func (f *fields) name(field, v string) {
	if v == "" {
		f.add(field, codeRequired)
		return
	}
	if !isName(v) {
		f.add(field, codeName, 64)
	}
}

func isName(v string) bool {
	if len(v) == 0 || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// IsSlug reports whether s is 1 to max characters of a-z, 0-9 and '-':
// the names that become file names or path segments (prompts, mailboxes)
// and the codes people pick from a list (pause reasons), where nothing
// else may pass.
func IsSlug(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// digits checks an extension-style number: only digits, min..max long.
func (f *fields) digits(field, v string, required bool, min, max int) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	if !isDigits(v) || len(v) < min || len(v) > max {
		f.add(field, codeDigits, min, max)
	}
}

func isDigits(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// IsDialable reports whether v is a number the box can dial or match: an
// optional leading '+', then 2 to 20 digits, '*' or '#'.
func IsDialable(v string) bool {
	s := strings.TrimPrefix(v, "+")
	if len(s) < 2 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '*' && c != '#' {
			return false
		}
	}
	return true
}

// IsE164 reports whether v is an E.164 number: '+', a non-zero digit, then
// up to 14 more digits.
func IsE164(v string) bool {
	if len(v) < 3 || len(v) > 16 || v[0] != '+' || v[1] == '0' {
		return false
	}
	return isDigits(v[1:])
}

func (f *fields) dialable(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	if !IsDialable(v) {
		f.add(field, codeNumber)
	}
}

func (f *fields) e164(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	if !IsE164(v) {
		f.add(field, codeE164)
	}
}

// timeZone accepts an IANA name that the embedded database knows.
func (f *fields) timeZone(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	// LoadLocation also accepts "Local" and paths; only real zone names
	// are portable between boxes.
	if v == "Local" || strings.HasPrefix(v, "/") || strings.Contains(v, "..") {
		f.add(field, codeTimeZone)
		return
	}
	if _, err := time.LoadLocation(v); err != nil {
		f.add(field, codeTimeZone)
	}
}

func (f *fields) lang(field string, v i18n.Lang, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	if !v.Valid() {
		f.add(field, codeLang)
	}
}

// oneOf checks that v is one of allowed (v == "" is "required" when required).
func oneOf[S ~string](f *fields, field string, v S, required bool, allowed ...S) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	f.add(field, codeOneOf, strings.Join(names, ", "))
}

func (f *fields) intRange(field string, v, min, max int) {
	if v < min || v > max {
		f.add(field, codeRange, min, max)
	}
}

// relPath checks a file reference relative to the data directory: clean,
// forward slashes, no escape upwards, no absolute path.
func (f *fields) relPath(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	if len(v) > 512 || strings.HasPrefix(v, "/") || strings.Contains(v, "\\") || strings.ContainsRune(v, 0) ||
		path.Clean(v) != v || v == "." || v == ".." || strings.HasPrefix(v, "../") {
		f.add(field, codePath)
	}
}

// host accepts an IP address or a DNS name.
func (f *fields) host(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return
	}
	if !isHostname(v) {
		f.add(field, codeHost)
	}
}

func isHostname(v string) bool {
	if len(v) == 0 || len(v) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(v, "."), ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// addr accepts "ip:port" or "[ipv6]:port".
func (f *fields) addr(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	if _, err := netip.ParseAddrPort(v); err != nil {
		f.add(field, codeAddr)
	}
}

func (f *fields) cidr(field, v string) {
	if _, err := netip.ParsePrefix(v); err == nil {
		return
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return
	}
	f.add(field, codeCIDR)
}

// sipURI accepts sip: and sips: URIs with a host part.
func (f *fields) sipURI(field, v string, required bool) {
	if v == "" {
		if required {
			f.add(field, codeRequired)
		}
		return
	}
	rest, ok := strings.CutPrefix(v, "sip:")
	if !ok {
		rest, ok = strings.CutPrefix(v, "sips:")
	}
	if !ok || len(v) > 512 || strings.ContainsAny(v, " \t\r\n<>\"") {
		f.add(field, codeURI)
		return
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	if i := strings.IndexAny(rest, ";?"); i >= 0 {
		rest = rest[:i]
	}
	h := rest
	if host, _, err := net.SplitHostPort(rest); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if _, err := netip.ParseAddr(h); err != nil && !isHostname(h) {
		f.add(field, codeURI)
	}
}

func (f *fields) email(field, v string) {
	if v == "" {
		return
	}
	at := strings.IndexByte(v, '@')
	if at <= 0 || at != strings.LastIndexByte(v, '@') || len(v) > 254 || strings.ContainsAny(v, " \t\r\n<>") || !isHostname(v[at+1:]) {
		f.add(field, codeEmail)
	}
}

// clock parses "HH:MM" (00:00-24:00) into minutes of the day.
func parseClock(v string) (int, bool) {
	if len(v) != 5 || v[2] != ':' || !isDigits(v[:2]) || !isDigits(v[3:]) {
		return 0, false
	}
	h := int(v[0]-'0')*10 + int(v[1]-'0')
	m := int(v[3]-'0')*10 + int(v[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// parseDate parses "YYYY-MM-DD".
func parseDate(v string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, v)
	return t, err == nil
}

// indexed names a list element's field: "numbers[2]".
func indexed(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// noDuplicates reports list elements seen before.
func noDuplicates(f *fields, field string, vs []string) {
	seen := make(map[string]bool, len(vs))
	for i, v := range vs {
		if seen[v] {
			f.add(indexed(field, i), codeDuplicate)
		}
		seen[v] = true
	}
}
