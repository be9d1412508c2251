package store

import (
	"encoding/json"
	"errors"
	"testing"

	"callbox/firmware/i18n"
)

func TestQueue_RecordPolicyDefaultsToAllAndRoundTrips(t *testing.T) {
	s := openTemp(t)
	q := Queue{Name: "sales", Strategy: StrategyRingAll}
	if _, err := Put(s, q); err != nil {
		t.Fatal(err)
	}
	got, err := Get[Queue](s, "sales")
	if err != nil {
		t.Fatal(err)
	}
	if got.Record != "" || got.RecordPolicyOrDefault() != RecordAll {
		t.Fatalf("unset policy: Record %q, default %q; want \"\" and %q", got.Record, got.RecordPolicyOrDefault(), RecordAll)
	}
	// An unset policy is not written, so records from before the field
	// read the same as new ones.
	raw, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["record"]; ok {
		t.Errorf("empty policy encoded: %s", raw)
	}
	for _, p := range []RecordPolicy{RecordAll, RecordNone, RecordOnDemand} {
		q.Record = p
		if _, err := Put(s, q); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got, err := Get[Queue](s, "sales")
		if err != nil {
			t.Fatal(err)
		}
		if got.RecordPolicyOrDefault() != p {
			t.Errorf("stored %q, read %q", p, got.RecordPolicyOrDefault())
		}
	}
}

func TestQueue_UnknownRecordPolicyRefused(t *testing.T) {
	s := openTemp(t)
	_, err := Put(s, Queue{Name: "sales", Strategy: StrategyRingAll, Record: "sometimes"})
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	if len(verr.Fields) != 1 || verr.Fields[0].Field != "record" || verr.Fields[0].Code != codeOneOf {
		t.Fatalf("fields %+v, want one record/%s", verr.Fields, codeOneOf)
	}
	if _, err := Get[Queue](s, "sales"); !errors.Is(err, ErrNotFound) {
		t.Errorf("refused record stored: %v", err)
	}
}

func TestQueue_EveryRecordPolicyHasAFormLabel(t *testing.T) {
	for _, p := range []RecordPolicy{RecordAll, RecordNone, RecordOnDemand} {
		if !i18n.Has("queue.record." + string(p)) {
			t.Errorf("no catalogue entry queue.record.%s", p)
		}
	}
}
