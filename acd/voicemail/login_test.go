package voicemail

import (
	"path/filepath"
	"testing"

	"callbox/firmware/store"
)

func TestService_LoginFollowsTheStoredPIN(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	withPIN := store.Extension{Number: "201", Secret: "Gr8-phone-secret"}
	if err := withPIN.SetVoicemailPIN("4096"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []store.Extension{withPIN, {Number: "202", Secret: "Gr8-phone-secret"}} {
		if _, err := store.Put(st, e); err != nil {
			t.Fatal(err)
		}
	}
	s := &Service{cfg: Config{Store: st}}

	// A PIN set is asked of everyone, the owner's own phone included.
	for _, own := range []string{"201", "203"} {
		login := s.login("201", own)
		if login == nil || !login("4096") || login("1357") {
			t.Fatalf("mailbox 201 from %s: the stored PIN must be asked and checked", own)
		}
	}
	// Without a PIN: the owner's phone goes straight in, nobody else.
	if s.login("202", "202") != nil {
		t.Fatal("owner without a PIN must go straight in")
	}
	if login := s.login("202", "203"); login == nil || login("") || login("4096") {
		t.Fatal("another phone must be refused a mailbox without a PIN")
	}
}
