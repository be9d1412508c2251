package webui

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// seedIntervals stores a day of queue figures on the fixture's day
// (2026-03-01) for two queues, shaped like a working day.
func seedIntervals(t *testing.T, f *fixture) {
	t.Helper()
	if _, err := store.PutAll(f.st, store.Queue{Name: "support", Strategy: store.StrategyLongestIdle}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var recs []store.Record
	for h := 8; h < 19; h++ {
		for i, q := range []string{"sales", "support"} {
			offered := 6 + (h*7+i*5)%11
			abandoned := (h + i) % 3
			answered := offered - abandoned
			recs = append(recs, store.QueueInterval{Queue: q, Start: day.Add(time.Duration(h) * time.Hour),
				Offered: offered, Answered: answered, AnsweredInSL: answered - (h % 2), Abandoned: abandoned,
				AnswerWait: time.Duration(answered*(8+h)) * time.Second, LongestWait: time.Duration(20+h*3) * time.Second,
				Handled: answered, TalkTime: time.Duration(answered*150) * time.Second, WrapTime: time.Duration(answered*20) * time.Second})
		}
	}
	if _, err := store.PutAll(f.st, recs...); err != nil {
		t.Fatal(err)
	}
}

func TestBrowser_ReportsShowCallsPlayARecordingAndChartQueuesInBothLanguages(t *testing.T) {
	ctx := newChromium(t)
	dir := screenshotDir(t)
	f := reportsFixture(t)
	seedCalls(t, f)
	seedIntervals(t, f)
	base := runServer(t, f)

	step(t, ctx, "login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("name"), "boss"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)

	step(t, ctx, "calls", chromedp.Navigate(base+"/reports?from=2026-02-25&to=2026-03-01"), chromedp.WaitVisible(chromedp.CSS("table.calls")))
	if n := evalJS[int](t, ctx, `document.querySelectorAll("table.calls tbody tr").length`); n != 3 {
		t.Fatalf("%d call rows, want 3", n)
	}
	// Stored markup shows as text.
	if got := evalJS[string](t, ctx, `document.querySelector('tr[data-id="c1"] small').textContent`); got != "<script>alert('x')</script>" {
		t.Fatalf("caller name cell %q", got)
	}
	// The recording loads and plays in the page.
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	dur, err := chromedp.Run(sctx, chromedp.Evaluate[float64](`new Promise((ok, fail) => {
		const a = document.querySelector('tr[data-id="c1"] audio');
		a.addEventListener("loadedmetadata", () => ok(a.duration), {once: true});
		a.addEventListener("error", () => fail(new Error("media error " + (a.error && a.error.code))), {once: true});
		a.preload = "auto"; a.load();
	})`, chromedp.EvalAwaitPromise))
	if err != nil || dur < 0.9 || dur > 1.1 {
		t.Fatalf("recording duration %v, err %v", dur, err)
	}
	step(t, ctx, "click play", chromedp.Click(chromedp.CSS("h1")))
	playing, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`document.querySelector('tr[data-id="c1"] audio').play().then(() => true)`, chromedp.EvalAwaitPromise))
	if err != nil || !playing {
		t.Fatalf("play: %v", err)
	}
	audit, err := store.AuditTail(f.st, 5)
	if err != nil || len(audit) == 0 || audit[0].Action != "recording-play" || audit[0].User != "boss" {
		t.Fatalf("no audit entry for the playback: %+v %v", audit, err)
	}
	shot(t, ctx, dir, "reports-calls-en")

	step(t, ctx, "queues", chromedp.Navigate(base+"/reports/queues?period=day&date=2026-03-01"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if n := evalJS[int](t, ctx, `document.querySelectorAll("svg.chart rect.bar-a").length`); n < 11 {
		t.Fatalf("%d offered bars on the chart", n)
	}
	shot(t, ctx, dir, "reports-queues-en")
	evalJS[bool](t, ctx, `(window.scrollTo(0, document.body.scrollHeight), true)`)
	shot(t, ctx, dir, "reports-queues-table-en")
	step(t, ctx, "agents", chromedp.Navigate(base+"/reports/agents?period=week&date=2026-03-01"), chromedp.WaitVisible(chromedp.CSS("table.stats")))
	shot(t, ctx, dir, "reports-agents-en")

	submit(t, ctx, "switch to zh", `form.langs button[value="zh"]`)
	if got := text(t, ctx, ".tabs a.current"); got != i18n.T(i18n.ZH, "reports.tab.agents") {
		t.Fatalf("current tab in zh: %q", got)
	}
	shot(t, ctx, dir, "reports-agents-zh")
	step(t, ctx, "queues zh", chromedp.Navigate(base+"/reports/queues?period=month&date=2026-03-01"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	shot(t, ctx, dir, "reports-queues-zh")
	step(t, ctx, "calls zh", chromedp.Navigate(base+"/reports?from=2026-02-01&to=2026-03-01"), chromedp.WaitVisible(chromedp.CSS("table.calls")))
	shot(t, ctx, dir, "reports-calls-zh")
}
