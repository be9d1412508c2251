package sip

import (
	"errors"
	"net/netip"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd/sip/digest"
	"callbox/acd/sip/guard"
	"callbox/firmware/store"
)

// authenticate checks the digest credentials of req. On success it returns
// the extension. Otherwise it has answered: a challenge (401 for REGISTER
// and OPTIONS, 407 for the rest) when credentials are missing, stale or
// not ours to judge, 403 when they are wrong, which counts towards a ban.
func (s *Server) authenticate(req *sipmsg.Request, tx sipmsg.ServerTransaction, src netip.AddrPort) (store.Extension, bool) {
	var none store.Extension
	proxy := req.Method != sipmsg.REGISTER && req.Method != sipmsg.OPTIONS
	hname := "Authorization"
	if proxy {
		hname = "Proxy-Authorization"
	}
	h := req.GetHeader(hname)
	if h == nil {
		s.challenge(tx, req, proxy, false)
		return none, false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil {
		// RFC 4475 §3.3.7: an unknown scheme is answered with our
		// challenge. A broken Digest header counts as a failure: real
		// phones do not send one.
		if isDigest(h.Value()) {
			s.fail(src, "", "malformed credentials")
			s.respond(tx, req, 400, "Malformed Authorization")
			return none, false
		}
		s.challenge(tx, req, proxy, false)
		return none, false
	}
	ext, err := store.Get[store.Extension](s.st, cred.Username)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("sip: extension lookup", "ext", cred.Username, "error", err)
			s.respond(tx, req, 500, "Server Internal Error")
			return none, false
		}
		// Answered like a wrong password, so that scanning for
		// extensions learns nothing.
		s.fail(src, cred.Username, "unknown user")
		s.respond(tx, req, 403, "Forbidden")
		return none, false
	}
	if !guard.Permitted(ext.AllowedNets, src.Addr()) {
		s.fail(src, ext.Number, "address not in the extension's allowed networks")
		s.respond(tx, req, 403, "Forbidden")
		return none, false
	}
	switch err := s.verifier.Verify(string(req.Method), cred, ext.Secret); {
	case err == nil:
		return ext, true
	case errors.Is(err, digest.ErrStale), errors.Is(err, digest.ErrReplay):
		s.challenge(tx, req, proxy, true)
	case errors.Is(err, digest.ErrMismatch):
		s.fail(src, ext.Number, "wrong password")
		s.respond(tx, req, 403, "Forbidden")
	default:
		// A nonce from before a restart, another realm, an algorithm we
		// did not offer: the client may try again with our challenge.
		s.log.Debug("sip: credentials not usable", "ext", ext.Number, "addr", src, "error", err)
		s.challenge(tx, req, proxy, false)
	}
	return none, false
}

func isDigest(h string) bool {
	return len(h) >= 6 && (h[:6] == "Digest" || h[:6] == "digest" || h[:6] == "DIGEST")
}

// challenge answers 401 or 407 with one challenge per algorithm.
func (s *Server) challenge(tx sipmsg.ServerTransaction, req *sipmsg.Request, proxy, stale bool) {
	code, reason, name := 401, "Unauthorized", "WWW-Authenticate"
	if proxy {
		code, reason, name = 407, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	var hdrs []sipmsg.Header
	for _, c := range s.verifier.Challenges(stale) {
		hdrs = append(hdrs, sipmsg.NewHeader(name, c.String()))
	}
	s.respond(tx, req, code, reason, hdrs...)
}

// fail records a failed authentication; enough of them ban src.
func (s *Server) fail(src netip.AddrPort, ext, reason string) {
	s.log.Info("sip: authentication failed", "addr", src, "ext", ext, "reason", reason)
	s.guard.Fail(src.Addr(), reason)
}
