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
	if !s.guard.Allow(src.Addr()) {
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
			s.mu.Lock()
			pc := s.udp
			s.mu.Unlock()
			if pc != nil {
				_, _ = pc.WriteTo(res, net.UDPAddrFromAddrPort(src))
			}
		}
		s.log.Debug("sip: unparsable datagram", "addr", src, "error", err)
		return nil, nil
	}
	if req, ok := msg.(*sipmsg.Request); ok && s.guard.IsScanner(headerValue(req, "User-Agent")) {
		s.log.Debug("sip: scanner dropped", "addr", src)
		return nil, nil
	}
	return data, nil
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
		if ok {
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

func first(cur, v string) string {
	if cur != "" {
		return cur
	}
	return v
}
