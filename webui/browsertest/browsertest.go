// Package browsertest starts the headless Chromium that the web UI's
// browser tests drive with chromedp: webui's own tests against its
// handlers and cmd/callbox's against the built binary. Only tests import
// it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Width and Height are the window's size: the smallest screen the UI
// must suit.
const (
	Width  = 1366
	Height = 768
)

// Path returns Debian's chromium, or "" when it is not installed.
func Path() string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("chromium")
	return p
}

// Need returns chromium's path; without it the test is skipped, or fails
// when CALLBOX_REQUIRE_E2E=1 (as in make test).
func Need(t testing.TB) string {
	t.Helper()
	p := Path()
	if p == "" {
		if os.Getenv("CALLBOX_REQUIRE_E2E") == "1" {
			t.Fatal("chromium is required (CALLBOX_REQUIRE_E2E=1) but not installed")
		}
		t.Skip("chromium not installed")
	}
	return p
}

// Start starts a headless chromium with a fresh profile and a Width x
// Height window, and returns the context of its first tab, which owns the
// browser process; t's cleanup stops the browser and removes what it
// left. Media plays without a click, as on an agent's console.
func Start(t testing.TB) context.Context {
	t.Helper()
	path := Need(t)
	// Chromium puts its profile's singleton socket in a directory of its
	// own under TMPDIR, which a killed browser leaves behind; a socket's
	// path must be short (108 bytes), so not t.TempDir.
	tmp, err := os.MkdirTemp("", "cbchr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Env("TMPDIR=" + tmp),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(Width, Height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(Width, Height)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}
