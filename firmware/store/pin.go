package store

import (
	"crypto/subtle"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Voicemail PINs are typed on a phone keypad, so they are digits only; the
// store keeps their argon2id hash like a user password, never the PIN.
const (
	MinPINLen = 4
	MaxPINLen = 12

	codeWeakPIN = "store.err.weak_pin"
	codeBadHash = "store.err.bad_hash"
)

// SetVoicemailPIN checks pin and stores its hash. A PIN must be 4 to 12
// digits, not one digit repeated, not a run (1234, 9876) and not the
// extension's own number; anything else returns a *ValidationError on
// field "voicemailPin".
func (e *Extension) SetVoicemailPIN(pin string) error {
	if weakPIN(pin, e.Number) {
		return &ValidationError{Kind: KindExtension, Key: e.Number,
			Fields: []FieldError{{Field: "voicemailPin", Code: codeWeakPIN, Args: []any{MinPINLen, MaxPINLen}}}}
	}
	h, err := hashPassword(pin)
	if err != nil {
		return err
	}
	e.VoicemailPIN = h
	return nil
}

// CheckVoicemailPIN reports whether pin opens the extension's mailbox, in
// time that does not depend on where it differs. An extension without a
// PIN never matches: its owner reaches the mailbox from their own phone.
func (e Extension) CheckVoicemailPIN(pin string) bool {
	p, err := parsePHC(e.VoicemailPIN)
	if err != nil || pin == "" {
		return false
	}
	got := argon2.IDKey([]byte(pin), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(got, p.key) == 1
}

func weakPIN(pin, number string) bool {
	if len(pin) < MinPINLen || len(pin) > MaxPINLen || !isDigits(pin) || pin == number {
		return true
	}
	if strings.Count(pin, pin[:1]) == len(pin) {
		return true
	}
	up, down := true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		up = up && (d == 1 || d == -9)
		down = down && (d == -1 || d == 9)
	}
	return up || down
}
