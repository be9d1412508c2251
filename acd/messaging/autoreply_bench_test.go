package messaging_test

import (
	"fmt"
	"testing"
	"time"

	"callbox/acd/messaging"
	"callbox/firmware/store"
)

// BenchmarkEvaluate_TwentyStoredRules is the cost the rules add to every
// inbound SMS: the service reads and compiles the stored rules for each
// message, so that an edit applies to the next one without a cache to
// keep right. Nineteen rules miss, the last one matches.
func BenchmarkEvaluate_TwentyStoredRules(b *testing.B) {
	st, err := store.Open(b.TempDir() + "/callbox.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Put(st, store.Hours{Name: "office", Weekly: []store.WeeklyRange{{Day: time.Monday, Start: "09:00", End: "18:00"}}}); err != nil {
		b.Fatal(err)
	}
	for i := range 19 {
		r := store.AutoReply{Name: fmt.Sprintf("r%02d", i), Order: i, Enabled: true, Regexp: fmt.Sprintf(`(?i)\bword%d\b`, i),
			Sender: "_+86139.", Hours: "office", ReplyEN: "x", ReplyZH: "叉"}
		if _, err := store.Put(st, r); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := store.Put(st, store.AutoReply{Name: "r99", Order: 99, Enabled: true, Keyword: "hours", ReplyEN: "9-18"}); err != nil {
		b.Fatal(err)
	}
	s := messaging.Sample{From: "+8613922220002", Line: "gsm0", Text: "hours please", At: monday10}
	b.ReportAllocs()
	for b.Loop() {
		d, err := messaging.Evaluate(st, nil, s)
		if err != nil || d.Rule != "r99" {
			b.Fatalf("%+v, %v", d, err)
		}
	}
}
