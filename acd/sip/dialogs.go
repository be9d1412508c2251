package sip

import (
	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
)

// Handle serves method with h, like WithHandler, for a part built after
// the Server (the B2BUA needs the Server, the Server needs its handlers).
// It returns ErrRunning once Run has started: the handler table is read
// without a lock while serving.
func (s *Server) Handle(method string, h Handler) error {
	if s.running.Load() {
		return ErrRunning
	}
	s.handlers[method] = h
	return nil
}

// TrustDialogs sets the test for requests inside a dialog the switch
// holds (a To tag it gave out): those skip digest authentication, the
// way a phone expects for BYE and re-INVITE, and are handed over with a
// zero Extension. ACKs for the switch's 2xx responses reach the ACK
// handler (added with Handle) the same way; without one they are
// dropped. It returns ErrRunning once Run has started.
func (s *Server) TrustDialogs(inDialog func(*sipmsg.Request) bool) error {
	if s.running.Load() {
		return ErrRunning
	}
	s.inDialog = inDialog
	return nil
}

// trusted reports whether req belongs to a dialog the switch holds.
func (s *Server) trusted(req *sipmsg.Request) bool {
	if s.inDialog == nil {
		return false
	}
	if to := req.To(); to == nil || !to.Params.Has("tag") {
		return false
	}
	return s.inDialog(req)
}

// UserAgent is the sipgo user agent the listeners run on, for parts that
// send requests of their own (the B2BUA's INVITEs and BYEs); nil before
// Ready. It is closed when Run returns.
func (s *Server) UserAgent() *sipgo.UserAgent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ua
}
