package cti

import (
	"encoding/json"
	"testing"
	"time"

	"callbox/firmware/store"
)

// FuzzParseToken: any Authorization value is refused or split into an ID
// and a secret of the token format, never a panic.
func FuzzParseToken(f *testing.F) {
	_, good, _ := NewToken("x", store.RoleAgent, "", time.Unix(0, 0), 0)
	for _, s := range []string{good, "", "cbx_", "cbx_0123456789ab_", "cbx_0123456789ab_" + string(make([]byte, 43)), "Bearer cbx_x_y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := ParseToken(s)
		if err == nil && (len(id) != 12 || len(secret) != 43) {
			t.Fatalf("accepted %q as %q %q", s, id, secret)
		}
	})
}

// FuzzVerifySignature: a signature header from the network never panics,
// and only a header made with the secret for this body passes.
func FuzzVerifySignature(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add(Sign("k", now, []byte("{}")), []byte("{}"))
	f.Add("t=1800000000,v1=00", []byte("x"))
	f.Add("t=,v1=,v1=", []byte(""))
	f.Add("garbage", []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if VerifySignature("k", header, body, now, time.Minute) == nil && header != Sign("k", now, body) {
			// Other timestamps within the tolerance are fine too.
			if VerifySignature("other", header, body, now, time.Minute) == nil {
				t.Fatalf("%q passes under two secrets", header)
			}
		}
	})
}

// FuzzCheckAnswers: answers from an API client (JSON) never panic the
// script walk, and what passes follows the script.
func FuzzCheckAnswers(f *testing.F) {
	f.Add([]byte(`[{"node":"q1","value":"tv"},{"node":"q2","value":"55"}]`))
	f.Add([]byte(`[{"node":"q1","value":"radio"},{"node":"bye","value":""}]`))
	f.Add([]byte(`[{"node":"","value":""}]`))
	sc := script()
	f.Fuzz(func(t *testing.T, data []byte) {
		var in []store.ScriptAnswer
		if json.Unmarshal(data, &in) != nil {
			return
		}
		out, probs := CheckAnswers(sc, in)
		if len(probs) == 0 && len(out) != len(in) {
			t.Fatalf("%d answers in, %d out, no problem", len(in), len(out))
		}
		for _, a := range out {
			if _, ok := sc.Node(a.Node); !ok {
				t.Fatalf("answer for unknown step %q", a.Node)
			}
		}
	})
}
