package gpio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// eventBuffer is how many button edges wait for a reader before new ones
// are dropped: a person pressing a button cannot outrun it.
const eventBuffer = 32

// Option configures a Board.
type Option func(*Board)

// WithClock sets the clock LED patterns are timed by.
func WithClock(now func() time.Time) Option { return func(b *Board) { b.now = now } }

// WithLogger sets where the board logs.
func WithLogger(l *slog.Logger) Option { return func(b *Board) { b.log = l } }

// Board is the lines of a Layout opened on a Chip, by name.
type Board struct {
	chip   Chip
	layout Layout
	now    func() time.Time
	log    *slog.Logger
	note   string // why the simulator stands in, if it does

	mu      sync.Mutex
	closed  bool
	leds    map[string]*LED
	relays  map[string]*Relay
	buttons map[string]*Button
	wake    chan struct{} // an LED pattern changed: Run recomputes its timer
	events  chan Edge
	dropped int
}

// Open requests every line of layout on chip. On error nothing stays
// requested and chip is left open for the caller to close.
func Open(chip Chip, layout Layout, opts ...Option) (*Board, error) {
	if err := layout.Validate(); err != nil {
		return nil, err
	}
	b := &Board{
		chip: chip, layout: layout, now: time.Now, log: slog.New(slog.DiscardHandler),
		leds: map[string]*LED{}, relays: map[string]*Relay{}, buttons: map[string]*Button{},
		wake: make(chan struct{}, 1), events: make(chan Edge, eventBuffer),
	}
	for _, o := range opts {
		o(b)
	}
	for _, spec := range layout.Lines {
		if err := b.request(spec); err != nil {
			b.closeLines()
			return nil, fmt.Errorf("gpio: %s line %q on %s: %w", spec.Kind, spec.Name, chip.Label(), err)
		}
	}
	return b, nil
}

func (b *Board) request(spec LineSpec) error {
	switch spec.Kind {
	case KindLED:
		out, err := b.chip.Output(spec, false)
		if err != nil {
			return err
		}
		// The line was requested dark, which is what Off shows.
		b.leds[spec.Name] = &LED{b: b, name: spec.Name, out: out, pattern: Off, since: b.now(), applied: true}
	case KindRelay:
		out, err := b.chip.Output(spec, false)
		if err != nil {
			return err
		}
		b.relays[spec.Name] = &Relay{b: b, name: spec.Name, out: out}
	case KindButton:
		btn := &Button{name: spec.Name}
		in, err := b.chip.Input(spec, func(pressed bool) { b.edge(spec.Name, pressed) })
		if err != nil {
			return err
		}
		btn.in = in
		b.buttons[spec.Name] = btn
	}
	return nil
}

// Name is the service name the supervisor shows.
func (b *Board) Name() string { return "gpio" }

// Chip returns the chip the board runs on.
func (b *Board) Chip() Chip { return b.chip }

// Note says why the simulator stands in for hardware, or "" when it does
// not.
func (b *Board) Note() string { return b.note }

// LED returns the LED called name.
func (b *Board) LED(name string) (*LED, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.leds[name]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("%w: LED %q", ErrNoLine, name)
}

// Relay returns the relay called name.
func (b *Board) Relay(name string) (*Relay, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.relays[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("%w: relay %q", ErrNoLine, name)
}

// Button returns the button called name.
func (b *Board) Button(name string) (*Button, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if btn, ok := b.buttons[name]; ok {
		return btn, nil
	}
	return nil, fmt.Errorf("%w: button %q", ErrNoLine, name)
}

// Events delivers button edges in the order they happened. Edges that find
// the buffer full are dropped and counted (see Dropped).
func (b *Board) Events() <-chan Edge { return b.events }

// Dropped counts the edges lost because nobody read Events in time.
func (b *Board) Dropped() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

func (b *Board) edge(name string, pressed bool) {
	e := Edge{Name: name, Pressed: pressed, At: b.now()}
	b.mu.Lock()
	defer b.mu.Unlock()
	if btn, ok := b.buttons[name]; ok {
		btn.mu.Lock()
		btn.pressed = pressed
		btn.mu.Unlock()
	}
	if b.closed {
		return
	}
	select {
	case b.events <- e:
	default:
		b.dropped++
	}
}

// LineState is one line as the status page shows it.
type LineState struct {
	Name   string `json:"name"`
	Kind   Kind   `json:"kind"`
	Active bool   `json:"active"`           // lit, closed or pressed right now
	Detail string `json:"detail,omitempty"` // the LED pattern's name
}

// State lists every line, sorted by kind then name.
func (b *Board) State() []LineState {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []LineState
	for _, l := range b.leds {
		l.mu.Lock()
		lit, _ := l.pattern.Active(now.Sub(l.since))
		out = append(out, LineState{Name: l.name, Kind: KindLED, Active: lit, Detail: l.pattern.Name})
		l.mu.Unlock()
	}
	for _, r := range b.relays {
		r.mu.Lock()
		out = append(out, LineState{Name: r.name, Kind: KindRelay, Active: r.closed})
		r.mu.Unlock()
	}
	for _, btn := range b.buttons {
		btn.mu.Lock()
		out = append(out, LineState{Name: btn.name, Kind: KindButton, Active: btn.pressed})
		btn.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Summary is State in one line for people: "led status=heartbeat, relay
// bypass=open, button reset=released".
func (b *Board) Summary() string {
	var parts []string
	for _, s := range b.State() {
		v := s.Detail
		switch s.Kind {
		case KindRelay:
			v = map[bool]string{true: "closed", false: "open"}[s.Active]
		case KindButton:
			v = map[bool]string{true: "pressed", false: "released"}[s.Active]
		}
		parts = append(parts, fmt.Sprintf("%s %s=%s", s.Kind, s.Name, v))
	}
	return strings.Join(parts, ", ")
}

// Run paces blinking LEDs until ctx is done. It sleeps until the next LED
// transition, so a board with only steady LEDs does not wake up at all.
func (b *Board) Run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next, err := b.refresh(b.now())
		if err != nil {
			return err
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if next > 0 {
			timer.Reset(next)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-b.wake:
		case <-timer.C:
		}
	}
}

// refresh drives every LED to its level at now and returns how long until
// the next change (0: none pending).
func (b *Board) refresh(now time.Time) (time.Duration, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, ErrClosed
	}
	leds := make([]*LED, 0, len(b.leds))
	for _, l := range b.leds {
		leds = append(leds, l)
	}
	b.mu.Unlock()
	var next time.Duration
	var errs []error
	for _, l := range leds {
		holds, err := l.apply(now)
		if err != nil {
			errs = append(errs, err)
		}
		if holds > 0 && (next == 0 || holds < next) {
			next = holds
		}
	}
	return next, errors.Join(errs...)
}

func (b *Board) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Close releases every line and then the chip.
func (b *Board) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	err := b.closeLines()
	return errors.Join(err, b.chip.Close())
}

func (b *Board) closeLines() error {
	var errs []error
	for _, l := range b.leds {
		errs = append(errs, l.out.Close())
	}
	for _, r := range b.relays {
		errs = append(errs, r.out.Close())
	}
	for _, btn := range b.buttons {
		errs = append(errs, btn.in.Close())
	}
	return errors.Join(errs...)
}

// LED is an output line that shows a Pattern.
type LED struct {
	b    *Board
	name string
	out  Output

	mu      sync.Mutex
	pattern Pattern
	since   time.Time
	lit     bool
	applied bool
}

// Set shows p from now on. The first step of p shows at once.
func (l *LED) Set(p Pattern) error {
	now := l.b.now()
	l.mu.Lock()
	l.pattern, l.since = p, now
	l.mu.Unlock()
	_, err := l.apply(now)
	l.b.poke()
	return err
}

// Pattern returns what the LED shows.
func (l *LED) Pattern() Pattern {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pattern
}

// apply writes the level the pattern has at now, when it differs from the
// last level written, and returns how long that level holds.
func (l *LED) apply(now time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lit, holds := l.pattern.Active(now.Sub(l.since))
	if l.applied && lit == l.lit {
		return holds, nil
	}
	if err := l.out.Set(lit); err != nil {
		return holds, fmt.Errorf("gpio: LED %q: %w", l.name, err)
	}
	l.lit, l.applied = lit, true
	return holds, nil
}

// Relay is an output line that switches a contact.
type Relay struct {
	b    *Board
	name string
	out  Output

	mu     sync.Mutex
	closed bool
}

// Set closes (true) or opens (false) the contact.
func (r *Relay) Set(closed bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.out.Set(closed); err != nil {
		return fmt.Errorf("gpio: relay %q: %w", r.name, err)
	}
	r.closed = closed
	return nil
}

// Closed reports whether the contact is closed.
func (r *Relay) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Button is an input line with edge events (see Board.Events).
type Button struct {
	name string
	in   Input

	mu      sync.Mutex
	pressed bool
}

// Pressed reads the line now.
func (btn *Button) Pressed() (bool, error) {
	v, err := btn.in.Active()
	if err != nil {
		return false, fmt.Errorf("gpio: button %q: %w", btn.name, err)
	}
	btn.mu.Lock()
	btn.pressed = v
	btn.mu.Unlock()
	return v, nil
}
