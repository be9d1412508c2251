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

// seedShifts stores agent state changes for the week up to the fixture's
// clock (2026-03-01 09:00 UTC): a shift a day for two agents with calls,
// wrap-ups and pauses, and 1002 still logged in now.
func seedShifts(t *testing.T, f *fixture) {
	t.Helper()
	var recs []store.Record
	add := func(at time.Time, agent, from, to, reason string) {
		recs = append(recs, store.AgentEvent{ID: store.NewID(at), At: at, Agent: agent, From: from, To: to, Reason: reason})
	}
	for d := 0; d < 7; d++ {
		day := time.Date(2026, 2, 23+d, 0, 0, 0, 0, time.UTC)
		for i, agent := range []string{"1001", "1002"} {
			at := day.Add(time.Duration(8+i) * time.Hour)
			if at.After(f.clock.Now()) {
				continue
			}
			add(at, agent, stateLoggedOut, stateAvailable, "")
			state := stateAvailable
			for c := 0; c < 4+(d+i)%3; c++ {
				at = at.Add(time.Duration(10+c*3) * time.Minute)
				add(at, agent, state, stateOnCall, "")
				at = at.Add(time.Duration(6+(c+d)%5) * time.Minute)
				add(at, agent, stateOnCall, stateWrapUp, "")
				at = at.Add(2 * time.Minute)
				add(at, agent, stateWrapUp, stateAvailable, "")
				state = stateAvailable
			}
			reason := []string{"lunch", "training", "<b>break</b>"}[(d+i)%3]
			add(at.Add(20*time.Minute), agent, stateAvailable, statePaused, reason)
			add(at.Add(65*time.Minute), agent, statePaused, stateAvailable, "")
			if d < 6 || agent == "1001" {
				add(at.Add(3*time.Hour), agent, stateAvailable, stateLoggedOut, "")
			}
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
	seedShifts(t, f)
	base := runServer(t, f)

	step(t, ctx, "login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("name"), "boss"), chromedp.SendKeys(chromedp.ID("password"), testPassword))
	submit(t, ctx, "log in", `form[action="/login"] button.primary`)

	step(t, ctx, "calls", chromedp.Navigate(base+"/reports?from=2026-02-25&to=2026-03-01"), chromedp.WaitVisible(chromedp.CSS("table.calls")))
	if n := evalJS[int](t, ctx, `document.querySelectorAll("table.calls tbody tr").length`); n != 3 {
		t.Fatalf("%d call rows, want 3", n)
	}
	// Stored markup shows as text.
	if got := evalJS[string](t, ctx, `document.querySelector('tr[data-id="`+idC1+`"] small').textContent`); got != "<script>alert('x')</script>" {
		t.Fatalf("caller name cell %q", got)
	}
	// The recording loads and plays in the page.
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	dur, err := chromedp.Run(sctx, chromedp.Evaluate[float64](`new Promise((ok, fail) => {
		const a = document.querySelector('tr[data-id="`+idC1+`"] audio');
		a.addEventListener("loadedmetadata", () => ok(a.duration), {once: true});
		a.addEventListener("error", () => fail(new Error("media error " + (a.error && a.error.code))), {once: true});
		a.preload = "auto"; a.load();
	})`, chromedp.EvalAwaitPromise))
	if err != nil || dur < 0.9 || dur > 1.1 {
		t.Fatalf("recording duration %v, err %v", dur, err)
	}
	step(t, ctx, "click play", chromedp.Click(chromedp.CSS("h1")))
	playing, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`document.querySelector('tr[data-id="`+idC1+`"] audio').play().then(() => true)`, chromedp.EvalAwaitPromise))
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
	if n := evalJS[int](t, ctx, `document.querySelectorAll(".charts svg.chart").length`); n != 4 {
		t.Fatalf("%d agent charts, want 4", n)
	}
	shot(t, ctx, dir, "reports-agents-en")
	evalJS[bool](t, ctx, `(window.scrollTo(0, document.body.scrollHeight), true)`)
	shot(t, ctx, dir, "reports-agents-table-en")

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
