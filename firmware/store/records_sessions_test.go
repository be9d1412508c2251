package store

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

func validSessionRecords() []Record {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	return []Record{Session{ID: strings.Repeat("ab", 32), User: "alice", Role: RoleAgent, Credential: "0123456789abcdef",
		Created: t0, LastSeen: t0.Add(time.Minute), Expires: t0.Add(12 * time.Hour), Addr: "192.0.2.7", UserAgent: "Mozilla/5.0"}}
}

func TestSession_InvalidFieldsAreNamed(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	cases := []invalid{
		{Session{ID: "token-in-clear", User: "alice", Role: RoleAgent, Credential: "x", Created: t0, LastSeen: t0, Expires: t0.Add(time.Hour)},
			map[string]string{"id": codeRequired}},
		{Session{ID: strings.Repeat("0", 64), Role: "root", Created: t0, LastSeen: t0.Add(-time.Second), Expires: t0},
			map[string]string{"user": codeRequired, "role": codeOneOf, "credential": codeRequired, "lastSeen": codeRequired, "expires": codeRequired}},
	}
	for _, c := range cases {
		var verr *ValidationError
		if !errors.As(c.r.Validate(), &verr) {
			t.Fatalf("%+v: want *ValidationError", c.r)
		}
		got := map[string]string{}
		for _, f := range verr.Fields {
			got[f.Field] = f.Code
		}
		if !maps.Equal(got, c.want) {
			t.Errorf("%+v: fields %v, want %v", c.r, got, c.want)
		}
	}
	for _, r := range validSessionRecords() {
		if err := r.Validate(); err != nil {
			t.Errorf("valid %+v: %v", r, err)
		}
	}
}
