package cti

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"callbox/firmware/store"
)

// TokenPrefix starts every API token, so a leaked one is easy to spot in
// logs and by secret scanners.
const TokenPrefix = "cbx_"

// NewToken makes an API token record and the token itself, which is
// shown once: the record keeps only its secret's SHA-256 (the secret is
// 256 random bits, so a fast hash is enough; a slow one would only slow
// every API call).
func NewToken(name string, role store.Role, user string, now time.Time, ttl time.Duration) (store.APIToken, string, error) {
	var idb [6]byte
	var sec [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return store.APIToken{}, "", err
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return store.APIToken{}, "", err
	}
	id := hex.EncodeToString(idb[:])
	secret := base64.RawURLEncoding.EncodeToString(sec[:])
	t := store.APIToken{ID: id, Name: name, Role: role, User: user, Hash: hashSecret(secret), CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	return t, TokenPrefix + id + "_" + secret, nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ParseToken splits a token into its record ID and secret.
func ParseToken(tok string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(tok, TokenPrefix)
	if !ok || len(tok) > 256 {
		return "", "", fmt.Errorf("%w: not a callbox token", ErrBadToken)
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 12 || strings.Trim(id, "0123456789abcdef") != "" || len(secret) != 43 {
		return "", "", fmt.Errorf("%w: malformed", ErrBadToken)
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", "", fmt.Errorf("%w: malformed secret", ErrBadToken)
	}
	return id, secret, nil
}

// CheckToken finds the token's record and checks the secret (in constant
// time), that it is enabled and not expired at now. Every failure is
// ErrBadToken, so a caller cannot tell an unknown token from a wrong one.
func CheckToken(st *store.Store, tok string, now time.Time) (store.APIToken, error) {
	id, secret, err := ParseToken(tok)
	if err != nil {
		return store.APIToken{}, err
	}
	t, err := store.Get[store.APIToken](st, id)
	if errors.Is(err, store.ErrNotFound) {
		// Hash anyway so an unknown ID takes as long as a wrong secret.
		subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(strings.Repeat("0", 64)))
		return store.APIToken{}, fmt.Errorf("%w: unknown", ErrBadToken)
	}
	if err != nil {
		return store.APIToken{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(t.Hash)) != 1 {
		return store.APIToken{}, fmt.Errorf("%w: wrong secret", ErrBadToken)
	}
	if t.Disabled || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return store.APIToken{}, fmt.Errorf("%w: disabled or expired", ErrBadToken)
	}
	return t, nil
}
