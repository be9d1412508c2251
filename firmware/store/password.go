package store

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes. 19 MiB and 2 passes follow the OWASP
// minimum; they keep a login under ~100 ms on an armv7 box. Old hashes keep
// the parameters written in them.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
	// Upper bounds accepted when decoding a stored hash, so that a tampered
	// record cannot make a login allocate gigabytes.
	argonMaxMemoryKiB = 256 * 1024
	argonMaxTime      = 16
)

// MinSecretLen is the shortest password or SIP secret accepted.
const MinSecretLen = 10

// secretStrength reports why pw is weak, as a message code, or "".
// A strong secret has at least MinSecretLen characters and three of the
// four classes lower case, upper case, digits, other.
func secretStrength(pw string) string {
	if len([]rune(pw)) < MinSecretLen {
		return codeWeakSecret
	}
	var lower, upper, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	if lower+upper+digit+other < 3 {
		return codeWeakSecret
	}
	return ""
}

// CheckSecret returns an error wrapping ErrWeakPassword when pw is too weak
// to be a password or SIP secret.
func CheckSecret(pw string) error {
	if secretStrength(pw) != "" {
		return fmt.Errorf("%w: at least %d characters from three of: lower case, upper case, digits, symbols", ErrWeakPassword, MinSecretLen)
	}
	return nil
}

// secretAlphabet avoids characters people confuse (0/O, 1/l/I) and those
// awkward on a phone keypad or in a URL.
const secretAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_."

// GenerateSecret returns a random password of n characters (at least
// MinSecretLen) that passes CheckSecret: for one-time admin passwords and
// generated SIP secrets.
func GenerateSecret(n int) (string, error) {
	if n < MinSecretLen {
		n = MinSecretLen
	}
	buf := make([]byte, n)
	for {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("store: generate secret: %w", err)
		}
		out := make([]byte, n)
		for i, b := range buf {
			// 256 is not a multiple of the alphabet size; the bias is tiny
			// against a 60-letter alphabet and does not matter here.
			out[i] = secretAlphabet[int(b)%len(secretAlphabet)]
		}
		if CheckSecret(string(out)) == nil {
			return string(out), nil
		}
	}
}

// SetPassword checks pw's strength and stores its argon2id hash. A weak
// password returns a *ValidationError on field "password" that wraps
// ErrWeakPassword.
func (u *User) SetPassword(pw string) error {
	if secretStrength(pw) != "" || strings.EqualFold(pw, u.Name) {
		return &ValidationError{Kind: KindUser, Key: u.Name, Fields: []FieldError{{Field: "password", Code: codeWeakPassword, Args: []any{MinSecretLen}}}}
	}
	h, err := hashPassword(pw)
	if err != nil {
		return err
	}
	u.PasswordHash = h
	return nil
}

// CheckPassword reports whether pw matches the stored hash, in time that
// does not depend on where the hashes differ. A missing or malformed hash
// never matches.
func (u User) CheckPassword(pw string) bool {
	p, err := parsePHC(u.PasswordHash)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(got, p.key) == 1
}

func hashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("store: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return encodePHC(phc{memory: argonMemoryKiB, time: argonTime, threads: argonThreads, salt: salt, key: key}), nil
}

// phc is an argon2id hash in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<key b64> (unpadded base64).
type phc struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

var b64 = base64.RawStdEncoding

func encodePHC(p phc) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

var errBadHash = errors.New("store: malformed password hash")

// parsePHC decodes a stored hash, refusing parameters outside sane bounds.
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, errBadHash
	}
	var p phc
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return phc{}, errBadHash
	}
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return phc{}, errBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return phc{}, errBadHash
		}
		switch i {
		case 0:
			p.memory = uint32(n)
		case 1:
			p.time = uint32(n)
		case 2:
			if n > 255 {
				return phc{}, errBadHash
			}
			p.threads = uint8(n)
		}
	}
	if p.memory < 8*uint32(p.threads) || p.memory > argonMaxMemoryKiB || p.time < 1 || p.time > argonMaxTime || p.threads < 1 || p.threads > 16 {
		return phc{}, errBadHash
	}
	var err error
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return phc{}, errBadHash
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return phc{}, errBadHash
	}
	return p, nil
}
