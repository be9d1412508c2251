package gpio

import (
	"fmt"
	"sync"
)

// SimChip is a GPIO chip made of in-memory lines. It behaves like the
// Linux chip (one request per line, edges on input changes, errors after
// close), and lets a test or the status page read every output and press
// every button.
type SimChip struct {
	label string

	mu     sync.Mutex
	closed bool
	lines  map[string]*simLine // by LineSpec.Name
	writes int
}

type simLine struct {
	spec   LineSpec
	output bool
	active bool
	edge   func(pressed bool)
	closed bool
}

// NewSimChip returns an empty simulated chip.
func NewSimChip(label string) *SimChip {
	return &SimChip{label: label, lines: map[string]*simLine{}}
}

// Label names the chip.
func (c *SimChip) Label() string { return c.label }

// Simulated is always true.
func (c *SimChip) Simulated() bool { return true }

func (c *SimChip) add(spec LineSpec, output, active bool, edge func(bool)) (*simLine, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if l, ok := c.lines[spec.Name]; ok && !l.closed {
		return nil, fmt.Errorf("line %q already requested", spec.Name)
	}
	l := &simLine{spec: spec, output: output, active: active, edge: edge}
	c.lines[spec.Name] = l
	return l, nil
}

// Output requests an output line.
func (c *SimChip) Output(spec LineSpec, active bool) (Output, error) {
	l, err := c.add(spec, true, active, nil)
	if err != nil {
		return nil, err
	}
	return simOutput{c: c, l: l}, nil
}

// Input requests an input line, released (inactive) at first.
func (c *SimChip) Input(spec LineSpec, edge func(pressed bool)) (Input, error) {
	l, err := c.add(spec, false, false, edge)
	if err != nil {
		return nil, err
	}
	return simInput{c: c, l: l}, nil
}

// Close releases the chip.
func (c *SimChip) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

// Active reports the active level of the line called name (lit LED, closed
// relay, pressed button); ok is false when no such line is requested.
func (c *SimChip) Active(name string) (active, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, found := c.lines[name]
	if !found || l.closed {
		return false, false
	}
	return l.active, true
}

// Level is the physical level of the line: Active inverted for active-low
// lines, as a meter on the pin would read.
func (c *SimChip) Level(name string) (high, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, found := c.lines[name]
	if !found || l.closed {
		return false, false
	}
	return l.active != l.spec.ActiveLow, true
}

// Writes counts the level changes written to outputs, so a test can see
// that an LED is not rewritten when its level stays the same.
func (c *SimChip) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// Press sets the input line called name active, as a finger on the button
// would, and delivers the edge.
func (c *SimChip) Press(name string) error { return c.drive(name, true) }

// Release sets the input line called name inactive and delivers the edge.
func (c *SimChip) Release(name string) error { return c.drive(name, false) }

func (c *SimChip) drive(name string, active bool) error {
	c.mu.Lock()
	l, ok := c.lines[name]
	if !ok || l.closed || l.output {
		c.mu.Unlock()
		return fmt.Errorf("%w: input %q", ErrNoLine, name)
	}
	changed := l.active != active
	l.active = active
	edge := l.edge
	c.mu.Unlock()
	// Like the kernel, report changes only; call outside the lock because
	// the handler may read the line.
	if changed && edge != nil {
		edge(active)
	}
	return nil
}

type simOutput struct {
	c *SimChip
	l *simLine
}

func (o simOutput) Set(active bool) error {
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	if o.l.closed || o.c.closed {
		return ErrClosed
	}
	o.l.active = active
	o.c.writes++
	return nil
}

func (o simOutput) Close() error {
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	o.l.closed = true
	return nil
}

type simInput struct {
	c *SimChip
	l *simLine
}

func (i simInput) Active() (bool, error) {
	i.c.mu.Lock()
	defer i.c.mu.Unlock()
	if i.l.closed || i.c.closed {
		return false, ErrClosed
	}
	return i.l.active, nil
}

func (i simInput) Close() error {
	i.c.mu.Lock()
	defer i.c.mu.Unlock()
	i.l.closed = true
	return nil
}
