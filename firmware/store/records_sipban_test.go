package store

import (
	"errors"
	"testing"
	"time"
)

// validSIPBanRecords are valid records of the SIP ban kind, for the table
// of every kind in records_test.go.
func validSIPBanRecords() []Record {
	since := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	return []Record{SIPBan{Prefix: "192.0.2.7/32", Since: since, Until: since.Add(time.Hour), Failures: 5, Reason: "sip.ban.bad_password"}}
}

func TestSIPBan_RefusesWhatIsNotABan(t *testing.T) {
	since := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for _, b := range []SIPBan{
		{Prefix: "192.0.2.7", Since: since, Until: since.Add(time.Hour)},
		{Prefix: "2001:db8::1/64", Since: since, Until: since.Add(time.Hour)}, // host bits set
		{Prefix: "192.0.2.7/32", Since: since, Until: since},
		{Prefix: "192.0.2.7/32", Until: since},
		{Prefix: "192.0.2.7/32", Since: since, Until: since.Add(time.Hour), Failures: -1},
	} {
		var ve *ValidationError
		if err := b.Validate(); !errors.As(err, &ve) {
			t.Errorf("%+v: got %v, want a validation error", b, err)
		}
	}
}
