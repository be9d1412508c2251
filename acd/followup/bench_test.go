package followup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// BenchmarkBook_ListOneAgentsOpenTasksOf10000 is the console's list: one
// agent's open tasks in work order, out of 10,000 tasks of 50 agents.
func BenchmarkBook_ListOneAgentsOpenTasksOf10000(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "callbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]store.Record, 0, 10000)
	for i := range 10000 {
		agent := fmt.Sprintf("%02d", 10+i%50)
		recs = append(recs, store.Followup{ID: taskID(agent, fmt.Sprintf("t%05d", i)), Agent: agent,
			Number: fmt.Sprintf("+86138%08d", i), Reason: "Renewal", Due: t0.Add(time.Duration(rng.IntN(72*60)-36*60) * time.Minute),
			Priority: rng.IntN(10), Source: store.FollowupFromImport, State: store.FollowupOpen, CreatedAt: t0, UpdatedAt: t0})
	}
	if _, err := store.PutAll(st, recs...); err != nil {
		b.Fatal(err)
	}
	book := New(st, WithClock(func() time.Time { return t0 }))
	ctx := context.Background()
	filter := Filter{Agent: "17", States: []store.FollowupState{store.FollowupOpen, store.FollowupDialing}}
	b.ResetTimer()
	for b.Loop() {
		fs, err := book.List(ctx, filter)
		if err != nil || len(fs) != 200 {
			b.Fatalf("%d tasks, %v", len(fs), err)
		}
	}
}

// BenchmarkParseCSV_1000Rows checks a 1,000-row import file.
func BenchmarkParseCSV_1000Rows(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("agent,number,reason,due,priority,name\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "%d,138%08d,Renewal offer,2026-12-01 14:30,%d,Customer %d\n", 10+i%2, i, i%10, i)
	}
	in := sb.String()
	o := ImportOptions{Plan: directory.PlanCN, Zone: time.UTC, Now: t0, Agents: map[string]bool{"10": true, "11": true}}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if p := ParseCSV(strings.NewReader(in), o); !p.OK() {
			b.Fatal(p.Messages("en")[:1])
		}
	}
}
