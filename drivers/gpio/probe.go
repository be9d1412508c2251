package gpio

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ProbeConfig tells Probe where to look.
type ProbeConfig struct {
	Layout Layout
	// DevDir is where GPIO character devices live; "" means /dev.
	DevDir string
	Logger *slog.Logger
	// Options are passed to Open.
	Options []Option
}

// Probe opens cfg.Layout on the GPIO chip the layout names, or on the first
// /dev/gpiochip* found. When there is no chip, or the chip cannot carry the
// layout (missing lines, no permission), it falls back to a SimChip and
// says why in Board.Note. Either way it logs which it chose. It fails only
// when the layout itself is invalid.
func Probe(ctx context.Context, cfg ProbeConfig) (*Board, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Layout.Validate(); err != nil {
		return nil, err
	}
	opts := append([]Option{WithLogger(log)}, cfg.Options...)
	chip, err := openChip(cfg.DevDir, cfg.Layout.Chip)
	if err != nil {
		return simulated(ctx, cfg, opts, log, err)
	}
	b, err := Open(chip, cfg.Layout, opts...)
	if err != nil {
		chip.Close()
		return simulated(ctx, cfg, opts, log, err)
	}
	log.InfoContext(ctx, "gpio: using hardware", "chip", chip.Label(), "layout", cfg.Layout.Name)
	return b, nil
}

func openChip(dir, name string) (*LinuxChip, error) {
	path, err := findChip(dir, name)
	if err != nil {
		return nil, err
	}
	return OpenChip(path)
}

func simulated(ctx context.Context, cfg ProbeConfig, opts []Option, log *slog.Logger, why error) (*Board, error) {
	b, err := Open(NewSimChip("simulator"), cfg.Layout, opts...)
	if err != nil {
		return nil, err
	}
	b.note = why.Error()
	log.InfoContext(ctx, "gpio: using the simulator", "reason", b.note, "layout", cfg.Layout.Name)
	return b, nil
}

// findChip returns the device path for name in dir, or the lowest-numbered
// gpiochip there when name is empty.
func findChip(dir, name string) (string, error) {
	if dir == "" {
		dir = "/dev"
	}
	if name != "" {
		if strings.HasPrefix(name, "/") {
			return name, nil
		}
		return filepath.Join(dir, name), nil
	}
	found, err := filepath.Glob(filepath.Join(dir, "gpiochip*"))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoChip, err)
	}
	if len(found) == 0 {
		return "", fmt.Errorf("%w: no gpiochip device in %s", ErrNoChip, dir)
	}
	// gpiochip10 sorts after gpiochip9.
	sort.Slice(found, func(i, j int) bool { return chipNumber(found[i]) < chipNumber(found[j]) })
	return found[0], nil
}

func chipNumber(path string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "gpiochip"))
	if err != nil {
		return 1 << 30
	}
	return n
}
