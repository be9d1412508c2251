package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/webui/browsertest"
)

// Helpers of the browser tests against the binary (ui_e2e_test.go,
// ui_tour_test.go): Debian's headless chromium driven with chromedp, one
// browser per test and one browser context (its own cookies) per person.

// uiPassword passes the store's strength rule.
const uiPassword = "Correct-Horse-7"

// uiWait bounds one browser step. It is generous because make test runs
// packages side by side on a two-core box; a step that passes takes a
// fraction of it.
const uiWait = 30 * time.Second

// needChromium returns chromium's path, skipping without it unless
// CALLBOX_REQUIRE_E2E=1.
func needChromium(t *testing.T) string { return browsertest.Need(t) }

// browser is one headless chromium; its tabs are separate people.
type browser struct {
	ctx context.Context // the first tab, which owns the browser process
}

// newBrowser starts chromium with a fresh profile; the test's cleanup
// stops it.
func newBrowser(t *testing.T) *browser { return &browser{ctx: browsertest.Start(t)} }

// person opens a tab in a browser context of its own, so that its
// session cookie is not shared with the other tabs.
func (b *browser) person(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// act runs browser actions with a bound on their time; a failure leaves
// a screenshot and the page's text in the log.
func act(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, uiWait)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		failPage(t, ctx, what, err)
	}
}

// navigate clicks sel and waits for the page it loads.
func navigate(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, uiWait)
	defer cancel()
	if _, err := chromedp.RunResponse(sctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		failPage(t, ctx, what, err)
	}
}

// failPage ends the test with what the page shows.
func failPage(t *testing.T, ctx context.Context, what string, err error) {
	t.Helper()
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	page, _ := chromedp.Run(qctx, chromedp.Evaluate[string](`location.href + "\n" +
		[...document.querySelectorAll("h1, .error, .notice, [role=alert]")].map(e => e.textContent.trim()).join("\n") + "\n" +
		[...document.querySelectorAll("body > *")].filter(e => e.tagName !== "SELECT").map(e => e.innerText).join("\n").slice(0, 1200)`))
	if dir := os.Getenv("CALLBOX_SCREENSHOTS"); dir != "" {
		if png, serr := chromedp.Run(qctx, chromedp.CaptureScreenshot()); serr == nil {
			_ = os.WriteFile(filepath.Join(dir, "failed-"+fileSafe(what)+".png"), png, 0o644)
		}
	}
	t.Fatalf("%s: %v\npage:\n%s", what, err, page)
}

// js evaluates expr in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		failPage(t, ctx, "evaluate "+expr, err)
	}
	return v
}

// jsAwait evaluates expr, a promise, and returns what it resolves to.
func jsAwait[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, uiWait)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		failPage(t, ctx, what, err)
	}
	return v
}

// until waits (at most uiWait) for the JavaScript expression to be true.
func until(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, uiWait)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		failPage(t, ctx, "waiting for "+what+" ("+expr+")", err)
	}
}

// quote is s as a JavaScript string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// textIs is an expression: the trimmed text of the first element sel
// matches equals want.
func textIs(sel, want string) string {
	return `((document.querySelector(` + quote(sel) + `) || {}).textContent || "").trim() === ` + quote(want)
}

// count is how many elements sel matches.
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return js[int](t, ctx, `document.querySelectorAll(`+quote(sel)+`).length`)
}

// fill sets the form fields by element ID: text by typing, selects and
// checkboxes by value ("on"/"off" for a checkbox).
func fill(t *testing.T, ctx context.Context, fields ...string) {
	t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		id, v := fields[i], fields[i+1]
		ok := js[bool](t, ctx, fmt.Sprintf(`(() => { const e = document.getElementById(%s); if (!e) return false;
			if (e.type === "checkbox") e.checked = %s === "on";
			else e.value = %s;
			e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`,
			quote(id), quote(v), quote(v)))
		if !ok {
			failPage(t, ctx, "fill "+id, fmt.Errorf("no field #%s", id))
		}
	}
}

// point is a spot in the viewport (CSS pixels).
type point struct{ X, Y float64 }

// centre returns the middle of the element sel matches.
func centre(t *testing.T, ctx context.Context, sel string) point {
	t.Helper()
	p := js[*point](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return null;
		e.scrollIntoView({block: "nearest"}); const r = e.getBoundingClientRect(); return {X: r.x + r.width / 2, Y: r.y + r.height / 2}; })()`, quote(sel)))
	if p == nil {
		failPage(t, ctx, "find "+sel, fmt.Errorf("no element"))
	}
	return *p
}

// drag drags the mouse from one point to another in small moves.
func drag(t *testing.T, ctx context.Context, what string, from, to point) {
	t.Helper()
	act(t, ctx, what, chromedp.DragAndDropXY(from.X, from.Y, to.X, to.Y, 8))
}

// logIn logs name in through the login page and waits for path.
func logIn(t *testing.T, ctx context.Context, base, name, path string) {
	t.Helper()
	act(t, ctx, "open login", chromedp.Navigate(base+"/login?next="+path), chromedp.WaitVisible(chromedp.ID("name")))
	fill(t, ctx, "name", name, "password", uiPassword)
	navigate(t, ctx, "log in "+name, `form[action="/login"] button.primary`)
	until(t, ctx, name+" at "+path, `location.pathname === `+quote(path))
}

// shooter writes full-page screenshots to a folder.
type shooter struct {
	dir string
}

// newShooter writes to $CALLBOX_SCREENSHOTS, else to a temporary folder.
func newShooter(t *testing.T) shooter {
	t.Helper()
	dir := os.Getenv("CALLBOX_SCREENSHOTS")
	if dir == "" {
		return shooter{dir: t.TempDir()}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return shooter{dir: dir}
}

// shot writes the whole page as name.png. The window is stretched to
// the page's height for the picture, so that a sticky bar (the forms'
// buttons) sits where it does at the end of the page rather than across
// the middle of a stitched image; then it is put back.
func (s shooter) shot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, uiWait)
	defer cancel()
	size := js[[]int64](t, ctx, `[window.innerWidth, window.innerHeight, document.documentElement.scrollHeight]`)
	w, h, full := size[0], size[1], size[2]
	if full > h {
		if err := chromedp.Do(sctx, chromedp.EmulateViewport(w, full)); err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		defer func() { _ = chromedp.Do(ctx, chromedp.EmulateViewport(w, h)) }()
	}
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	p := filepath.Join(s.dir, fileSafe(name)+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fileSafe turns a page path into a file name: "/admin/queues" becomes
// "admin-queues", "/" becomes "home".
func fileSafe(s string) string {
	s = strings.Trim(s, "/")
	if s == "" {
		return "home"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// itoa is strconv.Itoa, short for building SIPp arguments.
func itoa(n int) string { return strconv.Itoa(n) }
