package source_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/store"
)

// Example wires the directory as the firmware does: sources from the
// configuration, the built-in index following the store, the cache
// flushed on customer edits.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	st, _ := store.Open(filepath.Join(dir, "callbox.db"))
	defer st.Close()
	store.Put(st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}})
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"customer":{"level":"gold"}}`))
	}))
	defer crm.Close()

	var d *directory.Directory
	set, err := source.Build([]source.Config{
		{Type: source.TypeBuiltin},
		{Type: source.TypeHTTP, Name: "crm", URL: crm.URL + "/lookup?phone={number}",
			Fields: map[string]string{"level": "customer.level"}},
	}, st, directory.PlanCN, source.WithOnChange(func() { d.Flush() }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Close()
	d = directory.New(set.Sources, directory.WithPlan(directory.PlanCN), directory.WithDeadline(time.Second))
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- set.Builtin.Run(ctx) }()
	defer func() { cancel(); <-done }()

	r, _ := d.Lookup(ctx, "0086 138 1234 5678")
	fmt.Println(r.Number, r.Record.Name, r.Record.Fields["level"], r.Partial)
	// Output: +8613812345678 Li Lei gold false
}
