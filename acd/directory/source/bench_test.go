package source

import (
	"context"
	"fmt"
	"testing"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// BenchmarkBuiltin_Lookup10k looks a caller up among 10,000 customers
// through the in-memory index and the store.
func BenchmarkBuiltin_Lookup10k(b *testing.B) {
	st, err := store.Open(b.TempDir() + "/callbox.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var recs []store.Record
	for i := range 10000 {
		recs = append(recs, store.Customer{ID: fmt.Sprintf("c%05d", i), Name: "Customer",
			Numbers: []string{fmt.Sprintf("+86138%08d", i)}})
	}
	if _, err := store.PutAll(st, recs...); err != nil {
		b.Fatal(err)
	}
	src, err := NewBuiltin(st, directory.PlanCN)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := src.Lookup(ctx, "+8613800004321"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltin_LookupAfterAnEdit stores a customer edit and looks the
// customer up at once through the cached directory, as a pop right after
// an installer's edit does: the lookup waits for the followed index to
// apply the edit, which drops the cached answer.
func BenchmarkBuiltin_LookupAfterAnEdit(b *testing.B) {
	st, err := store.Open(b.TempDir() + "/callbox.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	late := &lateCache{}
	src, err := NewBuiltin(st, directory.PlanCN, WithCache(late))
	if err != nil {
		b.Fatal(err)
	}
	d := directory.New([]directory.Source{src}, directory.WithPlan(directory.PlanCN))
	late.d = d
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	src.follow()
	go func() { done <- src.run(ctx) }()
	defer func() { cancel(); <-done }()
	c := store.Customer{ID: "c1", Numbers: []string{"+8613812345678"}}
	i := 0
	for b.Loop() {
		i++
		c.Name = fmt.Sprintf("Customer %d", i)
		if _, err := store.Put(st, c); err != nil {
			b.Fatal(err)
		}
		if r, _ := d.Lookup(ctx, "+8613812345678"); r.Record.Name != c.Name {
			b.Fatalf("stale answer %+v", r)
		}
	}
}

// BenchmarkBuiltin_CachedLookupWhileFollowing is a cache hit with the
// index followed and current: the catch-up check is all it adds.
func BenchmarkBuiltin_CachedLookupWhileFollowing(b *testing.B) {
	st, err := store.Open(b.TempDir() + "/callbox.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Put(st, store.Customer{ID: "c1", Name: "Li", Numbers: []string{"+8613812345678"}}); err != nil {
		b.Fatal(err)
	}
	late := &lateCache{}
	src, err := NewBuiltin(st, directory.PlanCN, WithCache(late))
	if err != nil {
		b.Fatal(err)
	}
	d := directory.New([]directory.Source{src}, directory.WithPlan(directory.PlanCN))
	late.d = d
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	src.follow()
	go func() { done <- src.run(ctx) }()
	defer func() { cancel(); <-done }()
	d.Lookup(ctx, "+8613812345678")
	for b.Loop() {
		if r, _ := d.Lookup(ctx, "+8613812345678"); !r.Cached {
			b.Fatalf("not cached %+v", r)
		}
	}
}
