package store

import (
	"errors"
	"testing"
)

func TestExtension_VoicemailPINIsHashedAndChecked(t *testing.T) {
	e := Extension{Number: "201", Secret: "Gr8-phone-secret"}
	if err := e.SetVoicemailPIN("4096"); err != nil {
		t.Fatal(err)
	}
	if e.VoicemailPIN == "4096" || e.VoicemailPIN == "" {
		t.Fatalf("PIN kept as %q, want a hash", e.VoicemailPIN)
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if !e.CheckVoicemailPIN("4096") || e.CheckVoicemailPIN("4097") || e.CheckVoicemailPIN("") {
		t.Fatal("PIN check wrong")
	}
	var none Extension
	if none.CheckVoicemailPIN("") || none.CheckVoicemailPIN("0000") {
		t.Fatal("an extension without a PIN must never match")
	}
}

func TestExtension_WeakVoicemailPINsAreRefused(t *testing.T) {
	for _, pin := range []string{"", "123", "1234", "9876", "8901", "0000", "201", "12a4", "1234567890123"} {
		e := Extension{Number: "201"}
		err := e.SetVoicemailPIN(pin)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != "voicemailPin" {
			t.Errorf("PIN %q: got %v, want a voicemailPin field error", pin, err)
		}
	}
}

func TestExtension_ForgedPINHashIsRefused(t *testing.T) {
	e := Extension{Number: "201", Secret: "Gr8-phone-secret", VoicemailPIN: "4096"}
	var ve *ValidationError
	if err := e.Validate(); !errors.As(err, &ve) || ve.Fields[0].Field != "voicemailPin" {
		t.Fatalf("got %v, want a voicemailPin field error", err)
	}
}
