package directory

import (
	"testing"
	"time"

	"callbox/firmware/store"
)

func TestHistory_ListsContactsByNumberMostRecentFirst(t *testing.T) {
	st := openStore(t)
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	store.PutAll(st,
		store.Contact{ID: "k1", Number: "13812345678", Channel: store.ChannelCall, Direction: store.DirectionIn, At: at(1)},
		store.Contact{ID: "k2", Number: "+8613812345678", Channel: store.ChannelSMS, Direction: store.DirectionIn, At: at(3)},
		store.Contact{ID: "k3", Number: "+8613900000000", Channel: store.ChannelCall, Direction: store.DirectionIn, At: at(2)},
		store.Contact{ID: "k4", Number: "+8613700000000", CustomerID: "c1", Channel: store.ChannelNote, At: at(4)},
	)
	got, err := History(st, PlanCN, "0086 138 1234 5678", 0)
	if err != nil || len(got) != 2 || got[0].ID != "k2" || got[1].ID != "k1" {
		t.Fatalf("%+v %v", got, err)
	}
	got, _ = CustomerHistory(st, PlanCN, store.Customer{ID: "c1", Numbers: []string{"+8613812345678"}}, 2)
	if len(got) != 2 || got[0].ID != "k4" || got[1].ID != "k2" {
		t.Fatalf("customer %+v", got)
	}
}
