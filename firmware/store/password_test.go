package store

import (
	"errors"
	"strings"
	"testing"
)

func TestUser_SetPasswordHashesWithArgon2idAndChecks(t *testing.T) {
	u := User{Name: "admin", Role: RoleAdmin}
	if err := u.SetPassword("Correct-Horse-9"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", u.PasswordHash)
	}
	if !u.CheckPassword("Correct-Horse-9") || u.CheckPassword("Correct-Horse-8") || u.CheckPassword("") {
		t.Fatal("CheckPassword")
	}
	other := User{Name: "admin", Role: RoleAdmin}
	_ = other.SetPassword("Correct-Horse-9")
	if other.PasswordHash == u.PasswordHash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if err := u.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestUser_SetPasswordRefusesWeakOnes(t *testing.T) {
	for _, pw := range []string{"", "short1A!", "alllowercaseletters", "ALLUPPER123456", "Administrator1"[:0] + "administrator"} {
		u := User{Name: "admin"}
		err := u.SetPassword(pw)
		var verr *ValidationError
		if !errors.Is(err, ErrWeakPassword) || !errors.As(err, &verr) || !verr.Has("password", codeWeakPassword) {
			t.Errorf("%q: %v", pw, err)
		}
		if u.PasswordHash != "" {
			t.Errorf("%q: hash set", pw)
		}
	}
	u := User{Name: "Admin-Pass-1"}
	if err := u.SetPassword("admin-pass-1"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("password equal to the name accepted: %v", err)
	}
}

func TestUser_CheckPasswordRejectsMalformedAndCostlyHashes(t *testing.T) {
	for _, h := range []string{
		"",
		"$2a$10$abcdefghijklmnopqrstuv",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
		"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$gYRrD7nM4mqbsSjS7YpjxQpW1oGZ6dIZ/yI0Tm2c4fM",
		"$argon2id$v=19$m=19456,t=1000,p=1$c2FsdHNhbHRzYWx0c2FsdA$gYRrD7nM4mqbsSjS7YpjxQpW1oGZ6dIZ/yI0Tm2c4fM",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$gYRrD7nM4mqbsSjS7YpjxQpW1oGZ6dIZ/yI0Tm2c4fM",
	} {
		if (User{PasswordHash: h}).CheckPassword("anything") {
			t.Errorf("%q matched", h)
		}
		if _, err := parsePHC(h); err == nil {
			t.Errorf("%q parsed", h)
		}
	}
}

func TestGenerateSecret_IsStrongAndRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		s, err := GenerateSecret(12)
		if err != nil || len(s) != 12 || CheckSecret(s) != nil {
			t.Fatalf("%q %v", s, err)
		}
		if seen[s] {
			t.Fatal("repeated secret")
		}
		seen[s] = true
	}
	if s, _ := GenerateSecret(3); len(s) != MinSecretLen {
		t.Fatalf("short request gave %q", s)
	}
}

func BenchmarkUser_CheckPassword(b *testing.B) {
	u := User{Name: "admin"}
	if err := u.SetPassword("Correct-Horse-9"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		u.CheckPassword("Correct-Horse-9")
	}
}
