package sip

import (
	"errors"
	"fmt"
	"strings"

	"github.com/icholy/digest"

	sipmsg "github.com/emiago/sipgo/sip"
)

// ErrNoChallenge is returned by Authorize for a response without a
// digest challenge the box can answer.
var ErrNoChallenge = errors.New("sip: no usable digest challenge")

// algorithmRank orders the challenges a client answers: the strongest
// offered wins (RFC 8760 §2.4 lets a server offer several; a client
// picks the one it prefers).
var algorithmRank = map[string]int{"SHA-512-256": 4, "SHA-256": 3, "MD5": 2, "": 1}

// Authorize answers the 401 or 407 challenge of res on req, the request
// that drew it: it adds the Authorization (or Proxy-Authorization)
// header with credentials for username and password, replacing any
// earlier one. When res offers several challenges, the strongest
// algorithm is answered (SHA-256 before MD5). The caller sends req again
// as a new transaction (new Via branch, CSeq one higher).
func Authorize(req *sipmsg.Request, res *sipmsg.Response, username, password string) error {
	in, out := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		in, out = "Proxy-Authenticate", "Proxy-Authorization"
	}
	var best *digest.Challenge
	for _, h := range res.GetHeaders(in) {
		ch, err := parseChallenge(h.Value())
		if err != nil {
			continue
		}
		if best == nil || algorithmRank[ch.Algorithm] > algorithmRank[best.Algorithm] {
			best = ch
		}
	}
	if best == nil {
		return fmt.Errorf("%w in %d response", ErrNoChallenge, res.StatusCode)
	}
	cred, err := digest.Digest(best, digest.Options{Method: string(req.Method), URI: req.Recipient.String(),
		Username: username, Password: password})
	if err != nil {
		return fmt.Errorf("sip: answer challenge: %w", err)
	}
	req.RemoveHeader(out)
	req.AppendHeader(sipmsg.NewHeader(out, cred.String()))
	return nil
}

// parseChallenge reads one challenge header value, refusing what the
// box cannot answer (unknown algorithms, "-sess", qop=auth-int only: no
// body hashing here).
func parseChallenge(v string) (*digest.Challenge, error) {
	if len(v) > 4096 {
		return nil, errors.New("challenge too long")
	}
	ch, err := digest.ParseChallenge(v)
	if err != nil {
		return nil, err
	}
	ch.Algorithm = strings.ToUpper(ch.Algorithm)
	if _, ok := algorithmRank[ch.Algorithm]; !ok {
		return nil, fmt.Errorf("algorithm %q", ch.Algorithm)
	}
	if len(ch.QOP) > 0 && !ch.SupportsQOP("auth") {
		return nil, fmt.Errorf("qop %q", strings.Join(ch.QOP, ","))
	}
	if ch.Nonce == "" {
		return nil, errors.New("no nonce")
	}
	return ch, nil
}
