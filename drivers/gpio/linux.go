package gpio

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/warthog618/go-gpiocdev"
)

// consumer is how the kernel labels the lines callbox holds (gpioinfo
// shows it).
const consumer = "callbox"

// debounce filters contact bounce on buttons where the kernel supports it.
const debounce = 10 * time.Millisecond

// LinuxChip is a GPIO character device (/dev/gpiochipN) driven through the
// kernel's GPIO uAPI.
type LinuxChip struct {
	c    *gpiocdev.Chip
	path string
}

// OpenChip opens the GPIO character device at path ("gpiochip0" or
// "/dev/gpiochip0"). Errors wrap ErrNoChip.
func OpenChip(path string) (*LinuxChip, error) {
	if !strings.HasPrefix(path, "/") {
		path = filepath.Join("/dev", path)
	}
	c, err := gpiocdev.NewChip(path, gpiocdev.WithConsumer(consumer))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoChip, path, err)
	}
	return &LinuxChip{c: c, path: path}, nil
}

// Label names the chip by path and kernel label.
func (c *LinuxChip) Label() string {
	if c.c.Label == "" {
		return c.path
	}
	return c.path + " (" + c.c.Label + ")"
}

// Simulated is always false.
func (c *LinuxChip) Simulated() bool { return false }

// Output requests spec's line as an output.
func (c *LinuxChip) Output(spec LineSpec, active bool) (Output, error) {
	off, err := resolve(c.c, spec)
	if err != nil {
		return nil, err
	}
	opts := []gpiocdev.LineReqOption{gpiocdev.AsOutput(level(active))}
	if spec.ActiveLow {
		opts = append(opts, gpiocdev.AsActiveLow)
	}
	l, err := c.c.RequestLine(off, opts...)
	if err != nil {
		return nil, fmt.Errorf("request offset %d: %w", off, err)
	}
	return linuxOutput{l}, nil
}

// Input requests spec's line as an input reporting both edges.
func (c *LinuxChip) Input(spec LineSpec, edge func(pressed bool)) (Input, error) {
	off, err := resolve(c.c, spec)
	if err != nil {
		return nil, err
	}
	handler := func(e gpiocdev.LineEvent) { edge(e.Type == gpiocdev.LineEventRisingEdge) }
	opts := []gpiocdev.LineReqOption{gpiocdev.AsInput, gpiocdev.WithBothEdges, gpiocdev.WithEventHandler(handler)}
	if spec.ActiveLow {
		opts = append(opts, gpiocdev.AsActiveLow)
	}
	l, err := c.c.RequestLine(off, append(opts, gpiocdev.WithDebounce(debounce))...)
	if err != nil {
		// Debounce needs uAPI v2 and driver support; a button that bounces
		// is better than no button.
		l, err = c.c.RequestLine(off, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("request offset %d: %w", off, err)
	}
	return linuxInput{l}, nil
}

// Close releases the chip.
func (c *LinuxChip) Close() error { return c.c.Close() }

// lineLookup is what resolve needs from a chip, so the mapping from a
// layout to offsets is tested without a kernel.
type lineLookup interface {
	FindLine(name string) (int, error)
	Lines() int
}

// resolve finds the offset of spec's line on the chip: by kernel line name
// when the layout gives one, else by offset, checked against the chip.
func resolve(c lineLookup, spec LineSpec) (int, error) {
	if spec.Line != "" {
		off, err := c.FindLine(spec.Line)
		if err != nil {
			if errors.Is(err, gpiocdev.ErrNotFound) {
				return 0, fmt.Errorf("%w: no line named %q", ErrNoLine, spec.Line)
			}
			return 0, fmt.Errorf("find line %q: %w", spec.Line, err)
		}
		return off, nil
	}
	if spec.Offset < 0 || spec.Offset >= c.Lines() {
		return 0, fmt.Errorf("%w: offset %d (chip has %d lines)", ErrNoLine, spec.Offset, c.Lines())
	}
	return spec.Offset, nil
}

func level(active bool) int {
	if active {
		return 1
	}
	return 0
}

type linuxOutput struct{ l *gpiocdev.Line }

func (o linuxOutput) Set(active bool) error { return o.l.SetValue(level(active)) }
func (o linuxOutput) Close() error          { return o.l.Close() }

type linuxInput struct{ l *gpiocdev.Line }

func (i linuxInput) Active() (bool, error) {
	v, err := i.l.Value()
	return v == 1, err
}
func (i linuxInput) Close() error { return i.l.Close() }
