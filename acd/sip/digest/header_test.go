package digest

import (
	"errors"
	"testing"
)

func TestParseCredentials_ReadsAllFields(t *testing.T) {
	h := `Digest username="1001",realm="callbox", nonce="n\"1" , uri="sip:127.0.0.1:5060",` +
		` response="ABCDEF", algorithm=SHA-256, cnonce="c", qop=auth, nc=0000000a, opaque=""`
	c, err := ParseCredentials(h)
	if err != nil {
		t.Fatal(err)
	}
	want := Credentials{Username: "1001", Realm: "callbox", Nonce: `n"1`, URI: "sip:127.0.0.1:5060",
		Response: "abcdef", Algorithm: "SHA-256", Cnonce: "c", QOP: "auth", NC: 10, HasNC: true}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestParseCredentials_RejectsMalformed(t *testing.T) {
	for _, h := range []string{
		``,
		`Basic dXNlcjpwYXNz`,
		`Digest`,
		`Digest username="1001"`,
		`Digest username="1001", realm="r", nonce="n", uri="u", response="r", nc=1`,
		`Digest username="1001", realm="r", nonce="n", uri="u", response="r", nc=zzzzzzzz`,
		`Digest username="1001", username="1002", realm="r", nonce="n", uri="u", response="r"`,
		`Digest username="1001, realm="r", nonce="n", uri="u", response="r"`,
		`Digest username="1001" realm="r"`,
		`Digest =x`,
		`Digest username`,
	} {
		if _, err := ParseCredentials(h); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", h, err)
		}
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add(`Digest username="1001", realm="callbox", nonce="abc", uri="sip:h", response="00", qop=auth, nc=00000001, cnonce="x"`)
	f.Add(`digest USERNAME=a,,realm=b,nonce=c,uri=d,response=e`)
	f.Add(`Digest username="a\"b\\", realm="`)
	f.Add(`Digest nc=ffffffff`)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := ParseCredentials(h)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if c.Username == "" || c.Nonce == "" || c.URI == "" || c.Response == "" {
			t.Fatalf("accepted without a required field: %+v", c)
		}
		// Verifying arbitrary credentials must not panic either.
		v := NewVerifier("callbox")
		_ = v.Verify("REGISTER", c, "pw")
	})
}
