package gpio

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gpioSimRoot is the configfs directory of the kernel's gpio-sim module,
// which makes real GPIO character devices backed by software.
const gpioSimRoot = "/sys/kernel/config/gpio-sim"

// newGpioSimChip makes a 32-line gpio-sim chip and returns its device path
// and the sysfs directory of its lines, or skips when the kernel lacks
// gpio-sim (as on the build VM: no configfs, no modules).
func newGpioSimChip(t *testing.T) (dev, sysfs string) {
	t.Helper()
	if _, err := os.Stat(gpioSimRoot); err != nil {
		t.Skipf("gpio-sim is not available (%v): the Linux chip is tested through its error paths only", err)
	}
	dir := filepath.Join(gpioSimRoot, "callbox-test")
	bank := filepath.Join(dir, "bank0")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(dir, 0o755))
	t.Cleanup(func() {
		os.WriteFile(filepath.Join(dir, "live"), []byte("0"), 0o644)
		os.Remove(bank)
		os.Remove(dir)
	})
	must(os.Mkdir(bank, 0o755))
	must(os.WriteFile(filepath.Join(bank, "num_lines"), []byte("32"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "live"), []byte("1"), 0o644))
	chipName, err := os.ReadFile(filepath.Join(bank, "chip_name"))
	must(err)
	devName, err := os.ReadFile(filepath.Join(dir, "dev_name"))
	must(err)
	name := strings.TrimSpace(string(chipName))
	return "/dev/" + name, filepath.Join("/sys/devices/platform", strings.TrimSpace(string(devName)), name)
}

func TestLinuxChip_DrivesGpioSimLines(t *testing.T) {
	dev, sysfs := newGpioSimChip(t)
	// The board's pull-up holds the active-low button released at rest.
	os.WriteFile(filepath.Join(sysfs, "sim_gpio23", "pull"), []byte("pull-up"), 0o644)
	b, err := Probe(context.Background(), ProbeConfig{Layout: Layout{Name: "t", Chip: dev, Lines: DefaultLayout.Lines}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Chip().Simulated() {
		t.Fatalf("fell back to the simulator: %s", b.Note())
	}
	led, _ := b.LED("status")
	if err := led.Set(On); err != nil {
		t.Fatal(err)
	}
	v, _ := os.ReadFile(filepath.Join(sysfs, "sim_gpio17", "value"))
	if strings.TrimSpace(string(v)) != "1" {
		t.Fatalf("LED line value %q", v)
	}
	// Pulling the active-low button line down is a press.
	os.WriteFile(filepath.Join(sysfs, "sim_gpio23", "pull"), []byte("pull-down"), 0o644)
	select {
	case e := <-b.Events():
		if e.Name != "reset" || !e.Pressed {
			t.Fatalf("edge %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no edge from gpio-sim")
	}
}
