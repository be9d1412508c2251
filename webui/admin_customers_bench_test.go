package webui

import (
	"fmt"
	"path/filepath"
	"testing"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// BenchmarkFindCustomers100k measures one list page of the customer
// pages over a directory of 100,000 customers: the first page unfiltered,
// a search that matches one customer near the end (the whole directory is
// read), a number search, and a tag common enough to fill a page early.
func BenchmarkFindCustomers100k(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "callbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	defs := []store.CustomerField{{Name: "contract", LabelEN: "Contract", Type: store.FieldText, Searchable: true}}
	const n = 100_000
	batch := make([]store.Record, 0, 5000)
	for i := range n {
		c := store.Customer{ID: fmt.Sprintf("c%06d", i), Name: fmt.Sprintf("Customer %d", i), Company: "Company " + fmt.Sprint(i%977),
			Numbers: []string{fmt.Sprintf("+86138%08d", i)}, VIPLevel: i % 6, Fields: map[string]string{"contract": fmt.Sprintf("HT-%d", i)}}
		if i%10 == 0 {
			c.Tags = []string{"wholesale"}
		}
		batch = append(batch, c)
		if len(batch) == cap(batch) {
			if _, err := store.PutAll(st, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for _, bc := range []struct{ name, q, tag string }{
		{"first-page", "", ""},
		{"rare-word", "HT-99998", ""},
		{"number", "138 0009 9997", ""},
		{"tag", "", "wholesale"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				cs, _, err := findCustomers(st, directory.PlanCN, defs, bc.q, bc.tag, "", customersPageSize)
				if err != nil || len(cs) == 0 {
					b.Fatalf("%d found, %v", len(cs), err)
				}
			}
		})
	}
}
