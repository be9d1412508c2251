package linecard

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"callbox/media/g711"
)

// ProbeConfig says where to look for lines and what to simulate when
// there are none.
type ProbeConfig struct {
	// Dir is the DAHDI device directory (default /dev/dahdi).
	Dir string
	// Law is the companding law of the real lines (default A-law).
	Law g711.Law
	// Sim configures the fallback simulator.
	Sim SimConfig
	// Logger gets what was found.
	Logger *slog.Logger
}

// Lines is what Probe found.
type Lines struct {
	Channels []Channel
	// Sim is the simulator when no hardware was found, nil otherwise.
	Sim *Sim
}

// Close closes every channel.
func (l *Lines) Close() error {
	if l.Sim != nil {
		return l.Sim.Close()
	}
	var errs []error
	for _, c := range l.Channels {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Probe opens every DAHDI channel under Dir/chan (the device nodes'
// minor numbers are the channel numbers) and, when there is no DAHDI
// hardware, starts the simulator instead.
func Probe(cfg ProbeConfig) (*Lines, error) {
	if cfg.Dir == "" {
		cfg.Dir = DefaultDAHDIDir
	}
	if cfg.Law == 0 {
		cfg.Law = g711.Alaw
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	nums, err := dahdiChannels(cfg.Dir)
	if err == nil && len(nums) > 0 {
		var out Lines
		for _, n := range nums {
			ch, err := OpenDAHDI(n, WithDir(cfg.Dir), WithLaw(cfg.Law), WithDAHDILogger(cfg.Logger))
			if err != nil {
				out.Close()
				return nil, err
			}
			out.Channels = append(out.Channels, ch)
		}
		cfg.Logger.Info("linecard: DAHDI channels found", "count", len(nums))
		return &out, nil
	}
	if err != nil && !errors.Is(err, ErrNoHardware) {
		return nil, err
	}
	sim, err := NewSim(cfg.Sim)
	if err != nil {
		return nil, err
	}
	cfg.Logger.Info("linecard: no DAHDI hardware; simulated lines", "count", len(sim.lines))
	return &Lines{Channels: sim.Channels(), Sim: sim}, nil
}

// dahdiChannels lists the channel numbers of Dir/chan/<span>/<pos>.
func dahdiChannels(dir string) ([]int, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoHardware
	}
	paths, err := filepath.Glob(filepath.Join(dir, "chan", "*", "*"))
	if err != nil {
		return nil, fmt.Errorf("linecard: %w", err)
	}
	var nums []int
	for _, p := range paths {
		n, ok := channelNumber(p)
		if ok {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	return nums, nil
}
