package sip

import "testing"

func TestBadDisplayName(t *testing.T) {
	const start = "INVITE sip:201@h SIP/2.0\r\n"
	for _, tc := range []struct {
		headers string
		bad     bool
	}{
		{"From: Bell, A <sip:a@b>;tag=1\r\n", true},
		{"from: Bell, A <sip:a@b>;tag=1\r\n", true},
		{"f: Bell, A <sip:a@b>\r\n", true},
		{"T : Bell, A <sip:a@b>\r\n", true},
		{"To: \"Bell, A\" <sip:a@b>\r\n", false},
		{"To: Alice Smith <sip:a@b>\r\n", false},
		{"From: <sip:a@b>;tag=1\r\n", false},
		{"From: sip:a@b;tag=1\r\n", false},
		{"Contact: Bell, A <sip:a@b>\r\n", false},
		{"Subject: x\r\n\r\nFrom: Bell, A <sip:a@b>\r\n", false}, // in the body
		{"", false},
	} {
		if got := badDisplayName([]byte(start + tc.headers + "\r\n")); got != tc.bad {
			t.Errorf("%q: %v, want %v", tc.headers, got, tc.bad)
		}
	}
	if badDisplayName([]byte("From: Bell, A <sip:a@b>")) {
		t.Error("a start line alone is not a header")
	}
}
