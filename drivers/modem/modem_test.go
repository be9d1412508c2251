package modem_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"callbox/drivers/modem"
	"callbox/drivers/modem/modemsim"
	"callbox/drivers/modem/sms"
)

// waitFor polls cond until it holds; the deadline only stops a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newSim(t *testing.T, cfg modemsim.Config) *modemsim.Modem {
	t.Helper()
	net := modemsim.NewNetwork("+8613800100500")
	s, err := net.Add(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// start opens the simulator's terminal with the real serial code and runs
// the driver on it until the test ends.
func start(t *testing.T, sim *modemsim.Modem, opts ...modem.Option) *modem.Modem {
	t.Helper()
	port, err := modem.OpenSerial(sim.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	m := modem.New(port, append([]modem.Option{modem.WithName("gsm0"), modem.WithTimeout(500 * time.Millisecond)}, opts...)...)
	ctx, cancel := context.WithCancel(context.Background())
	go m.Run(ctx)
	t.Cleanup(func() { cancel(); <-m.Done() })
	waitFor(t, "modem ready", func() bool { return m.State() == modem.StateReady })
	return m
}

func TestModem_ProbesSimulatedModemThroughPTY(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true, Fax: true, Manufacturer: "SIMCOM", Model: "SIM800"})
	m := start(t, sim)
	st := m.Status()
	if st.Info.Manufacturer != "SIMCOM" || st.Info.Model != "SIM800" || !st.Info.Fax() || !st.Info.SMSPDU {
		t.Fatalf("info %+v", st.Info)
	}
	if st.Info.SignalRSSI != 21 || st.Info.SignalDBm != -71 || st.Info.SIM != "READY" {
		t.Fatalf("signal/SIM %+v", st.Info)
	}
	flow, err := modem.HardwareFlow(sim.Path())
	if err != nil || !flow {
		t.Fatalf("RTS/CTS not set on the port: %v %v", flow, err)
	}
}

func TestModem_SeparatesUnsolicitedCodesFromReplies(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	m := start(t, sim, modem.WithInit("AT+CMGF=0", "AT+CNMI=2,1,0,1,0"))
	sub := m.Subscribe(context.Background())
	for i := 0; i < 5; i++ {
		if err := sim.Deliver(sms.Deliver{From: "+8613922220000", Text: "hello"}); err != nil {
			t.Fatal(err)
		}
		r, err := m.Command(context.Background(), "AT+CSQ")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Lines) != 1 || !strings.HasPrefix(r.Lines[0], "+CSQ:") {
			t.Fatalf("reply lines %q", r.Lines)
		}
	}
	for i := 0; i < 5; i++ {
		select {
		case u := <-sub:
			if u.Name != "+CMTI" {
				t.Fatalf("subscriber got %+v", u)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no +CMTI for the subscriber")
		}
		select {
		case u := <-m.URCs():
			if u.Name != "+CMTI" || modem.Fields(u.Value)[0] != "SM" {
				t.Fatalf("urc %+v", u)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no +CMTI")
		}
	}
}

func TestModem_CMSErrorCarriesCodeAndMeaning(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	m := start(t, sim)
	_, err := m.Command(context.Background(), "AT+CMGR=7")
	var ce *modem.CommandError
	if !errors.As(err, &ce) || !errors.Is(err, modem.ErrCommand) || ce.Class != modem.CMSError || ce.Code != 321 {
		t.Fatalf("err = %v", err)
	}
	if _, err := m.Command(context.Background(), "AT+NOSUCH"); !errors.Is(err, modem.ErrCommand) {
		t.Fatalf("unknown command: %v", err)
	}
	if _, err := m.Command(context.Background(), "AT\rATZ"); !errors.Is(err, modem.ErrBadCommand) {
		t.Fatalf("command with CR: %v", err)
	}
}

func TestModem_GarbageOnTheLineIsDroppedAndModemKeepsWorking(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	m := start(t, sim)
	sim.SendGarbage([]byte("\x00\xff\x13\x11OK?\x07\r\n\x10\x03+CM\xfe\r\xde\xad\xbe\xef"))
	sim.SendGarbage([]byte(strings.Repeat("\xaa", 5000) + "\r\n"))
	for i := 0; i < 3; i++ {
		if _, err := m.Command(context.Background(), "AT+CSQ"); err != nil {
			t.Fatalf("after garbage: %v", err)
		}
	}
	if m.Status().GarbageBytes == 0 {
		t.Fatal("garbage not counted")
	}
	if m.State() != modem.StateReady {
		t.Fatalf("state %s", m.State())
	}
}

func TestModem_ResetsHungModemWithATZ(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	m := start(t, sim)
	sim.Hang(false)
	if _, err := m.Command(context.Background(), "AT+CSQ"); !errors.Is(err, modem.ErrTimeout) {
		t.Fatalf("hung modem: %v", err)
	}
	if _, err := m.Command(context.Background(), "AT+CSQ"); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	if st := m.Status(); st.Resets != 1 || st.State != modem.StateReady {
		t.Fatalf("status %+v", st)
	}
	waitFor(t, "reinit notice", func() bool {
		select {
		case u := <-m.URCs():
			return u.Name == modem.URCReinit
		default:
			return false
		}
	})
}

func TestModem_PowerCyclesModemThatIgnoresATZ(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	cycled := 0
	m := start(t, sim, modem.WithPowerCycle(func(context.Context) error { cycled++; sim.PowerCycle(); return nil }))
	sim.Hang(true)
	if _, err := m.Command(context.Background(), "AT+CSQ"); !errors.Is(err, modem.ErrTimeout) {
		t.Fatalf("hung modem: %v", err)
	}
	if _, err := m.Command(context.Background(), "AT+CSQ"); err != nil {
		t.Fatalf("after power cycle: %v", err)
	}
	if cycled != 1 || m.Status().Resets != 1 {
		t.Fatalf("cycled %d, resets %d", cycled, m.Status().Resets)
	}
}

func TestModem_AlarmsWhenNothingHelpsAndComesBack(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	m := start(t, sim, modem.WithHealthInterval(50*time.Millisecond))
	sim.Hang(true)
	waitFor(t, "alarm", func() bool { return m.State() == modem.StateAlarm })
	if _, err := m.Command(context.Background(), "AT"); !errors.Is(err, modem.ErrAlarm) {
		t.Fatalf("in alarm: %v", err)
	}
	if m.Status().LastError == "" {
		t.Fatal("no reason shown for the alarm")
	}
	sim.PowerCycle() // someone replugs it
	waitFor(t, "ready again", func() bool { return m.State() == modem.StateReady })
	if _, err := m.Command(context.Background(), "AT"); err != nil {
		t.Fatal(err)
	}
}

func TestModem_PDUWithWrongLengthIsRefusedAndModemKeepsWorking(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	m := start(t, sim)
	const pdu = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37" // TPDU is 23 octets
	_, err := m.CommandPrompt(context.Background(), "AT+CMGS=20", pdu)
	var ce *modem.CommandError
	if !errors.As(err, &ce) || ce.Class != modem.CMSError || ce.Code != 304 {
		t.Fatalf("wrong length: %v", err)
	}
	r, err := m.CommandPrompt(context.Background(), "AT+CMGS=23", pdu)
	if err != nil {
		t.Fatalf("right length after a wrong one: %v", err)
	}
	if v, ok := r.Value("+CMGS"); !ok || v == "" {
		t.Fatalf("no message reference: %+v", r)
	}
	if len(sim.Sent()) != 1 {
		t.Fatalf("%d messages submitted", len(sim.Sent()))
	}
}
