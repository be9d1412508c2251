package source

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// following opens the directory the firmware builds for st (the built-in
// source alone, a five-minute cache on a clock that never moves) and
// follows the store as Live does.
func following(t *testing.T, st *store.Store) *directory.Directory {
	t.Helper()
	cfg := DefaultConfig()
	cfg.CacheSeconds = 300
	d, set, err := Open(cfg, st, directory.PlanCN, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	set.Builtin.follow()
	go func() { done <- set.Builtin.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		d.Close()
		set.Close()
	})
	return d
}

func TestBuiltin_FindsACustomerAddedRightAfterAMissWithoutWaitingForTheTTL(t *testing.T) {
	st := openStore(t)
	d := following(t, st)
	ctx := context.Background()
	if r, err := d.Lookup(ctx, "13812345678"); err != nil || r.Found {
		t.Fatalf("before the customer exists: %+v %v", r, err)
	}
	if r, _ := d.Lookup(ctx, "13812345678"); !r.Cached {
		t.Fatalf("the miss was not cached, the test proves nothing: %+v", r)
	}
	// Added by the installer (or a CSV import) while the miss is cached.
	if _, err := store.Put(st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}}); err != nil {
		t.Fatal(err)
	}
	r, err := d.Lookup(ctx, "013812345678")
	if err != nil || !r.Found || r.Record.Name != "Li Lei" || r.Cached {
		t.Fatalf("right after the customer was added: %+v %v", r, err)
	}
}

func TestBuiltin_ServesTheEditedNameOnTheNextLookup(t *testing.T) {
	st := openStore(t)
	c := store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678", "+8613900000000"}}
	if _, err := store.Put(st, c); err != nil {
		t.Fatal(err)
	}
	d := following(t, st)
	ctx := context.Background()
	for _, n := range c.Numbers {
		if r, _ := d.Lookup(ctx, n); r.Record.Name != "Li Lei" {
			t.Fatalf("%s before the edit: %+v", n, r)
		}
	}
	c.Name = "Li Leilei"
	c.Numbers = c.Numbers[:1] // and the second number dropped
	if _, err := store.Put(st, c); err != nil {
		t.Fatal(err)
	}
	if r, _ := d.Lookup(ctx, "+8613812345678"); r.Record.Name != "Li Leilei" || r.Cached {
		t.Fatalf("after the edit: %+v", r)
	}
	if r, _ := d.Lookup(ctx, "+8613900000000"); r.Found || r.Cached {
		t.Fatalf("the dropped number: %+v", r)
	}
}

// counting is an external source that knows every number and counts the
// times it is asked.
type counting struct{ calls atomic.Int32 }

func (c *counting) Name() string { return "crm" }

func (c *counting) Lookup(ctx context.Context, n string) (directory.Record, error) {
	c.calls.Add(1)
	return directory.Record{Fields: map[string]string{"level": "gold"}}, nil
}

func TestBuiltin_KeepsTheOtherNumbersCachedWhenACustomerChanges(t *testing.T) {
	st := openStore(t)
	late := &lateCache{}
	b, err := NewBuiltin(st, directory.PlanCN, WithCache(late))
	if err != nil {
		t.Fatal(err)
	}
	crm := &counting{}
	d := directory.New([]directory.Source{b, crm}, directory.WithPlan(directory.PlanCN))
	late.d = d
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.follow()
	go func() { done <- b.run(ctx) }()
	defer func() { cancel(); <-done }()

	d.Lookup(ctx, "+8613900000000")
	if _, err := store.Put(st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}}); err != nil {
		t.Fatal(err)
	}
	if r, _ := d.Lookup(ctx, "+8613812345678"); r.Record.Name != "Li Lei" {
		t.Fatalf("the new customer: %+v", r)
	}
	// The index has applied the change (the lookup above waited for it),
	// so the cache has been told which numbers it concerned.
	if r, _ := d.Lookup(ctx, "+8613900000000"); !r.Cached || crm.calls.Load() != 2 {
		t.Fatalf("the unrelated number was asked again: %+v, crm asked %d times", r, crm.calls.Load())
	}
}

func TestBuiltin_LookupDoesNotWaitForAnIndexNobodyFollows(t *testing.T) {
	st := openStore(t)
	b, err := NewBuiltin(st, directory.PlanCN)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.follow()
	go func() { done <- b.run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}}); err != nil {
		t.Fatal(err)
	}
	// Run has stopped: the lookup answers from the index as it is, at once
	// (a context that never ends would otherwise hang the test).
	if _, err := b.Lookup(context.Background(), "+8613812345678"); err == nil {
		t.Fatal("found a customer the stopped index never saw")
	}
}
