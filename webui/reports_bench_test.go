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
		recs = append(recs, store.CDR{ID: fmt.Sprintf("c%06d", i), Caller: fmt.Sprintf("138%08d", i), Callee: "4008001234",
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
