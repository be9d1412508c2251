package sip

import (
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// singleValued are headers that may appear once (RFC 3261 §7.3.1 and
// RFC 4475 §3.3.8, §3.3.9).
var singleValued = []string{"From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type", "Expires"}

// supported lists the option tags the switch implements; a Require or
// Proxy-Require naming anything else gets 420.
var supported = map[string]bool{}

// check applies the RFC 3261 sanity checks a UAS makes before it looks
// at a request (§8.2), in the order RFC 4475 expects the answers. It
// returns 0 when the request may proceed, else the response to send.
func (s *Server) check(req *sipmsg.Request) (int, string, []sipmsg.Header) {
	if req.SipVersion != "SIP/2.0" {
		return 505, "Version Not Supported", nil
	}
	if req.Via() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		return 400, "Missing Required Header", nil
	}
	for _, name := range singleValued {
		if len(req.GetHeaders(name)) > 1 {
			return 400, "Multiple " + name + " Headers", nil
		}
	}
	if req.CSeq().MethodName != req.Method {
		return 400, "CSeq Method Does Not Match", nil
	}
	switch req.Recipient.Scheme {
	case "sip", "sips", "tel":
	default:
		return 416, "Unsupported URI Scheme", nil
	}
	if len(req.Recipient.Headers) > 0 {
		// RFC 4475 §3.1.2.13 (escruri): headers belong in a URI, never in
		// a Request-URI.
		return 400, "Headers In Request-URI", nil
	}
	if req.Method != sipmsg.CANCEL {
		var bad []string
		for _, name := range []string{"Require", "Proxy-Require"} {
			for _, h := range req.GetHeaders(name) {
				for _, tag := range strings.Split(h.Value(), ",") {
					if tag = strings.TrimSpace(tag); tag != "" && !supported[strings.ToLower(tag)] {
						bad = append(bad, tag)
					}
				}
			}
		}
		if len(bad) > 0 {
			return 420, "Bad Extension", []sipmsg.Header{sipmsg.NewHeader("Unsupported", strings.Join(bad, ", "))}
		}
	}
	if mf := req.MaxForwards(); mf != nil && *mf == 0 && req.Method != sipmsg.OPTIONS && req.Method != sipmsg.REGISTER {
		return 483, "Too Many Hops", nil
	}
	if req.Method == sipmsg.INVITE {
		if code, reason, hdrs := checkInviteBody(req); code != 0 {
			return code, reason, hdrs
		}
	}
	return 0, "", nil
}

// checkInviteBody refuses an INVITE whose offer the switch could not read
// (RFC 4475 §3.3.6, invut) or whose answer could not be sent in an
// acceptable type (§3.3.15, sdp01).
func checkInviteBody(req *sipmsg.Request) (int, string, []sipmsg.Header) {
	accept := []sipmsg.Header{sipmsg.NewHeader("Accept", "application/sdp, multipart/mixed")}
	if len(req.Body()) > 0 {
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = strings.ToLower(strings.TrimSpace(strings.Split(h.Value(), ";")[0]))
		}
		if ct != "application/sdp" && !strings.HasPrefix(ct, "multipart/") {
			return 415, "Unsupported Media Type", accept
		}
	}
	if hs := req.GetHeaders("Accept"); len(hs) > 0 {
		ok := false
		for _, h := range hs {
			for _, t := range strings.Split(h.Value(), ",") {
				t = strings.ToLower(strings.TrimSpace(strings.Split(t, ";")[0]))
				if t == "application/sdp" || t == "application/*" || t == "*/*" {
					ok = true
				}
			}
		}
		if !ok {
			return 406, "Not Acceptable", accept
		}
	}
	return 0, "", nil
}
