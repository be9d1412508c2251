package store

import (
	"errors"
	"testing"
	"time"
)

// validAuditRecords are valid audit records, for the table of every kind
// in records_test.go.
func validAuditRecords() []Record {
	return []Record{Audit{ID: NewID(t0), At: t0, User: "admin", Addr: "192.0.2.1", Action: "update", Of: KindExtension, Name: "201",
		Detail: "name: \"Front\" -> \"Front desk\""}}
}

func TestAudit_RefusesMissingWhoAndWhenAndTailsNewestFirst(t *testing.T) {
	bad := Audit{ID: "x", Action: "bad action", Of: "no/kind", Detail: "a\x00b"}
	var verr *ValidationError
	if !errors.As(bad.Validate(), &verr) {
		t.Fatalf("bad audit passed: %+v", bad)
	}
	got := map[string]string{}
	for _, f := range verr.Fields {
		got[f.Field] = f.Code
	}
	for field, code := range map[string]string{"at": codeRequired, "user": codeRequired, "action": codeName, "of": codeName, "detail": codeUnknown} {
		if got[field] != code {
			t.Errorf("%s: got %q, want %q", field, got[field], code)
		}
	}

	s := openTemp(t)
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Minute)
		if _, err := Put(s, Audit{ID: NewID(at), At: at, User: "admin", Action: "create", Of: KindSkill, Name: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	tail, err := AuditTail(s, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(tail) != 3 || tail[0].Name != "e" || tail[2].Name != "c" {
		t.Fatalf("tail: %+v", tail)
	}
}
