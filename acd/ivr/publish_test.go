package ivr

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"callbox/firmware/store"
	"callbox/media/prompt"
)

// TestPublish_DemoAgainstARealStore installs what the demo needs in a
// bbolt store, publishes the demo flow with the store's lookups, stores
// it, loads it back and runs it with the store's business hours.
func TestPublish_DemoAgainstARealStore(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	chk := StoreChecks(st, prompt.NewLibrary(""))
	draft := store.Flow{ID: DemoFlowID, Name: "Demo", Version: 1, Doc: json.RawMessage(DemoFlow("http://127.0.0.1:1/orders"))}

	// Nothing it refers to exists yet: every missing name is a problem.
	_, _, err = Publish(draft, chk, testNow)
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("err %v", err)
	}
	var codes []string
	for _, p := range ps {
		codes = append(codes, p.Code)
	}
	for _, want := range []string{"ivr.problem.unknown-hours", "ivr.problem.unknown-queue", "ivr.problem.unknown-mailbox"} {
		if !slices.Contains(codes, want) {
			t.Errorf("no %s in %v", want, codes)
		}
	}

	for _, rec := range []store.Record{
		DemoHours(testNow),
		store.Queue{Name: "sales", Strategy: store.StrategySkills},
		store.Queue{Name: "support", Strategy: store.StrategySkills},
		store.Extension{Number: "201", Name: "Reception", Secret: "s3cret-s3cret-s3cret", Voicemail: true},
	} {
		if _, err := store.PutAll(st, rec); err != nil {
			t.Fatalf("put %T: %v", rec, err)
		}
	}
	rec, f, err := Publish(draft, chk, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, rec); err != nil {
		t.Fatal(err)
	}
	back, err := store.Get[store.Flow](st, DemoFlowID)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(back)
	if err != nil || loaded.Version() != f.Version() || loaded.Version() != 2 {
		t.Fatalf("load: v%d, %v", loaded.Version(), err)
	}
	e := NewEngine(WithHours(StoreHours(st, time.UTC)), WithClock(func() time.Time {
		return time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC) // Saturday afternoon: closed
	}))
	res, err := e.DryRun(context.Background(), loaded, DryRun{Digits: []string{"2"}})
	if err != nil || !slices.Equal(res.Actions, []string{"voicemail 201"}) {
		t.Fatalf("actions %v, %v (%+v)", res.Actions, err, res.Steps)
	}
}
