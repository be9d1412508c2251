package modemsim

import (
	"fmt"
	"sync"
	"time"

	"callbox/drivers/modem/sms"
)

// Network joins simulated modems: SMS between SIMs by number, and calls
// between fax modems.
type Network struct {
	mu     sync.Mutex
	modems map[string]*Modem
	smsc   string
	clock  func() time.Time
}

// NewNetwork returns an empty network whose service centre is smsc.
func NewNetwork(smsc string) *Network {
	return &Network{modems: map[string]*Modem{}, smsc: smsc, clock: time.Now}
}

// SetClock sets the network's clock (service centre time stamps).
func (n *Network) SetClock(now func() time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.clock = now
}

func (n *Network) now() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.clock()
}

// Add starts a simulated modem on a new pseudo-terminal.
func (n *Network) Add(cfg Config) (*Modem, error) {
	n.mu.Lock()
	if _, dup := n.modems[cfg.Number]; dup || cfg.Number == "" {
		n.mu.Unlock()
		return nil, fmt.Errorf("modemsim: number %q taken or empty", cfg.Number)
	}
	n.mu.Unlock()
	m, err := newModem(n, cfg)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.modems[cfg.Number] = m
	n.mu.Unlock()
	return m, nil
}

func (n *Network) remove(m *Modem) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.modems[m.cfg.Number] == m {
		delete(n.modems, m.cfg.Number)
	}
}

func (n *Network) lookup(number string) *Modem {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.modems[number]
}

// route carries a submitted message to the recipient's SIM, if it is on
// this network, and reports delivery to the sender if it asked.
func (n *Network) route(from *Modem, s sms.Submit, mr byte) {
	at := n.now()
	if to := n.lookup(s.To); to != nil && to.cfg.SMS {
		d := sms.Deliver{SMSC: n.smsc, From: from.cfg.Number, Time: at, Encoding: s.Encoding, Concat: s.Concat,
			Text: s.Text, StatusReportIndication: s.StatusReport}
		if err := to.Deliver(d); err != nil {
			from.log.Warn("deliver", "err", err)
		}
	}
	if !s.StatusReport {
		return
	}
	rep := sms.StatusReport{MR: mr, Recipient: s.To, SCTS: at, Discharge: at, Status: 0}
	pdu, l, err := rep.Encode()
	if err != nil {
		return
	}
	from.mu.Lock()
	ds := from.cnmiDS
	from.mu.Unlock()
	if ds == 1 {
		from.urc(fmt.Sprintf("+CDS: %d", l), pdu)
	}
}

// Deliver puts a message (one part) into the modem's SIM as the network
// would and announces it with +CMTI (or shows it with +CMT when the driver
// asked for direct delivery). A full SIM holds it back until a slot frees.
func (m *Modem) Deliver(d sms.Deliver) error {
	if d.SMSC == "" {
		d.SMSC = m.net.smsc
	}
	if d.Time.IsZero() {
		d.Time = m.now()
	}
	pdu, n, err := d.Encode()
	if err != nil {
		return err
	}
	m.StoreRaw(pdu, n)
	return nil
}

// StoreRaw stores a PDU line exactly as given, with the stated length n,
// even a malformed one (a bad PDU from the network).
func (m *Modem) StoreRaw(pdu string, n int) {
	m.mu.Lock()
	mt := m.cnmiMT
	if mt == 2 {
		m.mu.Unlock()
		m.urc(fmt.Sprintf("+CMT: ,%d", n), pdu)
		return
	}
	m.pending = append(m.pending, stored{pdu: pdu, n: n})
	m.mu.Unlock()
	m.fillFreedSlots()
}

// fillFreedSlots moves held-back deliveries into free slots.
func (m *Modem) fillFreedSlots() {
	var notes []string
	m.mu.Lock()
	for len(m.pending) > 0 {
		free := -1
		for i, s := range m.slots {
			if s == nil {
				free = i
				break
			}
		}
		if free < 0 {
			break
		}
		s := m.pending[0]
		m.pending = m.pending[1:]
		m.slots[free] = &s
		if m.cnmiMT == 1 {
			notes = append(notes, fmt.Sprintf(`+CMTI: "SM",%d`, free))
		}
	}
	m.mu.Unlock()
	for _, n := range notes {
		m.urc(n)
	}
}
