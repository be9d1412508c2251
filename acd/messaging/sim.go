package messaging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"callbox/drivers/modem/modemsim"
	"callbox/firmware/store"
)

// SimPrefix marks a line's Device as a simulated modem ("sim:gsm0",
// "sim:fax0"): make run and tests need no hardware.
const SimPrefix = "sim:"

// Simulator serves the "sim:" devices of modem lines from a modemsim
// network, so that the real driver runs against simulated modems; other
// devices open as serial ports. A device whose name after the prefix
// starts with "fax" is an analog Class 2.0 fax modem, any other a GSM
// modem with a SIM.
type Simulator struct {
	net *modemsim.Network

	mu     sync.Mutex
	modems map[string]*modemsim.Modem // by device
	next   int
	closed bool
}

// NewSimulator returns a simulator adding its modems to net.
func NewSimulator(net *modemsim.Network) *Simulator {
	return &Simulator{net: net, modems: map[string]*modemsim.Modem{}}
}

// ErrSimulatorClosed is an Open after Close.
var ErrSimulatorClosed = errors.New("messaging: modem simulator closed")

// Open is a Config.Open: the simulated modem of a "sim:" device, made on
// first use with the line's number, else the serial device.
func (s *Simulator) Open(ctx context.Context, l store.Line) (io.ReadWriteCloser, error) {
	name, ok := strings.CutPrefix(l.Device, SimPrefix)
	if !ok {
		return openSerial(ctx, l)
	}
	m, err := s.modem(l.Device, name, l.Number)
	if err != nil {
		return nil, err
	}
	return openSerial(ctx, store.Line{Device: m.Path()})
}

func (s *Simulator) modem(device, name, number string) (*modemsim.Modem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrSimulatorClosed
	}
	if m := s.modems[device]; m != nil {
		return m, nil
	}
	s.next++
	if number == "" {
		number = fmt.Sprintf("+86139000%05d", s.next)
	}
	cfg := modemsim.Config{Number: number, SMS: true, Manufacturer: "callbox", Model: "simulated GSM modem"}
	if strings.HasPrefix(name, "fax") {
		cfg = modemsim.Config{Number: number, Fax: true, Manufacturer: "callbox", Model: "simulated fax modem"}
	}
	m, err := s.net.Add(cfg)
	if err != nil {
		return nil, err
	}
	s.modems[device] = m
	return m, nil
}

// Modem returns the simulated modem of a device ("sim:gsm0"), once a line
// has opened it: demos deliver messages to it.
func (s *Simulator) Modem(device string) *modemsim.Modem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modems[device]
}

// Close stops every simulated modem.
func (s *Simulator) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for d, m := range s.modems {
		errs = append(errs, m.Close())
		delete(s.modems, d)
	}
	return errors.Join(errs...)
}
