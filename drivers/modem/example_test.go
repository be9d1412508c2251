package modem_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"callbox/drivers/modem"
	"callbox/drivers/modem/modemsim"
)

// A simulated GSM modem on a pseudo-terminal, driven by the real driver:
// the same wiring make run uses when the box has no modem.
func Example() {
	net := modemsim.NewNetwork("+8613800100500")
	sim, err := net.Add(modemsim.Config{Number: "+8613911110000", SMS: true, Manufacturer: "SIMCOM", Model: "SIM800"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()

	port, err := modem.OpenSerial(sim.Path(), 115200)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := modem.New(port, modem.WithName("gsm0"), modem.WithInit("AT+CMGF=0"))
	ctx, cancel := context.WithCancel(context.Background())
	go m.Run(ctx)
	defer func() { cancel(); <-m.Done() }()

	for m.State() != modem.StateReady {
		time.Sleep(10 * time.Millisecond)
	}
	st := m.Status()
	fmt.Println(st.Info.Manufacturer, st.Info.Model, st.Info.SignalDBm, "dBm, SIM", st.Info.SIM)

	_, err = m.Command(ctx, "AT+CMGR=1")
	var ce *modem.CommandError
	if errors.As(err, &ce) {
		fmt.Println(ce.Class, ce.Code)
	}
	// Output:
	// SIMCOM SIM800 -71 dBm, SIM READY
	// +CMS ERROR 321
}
