package gpio

import (
	"errors"
	"fmt"
	"time"
)

// Named errors.
var (
	// ErrNoLine means a board has no line of that name and kind, or a chip
	// has no line at that offset or with that kernel name.
	ErrNoLine = errors.New("gpio: no such line")
	// ErrBadLayout means a Layout fails validation.
	ErrBadLayout = errors.New("gpio: bad board layout")
	// ErrClosed means the board or line was closed.
	ErrClosed = errors.New("gpio: closed")
	// ErrNoChip means no GPIO character device was found or it cannot be used.
	ErrNoChip = errors.New("gpio: no usable GPIO chip")
)

// Kind is what a line drives or senses.
type Kind string

// The kinds of line a board has.
const (
	KindLED    Kind = "led"
	KindRelay  Kind = "relay"
	KindButton Kind = "button"
)

// LineSpec describes one line of a board.
type LineSpec struct {
	Name string // the role the firmware asks for: "status", "bypass", "reset"
	Kind Kind
	// Line is the kernel's name for the line (gpio-line-names in the device
	// tree). When set, the line is looked up by this name and Offset is
	// ignored; when empty, Offset selects the line.
	Line      string
	Offset    int
	ActiveLow bool // the LED lights, the relay closes or the button reads pressed at low level
}

// Layout describes a board: which chip, and what each used line does.
type Layout struct {
	Name  string
	Chip  string // device name or path, "gpiochip0"; empty means the first chip found
	Lines []LineSpec
}

// DefaultLayout is the callbox front panel: a status LED, a line-activity
// LED, the PSTN bypass relay (lines pass through to an emergency phone
// while the box is down) and the recessed reset button.
var DefaultLayout = Layout{
	Name: "callbox-front-panel",
	Lines: []LineSpec{
		{Name: "status", Kind: KindLED, Offset: 17},
		{Name: "lines", Kind: KindLED, Offset: 27},
		{Name: "bypass", Kind: KindRelay, Offset: 22},
		{Name: "reset", Kind: KindButton, Offset: 23, ActiveLow: true},
	},
}

// Validate checks that every line has a name, a known kind, a line name or
// a non-negative offset, and that neither names nor chip lines repeat.
func (l Layout) Validate() error {
	names := map[string]bool{}
	lineNames := map[string]bool{}
	offsets := map[int]bool{}
	for i, s := range l.Lines {
		switch {
		case s.Name == "":
			return fmt.Errorf("%w: line %d has no name", ErrBadLayout, i)
		case s.Kind != KindLED && s.Kind != KindRelay && s.Kind != KindButton:
			return fmt.Errorf("%w: line %q has unknown kind %q", ErrBadLayout, s.Name, s.Kind)
		case names[s.Name]:
			return fmt.Errorf("%w: line name %q repeats", ErrBadLayout, s.Name)
		}
		names[s.Name] = true
		if s.Line != "" {
			if lineNames[s.Line] {
				return fmt.Errorf("%w: chip line %q used twice", ErrBadLayout, s.Line)
			}
			lineNames[s.Line] = true
			continue
		}
		if s.Offset < 0 {
			return fmt.Errorf("%w: line %q has negative offset %d", ErrBadLayout, s.Name, s.Offset)
		}
		if offsets[s.Offset] {
			return fmt.Errorf("%w: offset %d used twice", ErrBadLayout, s.Offset)
		}
		offsets[s.Offset] = true
	}
	return nil
}

// Pattern is how an LED shows a state: steady, or a repeating sequence of
// on and off times.
type Pattern struct {
	Name string
	// Steps alternate on and off durations, starting with on. Empty means
	// steady at Steady.
	Steps  []time.Duration
	Steady bool
}

// The LED patterns. The status LED shows Booting while services start,
// Running while every service runs, and Fault while one is failing.
var (
	Off       = Pattern{Name: "off"}
	On        = Pattern{Name: "on", Steady: true}
	Blink     = Pattern{Name: "blink", Steps: []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}}
	FastBlink = Pattern{Name: "fast-blink", Steps: []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}}
	// Heartbeat is two short flashes a second: it shows the process is alive,
	// which a steady light cannot.
	Heartbeat = Pattern{Name: "heartbeat", Steps: []time.Duration{
		100 * time.Millisecond, 150 * time.Millisecond, 100 * time.Millisecond, 650 * time.Millisecond}}

	Booting = Blink
	Running = Heartbeat
	Fault   = FastBlink
)

// period is the length of one cycle of p, 0 for a steady pattern.
func (p Pattern) period() time.Duration {
	var sum time.Duration
	for _, s := range p.Steps {
		if s > 0 {
			sum += s
		}
	}
	return sum
}

// Active reports whether the LED is lit at elapsed time since p was set,
// and how long it stays that way (0 means forever).
func (p Pattern) Active(elapsed time.Duration) (lit bool, holds time.Duration) {
	period := p.period()
	if period == 0 {
		if len(p.Steps) > 0 {
			return false, 0
		}
		return p.Steady, 0
	}
	if elapsed < 0 {
		elapsed = 0
	}
	t := elapsed % period
	for i, s := range p.Steps {
		if s <= 0 {
			continue
		}
		if t < s {
			return i%2 == 0, s - t
		}
		t -= s
	}
	return false, period - t // not reached: t < period
}

// Edge is a button changing state.
type Edge struct {
	Name    string // the button's name in the layout
	Pressed bool   // true when it became pressed, false when released
	At      time.Time
}

// Chip is one GPIO controller: the Linux character device or the simulator.
type Chip interface {
	// Label names the chip for logs and the status page.
	Label() string
	// Simulated is true for SimChip.
	Simulated() bool
	// Output requests spec's line as an output at the given active level.
	Output(spec LineSpec, active bool) (Output, error)
	// Input requests spec's line as an input; edge is called from the
	// chip's own goroutine on every change of the active level.
	Input(spec LineSpec, edge func(pressed bool)) (Input, error)
	// Close releases the chip; lines must be closed first.
	Close() error
}

// Output is a requested output line.
type Output interface {
	Set(active bool) error
	Close() error
}

// Input is a requested input line.
type Input interface {
	Active() (bool, error)
	Close() error
}
