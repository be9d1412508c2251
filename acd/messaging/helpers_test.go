package messaging_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/messaging"
	"callbox/drivers/modem"
	"callbox/drivers/modem/fax"
	"callbox/drivers/modem/modemsim"
	"callbox/firmware/store"
)

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

// box is the appliance side: a store with modem lines and the service.
type box struct {
	t    *testing.T
	dir  string
	st   *store.Store
	cfg  messaging.Config
	svc  *messaging.Service
	stop func() error
	done chan struct{} // closed when Run returns

	mu     sync.Mutex
	events []acd.MessageReceived
}

// evKind tells the inbound message events apart as the console does.
type evKind string

const (
	kindSMS       evKind = "sms"       // an SMS for the agents
	kindAutoReply evKind = "autoreply" // an SMS a rule answered
	kindFax       evKind = "fax"
)

func kindOf(e acd.MessageReceived) evKind {
	switch {
	case e.Channel == acd.MessageFax:
		return kindFax
	case e.Rule != "":
		return kindAutoReply
	}
	return kindSMS
}

func newBox(t *testing.T, cfg messaging.Config) *box {
	t.Helper()
	b := &box{t: t, dir: t.TempDir(), cfg: cfg}
	b.open()
	return b
}

func (b *box) open() {
	b.t.Helper()
	st, err := store.Open(filepath.Join(b.dir, "callbox.db"))
	if err != nil {
		b.t.Fatal(err)
	}
	b.st = st
	b.t.Cleanup(func() { st.Close() })
}

// addLine configures a modem line on the simulated modem.
func (b *box) addLine(id string, sim *modemsim.Modem, route string) {
	b.t.Helper()
	l := store.Line{ID: id, Type: store.LineGSM, Device: sim.Path(), Number: sim.Number(), Route: route, Enabled: true}
	if _, err := store.Put(b.st, l); err != nil {
		b.t.Fatal(err)
	}
}

// start runs the service; b.stop ends it and returns what Run returned.
func (b *box) start() {
	b.t.Helper()
	cfg := b.cfg
	cfg.Store = b.st
	if cfg.Bus == nil {
		cfg.Bus = acd.NewBus()
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	}
	cfg.ModemOptions = append(cfg.ModemOptions, modem.WithTimeout(time.Second))
	svc, err := messaging.New(cfg)
	if err != nil {
		b.t.Fatal(err)
	}
	b.svc = svc
	ctx, cancel := context.WithCancel(context.Background())
	// The console's view: every inbound message event on the bus.
	events := cfg.Bus.Subscribe(ctx, acd.WithName("test"))
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for e := range events {
			if m, ok := e.(acd.MessageReceived); ok {
				b.mu.Lock()
				b.events = append(b.events, m)
				b.mu.Unlock()
			}
		}
	}()
	b.done = make(chan struct{})
	var runErr error
	go func() { runErr = svc.Run(ctx); close(b.done) }()
	b.stop = func() error {
		cancel()
		<-b.done
		<-collected
		return runErr
	}
	b.t.Cleanup(func() { b.stop() })
}

// running reports whether Run is still going (it must never end on its
// own).
func (b *box) running() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

func (b *box) eventsOf(kind evKind) []acd.MessageReceived {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []acd.MessageReceived
	for _, e := range b.events {
		if kindOf(e) == kind {
			out = append(out, e)
		}
	}
	return out
}

// lineUp waits until the line's modem is probed with the given roles.
func (b *box) lineUp(id string, sms, fax bool) {
	b.t.Helper()
	waitFor(b.t, "line "+id+" up", func() bool {
		for _, s := range b.svc.Status() {
			if s.Line == id && s.SMS == sms && s.Fax == fax && s.Modem.State == modem.StateReady {
				return true
			}
		}
		return false
	})
}

func (b *box) message(id string) store.Message {
	b.t.Helper()
	m, err := store.Get[store.Message](b.st, id)
	if err != nil {
		b.t.Fatal(err)
	}
	return m
}

// station is a fax machine outside the box: a simulated fax modem with
// the driver and the fax service on it.
type station struct {
	sim *modemsim.Modem
	st  *store.Store
	dir string
	svc *fax.Service

	mu    sync.Mutex
	inbox []store.Message
}

func newStation(t *testing.T, net *modemsim.Network, number string) *station {
	t.Helper()
	sim, err := net.Add(modemsim.Config{Number: number, Fax: true, Manufacturer: "USRobotics", Model: "Courier"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	s := &station{sim: sim, dir: t.TempDir()}
	if s.st, err = store.Open(filepath.Join(s.dir, "station.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.st.Close() })
	port, err := modem.OpenSerial(sim.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	m := modem.New(port, modem.WithName("fax0"), modem.WithInit(fax.InitCommands...))
	s.svc = fax.NewService(m, s.st, "fax0", s.dir, number, fax.WithRetryDelays(50*time.Millisecond),
		fax.WithHandler(func(_ context.Context, msg store.Message, _ fax.Received) {
			s.mu.Lock()
			s.inbox = append(s.inbox, msg)
			s.mu.Unlock()
		}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); m.Run(ctx) }()
	waitFor(t, "station modem ready", func() bool { return m.State() == modem.StateReady })
	go func() { defer wg.Done(); s.svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s
}

func (s *station) received() []store.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.Message(nil), s.inbox...)
}
