package messaging_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"callbox/acd"
	"callbox/acd/messaging"
	"callbox/drivers/modem/modemsim"
	"callbox/firmware/store"
)

// Example wires the service the way the firmware does under make run:
// modem lines in the store, "sim:" devices served by the simulator.
func Example() {
	dir, _ := os.MkdirTemp("", "callbox-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "callbox.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	_, _ = store.Put(st, store.Line{ID: "gsm0", Type: store.LineGSM, Device: "sim:gsm0", Route: "sales", Enabled: true})

	sim := messaging.NewSimulator(modemsim.NewNetwork("+8613800100500"))
	defer sim.Close()
	bus := acd.NewBus()
	svc, err := messaging.New(messaging.Config{
		Store: st, Bus: bus, Open: sim.Open,
		Rules:  []messaging.Rule{{Name: "hours", Keyword: "hours", Reply: "Open 9-18."}},
		Notify: messaging.Notifications{MissedCall: true, Callback: true},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()

	// The web API and the IVR queue work through the store.
	m, err := svc.SendSMS(ctx, "+8613922220002", "Your order has shipped.")
	fmt.Println(m.State, err)
	cancel()
	fmt.Println(<-done)
	// Output:
	// queued <nil>
	// <nil>
}
