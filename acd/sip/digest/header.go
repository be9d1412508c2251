package digest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMalformed is returned for an Authorization header that cannot be
// parsed.
var ErrMalformed = errors.New("digest: malformed header")

// maxHeader bounds the work spent on one header: real ones are a few
// hundred bytes.
const maxHeader = 4096

// Credentials is a parsed Authorization (or Proxy-Authorization) header
// with the Digest scheme.
type Credentials struct {
	Username  string
	Realm     string
	Nonce     string
	URI       string
	Response  string
	Algorithm string // as sent; empty means MD5
	Cnonce    string
	Opaque    string
	QOP       string
	NC        uint32 // nonce-count; valid when HasNC
	HasNC     bool
}

// ParseCredentials parses an Authorization header value such as
// `Digest username="1001", realm="callbox", ...`. Parameter names are case
// insensitive; a parameter given twice is an error, as are missing
// username, realm, nonce, uri or response.
func ParseCredentials(h string) (Credentials, error) {
	var c Credentials
	if len(h) > maxHeader {
		return c, fmt.Errorf("%w: %d bytes", ErrMalformed, len(h))
	}
	h = strings.TrimLeft(h, " \t")
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return c, fmt.Errorf("%w: scheme %q", ErrMalformed, scheme)
	}
	params, err := parseParams(rest)
	if err != nil {
		return c, err
	}
	for _, p := range params {
		switch p.name {
		case "username":
			c.Username = p.value
		case "realm":
			c.Realm = p.value
		case "nonce":
			c.Nonce = p.value
		case "uri":
			c.URI = p.value
		case "response":
			c.Response = strings.ToLower(p.value)
		case "algorithm":
			c.Algorithm = p.value
		case "cnonce":
			c.Cnonce = p.value
		case "opaque":
			c.Opaque = p.value
		case "qop":
			c.QOP = strings.ToLower(p.value)
		case "nc":
			// RFC 2617: exactly 8 hex digits.
			if len(p.value) != 8 {
				return c, fmt.Errorf("%w: nc %q", ErrMalformed, p.value)
			}
			n, err := strconv.ParseUint(p.value, 16, 32)
			if err != nil {
				return c, fmt.Errorf("%w: nc %q", ErrMalformed, p.value)
			}
			c.NC, c.HasNC = uint32(n), true
		}
	}
	switch {
	case c.Username == "":
		return c, fmt.Errorf("%w: no username", ErrMalformed)
	case c.Nonce == "":
		return c, fmt.Errorf("%w: no nonce", ErrMalformed)
	case c.URI == "":
		return c, fmt.Errorf("%w: no uri", ErrMalformed)
	case c.Response == "":
		return c, fmt.Errorf("%w: no response", ErrMalformed)
	}
	return c, nil
}

type param struct{ name, value string }

// parseParams reads a comma separated auth-param list (RFC 7235 §2.1):
// token "=" ( token / quoted-string ), with optional whitespace.
func parseParams(s string) ([]param, error) {
	var out []param
	seen := map[string]bool{}
	i := 0
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			break
		}
		if s[i] == ',' { // empty list elements are allowed
			i++
			continue
		}
		start := i
		for i < len(s) && isToken(s[i]) {
			i++
		}
		if i == start {
			return nil, fmt.Errorf("%w: unexpected %q at %d", ErrMalformed, s[i], i)
		}
		name := strings.ToLower(s[start:i])
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%w: parameter %q without value", ErrMalformed, name)
		}
		i = skipSpace(s, i+1)
		var value string
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if ch == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("%w: unterminated quoted string in %q", ErrMalformed, name)
			}
			value = b.String()
		} else {
			vs := i
			for i < len(s) && isToken(s[i]) {
				i++
			}
			value = s[vs:i]
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: parameter %q repeated", ErrMalformed, name)
		}
		seen[name] = true
		out = append(out, param{name, value})
		i = skipSpace(s, i)
		if i < len(s) {
			if s[i] != ',' {
				return nil, fmt.Errorf("%w: expected comma at %d", ErrMalformed, i)
			}
			i++
		}
	}
	return out, nil
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// isToken reports whether ch is a tchar (RFC 7230 §3.2.6).
func isToken(ch byte) bool {
	switch {
	case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~/:", ch) >= 0
}

// Challenge is one WWW-Authenticate (or Proxy-Authenticate) value.
type Challenge struct {
	Realm     string
	Nonce     string
	Algorithm Algorithm
	Stale     bool
}

// String formats the challenge as a header value, always with qop="auth".
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(`Digest realm=`)
	b.WriteString(quote(c.Realm))
	b.WriteString(`, nonce=`)
	b.WriteString(quote(c.Nonce))
	b.WriteString(`, algorithm=`)
	b.WriteString(string(c.Algorithm))
	b.WriteString(`, qop="auth"`)
	if c.Stale {
		b.WriteString(`, stale=true`)
	}
	return b.String()
}

// quoted escapes a quoted-string's backslashes and quotes. A Replacer
// builds its tables on first use, so it is made once: a challenge goes
// out with every first INVITE and REGISTER.
var quoted = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func quote(s string) string { return `"` + quoted.Replace(s) + `"` }
