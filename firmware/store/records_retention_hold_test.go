package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestSetCDRHold_HoldsTheCallAndItsRecording(t *testing.T) {
	s := openRetentionStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := cdrAt("c1", t0)
	c.Recording = "c1"
	rec := Recording{ID: "c1", Path: "rec/2026/01/01/c1.wav", SHA256: fmt.Sprintf("%064x", 1), CallID: "c1"}
	if _, err := PutAll(s, c, rec); err != nil {
		t.Fatal(err)
	}
	if err := SetCDRHold(s, "c1", true); err != nil {
		t.Fatal(err)
	}
	gc, _ := Get[CDR](s, "c1")
	gr, _ := Get[Recording](s, "c1")
	if !gc.Hold || !gr.Hold {
		t.Fatalf("hold: cdr %v, recording %v", gc.Hold, gr.Hold)
	}
	if err := SetCDRHold(s, "c1", false); err != nil {
		t.Fatal(err)
	}
	gc, _ = Get[CDR](s, "c1")
	gr, _ = Get[Recording](s, "c1")
	if gc.Hold || gr.Hold {
		t.Fatal("hold not lifted")
	}
	if err := SetCDRHold(s, "nope", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("hold of a missing call: %v", err)
	}
}
