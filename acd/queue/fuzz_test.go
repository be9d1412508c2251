package queue

import (
	"strings"
	"testing"
)

func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{"", "queue:sales", "flow:main", "vm:200", "ext:201", "tel:+8613800000000",
		"201", "13800000000", "sales", "bad:x", "queue:", "tel:abc", ":", "+", "ext:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDestination(s)
		if err != nil {
			return
		}
		if s == "" {
			if d.Kind != DestNone {
				t.Fatalf("empty parsed as %+v", d)
			}
			return
		}
		if d.Target == "" {
			t.Fatalf("%q parsed without target", s)
		}
		// A parsed destination prints to a form that parses to itself.
		back, err := ParseDestination(d.String())
		if err != nil || back != d {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, d, d.String(), back, err)
		}
		if strings.ContainsAny(d.Target, " \n") {
			t.Fatalf("target with spaces: %q", d.Target)
		}
	})
}

func TestParseDestination_ReadsEachForm(t *testing.T) {
	cases := map[string]Destination{
		"queue:sales":  {DestQueue, "sales"},
		"sales":        {DestQueue, "sales"},
		"201":          {DestExtension, "201"},
		"13800000000":  {DestNumber, "13800000000"},
		"+8613800000":  {DestNumber, "+8613800000"},
		"vm:200":       {DestVoicemail, "200"},
		"flow:after-6": {DestFlow, "after-6"},
	}
	for in, want := range cases {
		if got, err := ParseDestination(in); err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, in := range []string{"sip:x", "tel:12", "ext:abc", "queue:a b", "a b"} {
		if _, err := ParseDestination(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
