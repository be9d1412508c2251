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
