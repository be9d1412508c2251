package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func validRetentionRecords() []Record {
	r := DefaultRetention()
	r.UpdatedAt = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	return []Record{r}
}

func openRetentionStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRetention_UpgradedBoxReadsTheDefaults(t *testing.T) {
	s := openRetentionStore(t)
	got, err := GetRetention(s)
	if err != nil {
		t.Fatal(err)
	}
	if got != DefaultRetention() {
		t.Fatalf("got %+v, want the defaults", got)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	got.CDRDays, got.RecordingDays = 0, 0
	if _, err := Put(s, got); err != nil {
		t.Fatal(err)
	}
	back, err := GetRetention(s)
	if err != nil || back.CDRDays != 0 || back.RecordingDays != 0 {
		t.Fatalf("saved policy reads back as %+v, %v", back, err)
	}
}

func TestRetention_BadSettingsAreNamedByField(t *testing.T) {
	r := Retention{CDRDays: 30, RecordingDays: 60, ContactDays: -1, AgentLogDays: MaxRetentionDays + 1,
		RecordingDiskPercent: 5, RecordingDiskGiB: -2, PurgeAt: "25:00"}
	want := map[string]string{"recordingDays": codeRecordingOutlives, "contactDays": codeRange, "agentLogDays": codeRange,
		"recordingDiskPercent": codeDiskPercent, "recordingDiskGiB": codeRange, "purgeAt": codePurgeAt}
	var verr *ValidationError
	if err := r.Validate(); !errors.As(err, &verr) {
		t.Fatalf("Validate = %v", err)
	}
	got := map[string]string{}
	for _, f := range verr.Fields {
		got[f.Field] = f.Code
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	// Recordings kept forever while call records are purged would
	// outlive them too.
	r = DefaultRetention()
	r.RecordingDays = 0
	if err := r.Validate(); !errors.As(err, &verr) || verr.Fields[0].Field != "recordingDays" {
		t.Fatalf("recordings forever, CDRs 365 days: %v", err)
	}
	r.CDRDays = 0
	if err := r.Validate(); err != nil {
		t.Fatalf("everything forever: %v", err)
	}
	r.PurgeAt = "24:00"
	if err := r.Validate(); err == nil {
		t.Fatal("24:00 accepted as a purge time")
	}
}

func cdrAt(id string, t time.Time) CDR {
	return CDR{ID: id, Caller: "+8613800138000", Callee: "600", Direction: DirectionIn, Start: t, End: t.Add(time.Minute),
		Disposition: DispositionNoAnswer}
}

func TestBatch_DeletesAndPutsCommitTogetherOnTheFeed(t *testing.T) {
	s := openRetentionStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if _, err := Put(s, cdrAt(NewID(t0.Add(time.Duration(i)*time.Hour)), t0)); err != nil {
			t.Fatal(err)
		}
	}
	seq := s.Seq()
	var keys []string
	changes, err := Batch(s, func(b *Batcher) error {
		if err := BatchRange(b, "", TimeKey(t0.Add(150*time.Minute)), func(k string, _ CDR, err error) bool {
			keys = append(keys, k)
			return err == nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete(KindCDR, k); err != nil {
				return err
			}
		}
		// Gone already: no change, no error.
		return b.Delete(KindCDR, "nothing-here")
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || len(changes) != 3 || changes[0].Seq != seq+1 || changes[2].Op != OpDelete {
		t.Fatalf("keys %v, changes %+v", keys, changes)
	}
	left, _ := List[CDR](s)
	if len(left) != 2 {
		t.Fatalf("%d CDRs left, want 2", len(left))
	}
	// A failing batch leaves everything as it was.
	boom := errors.New("boom")
	if _, err := Batch(s, func(b *Batcher) error {
		if err := b.Delete(KindCDR, left[0].ID); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Batch = %v", err)
	}
	if n, _ := List[CDR](s); len(n) != 2 || s.Seq() != seq+3 {
		t.Fatalf("a failed batch changed the store: %d CDRs, seq %d", len(n), s.Seq())
	}
}
