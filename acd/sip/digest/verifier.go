package digest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"
)

// Algorithm is a digest hash algorithm as named on the wire.
type Algorithm string

// The supported algorithms.
const (
	MD5    Algorithm = "MD5"
	SHA256 Algorithm = "SHA-256"
)

// Errors returned by Verify. ErrStale means the response was right but the
// nonce too old: answer with a fresh challenge marked stale=true, and do not
// count it as a failed attempt.
var (
	ErrStale       = errors.New("digest: nonce is stale")
	ErrBadNonce    = errors.New("digest: nonce was not issued here")
	ErrMismatch    = errors.New("digest: wrong response")
	ErrReplay      = errors.New("digest: nonce count reused")
	ErrUnsupported = errors.New("digest: unsupported algorithm or qop")
	ErrRealm       = errors.New("digest: wrong realm")
)

const (
	nonceRaw = 8 + 8 + 16 // issue time, random, truncated HMAC
	window   = 64         // nonce-counts accepted out of order
	// maxTracked bounds the replay table: the nonces that authenticated
	// within the lifetime. Every call's INVITE has its own, so a busy
	// box reaches it (65,536 in 5 minutes is 218 calls a second).
	maxTracked = 1 << 16
)

// Verifier issues nonces and checks digest responses for one realm. It is
// safe for concurrent use.
type Verifier struct {
	realm      string
	key        []byte
	lifetime   time.Duration
	now        func() time.Time
	algorithms []Algorithm

	mu    sync.Mutex
	limit int                 // of used: maxTracked but in tests
	used  map[string]*counter // nonce -> nonce-counts seen
	// order holds the nonces of used in the order they were first seen,
	// from head on: about the order they were issued in, since a client
	// answers a challenge at once. The expired ones go from the front,
	// and when the table is full, the oldest ones.
	order []tracked
	head  int
	// floor is the latest issue time of a nonce forgotten while it was
	// still within its lifetime. A nonce issued at or before it, and not
	// in the table, may have been used: it is answered as stale.
	floor time.Time
}

type tracked struct {
	nonce string
	ctr   *counter
}

// counter is a sliding replay window over nonce-counts, like IPsec's:
// the highest count seen and a bitmap of the 64 below it.
type counter struct {
	top    uint32
	bits   uint64
	issued time.Time
	noQOP  bool // a nonce used without qop can be used once
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock sets the time source (tests).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// WithLifetime sets how long a nonce is accepted before it is stale
// (default 5 minutes).
func WithLifetime(d time.Duration) Option { return func(v *Verifier) { v.lifetime = d } }

// WithKey sets the HMAC key for nonces (default: 32 random bytes, so
// nonces do not survive a restart, which clients handle as stale).
func WithKey(key []byte) Option {
	return func(v *Verifier) { v.key = append([]byte(nil), key...) }
}

// WithAlgorithms sets the algorithms offered, most preferred first
// (default SHA-256, then MD5, as RFC 8760 orders them).
func WithAlgorithms(a ...Algorithm) Option {
	return func(v *Verifier) { v.algorithms = append([]Algorithm(nil), a...) }
}

// NewVerifier returns a Verifier for realm.
func NewVerifier(realm string, opts ...Option) *Verifier {
	v := &Verifier{
		realm:      realm,
		lifetime:   5 * time.Minute,
		now:        time.Now,
		algorithms: []Algorithm{SHA256, MD5},
		used:       map[string]*counter{},
		limit:      maxTracked,
	}
	for _, o := range opts {
		o(v)
	}
	if len(v.key) == 0 {
		v.key = make([]byte, 32)
		rand.Read(v.key) // never fails since Go 1.24

	}
	return v
}

// Realm returns the realm the Verifier checks.
func (v *Verifier) Realm() string { return v.realm }

// Challenges returns one fresh challenge per offered algorithm, in order of
// preference. stale marks them as answers to a stale nonce.
func (v *Verifier) Challenges(stale bool) []Challenge {
	nonce := v.newNonce()
	out := make([]Challenge, 0, len(v.algorithms))
	for _, a := range v.algorithms {
		out = append(out, Challenge{Realm: v.realm, Nonce: nonce, Algorithm: a, Stale: stale})
	}
	return out
}

func (v *Verifier) newNonce() string {
	var b [nonceRaw]byte
	binary.BigEndian.PutUint64(b[:8], uint64(v.now().UnixNano()))
	rand.Read(b[8:16]) // never fails since Go 1.24
	copy(b[16:], v.mac(b[:16]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (v *Verifier) mac(b []byte) []byte {
	m := hmac.New(sha256.New, v.key)
	m.Write(b)
	m.Write([]byte(v.realm))
	return m.Sum(nil)[:16]
}

// nonceTime checks that nonce was made by v and returns its issue time.
func (v *Verifier) nonceTime(nonce string) (time.Time, error) {
	if base64.RawURLEncoding.DecodedLen(len(nonce)) != nonceRaw {
		return time.Time{}, ErrBadNonce
	}
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceRaw {
		return time.Time{}, ErrBadNonce
	}
	if !hmac.Equal(b[16:], v.mac(b[:16])) {
		return time.Time{}, ErrBadNonce
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))), nil
}

// Verify checks c, sent with a request of method, against password. The
// order of the checks matters: a nonce we did not issue or a wrong response
// is a failure; a right response on an old nonce is ErrStale; a right
// response with a nonce-count already used is ErrReplay.
func (v *Verifier) Verify(method string, c Credentials, password string) error {
	alg, err := parseAlgorithm(c.Algorithm)
	if err != nil {
		return err
	}
	if c.QOP != "" && c.QOP != "auth" {
		return fmt.Errorf("%w: qop %q", ErrUnsupported, c.QOP)
	}
	if c.QOP == "auth" && (!c.HasNC || c.Cnonce == "") {
		return fmt.Errorf("%w: qop=auth without nc or cnonce", ErrMalformed)
	}
	if c.Realm != v.realm {
		return ErrRealm
	}
	issued, err := v.nonceTime(c.Nonce)
	if err != nil {
		return err
	}
	want := Response(alg, c.Username, v.realm, password, method, c.URI, c.Nonce, c.QOP, c.NC, c.Cnonce)
	if subtle.ConstantTimeCompare([]byte(want), []byte(c.Response)) != 1 {
		return ErrMismatch
	}
	now := v.now()
	if issued.After(now.Add(time.Minute)) || now.Sub(issued) > v.lifetime {
		return ErrStale
	}
	return v.markUsed(c, issued, now)
}

func (v *Verifier) markUsed(c Credentials, issued, now time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	ctr, ok := v.used[c.Nonce]
	if !ok {
		if !issued.After(v.floor) {
			// Its counts may have been forgotten: the client
			// fetches a new nonce.
			return ErrStale
		}
		v.pruneLocked(now)
		for len(v.used) >= v.limit {
			v.forgetOldest(true)
		}
		ctr = &counter{issued: issued, noQOP: c.QOP == ""}
		v.used[c.Nonce] = ctr
		v.order = append(v.order, tracked{c.Nonce, ctr})
		if c.QOP == "" {
			return nil
		}
		ctr.top, ctr.bits = c.NC, 1
		return nil
	}
	if ctr.noQOP || c.QOP == "" {
		return ErrReplay
	}
	switch {
	case c.NC > ctr.top:
		shift := c.NC - ctr.top
		if shift >= window {
			ctr.bits = 1
		} else {
			ctr.bits = ctr.bits<<shift | 1
		}
		ctr.top = c.NC
		return nil
	case ctr.top-c.NC >= window:
		return ErrReplay
	default:
		bit := uint64(1) << (ctr.top - c.NC)
		if ctr.bits&bit != 0 {
			return ErrReplay
		}
		ctr.bits |= bit
		return nil
	}
}

// Prune forgets the nonce-counts of expired nonces. Verify prunes as it
// goes; a server may also call it on a timer.
func (v *Verifier) Prune() {
	v.mu.Lock()
	v.pruneLocked(v.now())
	v.mu.Unlock()
}

// pruneLocked forgets expired nonces from the front of the order: each
// nonce is forgotten once, so tracking costs O(1) a nonce however full
// the table. One seen out of order waits behind the front a while.
func (v *Verifier) pruneLocked(now time.Time) {
	for v.head < len(v.order) && now.Sub(v.order[v.head].ctr.issued) > v.lifetime {
		v.forgetOldest(false)
	}
}

// forgetOldest drops the nonce at the front of the order. One still
// within its lifetime (live) raises the floor, so that it cannot be
// used again unnoticed.
func (v *Verifier) forgetOldest(live bool) {
	t := v.order[v.head]
	v.order[v.head] = tracked{}
	v.head++
	if v.used[t.nonce] == t.ctr {
		delete(v.used, t.nonce)
	}
	if live && t.ctr.issued.After(v.floor) {
		v.floor = t.ctr.issued
	}
	if v.head > len(v.order)/2 && v.head >= 1024 {
		// Reclaim the forgotten front.
		v.order = append(v.order[:0], v.order[v.head:]...)
		v.head = 0
	}
}

func parseAlgorithm(s string) (Algorithm, error) {
	switch strings.ToUpper(s) {
	case "", "MD5":
		return MD5, nil
	case "SHA-256":
		return SHA256, nil
	}
	return "", fmt.Errorf("%w: algorithm %q", ErrUnsupported, s)
}

// Response computes the request-digest (RFC 7616 §3.4.1) for the given
// parameters. qop is "" (RFC 2069 style) or "auth". Clients and tests use it.
func Response(alg Algorithm, username, realm, password, method, uri, nonce, qop string, nc uint32, cnonce string) string {
	ha1 := hexHash(alg, username+":"+realm+":"+password)
	ha2 := hexHash(alg, method+":"+uri)
	if qop == "" {
		return hexHash(alg, ha1+":"+nonce+":"+ha2)
	}
	return hexHash(alg, fmt.Sprintf("%s:%s:%08x:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2))
}

func hexHash(alg Algorithm, s string) string {
	var h hash.Hash
	if alg == SHA256 {
		h = sha256.New()
	} else {
		h = md5.New()
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}
