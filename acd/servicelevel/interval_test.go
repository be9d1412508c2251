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
