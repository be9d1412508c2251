package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/acd/ivr"
	"callbox/firmware/i18n"
)

// point is a spot in the browser's viewport (CSS pixels).
type point struct{ X, Y float64 }

// centerOf returns the middle of the element sel matches.
func centerOf(t *testing.T, ctx context.Context, sel string) point {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return null;
		e.scrollIntoView({block: "nearest"}); const r = e.getBoundingClientRect(); return {X: r.x + r.width / 2, Y: r.y + r.height / 2}; })()`, jsString(sel))
	p := evalJS[*point](t, ctx, js)
	if p == nil {
		t.Fatalf("no element %s", sel)
	}
	return *p
}

// dragTo drags with the mouse from one point to another.
func dragTo(t *testing.T, ctx context.Context, what string, from, to point) {
	t.Helper()
	step(t, ctx, what, chromedp.DragAndDropXY(from.X, from.Y, to.X, to.Y, 8))
}

// setField types v into a side panel field and leaves it, as a person
// would, so that its change event fires.
func setField(t *testing.T, ctx context.Context, sel, v string) {
	t.Helper()
	evalJS[bool](t, ctx, fmt.Sprintf(`(document.querySelector(%s).value = "", true)`, jsString(sel)))
	step(t, ctx, "fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), v))
	evalJS[bool](t, ctx, `(document.activeElement.blur(), true)`)
}

// waitState waits for the designer's status line to say want.
func waitState(t *testing.T, ctx context.Context, what, want string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	js := fmt.Sprintf(`document.getElementById("dz-state").textContent.startsWith(%s)`, jsString(want))
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		t.Fatalf("%s: status %q, want %q: %v", what, evalJS[string](t, ctx, `document.getElementById("dz-state").textContent`), want, err)
	}
}

func nodeCount(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return evalJS[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel)))
}

func TestBrowser_DesignerBuildsValidatesDryRunsAndPublishesAFlowByDragAndDrop(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	f := reportsFixture(t)
	base := runServer(t, f)
	en := func(k string) string { return i18n.T(i18n.EN, "designer.js."+k) }

	step(t, ctx, "login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("name"), "admin"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)

	// The flow list; a new flow is opened by its id.
	step(t, ctx, "designer list", chromedp.Navigate(base+"/designer"), chromedp.SendKeys(chromedp.ID("id"), "main"))
	submit(t, ctx, "open main", `form[action="/designer/open"] button.primary`)
	step(t, ctx, "editor ready", chromedp.WaitVisible(chromedp.CSS(`#designer[data-ready="1"]`)))
	if nodeCount(t, ctx, ".dz-node") != 1 {
		t.Fatal("a new flow should start with its start node")
	}

	// Nodes from the palette, dropped on the canvas.
	box := evalJS[point](t, ctx, `(() => { const r = document.querySelector(".dz-canvas-wrap").getBoundingClientRect(); return {X: r.x, Y: r.y}; })()`)
	drops := []struct {
		typ string
		at  point
	}{
		{"play", point{box.X + 280, box.Y + 150}},
		{"menu", point{box.X + 280, box.Y + 290}},
		{"hangup", point{box.X + 480, box.Y + 430}},
	}
	evalJS[bool](t, ctx, `(window.__errs = [], window.addEventListener("error", (e) => __errs.push(e.message)), window.addEventListener("unhandledrejection", (e) => __errs.push(String(e.reason))), true)`)
	for _, d := range drops {
		dragTo(t, ctx, "drop "+d.typ, centerOf(t, ctx, fmt.Sprintf(`#dz-palette li[data-type="%s"]`, d.typ)), d.at)
	}
	if n := nodeCount(t, ctx, ".dz-node"); n != 4 {
		shot(t, ctx, dir, "failed-designer-drops")
		t.Fatalf("%d nodes on the canvas after three drops: %s; box %+v; %s", n, evalJS[string](t, ctx, `[...document.querySelectorAll(".dz-node")].map(e => e.dataset.id + e.getAttribute("transform")).join(" ")`), box, evalJS[string](t, ctx, `__errs.join(" | ")`))
	}
	// Drag a node to move it.
	before := evalJS[string](t, ctx, `document.querySelector('.dz-node[data-id="hangup1"]').getAttribute("transform")`)
	hang := centerOf(t, ctx, `.dz-node[data-id="hangup1"] .dz-box`)
	dragTo(t, ctx, "move hangup", point{hang.X - 30, hang.Y - 10}, point{hang.X - 230, hang.Y - 10})
	if after := evalJS[string](t, ctx, `document.querySelector('.dz-node[data-id="hangup1"]').getAttribute("transform")`); after == before {
		t.Fatalf("node did not move: %s", after)
	}

	// Validation before anything is wired names problems on the nodes.
	step(t, ctx, "validate early", chromedp.Click(chromedp.ID("dz-validate")))
	waitState(t, ctx, "validate early", en("problems"))
	if nodeCount(t, ctx, ".dz-node.has-problem") == 0 || nodeCount(t, ctx, "#dz-problems li") == 0 || nodeCount(t, ctx, `.dz-node[data-id="start"] .dz-port.bad`) != 1 {
		t.Fatal("problems are not shown on the nodes")
	}
	shot(t, ctx, dir, "designer-problems-en")

	// Settings in the side panel.
	step(t, ctx, "select play", chromedp.Click(chromedp.CSS(`.dz-node[data-id="play1"] .dz-type`)))
	setField(t, ctx, "#dz-f-prompts", "welcome")
	// A label with markup is shown as text on the canvas.
	setField(t, ctx, "#dz-f-label", "<img src=x onerror=alert(1)>Hi")
	if got := evalJS[string](t, ctx, `document.querySelector('.dz-node[data-id="play1"] title').textContent.split("\n")[0]`); got != "<img src=x onerror=alert(1)>Hi (play1)" ||
		nodeCount(t, ctx, "#dz-canvas img") != 0 {
		t.Fatalf("label shown as %q", got)
	}
	step(t, ctx, "select menu", chromedp.Click(chromedp.CSS(`.dz-node[data-id="menu1"] .dz-type`)))
	setField(t, ctx, "#dz-f-prompts", "main-menu")
	setField(t, ctx, "#dz-f-keys", "1")

	// Arrows, drawn from an exit to a node.
	wire := func(from, exit, to string) {
		t.Helper()
		a := centerOf(t, ctx, fmt.Sprintf(`.dz-node[data-id="%s"] .dz-port[data-exit="%s"]`, from, exit))
		b := centerOf(t, ctx, fmt.Sprintf(`.dz-node[data-id="%s"] .dz-box`, to))
		dragTo(t, ctx, "wire "+from+"."+exit, a, b)
		got := evalJS[string](t, ctx, fmt.Sprintf(`(document.querySelector('.dz-edge[data-from="%s"][data-exit="%s"]') || {}).tagName || ""`, from, exit))
		if got == "" {
			t.Fatalf("no arrow %s.%s -> %s", from, exit, to)
		}
	}
	wire("start", "next", "play1")
	wire("play1", "next", "menu1")
	wire("menu1", "1", "hangup1")

	step(t, ctx, "save", chromedp.Click(chromedp.ID("dz-save")))
	waitState(t, ctx, "save", en("saved"))
	step(t, ctx, "validate", chromedp.Click(chromedp.ID("dz-validate")))
	waitState(t, ctx, "validate", en("valid"))
	if n := nodeCount(t, ctx, ".dz-node.has-problem"); n != 0 {
		t.Fatalf("%d nodes still marked", n)
	}

	// A dry run pressing 1 shows the path on the canvas.
	step(t, ctx, "dry run", chromedp.Click(chromedp.CSS("#dz-dry summary")),
		chromedp.SendKeys(chromedp.CSS(`#dz-dry-form input[name="digits"]`), "1"),
		chromedp.Click(chromedp.CSS(`#dz-dry-form button`)),
		chromedp.WaitVisible(chromedp.CSS(".dz-path li")))
	if n := nodeCount(t, ctx, ".dz-node.on-path"); n != 4 {
		t.Fatalf("%d nodes on the dry run's path, want 4", n)
	}
	shot(t, ctx, dir, "designer-dryrun-en")

	step(t, ctx, "publish", chromedp.Click(chromedp.ID("dz-publish")))
	waitState(t, ctx, "publish", en("published")+" v1")
	step(t, ctx, "versions", chromedp.Click(chromedp.CSS("#dz-versions summary")), chromedp.WaitVisible(chromedp.CSS(`#dz-version-list button[data-version="1"]`)))

	// Read back through the API.
	b := f.browser()
	b.login("admin", testPassword)
	r := b.get("/api/v1/flows/main")
	wantStatus(t, r, http.StatusOK)
	view := decode[ivr.FlowView](t, r)
	if view.Version != 1 || view.Editing {
		t.Fatalf("flow after publish: %+v", view.FlowInfo)
	}
	doc, err := ivr.Parse(view.Doc)
	if err != nil {
		t.Fatal(err)
	}
	exits := map[string]map[string]string{}
	types := map[string]string{}
	for _, n := range doc.Nodes {
		exits[n.ID], types[n.ID] = n.Exits, n.Type
	}
	if types["play1"] != "play" || types["menu1"] != "menu" || types["hangup1"] != "hangup" ||
		exits["start"]["next"] != "play1" || exits["play1"]["next"] != "menu1" || exits["menu1"]["1"] != "hangup1" {
		t.Fatalf("published flow: %s", view.Doc)
	}
	var settings struct {
		Prompts []ivr.PromptItem `json:"prompts"`
	}
	for _, n := range doc.Nodes {
		if n.ID == "menu1" {
			if err := json.Unmarshal(n.Settings, &settings); err != nil || len(settings.Prompts) != 1 || settings.Prompts[0].Key != "main-menu" {
				t.Fatalf("menu settings %s (%v)", n.Settings, err)
			}
		}
	}

	// An edit saved as a draft, then version 1 restored into the draft.
	step(t, ctx, "select hangup", chromedp.Click(chromedp.CSS(`.dz-node[data-id="hangup1"] .dz-type`)))
	step(t, ctx, "delete hangup", chromedp.Click(chromedp.CSS(`#dz-settings button.danger`)))
	step(t, ctx, "save edit", chromedp.Click(chromedp.ID("dz-save")))
	waitState(t, ctx, "save edit", en("saved"))
	if nodeCount(t, ctx, ".dz-node") != 3 {
		t.Fatal("hang-up node not deleted")
	}
	step(t, ctx, "restore v1", chromedp.Click(chromedp.CSS(`#dz-version-list button[data-version="1"]`)))
	waitState(t, ctx, "restore", en("restored"))
	if nodeCount(t, ctx, ".dz-node") != 4 || nodeCount(t, ctx, ".dz-edge") != 3 {
		t.Fatal("restoring version 1 did not bring the flow back")
	}

	// The same editor in Chinese.
	submit(t, ctx, "switch to zh", `form.langs button[value="zh"]`)
	step(t, ctx, "zh ready", chromedp.WaitVisible(chromedp.CSS(`#designer[data-ready="1"]`)))
	if got := text(t, ctx, "#dz-publish"); got != i18n.T(i18n.ZH, "designer.js.publish") {
		t.Fatalf("publish button in zh: %q", got)
	}
	step(t, ctx, "select menu zh", chromedp.Click(chromedp.CSS(`.dz-node[data-id="menu1"] .dz-type`)))
	shot(t, ctx, dir, "designer-zh")
	step(t, ctx, "list zh", chromedp.Navigate(base+"/designer"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	shot(t, ctx, dir, "designer-list-zh")
}
