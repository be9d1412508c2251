package b2bua

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// ErrBadHeader is returned by the parsers of the headers the call
// features read (Refer-To, Replaces, Session-Expires, Min-SE).
var ErrBadHeader = errors.New("b2bua: malformed header")

// referTarget is a Refer-To header (RFC 3515): where the transferee is
// sent, and for an attended transfer the dialog it replaces.
type referTarget struct {
	User     string // the number or extension: the URI's user part (tel: its number)
	Host     string
	Replaces *replaces
}

// replaces identifies a dialog (RFC 3891 §6.1): the Call-ID and the
// tags as the UA receiving the INVITE with Replaces sees them, to-tag its
// own.
type replaces struct {
	CallID    string
	ToTag     string
	FromTag   string
	EarlyOnly bool
}

// parseReferTo reads a Refer-To value: a name-addr or addr-spec with an
// optional embedded Replaces header (?Replaces=...).
func parseReferTo(v string) (referTarget, error) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return referTarget{}, ErrBadHeader
		}
		v = v[i+1 : i+j]
	} else if i := strings.IndexByte(v, ';'); i >= 0 {
		// Without brackets, parameters belong to the header, not the URI.
		v = v[:i]
	}
	uri, hdrs, _ := strings.Cut(v, "?")
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok {
		return referTarget{}, ErrBadHeader
	}
	var t referTarget
	switch strings.ToLower(scheme) {
	case "sip", "sips":
		user, host, found := strings.Cut(rest, "@")
		if !found {
			user, host = "", user
		}
		user, _, _ = strings.Cut(user, ";") // user parameters
		user, _, _ = strings.Cut(user, ":") // a password has no place here
		host, _, _ = strings.Cut(host, ";")
		t.User, t.Host = user, host
	case "tel":
		num, _, _ := strings.Cut(rest, ";")
		t.User = num
	default:
		return referTarget{}, ErrBadHeader
	}
	u, err := url.PathUnescape(t.User)
	if err != nil {
		return referTarget{}, ErrBadHeader
	}
	t.User = u
	if t.User == "" && t.Host == "" {
		return referTarget{}, ErrBadHeader
	}
	if hdrs == "" {
		return t, nil
	}
	for _, kv := range strings.Split(hdrs, "&") {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.EqualFold(name, "Replaces") {
			continue
		}
		val, err := url.QueryUnescape(strings.ReplaceAll(val, "+", "%2B"))
		if err != nil {
			return referTarget{}, ErrBadHeader
		}
		r, err := parseReplaces(val)
		if err != nil {
			return referTarget{}, err
		}
		t.Replaces = &r
	}
	return t, nil
}

// parseReplaces reads a Replaces value: callid;to-tag=x;from-tag=y.
func parseReplaces(v string) (replaces, error) {
	parts := strings.Split(v, ";")
	r := replaces{CallID: strings.TrimSpace(parts[0])}
	for _, p := range parts[1:] {
		name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "to-tag":
			r.ToTag = strings.TrimSpace(val)
		case "from-tag":
			r.FromTag = strings.TrimSpace(val)
		case "early-only":
			r.EarlyOnly = true
		}
	}
	if r.CallID == "" || r.ToTag == "" || r.FromTag == "" {
		return replaces{}, ErrBadHeader
	}
	return r, nil
}

// sessionExpires is a Session-Expires value (RFC 4028 §4): the interval
// and who refreshes ("uac", "uas" or "" for not said).
type sessionExpires struct {
	Seconds   int
	Refresher string
}

// parseSessionExpires reads "1800;refresher=uac".
func parseSessionExpires(v string) (sessionExpires, error) {
	parts := strings.Split(v, ";")
	n, err := parseDelta(parts[0])
	if err != nil {
		return sessionExpires{}, err
	}
	se := sessionExpires{Seconds: n}
	for _, p := range parts[1:] {
		name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(name), "refresher") {
			val = strings.ToLower(strings.TrimSpace(val))
			if val != "uac" && val != "uas" {
				return sessionExpires{}, ErrBadHeader
			}
			se.Refresher = val
		}
	}
	return se, nil
}

// parseDelta reads delta-seconds (a Min-SE value, without parameters).
func parseDelta(v string) (int, error) {
	v, _, _ = strings.Cut(v, ";")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 || n > 1<<31-1 {
		return 0, ErrBadHeader
	}
	return n, nil
}
