package cti_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/acd/directory"
	"callbox/acd/directory/source"
	"callbox/firmware/store"
)

// Example wires the hub as the firmware does: the live directory from the
// store's configuration, the hub on the bus, the queue's offer feeding
// it, and a client (the SSE endpoint) reading the agent's pops.
func Example() {
	dir, _ := os.MkdirTemp("", "cti-example")
	defer os.RemoveAll(dir)
	st, _ := store.Open(filepath.Join(dir, "callbox.db"))
	defer st.Close()
	store.Put(st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}, VIP: true})

	ctx, cancel := context.WithCancel(context.Background())
	live := source.NewLive(st, directory.PlanCN, nil)
	bus := acd.NewBus()
	hub, _ := cti.New(cti.Config{Store: st, Bus: bus, Lookup: live})
	done := make(chan struct{}, 2)
	go func() { live.Run(ctx); done <- struct{}{} }()
	go func() { hub.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()
	for len(live.Health()) == 0 { // the sources are built by Run
		time.Sleep(time.Millisecond)
	}

	pops, _ := hub.Subscribe(ctx, cti.Filter{Agent: "11"}, 0)
	// The queue rings agent 11 for a call: the phone shows the name...
	fmt.Println(hub.DisplayName(ctx, "013812345678"))
	// ...and the agent's screen gets the pop.
	hub.Offer(cti.OfferInfo{CallID: "call-1", Agent: "11", Queue: "sales", Caller: acd.Party{Number: "013812345678"}})
	e := <-pops
	p, _ := hub.Pop(ctx, "call-1")
	fmt.Println(e.Type, p.Number, p.Customer.Name, p.Partial)
	// Output:
	// ★ Li Lei
	// call.offered +8613812345678 Li Lei false
}
