package directory_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

func TestHistoryIndex_FollowsTheStoreAndOrdersByTime(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	put := func(c store.Contact) {
		t.Helper()
		if _, err := store.Put(st, c); err != nil {
			t.Fatal(err)
		}
	}
	put(store.Contact{ID: "k1", Number: "013812345678", Channel: store.ChannelCall, Direction: store.DirectionIn, At: at})
	put(store.Contact{ID: "k2", Number: "+8613900000000", Channel: store.ChannelSMS, Direction: store.DirectionIn, At: at})
	x, err := directory.NewHistoryIndex(st, directory.PlanCN, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.Run(ctx) }()
	defer func() { cancel(); <-done }()

	put(store.Contact{ID: "k3", Number: "+8613812345678", Channel: store.ChannelCall, Direction: store.DirectionOut, At: at.Add(time.Hour)})
	if _, err := store.Delete[store.Contact](st, "k2"); err != nil {
		t.Fatal(err)
	}
	var got []store.Contact
	for i := 0; ; i++ {
		got, err = x.Recent("13812345678", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 2 {
			break
		}
		if i > 2000 {
			t.Fatalf("index never saw k3: %+v", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got[0].ID != "k3" || got[1].ID != "k1" {
		t.Fatalf("order %s %s", got[0].ID, got[1].ID)
	}
	if one, _ := x.Recent("+8613812345678", 1); len(one) != 1 || one[0].ID != "k3" {
		t.Fatalf("limit 1: %+v", one)
	}
	for i := 0; ; i++ {
		if gone, _ := x.Recent("13900000000", 0); len(gone) == 0 {
			break
		}
		if i > 2000 {
			t.Fatal("deleted contact still indexed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHistoryIndex_AContactJustWrittenIsInTheNextRead(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	x, err := directory.NewHistoryIndex(st, directory.PlanCN, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// Run must be following before the writes for the catch-up to apply;
	// one read through it settles that.
	for i := 0; ; i++ {
		if _, err := store.Put(st, store.Contact{ID: "warm", Number: "+8613700000000", Channel: store.ChannelCall,
			Direction: store.DirectionIn, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if got, _ := x.Recent("+8613700000000", 0); len(got) == 1 {
			break
		}
		if i > 100 {
			t.Fatal("the index never followed the store")
		}
		time.Sleep(10 * time.Millisecond)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 50 {
		id := "c" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		if _, err := store.Put(st, store.Contact{ID: id, Number: "+8613812345678", Channel: store.ChannelCall,
			Direction: store.DirectionIn, At: at.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		// No waiting: a caller who rings again sees the call that just ended.
		got, err := x.Recent("+8613812345678", 1)
		if err != nil || len(got) != 1 || got[0].ID != id {
			t.Fatalf("write %d: %+v, %v", i, got, err)
		}
	}
}
