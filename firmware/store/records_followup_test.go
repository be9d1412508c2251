package store

import (
	"errors"
	"testing"
	"time"
)

// validFollowupRecords are valid records of the follow-up kinds, for the
// table of every kind in records_test.go.
func validFollowupRecords() []Record {
	return []Record{
		Followup{ID: NewID(t0), Agent: "11", Number: "+8613800138000", CustomerID: "c1", Name: "Wang Wei",
			Reason: "Confirm the delivery date", Due: t0.Add(24 * time.Hour), Priority: 5, Source: FollowupFromWrapUp,
			CreatedBy: "li", CallID: "call-1", State: FollowupOpen, CreatedAt: t0, UpdatedAt: t0},
		DefaultFollowupPolicy(),
	}
}

func TestFollowup_NamesEveryBadField(t *testing.T) {
	bad := Followup{ID: "", Agent: "x", Number: "abc", Reason: "", Priority: 10, Source: "fax", State: "lost",
		Attempts: -1, Outcome: "maybe"}
	var ve *ValidationError
	if err := bad.Validate(); !errors.As(err, &ve) {
		t.Fatalf("got %v, want a validation error", err)
	}
	got := map[string]string{}
	for _, f := range ve.Fields {
		got[f.Field] = f.Code
	}
	for field, code := range map[string]string{"id": codeRequired, "agent": codeDigits, "number": codeNumber,
		"reason": codeRequired, "due": codeRequired, "priority": codeRange, "source": codeOneOf, "state": codeOneOf,
		"attempts": codeRange, "outcome": codeOneOf, "createdAt": codeRequired} {
		if got[field] != code {
			t.Errorf("field %s: code %q, want %q", field, got[field], code)
		}
	}
}

func TestFollowupPolicy_RetryRepeatsItsLastStep(t *testing.T) {
	p := FollowupPolicy{MaxAttempts: 4, RetryMinutes: []int{10, 60}}
	for attempt, want := range map[int]time.Duration{0: 10 * time.Minute, 1: 10 * time.Minute, 2: time.Hour, 3: time.Hour, 9: time.Hour} {
		if got := p.Retry(attempt); got != want {
			t.Errorf("Retry(%d) = %v, want %v", attempt, got, want)
		}
	}
	for _, bad := range []FollowupPolicy{{MaxAttempts: 0, RetryMinutes: []int{5}}, {MaxAttempts: 3}, {MaxAttempts: 3, RetryMinutes: []int{0}}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

func TestGetFollowupPolicy_DefaultsUntilStored(t *testing.T) {
	s := openTemp(t)
	p, err := GetFollowupPolicy(s)
	if err != nil || p.MaxAttempts != DefaultFollowupPolicy().MaxAttempts {
		t.Fatalf("default policy %+v, %v", p, err)
	}
	if _, err := Put(s, FollowupPolicy{MaxAttempts: 5, RetryMinutes: []int{15}}); err != nil {
		t.Fatal(err)
	}
	if p, err = GetFollowupPolicy(s); err != nil || p.MaxAttempts != 5 {
		t.Fatalf("stored policy %+v, %v", p, err)
	}
}
