package store

import (
	"slices"
	"testing"
	"time"
)

func TestRangeFunc_VisitsOnlyKeysInRangeBothWays(t *testing.T) {
	s := openTemp(t)
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	var all []string
	for i := range 10 {
		at := base.Add(time.Duration(i) * time.Hour)
		e := AgentEvent{ID: NewID(at), At: at, Agent: "801", From: "ready", To: "paused"}
		if _, err := Put(s, e); err != nil {
			t.Fatal(err)
		}
		all = append(all, e.ID)
	}
	collect := func(from, to string, reverse bool, limit int) []string {
		t.Helper()
		var got []string
		err := RangeFunc(s, from, to, reverse, func(e AgentEvent) bool {
			got = append(got, e.ID)
			return limit == 0 || len(got) < limit
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	from, to := TimeKey(base.Add(2*time.Hour)), TimeKey(base.Add(5*time.Hour))
	if got := collect(from, to, false, 0); !slices.Equal(got, all[2:5]) {
		t.Fatalf("forward [2h,5h): %v", got)
	}
	want := slices.Clone(all[2:5])
	slices.Reverse(want)
	if got := collect(from, to, true, 0); !slices.Equal(got, want) {
		t.Fatalf("reverse [2h,5h): %v", got)
	}
	// The newest two, reading two records.
	if got := collect("", "", true, 2); !slices.Equal(got, []string{all[9], all[8]}) {
		t.Fatalf("newest two: %v", got)
	}
	// An upper bound past every key, and a range with nothing in it.
	if got := collect(from, TimeKey(base.AddDate(1, 0, 0)), true, 0); len(got) != 8 || got[0] != all[9] {
		t.Fatalf("reverse to the future: %v", got)
	}
	if got := collect(TimeKey(base.AddDate(-1, 0, 0)), TimeKey(base.AddDate(0, 0, -1)), true, 0); len(got) != 0 {
		t.Fatalf("empty range: %v", got)
	}
	if got := collect("", "", false, 0); !slices.Equal(got, all) {
		t.Fatalf("everything: %v", got)
	}
}
