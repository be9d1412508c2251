package firmware

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// vipFlow sends callers whose record has VIP level 2 or more to queue
// "vip" and everyone else to "sales", in the language of their record.
const vipFlow = `{"format":1,"name":"vip","languages":["en","zh"],"nodes":[
	{"id":"start","type":"start","exits":{"next":"lang"}},
	{"id":"lang","type":"set-language","settings":{"var":"customer.lang"},"exits":{"next":"b"}},
	{"id":"b","type":"branch-var","settings":{"var":"customer.vipLevel","rules":[{"exit":"vip","op":"ge","value":"2"}]},"exits":{"vip":"gold","default":"sales"}},
	{"id":"gold","type":"queue","settings":{"queue":"vip"}},
	{"id":"sales","type":"queue","settings":{"queue":"sales"}}]}`

// On real calls, the stored flow reads the caller's record from the
// directory: a VIP customer on the PSTN line reaches the VIP queue's
// agent (Tom), a caller the directory does not know reaches sales (Lily).
func TestAppliance_StoredFlowSendsAVIPCustomerOnALiveCallToTheVIPQueue(t *testing.T) {
	b := newCTIBox(t, func(st *store.Store) error {
		_, err := store.PutAll(st,
			store.Customer{ID: "c-vip", Name: "Wang Fang", Numbers: []string{"+8613812345678"}, Lang: i18n.ZH, VIPLevel: 3},
			store.Queue{Name: "vip", Number: "601", Strategy: store.StrategyRingAll,
				Members: []store.QueueMember{{Agent: "12", Level: 1, Weight: 1}}, RingSeconds: 20},
			store.Flow{ID: "vipflow", Name: "VIP first", Version: 1, Published: true, Doc: json.RawMessage(vipFlow)},
			store.Line{ID: "line1", Type: store.LineFXO, Device: "sim:1", Route: "flow:vipflow", Enabled: true},
		)
		return err
	})
	lily, tom := b.phone("201"), b.phone("203")
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/agents/11/login", nil)
	b.want(http.StatusNoContent, b.tom, "POST", "/api/v1/agents/12/login", nil)

	for _, tc := range []struct {
		caller, who, queue string
	}{
		{caller: "13812345678", who: "Tom", queue: "vip"},
		{caller: "13900000000", who: "Lily", queue: "sales"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		customer, err := b.pstn(tc.caller).Dial(ctx, "80081")
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		desk := tom
		if tc.who == "Lily" {
			desk = lily
		}
		ringing := incoming(t, desk, tc.who+"'s desk")
		answer(t, ringing)
		if err := customer.WaitAnswer(ctx); err != nil {
			cancel()
			t.Fatal(err)
		}
		if !hears(customer, ringing, 1000) {
			t.Errorf("%s does not hear caller %s", tc.who, tc.caller)
		}
		id := b.activeCall()
		call, ok := b.a.tel.sw.Call(id)
		if !ok {
			t.Fatalf("call %s gone", id)
		}
		rec := call.Record()
		t.Logf("caller %s: route %s", tc.caller, rec.RouteString())
		if !strings.Contains(rec.RouteString(), "flow:vipflow") || !strings.Contains(rec.RouteString(), "queue:"+tc.queue) {
			t.Errorf("caller %s: route %q, want the flow then queue %s", tc.caller, rec.RouteString(), tc.queue)
		}
		if err := customer.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		ended(t, ringing, tc.who+"'s call")
		cancel()
		settle(t, "the call gone", func() bool { return len(b.a.tel.sw.Calls()) == 0 })
	}
}
