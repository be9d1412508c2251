package store

import (
	"errors"
	"testing"
	"time"
)

func validCTI3Records() []Record {
	at := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	return []Record{ScheduledCallback{ID: "sc-1", Queue: "sales", Number: "013812345678", When: at,
		CustomerID: "c1", Name: "Li Lei", Notes: "asked about the invoice\nsecond line", CreatedBy: "lily",
		CreatedAt: at.Add(-time.Hour), State: ScheduledWaiting}}
}

func TestScheduledCallback_ValidateNamesEachBadField(t *testing.T) {
	bad := ScheduledCallback{ID: "sc 1", Number: "12a", State: "later", Name: "x\x00"}
	var ve *ValidationError
	if err := bad.Validate(); !errors.As(err, &ve) {
		t.Fatalf("validate: %v", err)
	}
	got := map[string]bool{}
	for _, f := range ve.Fields {
		got[f.Field] = true
	}
	for _, f := range []string{"id", "queue", "number", "when", "state", "name"} {
		if !got[f] {
			t.Errorf("no error for %s in %+v", f, ve.Fields)
		}
	}
}
