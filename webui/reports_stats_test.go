package webui

import (
	"testing"
	"time"

	"callbox/acd/servicelevel"
)

func TestQueueRowOf_ShowsADashWhereNothingWasCounted(t *testing.T) {
	cases := []struct {
		name string
		iv   servicelevel.Interval
		want queueRow
	}{
		{"no calls", servicelevel.Interval{},
			queueRow{Label: "x", SL: "–", ASA: "–", AbandonRate: "–", AHT: "–", LongestWait: "–"}},
		{"only short abandons", servicelevel.Interval{Offered: 2, Abandoned: 2, AbandonedShort: 2, LongestWait: 3 * time.Second},
			queueRow{Label: "x", Offered: 2, Abandoned: 2, SL: "–", ASA: "–", AbandonRate: "100.0%", AHT: "–", LongestWait: "0:03"}},
		{"answered", servicelevel.Interval{Offered: 4, Answered: 3, AnsweredInSL: 2, Abandoned: 1, AnswerWait: 30 * time.Second,
			LongestWait: 20 * time.Second, Handled: 3, TalkTime: 5 * time.Minute, WrapTime: time.Minute},
			queueRow{Label: "x", Offered: 4, Answered: 3, Abandoned: 1, Handled: 3, SL: "50.0%", ASA: "0:10", AbandonRate: "25.0%",
				AHT: "2:00", LongestWait: "0:20"}},
	}
	for _, c := range cases {
		if got := queueRowOf("x", c.iv); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
