package sip

import (
	"errors"
	"net/netip"
	"slices"
	"strings"

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
			s.fail(src, "", reasonMalformed)
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
		s.fail(src, cred.Username, reasonUnknownUser)
		s.respond(tx, req, 403, "Forbidden")
		return none, false
	}
	if !guard.Permitted(ext.AllowedNets, src.Addr()) {
		s.fail(src, ext.Number, reasonNotAllowedNet)
		s.respond(tx, req, 403, "Forbidden")
		return none, false
	}
	switch err := s.verifier.Verify(string(req.Method), cred, ext.Secret); {
	case err == nil:
		return ext, true
	case errors.Is(err, digest.ErrStale), errors.Is(err, digest.ErrReplay):
		s.challenge(tx, req, proxy, true)
	case errors.Is(err, digest.ErrMismatch):
		s.fail(src, ext.Number, reasonWrongPassword)
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
	return len(h) >= 6 && strings.EqualFold(h[:6], "Digest")
}

// challenge answers 401 or 407 with one challenge per algorithm.
func (s *Server) challenge(tx sipmsg.ServerTransaction, req *sipmsg.Request, proxy, stale bool) {
	code, reason, name := 401, "Unauthorized", "WWW-Authenticate"
	if proxy {
		code, reason, name = 407, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	var hdrs []sipmsg.Header
	chs := s.verifier.Challenges(stale)
	if s.md5Only(headerValue(req, "User-Agent")) {
		md5 := slices.DeleteFunc(slices.Clone(chs), func(c digest.Challenge) bool { return c.Algorithm != digest.MD5 })
		if len(md5) > 0 {
			chs = md5
		}
	}
	for _, c := range chs {
		hdrs = append(hdrs, sipmsg.NewHeader(name, c.String()))
	}
	s.respond(tx, req, code, reason, hdrs...)
}

func (s *Server) md5Only(userAgent string) bool {
	ua := strings.ToLower(userAgent)
	for _, a := range s.cfg.MD5OnlyAgents {
		if a != "" && strings.Contains(ua, strings.ToLower(a)) {
			return true
		}
	}
	return false
}

// Why an authentication failed: message keys in firmware/i18n (sip.go),
// kept in guard.Ban.Reason for the admin's list.
const (
	reasonWrongPassword = "sip.fail.wrong_password"
	reasonUnknownUser   = "sip.fail.unknown_user"
	reasonNotAllowedNet = "sip.fail.not_allowed_net"
	reasonMalformed     = "sip.fail.malformed"
	reasonWrongAOR      = "sip.fail.wrong_aor"
)

// fail records a failed authentication; enough of them ban src. reason
// is one of the reason keys.
func (s *Server) fail(src netip.AddrPort, ext, reason string) {
	s.log.Info("sip: authentication failed", "addr", src, "ext", ext, "reason", reason)
	s.guard.Fail(src.Addr(), reason)
}
