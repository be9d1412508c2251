package b2bua

import (
	"errors"
	"testing"
)

func TestParseReferTo_BlindAndAttended(t *testing.T) {
	for _, c := range []struct {
		in       string
		user     string
		replaces *replaces
	}{
		{"<sip:203@127.0.0.1:5060>", "203", nil},
		{"sip:203@box;transport=udp", "203", nil},
		{`"Desk" <sip:+86%2010@box;user=phone>`, "+86 10", nil},
		{"<tel:+8613800138000;phone-context=x>", "+8613800138000", nil},
		{"<sip:203@box?Replaces=abc%40host%3Bto-tag%3D12%3Bfrom-tag%3D34>", "203",
			&replaces{CallID: "abc@host", ToTag: "12", FromTag: "34"}},
		{"<sip:203@box?Subject=x&replaces=a%3Bfrom-tag%3Df%3Bto-tag%3Dt%3Bearly-only>", "203",
			&replaces{CallID: "a", ToTag: "t", FromTag: "f", EarlyOnly: true}},
	} {
		got, err := parseReferTo(c.in)
		if err != nil {
			t.Errorf("parseReferTo(%q): %v", c.in, err)
			continue
		}
		if got.User != c.user {
			t.Errorf("parseReferTo(%q).User = %q, want %q", c.in, got.User, c.user)
		}
		switch {
		case c.replaces == nil && got.Replaces != nil:
			t.Errorf("parseReferTo(%q) found Replaces %+v", c.in, got.Replaces)
		case c.replaces != nil && (got.Replaces == nil || *got.Replaces != *c.replaces):
			t.Errorf("parseReferTo(%q).Replaces = %+v, want %+v", c.in, got.Replaces, c.replaces)
		}
	}
}

func TestParseReferTo_RejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "<sip:203@box", "http://x", "<sip:203@box?Replaces=abc>", "<sip:%zz@box>", "sip:"} {
		if _, err := parseReferTo(in); !errors.Is(err, ErrBadHeader) {
			t.Errorf("parseReferTo(%q) = %v, want ErrBadHeader", in, err)
		}
	}
}

func TestParseSessionExpires(t *testing.T) {
	se, err := parseSessionExpires("1800 ; refresher=UAC")
	if err != nil || se.Seconds != 1800 || se.Refresher != "uac" {
		t.Fatalf("got %+v, %v", se, err)
	}
	for _, in := range []string{"", "-5", "0", "90;refresher=proxy", "abc", "99999999999"} {
		if _, err := parseSessionExpires(in); err == nil {
			t.Errorf("parseSessionExpires(%q) accepted", in)
		}
	}
}

func FuzzParseFeatureHeaders(f *testing.F) {
	for _, s := range []string{
		"<sip:203@box?Replaces=abc%40host%3Bto-tag%3D12%3Bfrom-tag%3D34>",
		"tel:+861", "90;refresher=uas", "a;to-tag=1;from-tag=2", "<sip:@>", "<>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := parseReferTo(s); err == nil && r.User == "" && r.Host == "" {
			t.Fatalf("parseReferTo(%q) accepted an empty target", s)
		}
		if r, err := parseReplaces(s); err == nil && (r.CallID == "" || r.ToTag == "" || r.FromTag == "") {
			t.Fatalf("parseReplaces(%q) = %+v without error", s, r)
		}
		if se, err := parseSessionExpires(s); err == nil && se.Seconds <= 0 {
			t.Fatalf("parseSessionExpires(%q) = %+v", s, se)
		}
	})
}
