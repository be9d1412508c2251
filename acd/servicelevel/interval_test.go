package servicelevel

import (
	"encoding/json"
	"testing"
	"time"

	"callbox/firmware/store"
)

func TestInterval_IsTheStoredRecordAndReadsBackTheSame(t *testing.T) {
	tr := NewTracker()
	tr.Waited("sales", t0, 10*time.Second, 20*time.Second, Answered)
	tr.Waited("sales", t0, 2*time.Second, 20*time.Second, Abandoned)
	tr.Handled("sales", t0, time.Minute, 10*time.Second)
	iv := tr.Drain(t0.Add(IntervalLength))[0]

	st, err := store.Open(t.TempDir() + "/callbox.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Put(st, store.QueueInterval(iv)); err != nil {
		t.Fatal(err)
	}
	back, err := store.Get[store.QueueInterval](st, store.QueueIntervalKey("sales", t0))
	if err != nil {
		t.Fatal(err)
	}
	if got := Interval(back); got != iv {
		t.Fatalf("read back %+v, want %+v", got, iv)
	}
	a, _ := json.Marshal(iv)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Fatalf("JSON differs:\n%s\n%s", a, b)
	}
}

func TestInterval_AddSumsAndKeepsTheLongestWait(t *testing.T) {
	iv := Interval{Queue: "q", Start: t0, Offered: 3, Answered: 2, AnsweredInSL: 1, Abandoned: 1, AbandonedShort: 1,
		AnswerWait: 30 * time.Second, LongestWait: 40 * time.Second, Handled: 2, TalkTime: time.Minute, WrapTime: 10 * time.Second}
	iv.Add(Interval{Queue: "other", Start: t0.Add(time.Hour), Offered: 2, Answered: 1, AnsweredInSL: 1, Overflowed: 1, Callbacks: 0,
		AnswerWait: 5 * time.Second, LongestWait: 20 * time.Second, Handled: 1, TalkTime: time.Minute, WrapTime: 5 * time.Second})
	want := Interval{Queue: "q", Start: t0, Offered: 5, Answered: 3, AnsweredInSL: 2, Abandoned: 1, AbandonedShort: 1, Overflowed: 1,
		AnswerWait: 35 * time.Second, LongestWait: 40 * time.Second, Handled: 3, TalkTime: 2 * time.Minute, WrapTime: 15 * time.Second}
	if iv != want {
		t.Fatalf("sum %+v, want %+v", iv, want)
	}
	if iv.Counted() != 4 || iv.ServiceLevel() != 50 || iv.AbandonRate() != 20 {
		t.Fatalf("counted %d SL %v abandon rate %v", iv.Counted(), iv.ServiceLevel(), iv.AbandonRate())
	}
	if (Interval{}).AbandonRate() != 0 || (Interval{}).Counted() != 0 {
		t.Fatal("an empty interval has no abandon rate")
	}
}
