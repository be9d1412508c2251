package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"callbox/firmware/i18n"
)

// Named errors. Callers test them with errors.Is; the store wraps them with
// context (the path, the kind and key) using %w.
var (
	// ErrNotFound: no record of that kind has that key.
	ErrNotFound = errors.New("store: record not found")
	// ErrExists: Create found the key already taken.
	ErrExists = errors.New("store: record already exists")
	// ErrCorrupt: the file is not a bbolt file, not a callbox store, or
	// fails a consistency check. The file has not been modified.
	ErrCorrupt = errors.New("store: file is corrupt or not a callbox store")
	// ErrLocked: another process holds the file open for writing.
	ErrLocked = errors.New("store: file is locked by another process")
	// ErrNewerSchema: the file was written by a newer firmware. It has not
	// been modified; run that firmware or restore an older backup.
	ErrNewerSchema = errors.New("store: file has a newer schema than this firmware")
	// ErrBadBackup: Restore refused the image (truncated, foreign, newer
	// schema, or inconsistent). The current store is untouched.
	ErrBadBackup = errors.New("store: invalid backup image")
	// ErrReadOnly: a write on a store opened WithReadOnly, or a read-only
	// open of a file that first needs a migration.
	ErrReadOnly = errors.New("store: opened read-only")
	// ErrWeakPassword: a password or SIP secret is too easy to guess.
	ErrWeakPassword = errors.New("store: password too weak")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store: closed")
)

// FieldError is one problem with one field of a record. Field is the
// field's JSON name as the record type tags it ("number", "allowedNets[1]",
// "skills[0].level"; "password" for User.PasswordHash, "key" and "record"
// for the key and the record as a whole), so a form can put the message
// next to its input. Code is a message key in the catalogue
// (firmware/i18n/store.go); Args fill its verbs.
type FieldError struct {
	Field string `json:"field"`
	Code  string `json:"code"`
	Args  []any  `json:"args,omitempty"`
}

// Message returns the field error in lang.
func (f FieldError) Message(lang i18n.Lang) string { return i18n.T(lang, f.Code, f.Args...) }

// ValidationError lists every field of one record that failed validation.
// It is returned as *ValidationError.
type ValidationError struct {
	Kind   Kind         `json:"kind"`
	Key    string       `json:"key"`
	Fields []FieldError `json:"fields"`
}

// Error is English, for logs; people see Messages in their language.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: invalid %s %q: ", e.Kind, e.Key)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message(i18n.EN))
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrWeakPassword) see a weak password or secret
// inside the validation error.
func (e *ValidationError) Unwrap() error {
	for _, f := range e.Fields {
		if f.Code == codeWeakSecret || f.Code == codeWeakPassword || f.Code == codeSecretIsNumber {
			return ErrWeakPassword
		}
	}
	return nil
}

// Messages maps each failed field to its message in lang. Several problems
// with one field are joined with "; ".
func (e *ValidationError) Messages(lang i18n.Lang) map[string]string {
	m := make(map[string]string, len(e.Fields))
	for _, f := range e.Fields {
		msg := f.Message(lang)
		if old, ok := m[f.Field]; ok {
			msg = old + "; " + msg
		}
		m[f.Field] = msg
	}
	return m
}

// Has reports whether field failed with code (code "" matches any code).
func (e *ValidationError) Has(field, code string) bool {
	for _, f := range e.Fields {
		if f.Field == field && (code == "" || f.Code == code) {
			return true
		}
	}
	return false
}

// FieldNames lists the failed fields, sorted, each once.
func (e *ValidationError) FieldNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range e.Fields {
		if !seen[f.Field] {
			seen[f.Field] = true
			out = append(out, f.Field)
		}
	}
	sort.Strings(out)
	return out
}
