package webui

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"callbox/firmware/store"
)

// BenchmarkReports_CallSearch searches 20,000 call records (a busy month
// of a small centre) for one agent's calls over a week, as the report page
// does: a full scan of the records, sorted, the first 500 rendered.
func BenchmarkReports_CallSearch(b *testing.B) {
	f := reportsFixture(&testing.T{})
	start := f.clock.Now().Add(-30 * 24 * time.Hour)
	var recs []store.Record
	for i := range 20000 {
		at := start.Add(time.Duration(i) * 2 * time.Minute)
		recs = append(recs, store.CDR{ID: store.NewID(at), Caller: fmt.Sprintf("138%08d", i), Callee: "4008001234",
			Direction: store.DirectionIn, Queue: "sales", Agent: []string{"1001", "1002"}[i%2], Start: at,
			Answer: at.Add(10 * time.Second), End: at.Add(time.Minute), Disposition: store.DispositionAnswered})
		if len(recs) == 1000 {
			if _, err := store.PutAll(f.st, recs...); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	br := f.browser()
	br.login("admin", testPassword)
	b.ResetTimer()
	for b.Loop() {
		r := br.get("/reports?from=2026-02-20&to=2026-02-26&agent=1002")
		if r.StatusCode != http.StatusOK {
			b.Fatalf("status %d", r.StatusCode)
		}
	}
}

// BenchmarkReports_AgentStateMonth reads and sums a month of agent state
// changes (40 agents, 80 changes each a day: 96,000 changes) as the agent
// report of a month does, the lookback before the month included.
func BenchmarkReports_AgentStateMonth(b *testing.B) {
	f := newFixture(b)
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	states := []string{stateAvailable, stateRinging, stateOnCall, stateWrapUp}
	var recs []store.Record
	var agents []string
	for a := range 40 {
		agents = append(agents, fmt.Sprintf("%d", 1000+a))
	}
	for d := -2; d < 28; d++ {
		for _, agent := range agents {
			at := start.AddDate(0, 0, d).Add(8 * time.Hour)
			from := stateLoggedOut
			for i := range 80 {
				to := states[i%len(states)]
				if i == 79 {
					to = stateLoggedOut
				}
				recs = append(recs, store.AgentEvent{ID: store.NewID(at), At: at, Agent: agent, From: from, To: to})
				from, at = to, at.Add(6*time.Minute)
			}
			if len(recs) >= 1000 {
				if _, err := store.PutAll(f.st, recs...); err != nil {
					b.Fatal(err)
				}
				recs = recs[:0]
			}
		}
	}
	if _, err := store.PutAll(f.st, recs...); err != nil {
		b.Fatal(err)
	}
	end := start.AddDate(0, 1, 0)
	b.ResetTimer()
	for b.Loop() {
		prior, events, err := loadAgentEvents(f.st, start, end, agents)
		if err != nil {
			b.Fatal(err)
		}
		if got := agentStateTimes(prior, events, start, end); len(got) != len(agents) {
			b.Fatalf("%d agents", len(got))
		}
	}
}
