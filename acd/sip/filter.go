package sip

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// errDropConn makes sipgo close a stream connection whose source is
// banned or over its rate: a stream cannot be resynchronised after a
// dropped chunk.
var errDropConn = errors.New("sip: connection refused by guard")

// filter sees every datagram and stream chunk before sipgo parses it
// (stage 1 in doc.go). Returning nil, nil drops a datagram.
func (s *Server) filter(p sipmsg.TransportReadProps, data []byte) ([]byte, error) {
	src := addrPortOf(p.RemoteAddr)
	udp := strings.EqualFold(p.Transport, "udp")
	if !s.allow(src.Addr()) {
		if udp {
			return nil, nil
		}
		return nil, errDropConn
	}
	if !udp || len(bytes.Trim(data, "\r\n")) == 0 {
		return data, nil
	}
	msg, err := s.parser.ParseSIP(data)
	if err != nil {
		if res := badRequest(data); res != nil {
			s.writeUDP(res, src)
		}
		s.log.Debug("sip: unparsable datagram", "addr", src, "error", err)
		return nil, nil
	}
	req, ok := msg.(*sipmsg.Request)
	if !ok {
		return data, nil
	}
	if s.guard.IsScanner(headerValue(req, "User-Agent")) {
		s.log.Debug("sip: scanner dropped", "addr", src)
		return nil, nil
	}
	if badDisplayName(data) {
		// sipgo reads these leniently; RFC 4475 §3.1.2.11 (baddn) wants
		// them refused.
		if res := badRequest(data); res != nil {
			s.writeUDP(res, src)
		}
		return nil, nil
	}
	return data, nil
}

// allow applies the ban and the per-address rate limit; known addresses
// (see knownAddr) draw from their own, larger bucket.
func (s *Server) allow(addr netip.Addr) bool {
	if s.knownAddr(addr) {
		return !s.guard.Banned(addr) && s.known.Allow(addr)
	}
	return s.guard.Allow(addr)
}

func (s *Server) writeUDP(b []byte, to netip.AddrPort) {
	s.mu.Lock()
	pc := s.udp
	s.mu.Unlock()
	if pc != nil {
		_, _ = pc.WriteTo(b, net.UDPAddrFromAddrPort(to))
	}
}

// badDisplayName reports whether a From or To header of the raw message
// has a display name that is neither quoted nor made of tokens
// (RFC 3261 §25.1: display-name = *(token LWS) / quoted-string).
func badDisplayName(data []byte) bool {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	_, rest, _ := bytes.Cut(head, []byte("\r\n")) // the start line
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, val, ok := bytes.Cut(l, []byte(":"))
		if !ok || !addressHeader(bytes.TrimSpace(name)) {
			continue
		}
		dn, _, ok := bytes.Cut(val, []byte("<"))
		dn = bytes.TrimSpace(dn)
		if !ok || len(dn) == 0 || dn[0] == '"' {
			continue
		}
		for _, c := range dn {
			if c != ' ' && c != '\t' && !isTokenChar(c) {
				return true
			}
		}
	}
	return false
}

// addressHeader reports whether name is From or To, long or compact.
func addressHeader(name []byte) bool {
	return bytes.EqualFold(name, []byte("from")) || bytes.EqualFold(name, []byte("to")) ||
		bytes.EqualFold(name, []byte("f")) || bytes.EqualFold(name, []byte("t"))
}

// isTokenChar reports whether c may appear in a SIP token (RFC 3261 §25.1).
func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0
}

func addrPortOf(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case *net.TCPAddr:
		ap = a.AddrPort()
	default:
		ap, _ = netip.ParseAddrPort(a.String())
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// badRequest builds the answer to a request the parser refused, from the
// headers a response needs (RFC 3261 §8.2.6: Via, From, To, Call-ID,
// CSeq), found by a forgiving line scan. It returns nil when the message is
// a response, or when any of them is missing: then no answer is possible
// and the datagram is dropped. A Request-URI with a scheme we do not know
// is answered 416, as RFC 4475 §3.3.3 (novelsc) asks.
func badRequest(data []byte) []byte {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\n")
	if len(lines) < 2 {
		return nil
	}
	start := strings.TrimRight(lines[0], "\r")
	if strings.HasPrefix(start, "SIP/") || !strings.HasSuffix(strings.TrimRight(start, " \t"), "SIP/2.0") {
		return nil
	}
	code, reason := "400", "Bad Request"
	if f := strings.Fields(start); len(f) == 3 {
		scheme, _, ok := strings.Cut(f[1], ":")
		if ok && isScheme(scheme) {
			switch strings.ToLower(scheme) {
			case "sip", "sips", "tel":
			default:
				code, reason = "416", "Unsupported URI Scheme"
			}
		}
	}
	var vias []string
	var from, to, cid, cseq string
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, "\r")
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			continue // folded lines are not followed: best effort
		}
		name, val, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		if strings.ContainsAny(val, "\x00") {
			return nil
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v":
			vias = append(vias, val)
		case "from", "f":
			from = first(from, val)
		case "to", "t":
			to = first(to, val)
		case "call-id", "i":
			cid = first(cid, val)
		case "cseq":
			cseq = first(cseq, val)
		}
	}
	if len(vias) == 0 || from == "" || to == "" || cid == "" || cseq == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("SIP/2.0 " + code + " " + reason + "\r\n")
	for _, v := range vias {
		b.WriteString("Via: " + v + "\r\n")
	}
	b.WriteString("From: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + cid + "\r\nCSeq: " + cseq +
		"\r\nContent-Length: 0\r\n\r\n")
	return []byte(b.String())
}

// isScheme reports whether s has URI scheme syntax (RFC 3986 §3.1).
func isScheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func first(cur, v string) string {
	if cur != "" {
		return cur
	}
	return v
}
