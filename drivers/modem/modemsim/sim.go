package modemsim

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"callbox/drivers/modem/sms"
)

// Config describes one simulated modem.
type Config struct {
	// Number is the modem's own number on the network (its SIM's MSISDN or
	// its phone line).
	Number string
	// SMS gives the modem a SIM and the GSM SMS commands; Fax gives it fax
	// service class 2.0.
	SMS, Fax bool
	// Slots is the SIM's message storage size (default 30).
	Slots int
	// LineRate paces fax page data at this many bits per second, as a
	// real line would (some fax programs divide by the seconds a page
	// took); 0 sends pages as fast as the terminals allow.
	LineRate int
	// Manufacturer and Model answer AT+CGMI and AT+CGMM.
	Manufacturer, Model string
	Log                 *slog.Logger
}

type hangMode int

const (
	answering hangMode = iota
	hungUntilReset
	hungUntilPowerCycle
)

// Modem is one simulated modem on a pseudo-terminal.
type Modem struct {
	net    *Network
	cfg    Config
	log    *slog.Logger
	master *os.File
	slave  *os.File
	wg     sync.WaitGroup

	wmu sync.Mutex // one write to the terminal at a time

	mu       sync.Mutex
	echo     bool
	class    string
	hang     hangMode
	cnmiMT   int
	cnmiDS   int
	clip     bool
	fli      string
	fis      int // requested vertical resolution for the next page
	inData   bool
	deferred []string // unsolicited codes held back during a data phase
	slots    []*stored
	pending  []stored // deliveries waiting for a free slot
	sent     []Sent
	mr       byte
	call     *call
	ringing  *call
	commands int
	seen     map[string]int // commands answered, by name

	// Owned by the serve goroutine: results of the leading commands of a
	// line with several ("ATQ0V1E0").
	collecting bool
	collected  []string
}

// stored is one message in SIM storage.
type stored struct {
	pdu  string
	n    int
	read bool
}

// Sent is a message a modem submitted (AT+CMGS), as the network saw it.
type Sent struct {
	MR     byte
	Submit sms.Submit
}

// Path is the device the driver opens (the pseudo-terminal's slave side).
func (m *Modem) Path() string { return m.slave.Name() }

// Number is the modem's own number.
func (m *Modem) Number() string { return m.cfg.Number }

func newModem(n *Network, cfg Config) (*Modem, error) {
	if cfg.Slots == 0 {
		cfg.Slots = 30
	}
	if cfg.Manufacturer == "" {
		cfg.Manufacturer = "callbox"
	}
	if cfg.Model == "" {
		cfg.Model = "modemsim"
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	master, slave, err := openPTY()
	if err != nil {
		return nil, err
	}
	// Raw until the driver sets its own mode: no echo or line editing by
	// the terminal, which would garble what the "modem" says.
	if t, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS); err == nil {
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		_ = unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, t)
	}
	m := &Modem{net: n, cfg: cfg, log: log.With("sim", cfg.Number), master: master, slave: slave,
		slots: make([]*stored, cfg.Slots)}
	m.reset()
	m.wg.Add(1)
	go m.serve()
	return m, nil
}

// openPTY opens a pseudo-terminal whose master side is in non-blocking
// mode under Go's poller, so that Close stops a pending Read (pty.Open
// leaves it blocking, and a blocked read would outlive Close).
func openPTY() (master, slave *os.File, err error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("modemsim: open pty: %w", err)
	}
	fd, err := unix.Dup(int(m.Fd()))
	m.Close()
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("modemsim: pty master: %w", err)
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), s, nil
}

// reset is ATZ: the settings go back to defaults, the SIM keeps its messages.
func (m *Modem) reset() {
	m.echo, m.class, m.cnmiMT, m.cnmiDS, m.clip, m.fis = true, "0", 0, 0, false, 0
}

// Close stops the modem and closes its terminal.
func (m *Modem) Close() error {
	m.net.remove(m)
	err := m.master.Close()
	m.wg.Wait()
	return errors.Join(err, m.slave.Close())
}

// Hang makes the modem stop answering: it reads and ignores everything,
// except ATZ when untilPowerCycle is false.
func (m *Modem) Hang(untilPowerCycle bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hang = hungUntilReset
	if untilPowerCycle {
		m.hang = hungUntilPowerCycle
	}
}

// PowerCycle restarts the modem: settings reset, calls dropped, SIM kept.
func (m *Modem) PowerCycle() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hang = answering
	m.reset()
	m.call, m.ringing = nil, nil
}

// SendGarbage writes raw bytes to the driver, as line noise would.
func (m *Modem) SendGarbage(b []byte) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	_, _ = m.master.Write(b)
}

// Commands counts the command lines the modem has answered.
func (m *Modem) Commands() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commands
}

// Seen counts the times the modem answered a command, by its name without
// arguments ("AT+CMGL").
func (m *Modem) Seen(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[name]
}

// Unread counts stored messages the driver has not read yet.
func (m *Modem) Unread() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.slots {
		if s != nil && !s.read {
			n++
		}
	}
	return n
}

// Sent returns the messages this modem submitted.
func (m *Modem) Sent() []Sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Sent(nil), m.sent...)
}

// StoredCount returns how many SIM slots are in use and how many deliveries
// wait for a free slot.
func (m *Modem) StoredCount() (used, waiting int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.slots {
		if s != nil {
			used++
		}
	}
	return used, len(m.pending)
}

// write sends bytes to the driver.
func (m *Modem) write(b []byte) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if _, err := m.master.Write(b); err != nil {
		m.log.Debug("write to terminal", "err", err)
	}
}

// reply sends a command's result lines, or collects them while a command
// line with several commands runs (only the serve goroutine calls it).
func (m *Modem) reply(lines ...string) {
	if m.collecting {
		m.collected = append(m.collected, lines...)
		return
	}
	m.writeLines(lines...)
}

// writeLines sends lines in verbose format (CR LF before and after each).
func (m *Modem) writeLines(lines ...string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\r\n" + l + "\r\n")
	}
	m.write([]byte(b.String()))
}

// urc sends an unsolicited code now, or after the data phase in progress.
// A hung modem says nothing.
func (m *Modem) urc(lines ...string) {
	m.mu.Lock()
	if m.hang != answering {
		m.mu.Unlock()
		return
	}
	if m.inData {
		m.deferred = append(m.deferred, lines...)
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	m.writeLines(lines...)
}

func (m *Modem) endData() {
	m.mu.Lock()
	m.inData = false
	d := m.deferred
	m.deferred = nil
	m.mu.Unlock()
	if len(d) > 0 {
		m.writeLines(d...)
	}
}

// serve reads the terminal and runs the command interpreter until Close.
func (m *Modem) serve() {
	defer m.wg.Done()
	in := &input{m: m}
	buf := make([]byte, 4096)
	for {
		n, err := m.master.Read(buf)
		for _, c := range buf[:n] {
			in.byte(c)
		}
		if err != nil {
			return
		}
	}
}

// input is the interpreter's byte-level state: a command line, an SMS PDU
// after the prompt, or fax page data.
type input struct {
	m      *Modem
	line   []byte
	mode   int // 0 command line, 1 PDU after prompt, 2 fax data
	pduLen int
	pdu    []byte
	data   []byte
	dle    bool
}

const (
	modeLine = iota
	modePrompt
	modeData
)

const maxInput = 64 << 10

func (in *input) byte(c byte) {
	switch in.mode {
	case modePrompt:
		switch c {
		case 0x1a:
			in.mode = modeLine
			in.m.submit(string(in.pdu), in.pduLen)
			in.pdu = nil
		case 0x1b:
			in.mode = modeLine
			in.pdu = nil
			in.m.reply("OK")
		default:
			if len(in.pdu) < maxInput {
				in.pdu = append(in.pdu, c)
			}
		}
	case modeData:
		if in.dle {
			in.dle = false
			switch c {
			case 0x10:
				in.data = append(in.data, 0x10)
			case ',', ';', '.':
				in.mode = modeLine
				data := in.data
				in.data = nil
				in.m.pageSent(data, c)
			}
			return
		}
		if c == 0x10 {
			in.dle = true
			return
		}
		if len(in.data) < 16<<20 {
			in.data = append(in.data, c)
		}
	default:
		switch c {
		case '\r':
			line := strings.TrimSpace(string(in.line))
			in.line = in.line[:0]
			if line != "" {
				in.command(line)
			}
		case '\n':
		default:
			// Control bytes (an ESC meant to cancel a prompt, noise) are
			// not part of a command, as on real modems.
			if c >= 0x20 && len(in.line) < 1024 {
				in.line = append(in.line, c)
			}
		}
	}
}

// command runs one command line, unless the modem is hung.
func (in *input) command(line string) {
	m := in.m
	m.mu.Lock()
	hang, echo := m.hang, m.echo
	if hang == hungUntilReset && strings.EqualFold(line, "ATZ") {
		m.hang = answering
		hang = answering
	}
	if hang == answering {
		m.commands++
		name := strings.ToUpper(line)
		if i := strings.IndexAny(name, "=?"); i > 0 {
			name = name[:i]
		}
		if m.seen == nil {
			m.seen = map[string]int{}
		}
		m.seen[name]++
	}
	m.mu.Unlock()
	if hang != answering {
		return
	}
	if echo {
		m.write([]byte(line + "\r"))
	}
	if !strings.HasPrefix(strings.ToUpper(line), "AT") {
		m.reply("ERROR")
		return
	}
	cmds := splitCommands(line[2:])
	var info []string
	for i, c := range cmds {
		if i == len(cmds)-1 {
			m.collecting = false
			if len(info) > 0 {
				m.writeLines(info...)
			}
			m.dispatch(in, "AT"+c)
			return
		}
		m.collecting, m.collected = true, nil
		m.dispatch(in, "AT"+c)
		m.collecting = false
		out := m.collected
		if n := len(out); n > 0 && out[n-1] == "OK" {
			info = append(info, out[:n-1]...)
			continue
		}
		// An error (or anything but OK) ends the line, as on real modems.
		m.writeLines(append(info, out...)...)
		return
	}
}

// splitCommands splits what follows "AT" into single commands: basic ones
// (a letter or &letter with a number, S-registers), extended ones (+...,
// up to ';'), and D, which takes the rest of the line.
func splitCommands(rest string) []string {
	var out []string
	for i := 0; i < len(rest); {
		c := rest[i]
		switch {
		case c == ' ' || c == ';':
			i++
			continue
		case c == '+' || c == '#' || c == '$':
			j := strings.IndexByte(rest[i:], ';')
			if j < 0 {
				j = len(rest) - i
			}
			out = append(out, rest[i:i+j])
			i += j
			continue
		case c == 'D' || c == 'd':
			out = append(out, rest[i:])
			return out
		}
		j := i + 1
		if c == '&' && j < len(rest) {
			j++
		}
		if (c == 'S' || c == 's') && j < len(rest) {
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			if j < len(rest) && rest[j] == '?' {
				j++
			} else if j < len(rest) && rest[j] == '=' {
				j++
			}
		}
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		out = append(out, rest[i:j])
		i = j
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// now is the network's clock.
func (m *Modem) now() time.Time { return m.net.now() }
