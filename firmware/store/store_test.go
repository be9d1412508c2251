package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"callbox/firmware/i18n"
)

func openTemp(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", "callbox.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func goodExtension(n string) Extension {
	return Extension{Number: n, Name: "Desk " + n, Secret: "Xy7-secret-" + n + "a"}
}

func TestStore_PutGetListDeleteRoundTrip(t *testing.T) {
	s := openTemp(t)
	for _, n := range []string{"202", "201", "203"} {
		if _, err := Put(s, goodExtension(n)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Get[Extension](s, "201")
	if err != nil || got.Name != "Desk 201" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	all, err := List[Extension](s)
	if err != nil || len(all) != 3 || all[0].Number != "201" || all[2].Number != "203" {
		t.Fatalf("List = %+v, %v", all, err)
	}
	if _, err := Create(s, goodExtension("201")); !errors.Is(err, ErrExists) {
		t.Fatalf("Create on a taken key: %v", err)
	}
	ch, err := Delete[Extension](s, "202")
	if err != nil || ch.Op != OpDelete || ch.Seq != 4 {
		t.Fatalf("Delete = %+v, %v", ch, err)
	}
	if _, err := Get[Extension](s, "202"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get deleted: %v", err)
	}
	if _, err := Delete[Extension](s, "202"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
	counts, err := s.Counts()
	if err != nil || counts[KindExtension] != 2 {
		t.Fatalf("Counts = %v, %v", counts, err)
	}
	if s.Seq() != 4 {
		t.Fatalf("Seq = %d", s.Seq())
	}
}

func TestStore_RejectsInvalidRecordWithFieldErrors(t *testing.T) {
	s := openTemp(t)
	_, err := Put(s, Extension{Number: "2a", Secret: "2a"})
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	if !verr.Has("number", codeDigits) || !verr.Has("secret", "") {
		t.Fatalf("fields: %+v", verr.Fields)
	}
	msgs := verr.Messages(i18n.ZH)
	if msgs["number"] != "必须是 2 到 8 位数字" {
		t.Fatalf("zh message: %q", msgs["number"])
	}
	if s.Seq() != 0 {
		t.Fatal("a refused write took a sequence number")
	}
}

func TestSubscribe_ReplaysThenDeliversLive(t *testing.T) {
	s := openTemp(t)
	for _, n := range []string{"201", "202"} {
		if _, err := Put(s, goodExtension(n)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := s.Subscribe(ctx, 0)
	if _, err := Put(s, goodExtension("203")); err != nil {
		t.Fatal(err)
	}
	for want := uint64(1); want <= 3; want++ {
		c, ok := <-ch
		if !ok || c.Seq != want || c.Kind != KindExtension {
			t.Fatalf("change %d: %+v %v", want, c, ok)
		}
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after cancel")
	}
}

func TestLookupAndExport_ReadByKindKnownAtRunTime(t *testing.T) {
	s := openTemp(t)
	ch, err := Put(s, goodExtension("201"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Lookup(ch.Kind, ch.Key)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := r.(Extension); !ok || e.Number != "201" {
		t.Fatalf("Lookup = %#v", r)
	}
	raw, err := s.Export(KindExtension, "201")
	if err != nil {
		t.Fatal(err)
	}
	if back, err := DecodeRecord(KindExtension, raw); err != nil || back.Key() != "201" {
		t.Fatalf("DecodeRecord(Export) = %v, %v", back, err)
	}
	if _, err := s.Lookup(KindExtension, "999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := s.Export("nope", "1"); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

func TestNewID_SortsByTimeAndIsAValidKey(t *testing.T) {
	a := NewID(time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC))
	b := NewID(time.Date(2026, 11, 27, 5, 0, 0, 1000, time.UTC))
	if !(a < b) || !isName(a) || !isName(b) {
		t.Fatalf("%q %q", a, b)
	}
	x, y := NewID(time.Unix(0, 0)), NewID(time.Unix(0, 0))
	if x == y {
		t.Fatal("two IDs for one instant are equal")
	}
}

func TestStore_WritesAfterCloseReturnErrClosed(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Put(s, goodExtension("201")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put: %v", err)
	}
	if _, err := Get[Extension](s, "201"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get: %v", err)
	}
}

func TestPutAll_StoresAllOrNothing(t *testing.T) {
	s := openTemp(t)
	chs, err := PutAll(s, goodExtension("201"), Skill{Name: "billing"})
	if err != nil || len(chs) != 2 || chs[1].Seq != 2 || chs[1].Kind != KindSkill {
		t.Fatalf("PutAll = %+v, %v", chs, err)
	}
	_, err = PutAll(s, goodExtension("202"), Skill{Name: "bad name"})
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	if _, err := Get[Extension](s, "202"); !errors.Is(err, ErrNotFound) || s.Seq() != 2 {
		t.Fatalf("part of a refused batch was stored (seq %d)", s.Seq())
	}
}

func TestOpen_CreatesTheFileAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "callbox.db")
	// A half-made file from a crash during an earlier creation.
	if err := os.WriteFile(path+".new", []byte("torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(path + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	if s.Size() < 4*4096 || s.SchemaVersion() != SchemaVersion {
		t.Fatalf("size %d schema %d", s.Size(), s.SchemaVersion())
	}
	if probs, err := s.Check(); err != nil || len(probs) != 0 {
		t.Fatalf("new store: %v %v", probs, err)
	}
}

func TestApply_CopiesChangesFromAnotherStore(t *testing.T) {
	primary, replica := openTemp(t), openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed := primary.Subscribe(ctx, 0)
	if _, err := Put(primary, goodExtension("201")); err != nil {
		t.Fatal(err)
	}
	if _, err := Put(primary, goodExtension("202")); err != nil {
		t.Fatal(err)
	}
	if _, err := Delete[Extension](primary, "201"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c := <-feed
		var data []byte
		if c.Op == OpPut {
			var err error
			data, err = primary.Export(c.Kind, c.Key)
			if errors.Is(err, ErrNotFound) {
				// Deleted since: the delete follows in the feed.
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := replica.Apply(c.Kind, c.Key, c.Op, data); err != nil {
			t.Fatal(err)
		}
	}
	all, err := List[Extension](replica)
	if err != nil || len(all) != 1 || all[0].Number != "202" {
		t.Fatalf("replica holds %+v, %v", all, err)
	}
	// Deleting what the replica never had is not an error.
	if _, err := replica.Apply(KindExtension, "299", OpDelete, nil); err != nil {
		t.Fatal(err)
	}
	// Bad data is refused like any write.
	if _, err := replica.Apply(KindExtension, "203", OpPut, []byte(`{"kind":"extensions","v":1,"data":{"number":"203","secret":"x"}}`)); err == nil {
		t.Fatal("invalid record applied")
	}
	raw, _ := primary.Export(KindExtension, "202")
	if _, err := replica.Apply(KindExtension, "204", OpPut, raw); err == nil {
		t.Fatal("record applied under another key")
	}
}
