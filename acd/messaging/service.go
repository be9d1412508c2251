package messaging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"callbox/acd"
	"callbox/drivers/modem"
	"callbox/drivers/modem/outbox"
	"callbox/firmware/store"
)

// ErrNoStore is a Config without a store.
var ErrNoStore = errors.New("messaging: no store configured")

// ErrStoreClosed ends Run when the store's change feed closes under it.
var ErrStoreClosed = errors.New("messaging: store change feed closed")

// sweepEvery is how often every queued message is looked at again.
const sweepEvery = time.Minute

// DefaultBaud is the serial speed of a modem whose device names none.
const DefaultBaud = 115200

// Config configures the service.
type Config struct {
	Store *store.Store // required
	// DataDir holds fax images and documents; "" is DataDir(Store).
	DataDir string
	// Bus, when set, brings CallEnded events for missed-call SMS, and
	// carries an acd.MessageReceived for every inbound SMS and fax once
	// it is stored and routed (acd/cti passes it to the agent console).
	Bus *acd.Bus
	// Rules are the auto-reply rules, first match wins (SetRules changes
	// them while running). Invalid rules are refused by New.
	Rules []Rule
	// Notify turns the automatic SMS on.
	Notify Notifications
	// LocalID is the fax station ID of a line without a Number.
	LocalID string
	// Open opens a line's modem. The default opens the serial device
	// named by Line.Device, "/dev/ttyUSB0" or "/dev/ttyUSB0@57600".
	Open func(ctx context.Context, l store.Line) (io.ReadWriteCloser, error)
	// PowerCycle, when set, cuts and restores a modem's power (a GPIO
	// relay): the last step of recovering a modem that stopped answering.
	PowerCycle func(ctx context.Context, line string) error
	// Assign, when set, picks the agent for a conversation nobody holds
	// yet, from the live state of its queue (logged in, not paused);
	// "" leaves it for an agent to claim. It runs on a modem's
	// goroutine and must answer quickly.
	Assign func(ctx context.Context, queue string, c Conversation) string
	// RetryDelays are the waits between send attempts (default: the
	// outbox's, 30 s up to 30 min).
	RetryDelays []time.Duration
	// ModemOptions are added to every modem (timeouts, health interval).
	ModemOptions []modem.Option
	Clock        outbox.Clock // default outbox.RealClock
	Logger       *slog.Logger // nil discards
}

// Notifications are the SMS the box sends on its own, in the customer's
// language (message catalogue keys messaging.notify.*).
type Notifications struct {
	// MissedCall texts an outside caller whose call nobody answered.
	MissedCall bool `json:"missedCall"`
	// Callback texts a caller whose callback was scheduled.
	Callback bool `json:"callback"`
}

// Service runs the box's modems and routes their messages.
type Service struct {
	cfg     Config
	st      *store.Store
	dataDir string
	clock   outbox.Clock
	log     *slog.Logger
	ready   chan string // a line's services started: assign waiting messages

	mu       sync.Mutex
	rules    []Rule
	lines    map[string]*line
	notified map[string]time.Time // number or callback ID -> when texted
}

// New checks cfg and returns the service; Run starts it.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, ErrNoStore
	}
	for _, r := range cfg.Rules {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("rule %q: %w", r.Name, err)
		}
	}
	s := &Service{cfg: cfg, st: cfg.Store, dataDir: cfg.DataDir, clock: cfg.Clock, log: cfg.Logger,
		ready: make(chan string, 16), rules: slices.Clone(cfg.Rules), lines: map[string]*line{},
		notified: map[string]time.Time{}}
	if s.dataDir == "" {
		s.dataDir = DataDir(cfg.Store)
	}
	if s.clock == nil {
		s.clock = outbox.RealClock
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Open == nil {
		s.cfg.Open = openSerial
	}
	return s, nil
}

// Name implements the firmware service.
func (s *Service) Name() string { return "messaging" }

// SetRules replaces the auto-reply rules; invalid rules are refused and
// the old ones kept.
func (s *Service) SetRules(rules []Rule) error {
	for _, r := range rules {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("rule %q: %w", r.Name, err)
		}
	}
	s.mu.Lock()
	s.rules = slices.Clone(rules)
	s.mu.Unlock()
	return nil
}

// SendSMS queues a text for number; any SMS modem sends it, with retries,
// and the record's state says how it ended.
func (s *Service) SendSMS(ctx context.Context, number, text string) (store.Message, error) {
	if err := ctx.Err(); err != nil {
		return store.Message{}, err
	}
	return queueSMS(s.st, s.clock.Now(), "", number, text, "")
}

// SendFax queues an uploaded fax document for number on a fax modem: the
// IVR's send-fax node (fax-on-demand) calls it with the caller's number.
func (s *Service) SendFax(ctx context.Context, number, document string) error {
	_, err := queueFax(ctx, s.st, s.dataDir, s.clock.Now(), number, document, "")
	return err
}

// Run opens the configured modems and routes messages until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer s.stopLines()
	defer cancel()
	changes, fresh := s.st.Subscribe(ctx, s.st.Seq()), false
	var events <-chan acd.Event
	if s.cfg.Bus != nil {
		events = s.cfg.Bus.Subscribe(ctx, acd.WithName("messaging"))
	}
	if err := s.reconcile(ctx); err != nil {
		return err
	}
	s.dispatchAll()
	sweep := s.clock.After(sweepEvery)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep:
			// The feed is the fast path; this catches what it cannot
			// (a change dropped for a slow subscriber, a line that came
			// back while nothing was written).
			s.dispatchAll()
			sweep = s.clock.After(sweepEvery)
		case c, ok := <-changes:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				if fresh {
					return ErrStoreClosed
				}
				// Dropped for falling behind the kept log: catch up from
				// the records themselves. A closed store closes the new
				// feed at once, which ends Run above.
				s.log.Warn("store feed dropped; reading lines and queue again")
				changes, fresh = s.st.Subscribe(ctx, s.st.Seq()), true
				if err := s.reconcile(ctx); err != nil {
					return err
				}
				s.dispatchAll()
				continue
			}
			fresh = false
			s.onChange(ctx, c)
		case e, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if end, isEnd := e.(acd.CallEnded); isEnd {
				s.onCallEnded(end.Call)
			}
		case <-s.ready:
			s.dispatchAll()
		}
	}
}

func (s *Service) onChange(ctx context.Context, c store.Change) {
	switch c.Kind {
	case store.KindLine:
		if err := s.reconcile(ctx); err != nil {
			s.log.Error("applying line changes", "err", err)
		}
		s.dispatchAll()
	case store.KindMessage:
		if c.Op != store.OpPut {
			return
		}
		m, err := store.Get[store.Message](s.st, c.Key)
		if err != nil {
			return // gone again
		}
		s.dispatch(m)
	case store.KindCallback:
		if c.Op == store.OpPut {
			s.onCallback(c.Key)
		}
	}
}

// dispatchAll gives every queued message without a working line one.
func (s *Service) dispatchAll() {
	var queued []store.Message
	err := store.ListFunc(s.st, "", func(m store.Message) bool {
		if m.Direction == store.DirectionOut && m.State == store.StateQueued {
			queued = append(queued, m)
		}
		return true
	})
	if err != nil {
		s.log.Error("listing queued messages", "err", err)
		return
	}
	for _, m := range queued {
		s.dispatch(m)
	}
}

// dispatch wakes the line of a queued message, or gives the message a line
// when it has none, its line is gone, or its line cannot carry it.
func (s *Service) dispatch(m store.Message) {
	if m.Direction != store.DirectionOut || m.State != store.StateQueued {
		return
	}
	s.mu.Lock()
	l := s.lines[m.Line]
	s.mu.Unlock()
	now := s.clock.Now()
	moving := false
	if l != nil {
		switch l.carries(m.Channel) {
		case roleYes:
			if !m.NextAttempt.After(now) {
				l.kick(m.Channel)
				return
			}
			// A message waiting for a retry on a modem in alarm moves to
			// one that works. Only one not due soon: its outbox then
			// leaves it alone, and cannot write its old line back.
			if l.modemState() != modem.StateAlarm || !m.NextAttempt.After(now.Add(moveMargin)) {
				return
			}
			moving = true
		case roleUnknown:
			return // its modem is still starting
		}
	}
	to := s.pick(m.Channel)
	if to == "" || to == m.Line || (moving && s.lineState(to) != modem.StateReady) {
		return // waits for a modem that can send it
	}
	_, err := store.Update(s.st, m.ID, func(cur *store.Message) error {
		if cur.State != store.StateQueued || cur.Line != m.Line || (moving && !cur.NextAttempt.After(now.Add(moveMargin))) {
			return errMoved
		}
		cur.Line = to
		if moving {
			cur.NextAttempt = now // the new modem works: no reason to wait
		}
		return nil
	})
	if err != nil && !errors.Is(err, errMoved) && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("assigning a line to a queued message", "id", m.ID, "err", err)
		return
	}
	if err == nil {
		s.log.Info("queued message assigned to a line", "id", m.ID, "channel", m.Channel, "from", m.Line, "line", to)
	}
}

var errMoved = errors.New("message moved on")

// moveMargin is how far off a retry must be for its message to be moved
// from a modem in alarm.
const moveMargin = 2 * time.Second

// pick chooses the line for a message of channel: a ready modem with the
// role first, then one with the role that is recovering; by line ID.
func (s *Service) pick(ch store.Channel) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.lines))
	for id := range s.lines {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	fallback := ""
	for _, id := range ids {
		l := s.lines[id]
		if l.carries(ch) != roleYes {
			continue
		}
		if l.modemState() == modem.StateReady {
			return id
		}
		if fallback == "" {
			fallback = id
		}
	}
	return fallback
}

func (s *Service) lineState(id string) modem.State {
	s.mu.Lock()
	l := s.lines[id]
	s.mu.Unlock()
	if l == nil {
		return modem.StateStopped
	}
	return l.modemState()
}

// ModemStatus is one modem line on the status page.
type ModemStatus struct {
	Line   string `json:"line"`
	Name   string `json:"name,omitempty"`
	Device string `json:"device"`
	SMS    bool   `json:"sms"`
	Fax    bool   `json:"fax"`
	// Modem is the driver's view: state, model, signal, SIM, last error,
	// resets, line noise.
	Modem modem.Status `json:"modem"`
	// Error is why the line is not running (a device that does not open).
	Error string `json:"error,omitempty"`
}

// Status returns every configured modem line, by line ID.
func (s *Service) Status() []ModemStatus {
	s.mu.Lock()
	ls := make([]*line, 0, len(s.lines))
	for _, l := range s.lines {
		ls = append(ls, l)
	}
	s.mu.Unlock()
	out := make([]ModemStatus, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.status())
	}
	slices.SortFunc(out, func(a, b ModemStatus) int { return strings.Compare(a.Line, b.Line) })
	return out
}

// openSerial opens Line.Device, "path" or "path@baud".
func openSerial(_ context.Context, l store.Line) (io.ReadWriteCloser, error) {
	path, baud := l.Device, DefaultBaud
	if p, b, ok := strings.Cut(l.Device, "@"); ok {
		n, err := strconv.Atoi(b)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("messaging: bad baud rate in device %q", l.Device)
		}
		path, baud = p, n
	}
	return modem.OpenSerial(path, baud)
}
