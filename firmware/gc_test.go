package firmware

import (
	"io"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

func TestSetGCPercent_SetsTheCollectorUnlessGOGCChoseOne(t *testing.T) {
	was := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(was) })

	t.Setenv("GOGC", "") // restored after the test
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	setGCPercent(DefaultGCPercent)
	if got := gcPercent(); got != DefaultGCPercent {
		t.Errorf("gc percent %d after setGCPercent(%d)", got, DefaultGCPercent)
	}
	setGCPercent(0)
	if got := gcPercent(); got != DefaultGCPercent {
		t.Errorf("setGCPercent(0) changed the collector to %d", got)
	}

	debug.SetGCPercent(-1)
	if got := gcPercent(); got != -1 {
		t.Errorf("collection off, read as %d", got)
	}
	debug.SetGCPercent(100)
	t.Setenv("GOGC", "100")
	setGCPercent(30)
	if got := gcPercent(); got != 100 {
		t.Errorf("GOGC=100 in the environment, yet the collector is at %d", got)
	}
}

func TestConfig_GCPercentOutsideItsRangeIsRefused(t *testing.T) {
	for _, p := range []int{-1, 5, 1001} {
		cfg := testConfig(t, t.TempDir(), io.Discard)
		cfg.GCPercent = p
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "--gc-percent") {
			t.Errorf("GCPercent %d: %v", p, err)
		}
	}
	for _, p := range []int{0, 10, 50, 1000} {
		cfg := testConfig(t, t.TempDir(), io.Discard)
		cfg.GCPercent = p
		if err := cfg.Validate(); err != nil {
			t.Errorf("GCPercent %d: %v", p, err)
		}
	}
}
