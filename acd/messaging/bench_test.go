package messaging_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd/messaging"
	"callbox/firmware/store"
)

// BenchmarkConversations lists the conversations of a store holding 2,000
// SMS in 200 threads (what an agent console asks on every refresh).
func BenchmarkConversations(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "callbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for i := range 2000 {
		dir, state := store.DirectionIn, store.StateReceived
		if i%2 == 1 {
			dir, state = store.DirectionOut, store.StateDelivered
		}
		m := store.Message{ID: fmt.Sprintf("sms-%05d", i), Channel: store.ChannelSMS, Direction: dir,
			Number: fmt.Sprintf("+86139%08d", i%200), Line: "gsm0", Text: "text of a message", State: state,
			CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if _, err := store.Put(st, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		convs, err := messaging.Conversations(st)
		if err != nil || len(convs) != 200 {
			b.Fatalf("%d conversations, %v", len(convs), err)
		}
	}
}
