package source

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestBuiltin_FindsCustomerByAnyOfItsNumbersInAnyForm(t *testing.T) {
	st := openStore(t)
	if _, err := store.Put(st, store.Customer{ID: "c1", Name: "Liu Yang", Company: "ACME", VIP: true,
		Numbers: []string{"+8613812345678", "01012345678"}}); err != nil {
		t.Fatal(err)
	}
	b, err := NewBuiltin(st, directory.PlanCN)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"+8613812345678", "+861012345678"} {
		r, err := b.Lookup(context.Background(), n)
		if err != nil || r.CustomerID != "c1" || r.Name != "Liu Yang" || !r.VIP {
			t.Fatalf("%s: %+v %v", n, r, err)
		}
	}
	if _, err := b.Lookup(context.Background(), "+8613900000000"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatal(err)
	}
}

func TestBuiltin_FollowsStoreChanges(t *testing.T) {
	st := openStore(t)
	changed := make(chan struct{}, 16)
	b, err := NewBuiltin(st, directory.PlanCN, WithOnChange(func() { changed <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func() {
		select {
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatal("no change seen")
		}
	}
	store.Put(st, store.Customer{ID: "c2", Name: "Zhou", Numbers: []string{"13811112222"}})
	wait()
	if ids := b.CustomerIDs("+8613811112222"); len(ids) != 1 || ids[0] != "c2" {
		t.Fatalf("after put %v", ids)
	}
	store.Put(st, store.Customer{ID: "c2", Name: "Zhou", Numbers: []string{"13833334444"}})
	wait()
	if ids := b.CustomerIDs("13811112222"); len(ids) != 0 {
		t.Fatalf("old number still indexed %v", ids)
	}
	if ids := b.CustomerIDs("13833334444"); len(ids) != 1 {
		t.Fatalf("new number not indexed %v", ids)
	}
	store.Delete[store.Customer](st, "c2")
	wait()
	if ids := b.CustomerIDs("13833334444"); len(ids) != 0 {
		t.Fatalf("deleted customer indexed %v", ids)
	}
}
