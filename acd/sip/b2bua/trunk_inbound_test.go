package b2bua

import "testing"

func TestParseAssertedIdentity_ReadsSIPAndTelIdentities(t *testing.T) {
	for _, tc := range []struct{ in, name, number string }{
		{`"Li Lei" <sip:+8613911112222@carrier.test>`, "Li Lei", "+8613911112222"},
		{`<sip:013911112222@10.0.0.1;user=phone>`, "", "013911112222"},
		{`<tel:+8613911112222>`, "", "+8613911112222"},
		{`"A, B" <sip:+861012@x>, <tel:+861012>`, "A, B", "+861012"},
	} {
		name, number, ok := parseAssertedIdentity(tc.in)
		if !ok || name != tc.name || number != tc.number {
			t.Errorf("%q: got %q %q %v, want %q %q", tc.in, name, number, ok, tc.name, tc.number)
		}
	}
	for _, bad := range []string{"", "<sip:anonymous@anonymous.invalid>", "<mailto:x@y>", "garbage", `"x" <sip:12ab@h>`} {
		if _, n, ok := parseAssertedIdentity(bad); ok {
			t.Errorf("%q: accepted number %q", bad, n)
		}
	}
}

func FuzzParseAssertedIdentity(f *testing.F) {
	for _, s := range []string{
		`"Li Lei" <sip:+8613911112222@carrier.test>`, `<tel:+86139>`, `"\"q" <sip:1@h>, <tel:2>`,
		`<sip:@>`, `"unterminated <sip:1@h>`, "\x00<sip:1@h>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, number, ok := parseAssertedIdentity(s)
		if ok && !dialString(number) {
			t.Fatalf("%q: returned %q, not a number", s, number)
		}
	})
}
