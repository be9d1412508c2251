package servicelevel

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func TestTracker_ServiceLevelArithmetic(t *testing.T) {
	tr := NewTracker()
	sl := 20 * time.Second
	at := t0.Add(3 * time.Minute)
	tr.Waited("sales", at, 10*time.Second, sl, Answered) // in SL
	tr.Waited("sales", at, 20*time.Second, sl, Answered) // in SL (at the threshold)
	tr.Waited("sales", at, 45*time.Second, sl, Answered) // late
	tr.Waited("sales", at, 3*time.Second, sl, Abandoned) // short: not counted against SL
	tr.Waited("sales", at, 60*time.Second, sl, Abandoned)
	tr.Waited("sales", at, 90*time.Second, sl, Overflowed)
	tr.Waited("sales", at, 30*time.Second, sl, Callback)
	tr.Handled("sales", at, 100*time.Second, 20*time.Second)
	tr.Handled("sales", at, 200*time.Second, 40*time.Second)
	tr.Waited("support", at, time.Second, sl, Answered)

	cur, day := tr.Current("sales", t0.Add(14*time.Minute))
	want := Interval{Queue: "sales", Start: t0, Offered: 7, Answered: 3, AnsweredInSL: 2, Abandoned: 2,
		AbandonedShort: 1, Overflowed: 1, Callbacks: 1, AnswerWait: 75 * time.Second, LongestWait: 90 * time.Second,
		Handled: 2, TalkTime: 300 * time.Second, WrapTime: 60 * time.Second}
	if cur != want {
		t.Fatalf("interval =\n%+v\nwant\n%+v", cur, want)
	}
	if got := cur.ServiceLevel(); got != 100*2.0/6.0 {
		t.Errorf("SL = %v, want 33.3", got)
	}
	if cur.ASA() != 25*time.Second || cur.AHT() != 180*time.Second || cur.AvgWrapUp() != 30*time.Second {
		t.Errorf("ASA %v AHT %v wrap %v", cur.ASA(), cur.AHT(), cur.AvgWrapUp())
	}
	if day.Offered != 7 || !day.Start.Equal(t0.Truncate(24*time.Hour)) {
		t.Errorf("day = %+v", day)
	}
	if (Interval{}).ServiceLevel() != 100 || (Interval{}).ASA() != 0 {
		t.Error("empty interval figures")
	}
}

func TestTracker_CountsByIntervalAndDrainsFinishedOnes(t *testing.T) {
	tr := NewTracker()
	tr.Waited("q", t0.Add(14*time.Minute+59*time.Second), time.Second, time.Minute, Answered)
	tr.Waited("q", t0.Add(15*time.Minute), time.Second, time.Minute, Answered)
	tr.Waited("p", t0.Add(time.Minute), time.Second, time.Minute, Abandoned)
	if got := tr.Drain(t0.Add(14 * time.Minute)); len(got) != 0 {
		t.Fatalf("drained an open interval: %+v", got)
	}
	got := tr.Drain(t0.Add(15 * time.Minute))
	if len(got) != 2 || got[0].Queue != "p" || got[1].Queue != "q" || got[1].Offered != 1 {
		t.Fatalf("drained %+v", got)
	}
	cur, day := tr.Current("q", t0.Add(16*time.Minute))
	if cur.Offered != 1 || day.Offered != 2 {
		t.Errorf("current %d day %d", cur.Offered, day.Offered)
	}
	_, next := tr.Current("q", t0.Add(24*time.Hour))
	if next.Offered != 0 {
		t.Errorf("day did not roll over: %+v", next)
	}
}

func TestTracker_SeedAfterRestartGoesOnFromStoredFigures(t *testing.T) {
	before := NewTracker()
	before.Waited("q", t0.Add(time.Minute), time.Second, time.Minute, Answered)       // 09:00 slot, finished later
	before.Waited("q", t0.Add(16*time.Minute), 2*time.Second, time.Minute, Abandoned) // 09:15 slot, running
	stored := before.Drain(t0.Add(17 * time.Minute))
	running := before.Running(t0.Add(17 * time.Minute))
	if len(stored) != 1 || len(running) != 1 || running[0].Abandoned != 1 {
		t.Fatalf("stored %+v running %+v", stored, running)
	}
	// Restart in the same 09:15 slot.
	now := t0.Add(18 * time.Minute)
	after := NewTracker()
	yesterday := Interval{Queue: "q", Start: t0.Add(-24 * time.Hour), Offered: 9}
	for _, iv := range append(append(stored, running...), yesterday) {
		after.Seed(iv, now)
	}
	after.Waited("q", now, time.Second, time.Minute, Answered)
	cur, day := after.Current("q", now)
	if cur.Offered != 2 || cur.Abandoned != 1 || cur.Answered != 1 {
		t.Errorf("running interval %+v; want the stored part plus the new call", cur)
	}
	if day.Offered != 3 {
		t.Errorf("day %+v; want today's stored figures plus the new call, not yesterday's", day)
	}
	got := after.Drain(t0.Add(30 * time.Minute))
	if len(got) != 1 || got[0].Offered != 2 || !got[0].Start.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("drained %+v; want only the running interval, whole", got)
	}
}
