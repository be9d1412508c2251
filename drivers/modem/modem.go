package modem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Response is what a modem answered to one command.
type Response struct {
	// Lines are the information lines before the final result (echo and
	// unsolicited codes removed).
	Lines []string
	// Final is the final result line ("OK", "CONNECT 9600", ...).
	Final string
	// Data is the de-stuffed data of a receive data phase (ReceiveData).
	Data []byte
	// Signals are the non-data DLE codes seen in a receive data phase.
	Signals []byte
}

// Default timeouts.
const (
	DefaultTimeout = 5 * time.Second
	defaultHealth  = 30 * time.Second
	maxDataBytes   = 32 << 20 // one fax page is well under 1 MiB
	urcBuffer      = 64
	writeChunk     = 512
)

// URCReinit is a synthetic unsolicited code the driver emits after it has
// reset and re-initialised the modem, so that services re-read state the
// modem may have lost or gained (stored messages) in the meantime.
const URCReinit = "CALLBOX-REINIT"

type requestKind int

const (
	plainRequest requestKind = iota
	promptRequest
	sendDataRequest
	recvDataRequest
)

type request struct {
	ctx     context.Context
	kind    requestKind
	cmd     string
	body    []byte // prompt body, or data to send
	term    []byte // after sent data: DLE ETX or a DLE post-page code
	timeout time.Duration
	reply   chan result
}

type result struct {
	resp Response
	err  error
}

// Modem drives one AT modem. One goroutine, Run, owns the port: it writes
// every command, reads every byte, separates unsolicited codes from replies
// and recovers the modem when it stops answering. Other goroutines talk to
// it through Command and friends.
type Modem struct {
	port io.ReadWriteCloser
	cfg  config
	log  *slog.Logger

	reqs chan *request
	urcs <-chan URC
	done chan struct{}

	// Owned by Run.
	fr         framer
	rd         chan []byte
	rdErr      chan error
	pendingURC *URC

	mu     sync.Mutex
	status Status

	subMu  sync.Mutex
	subs   map[chan URC]struct{}
	closed bool // Run has ended: no new subscriptions
}

type config struct {
	name       string
	timeout    time.Duration
	health     time.Duration
	init       []string
	powerCycle func(context.Context) error
	log        *slog.Logger
	now        func() time.Time
}

// Option configures a Modem.
type Option func(*config)

// WithName names the modem in logs and on the status page ("gsm0").
func WithName(n string) Option { return func(c *config) { c.name = n } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithTimeout sets the default command timeout.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithHealthInterval sets how often an idle modem is asked for its signal,
// which is also how a hung modem is noticed.
func WithHealthInterval(d time.Duration) Option { return func(c *config) { c.health = d } }

// WithInit adds commands sent after ATE0/AT+CMEE=1 at start and after every
// reset (for example AT+CMGF=0 and AT+CNMI for SMS).
func WithInit(cmds ...string) Option {
	return func(c *config) { c.init = append(c.init, cmds...) }
}

// WithPowerCycle sets the hook that cuts and restores the modem's power
// (a GPIO relay on boards that have one); it is the last step of recovery.
func WithPowerCycle(f func(context.Context) error) Option {
	return func(c *config) { c.powerCycle = f }
}

// WithClock sets the clock for status timestamps.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// New returns a driver for the modem on port. Run must be called for it to
// do anything; Run closes the port when it returns.
func New(port io.ReadWriteCloser, opts ...Option) *Modem {
	cfg := config{name: "modem", timeout: DefaultTimeout, health: defaultHealth, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	log := cfg.log
	if log == nil {
		log = slog.Default()
	}
	m := &Modem{
		port: port, cfg: cfg, log: log.With("modem", cfg.name),
		reqs: make(chan *request), done: make(chan struct{}),
	}
	m.status = Status{Name: cfg.name, State: StateStarting, Since: cfg.now()}
	m.urcs = m.Subscribe(context.Background())
	return m
}

// URCs returns the modem's default channel of unsolicited codes, kept from
// New on and closed when Run returns (see Subscribe).
func (m *Modem) URCs() <-chan URC { return m.urcs }

// Subscribe returns a channel of every unsolicited result code (RING,
// +CLIP, +CMTI, +CDS, ...) and URCReinit from now on, so that several
// services can share a modem (SMS next to caller ID for the switch). It is
// closed when ctx ends or Run returns. A reader that falls behind loses the
// oldest codes, never blocks the modem: services also poll (the SMS service
// lists the message store after every reinit).
func (m *Modem) Subscribe(ctx context.Context) <-chan URC {
	ch := make(chan URC, urcBuffer)
	m.subMu.Lock()
	defer m.subMu.Unlock()
	if m.closed {
		close(ch)
		return ch
	}
	if m.subs == nil {
		m.subs = map[chan URC]struct{}{}
	}
	m.subs[ch] = struct{}{}
	context.AfterFunc(ctx, func() {
		m.subMu.Lock()
		defer m.subMu.Unlock()
		if _, ok := m.subs[ch]; ok {
			delete(m.subs, ch)
			close(ch)
		}
	})
	return ch
}

// closeSubscriptions ends every subscription when Run returns.
func (m *Modem) closeSubscriptions() {
	m.subMu.Lock()
	defer m.subMu.Unlock()
	m.closed = true
	for ch := range m.subs {
		delete(m.subs, ch)
		close(ch)
	}
}

// Done is closed when Run has returned.
func (m *Modem) Done() <-chan struct{} { return m.done }

// Command sends an AT command and waits for its final result with the
// default timeout. A refused command returns a *CommandError.
func (m *Modem) Command(ctx context.Context, cmd string) (Response, error) {
	return m.do(ctx, &request{kind: plainRequest, cmd: cmd, timeout: m.cfg.timeout})
}

// CommandTimeout is Command with its own timeout (ATD, ATA take long).
func (m *Modem) CommandTimeout(ctx context.Context, cmd string, timeout time.Duration) (Response, error) {
	return m.do(ctx, &request{kind: plainRequest, cmd: cmd, timeout: timeout})
}

// CommandPrompt sends cmd, waits for the "> " prompt, sends body and Ctrl-Z,
// and waits for the final result (AT+CMGS, AT+CMGW in PDU mode).
func (m *Modem) CommandPrompt(ctx context.Context, cmd, body string) (Response, error) {
	if strings.ContainsAny(body, "\x1a\x1b") {
		return Response{}, fmt.Errorf("%w: Ctrl-Z or ESC in the body", ErrBadCommand)
	}
	return m.do(ctx, &request{kind: promptRequest, cmd: cmd, body: []byte(body), timeout: m.cfg.timeout * 6})
}

// SendData sends cmd (AT+FDT), waits for CONNECT, sends data with DLE bytes
// doubled followed by term (DLE ETX, or a DLE post-page code), then waits
// for the final result. idle bounds each wait for the modem.
func (m *Modem) SendData(ctx context.Context, cmd string, data, term []byte, idle time.Duration) (Response, error) {
	return m.do(ctx, &request{kind: sendDataRequest, cmd: cmd, body: data, term: term, timeout: idle})
}

// ReceiveData sends cmd (AT+FDR), waits for CONNECT, collects data up to
// DLE ETX (Response.Data, de-stuffed), then the lines up to the final result.
// idle bounds each wait for the modem, so a long page is fine as long as
// bytes keep coming.
func (m *Modem) ReceiveData(ctx context.Context, cmd string, idle time.Duration) (Response, error) {
	return m.do(ctx, &request{kind: recvDataRequest, cmd: cmd, timeout: idle})
}

func (m *Modem) do(ctx context.Context, r *request) (Response, error) {
	if strings.ContainsAny(r.cmd, "\r\n\x1a\x1b") || r.cmd == "" {
		return Response{}, fmt.Errorf("%w: %q", ErrBadCommand, r.cmd)
	}
	r.ctx, r.reply = ctx, make(chan result, 1)
	select {
	case m.reqs <- r:
	case <-ctx.Done():
		return Response{}, ctx.Err()
	case <-m.done:
		return Response{}, ErrClosed
	}
	select {
	case res := <-r.reply:
		return res.resp, res.err
	case <-m.done:
		return Response{}, ErrClosed
	}
}

// Run owns the port until ctx ends: it initialises and probes the modem,
// serves commands, watches its health and recovers it. It closes the port
// and returns ctx's error, or the read error that ended the port.
func (m *Modem) Run(ctx context.Context) error {
	defer close(m.done)
	defer m.closeSubscriptions()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	m.rd, m.rdErr = make(chan []byte, 16), make(chan error, 1)
	wg.Add(1)
	go m.readLoop(stop, &wg)
	defer func() {
		close(stop)
		m.port.Close()
		wg.Wait()
		m.setState(StateStopped, "")
	}()

	if err := m.initialise(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		m.log.Warn("modem did not initialise", "err", err)
		m.recover(ctx)
	}
	health := time.NewTicker(m.cfg.health)
	defer health.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-m.rdErr:
			m.setState(StateAlarm, err.Error())
			return fmt.Errorf("modem %s: port lost: %w", m.cfg.name, err)
		case b := <-m.rd:
			m.fr.push(b)
			m.idleLines()
		case r := <-m.reqs:
			if m.State() == StateAlarm {
				// Fail fast; the health tick keeps trying to bring it back.
				r.reply <- result{err: ErrAlarm}
				continue
			}
			resp, err := m.exec(ctx, r)
			r.reply <- result{resp, err}
			if errors.Is(err, ErrTimeout) {
				m.recover(ctx)
			}
		case <-health.C:
			m.checkHealth(ctx)
		}
		// Lines that came in the same read as a final result (an
		// unsolicited code right after OK) are still buffered.
		m.idleLines()
	}
}

// readLoop moves bytes from the port to Run. It is started and waited for
// by Run; a serial read returns every poll interval, so stop is noticed.
func (m *Modem) readLoop(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := m.port.Read(buf)
		if n > 0 {
			select {
			case m.rd <- append([]byte(nil), buf[:n]...):
			case <-stop:
				return
			}
		}
		if err != nil {
			select {
			case <-stop:
			case m.rdErr <- err:
			}
			return
		}
		select {
		case <-stop:
			return
		default:
		}
	}
}

// idleLines handles lines that arrive while no command runs: unsolicited
// codes, or leftovers of a command whose caller gave up.
func (m *Modem) idleLines() {
	for {
		l, ok := m.fr.line()
		if !ok {
			m.noteGarbage()
			return
		}
		if m.takeURC(l, "") {
			continue
		}
		m.log.Debug("unexpected line from modem", "line", l)
	}
}

// takeURC passes l on if it is an unsolicited code (or the PDU line of one)
// and not the reply of cmd.
func (m *Modem) takeURC(l, cmd string) bool {
	if m.pendingURC != nil {
		u := *m.pendingURC
		m.pendingURC = nil
		u.PDU = l
		m.emit(u)
		return true
	}
	u, ok := ParseURC(l)
	if !ok || (cmd != "" && strings.Contains(cmd, u.Name)) {
		return false
	}
	if pduURCs[u.Name] {
		m.pendingURC = &u
		return true
	}
	m.emit(u)
	return true
}

func (m *Modem) emit(u URC) {
	m.subMu.Lock()
	defer m.subMu.Unlock()
	for ch := range m.subs {
		push(ch, u, m.log)
	}
}

// push sends u without blocking Run, dropping the oldest code if full.
func push(ch chan URC, u URC, log *slog.Logger) {
	for {
		select {
		case ch <- u:
			return
		default:
		}
		select {
		case old := <-ch:
			// Debug: the default channel fills up on every modem whose
			// services use their own subscriptions.
			log.Debug("unsolicited code dropped, reader behind", "urc", old.Name)
		default:
		}
	}
}

func (m *Modem) noteGarbage() {
	if m.fr.garbage == 0 {
		return
	}
	n := m.fr.garbage
	m.fr.garbage = 0
	m.mu.Lock()
	m.status.GarbageBytes += n
	m.mu.Unlock()
	m.log.Warn("garbage bytes on the serial line dropped", "bytes", n)
}

func (m *Modem) write(ctx context.Context, b []byte) error {
	for len(b) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(b), writeChunk)
		if _, err := m.port.Write(b[:n]); err != nil {
			return fmt.Errorf("modem %s: write: %w", m.cfg.name, err)
		}
		b = b[n:]
	}
	return nil
}
