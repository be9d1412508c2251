package sip

import (
	"net/netip"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/firmware/store"
)

// allowed is the Allow header value: what the switch answers itself plus
// the methods handlers were added for.
func (s *Server) allowed() string {
	m := []string{"REGISTER", "OPTIONS", "ACK", "CANCEL"}
	for k := range s.handlers {
		m = append(m, k)
	}
	return strings.Join(m, ", ")
}

// serve is the request pipeline after parsing (see doc.go).
func (s *Server) serve(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if !s.inflight.enter() {
		dropLate(tx)
		return
	}
	defer s.inflight.leave()
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if ua := headerValue(req, "User-Agent"); s.guard.IsScanner(ua) {
		s.log.Debug("sip: scanner dropped", "addr", src, "user_agent", ua)
		return
	}
	if req.IsAck() {
		// An ACK that matched no transaction needs no answer, and no
		// answer is possible; one for a 2xx of a dialog the switch holds
		// goes to its handler.
		if h := s.handlers["ACK"]; h != nil && s.trusted(req) {
			s.mu.Lock()
			ctx := s.ctx
			s.mu.Unlock()
			h(ctx, &Request{Request: req, Tx: tx, Source: src})
		}
		return
	}
	if code, reason, hdrs := s.check(req); code != 0 {
		s.respond(tx, req, code, reason, hdrs...)
		return
	}
	fixVia(req, src)
	switch req.Method {
	case sipmsg.REGISTER:
		s.register(req, tx, src)
	case sipmsg.OPTIONS:
		if _, isPeer := s.peer(req, src); !isPeer && !s.reg.knownSource(src) {
			if _, ok := s.authenticate(req, tx, src); !ok {
				return
			}
		}
		s.respond(tx, req, 200, "OK",
			sipmsg.NewHeader("Allow", s.allowed()),
			sipmsg.NewHeader("Accept", "application/sdp"))
	case sipmsg.CANCEL:
		// sipgo answers a CANCEL that matches an INVITE transaction; one
		// that reaches us matched nothing.
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
	default:
		r := &Request{Request: req, Tx: tx, Source: src}
		if !s.trusted(req) {
			if p, ok := s.peer(req, src); ok {
				if p.Refuse != 0 {
					s.log.Info("sip: trunk request refused", "trunk", p.Trunk, "addr", src, "code", p.Refuse,
						"uri", req.Recipient.String())
					s.respond(tx, req, p.Refuse, statusText(p.Refuse))
					return
				}
				r.Trunk, r.Dialed = p.Trunk, p.Dialed
			} else if r.Extension, ok = s.authenticate(req, tx, src); !ok {
				return
			}
		}
		h := s.handlers[string(req.Method)]
		if h == nil {
			s.respond(tx, req, 405, "Method Not Allowed", sipmsg.NewHeader("Allow", s.allowed()))
			return
		}
		s.mu.Lock()
		ctx := s.ctx
		s.mu.Unlock()
		h(ctx, r)
	}
}

// dropLate ends a request that reached the pipeline after Run stopped
// taking them. sipgo hands each request to a goroutine of its own, which
// only there looks up the socket to answer through; one that looks after
// its listener left sipgo's pool gets a new socket, with a reader
// goroutine, that UserAgent.Close may already have missed. Closing it here
// is what keeps a restart from leaking it.
func dropLate(tx sipmsg.ServerTransaction) {
	// Terminated first, so that a retransmission of the request finds no
	// transaction to join and comes here with its own socket.
	tx.Terminate()
	if c, ok := tx.(interface{ Connection() sipmsg.Connection }); ok && c.Connection() != nil {
		_ = c.Connection().Close() // a no-op for a listening UDP socket
	}
}

// respond answers req with code and extra headers.
func (s *Server) respond(tx sipmsg.ServerTransaction, req *sipmsg.Request, code int, reason string, hdrs ...sipmsg.Header) {
	res := sipmsg.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0" // even to a SIP/7.0 request (RFC 4475 badvers)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	res.AppendHeader(sipmsg.NewHeader("Server", s.cfg.UserAgent))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: respond failed", "code", code, "call_id", callID(req), "error", err)
	}
}

// statusText is the reason phrase of the statuses a Peer may refuse with.
func statusText(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 503:
		return "Service Unavailable"
	}
	return "Refused"
}

func headerValue(m interface{ GetHeader(string) sipmsg.Header }, name string) string {
	if h := m.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func callID(req *sipmsg.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// transportOf names req's transport the way the store does.
func transportOf(req *sipmsg.Request) store.Transport {
	return store.Transport(strings.ToLower(req.Transport()))
}
