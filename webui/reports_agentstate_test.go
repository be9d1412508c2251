package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"callbox/acd/ivr"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// ev is an agent change at the minute m after base.
func ev(base time.Time, m int, agent, from, to, reason string) store.AgentEvent {
	at := base.Add(time.Duration(m) * time.Minute)
	return store.AgentEvent{ID: store.NewID(at), At: at, Agent: agent, From: from, To: to, Reason: reason}
}

func wantTimes(t *testing.T, agent string, got *stateTimes, want stateTimes) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no times", agent)
	}
	if got.LoggedIn != want.LoggedIn || got.Available != want.Available || got.Ringing != want.Ringing ||
		got.OnCall != want.OnCall || got.WrapUp != want.WrapUp || got.Paused != want.Paused {
		t.Fatalf("%s: times %+v, want %+v", agent, *got, want)
	}
	if len(got.PauseBy) != len(want.PauseBy) {
		t.Fatalf("%s: pause by reason %v, want %v", agent, got.PauseBy, want.PauseBy)
	}
	for r, d := range want.PauseBy {
		if got.PauseBy[r] != d {
			t.Fatalf("%s: pause %q = %v, want %v", agent, r, got.PauseBy[r], d)
		}
	}
}

func TestReports_AgentStateTimesSumEachStateAndPauseReason(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	events := []store.AgentEvent{
		ev(start, 8*60, "a", stateLoggedOut, stateAvailable, ""),
		ev(start, 8*60+10, "a", stateAvailable, stateRinging, ""),
		ev(start, 8*60+11, "a", stateRinging, stateOnCall, ""),
		ev(start, 8*60+31, "a", stateOnCall, stateWrapUp, ""),
		ev(start, 8*60+36, "a", stateWrapUp, statePaused, "lunch"),
		ev(start, 9*60+36, "a", statePaused, stateAvailable, ""),
		ev(start, 10*60, "a", stateAvailable, statePaused, "training"),
		ev(start, 10*60+30, "a", statePaused, statePaused, "lunch"), // a change of reason
		ev(start, 10*60+45, "a", statePaused, stateLoggedOut, ""),
	}
	got := agentStateTimes(nil, events, start, end)
	wantTimes(t, "a", got["a"], stateTimes{
		LoggedIn: 165 * time.Minute, Available: 34 * time.Minute, Ringing: time.Minute, OnCall: 20 * time.Minute,
		WrapUp: 5 * time.Minute, Paused: 105 * time.Minute,
		PauseBy: map[string]time.Duration{"lunch": 75 * time.Minute, "training": 30 * time.Minute},
	})
	pct, ok := got["a"].Occupancy()
	if want := 100 * 25.0 / 60; !ok || fmt.Sprintf("%.3f", pct) != fmt.Sprintf("%.3f", want) {
		t.Fatalf("occupancy %.3f (%v), want %.3f", pct, ok, want)
	}
}

func TestReports_AgentStateBegunBeforeThePeriodCountsFromItsStart(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	// b paused for "night" the day before and came back at 01:00; c has
	// no change before the period in the lookback, but its first change
	// says it was on a call.
	prior := map[string]store.AgentEvent{"b": ev(start, -120, "b", stateAvailable, statePaused, "night")}
	events := []store.AgentEvent{
		ev(start, 60, "b", statePaused, stateLoggedOut, ""),
		ev(start, 30, "c", stateOnCall, stateLoggedOut, ""),
	}
	got := agentStateTimes(prior, events, start, end)
	wantTimes(t, "b", got["b"], stateTimes{LoggedIn: time.Hour, Paused: time.Hour, PauseBy: map[string]time.Duration{"night": time.Hour}})
	if _, ok := got["b"].Occupancy(); ok {
		t.Fatal("an agent paused all its logged-in time has an occupancy")
	}
	wantTimes(t, "c", got["c"], stateTimes{LoggedIn: 30 * time.Minute, OnCall: 30 * time.Minute})
}

func TestReports_AgentNeverLoggingOutCountsToThePeriodEnd(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(24 * time.Hour)
	events := []store.AgentEvent{
		ev(start, 22*60, "d", stateLoggedOut, stateAvailable, ""),
		ev(start, 23*60, "d", stateAvailable, stateOnCall, ""),
		ev(start, 24*60+5, "d", stateOnCall, stateWrapUp, ""), // after the period: not counted
	}
	// An agent logged in all period with no change at all, and one
	// logged out all period.
	prior := map[string]store.AgentEvent{
		"e": ev(start, -600, "e", stateLoggedOut, stateAvailable, ""),
		"f": ev(start, -600, "f", stateAvailable, stateLoggedOut, ""),
	}
	got := agentStateTimes(prior, events, start, end)
	wantTimes(t, "d", got["d"], stateTimes{LoggedIn: 2 * time.Hour, Available: time.Hour, OnCall: time.Hour})
	if pct, ok := got["d"].Occupancy(); !ok || pct != 50 {
		t.Fatalf("occupancy %v (%v), want 50", pct, ok)
	}
	wantTimes(t, "e", got["e"], stateTimes{LoggedIn: 24 * time.Hour, Available: 24 * time.Hour})
	if got["f"] != nil {
		t.Fatalf("an agent logged out all period has times: %+v", *got["f"])
	}
}

func TestReports_LoadAgentEventsFindsTheStateBeforeThePeriod(t *testing.T) {
	f := newFixture(t)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, e := range []store.AgentEvent{
		ev(start, -5*24*60, "a", stateLoggedOut, stateAvailable, ""),
		ev(start, -3*24*60, "a", stateAvailable, statePaused, "meeting"), // the last before the period
		ev(start, -30*24*60, "b", stateLoggedOut, stateAvailable, ""),    // beyond the lookback
		ev(start, 30, "a", statePaused, stateAvailable, ""),
		ev(start, 25*60, "a", stateAvailable, stateLoggedOut, ""), // the next day
	} {
		put(t, f.st, e)
	}
	prior, events, err := loadAgentEvents(f.st, start, start.Add(24*time.Hour), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := prior["a"]; !ok || p.To != statePaused || p.Reason != "meeting" {
		t.Fatalf("prior of a = %+v", p)
	}
	if _, ok := prior["b"]; ok {
		t.Fatal("a change beyond the lookback was read")
	}
	if len(events) != 1 || events[0].To != stateAvailable {
		t.Fatalf("events in the period: %+v", events)
	}
}

func TestReports_AgentPageShowsStateTimesAndPauseReasonsEscaped(t *testing.T) {
	f := reportsFixture(t)
	seedCalls(t, f)
	loc := ivr.SiteZone(f.st)
	// The day before the fixture's clock (2026-03-01 09:00 UTC), in the
	// box's zone.
	day := time.Date(2026, 2, 28, 0, 0, 0, 0, loc)
	for _, e := range []store.AgentEvent{
		ev(day, -60, "1001", stateLoggedOut, stateAvailable, ""), // logged in before the day
		ev(day, 60, "1001", stateAvailable, stateOnCall, ""),
		ev(day, 90, "1001", stateOnCall, stateWrapUp, ""),
		ev(day, 100, "1001", stateWrapUp, statePaused, "<script>alert('r')</script>"),
		ev(day, 120, "1001", statePaused, statePaused, "lunch"),
		ev(day, 150, "1001", statePaused, stateLoggedOut, ""),
		ev(day, 8*60, "1002", stateLoggedOut, stateAvailable, ""), // still logged in at midnight
	} {
		put(t, f.st, e)
	}
	b := f.browser()
	b.login("boss", testPassword)
	q := "/reports/agents?" + url.Values{"period": {"day"}, "date": {"2026-02-28"}}.Encode()
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		b.post("/lang", map[string][]string{"lang": {string(lang)}, "next": {"/reports"}})
		r := b.get(q)
		wantStatus(t, r, http.StatusOK)
		for _, want := range []string{
			i18n.T(lang, "reports.col.occupancy"), i18n.T(lang, "reports.pause-by-reason"),
			i18n.T(lang, "reports.chart.agent-states"),
			"&lt;script&gt;alert(&#39;r&#39;)&lt;/script&gt;", i18n.T(lang, "agentui.reason.lunch"),
			">2:30:00<",  // 1001 logged in 00:00-02:30
			">30:00<",    // 1001 on a call
			">10:00<",    // wrap-up
			">20:00<",    // paused for the script reason
			">16:00:00<", // 1002 available 08:00 to midnight
			"40.0%",      // (30+10)/(150-50)
		} {
			if !strings.Contains(r.Body, want) {
				t.Fatalf("%s: the agent report lacks %q:\n%s", lang, want, r.Body)
			}
		}
		if strings.Contains(r.Body, "<script>alert('r')") {
			t.Fatalf("%s: a pause reason is shown unescaped", lang)
		}
		if strings.Contains(r.Body, "not keep a history") || strings.Contains(r.Body, "尚未保存") {
			t.Fatalf("%s: the page still says state history is missing", lang)
		}
	}
	// Today: 1002, logged in since yesterday, counts from midnight up to
	// now, not to the end of the day.
	now := f.clock.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	r := b.get("/reports/agents?period=day&date=" + today.Format(dayLayout))
	wantStatus(t, r, http.StatusOK)
	if want := ">" + hms(now.Sub(today)) + "<"; !strings.Contains(r.Body, want) {
		t.Fatalf("today's report lacks 1002's %s logged in so far:\n%s", want, r.Body)
	}
}
