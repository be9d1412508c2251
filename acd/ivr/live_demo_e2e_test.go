package ivr_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/hours"
	"callbox/acd/ivr"
	"callbox/firmware/store"
)

// The demo flow on a live call: English, order status through the demo
// order service (a shipped order is read out), then sales.
func TestDemoFlow_LiveCallerChecksAnOrderThenReachesSales(t *testing.T) {
	orders := httptest.NewServer(ivr.DemoOrders())
	t.Cleanup(orders.Close)
	office, err := hours.FromStore(ivr.DemoHours(time.Now()), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	wednesday := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	queued := make(chan ivr.QueueRequest, 1)
	release := make(chan struct{})
	bx := startLiveBox(t, string(ivr.DemoFlow(orders.URL+"/demo/orders")), func(*store.Store, *ivr.Voice) ivr.Actions {
		return ivr.Actions{Queue: func(ctx context.Context, c *acd.Call, req ivr.QueueRequest) error {
			queued <- req
			return hold(ctx, release)
		}}
	}, ivr.WithClock(func() time.Time { return wednesday }),
		ivr.WithHours(func(name string) (*hours.Schedule, bool) { return office, name == ivr.DemoHoursName }))
	c := bx.call("80081")
	if !c.hearsSpeech(5 * time.Second) {
		t.Fatal("no welcome")
	}
	// 1: English; 3: order status; the order number; then, after the
	// status is read out, 1 for sales.
	for _, d := range []byte("13") {
		if err := c.SendDigit(ctxT(t), d); err != nil {
			t.Fatal(err)
		}
	}
	if !c.hearsSpeech(5 * time.Second) {
		t.Fatal("no order prompt")
	}
	for _, d := range []byte("1234#") {
		if err := c.SendDigit(ctxT(t), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SendDigit(ctxT(t), '1'); err != nil {
		t.Fatal(err)
	}
	var req ivr.QueueRequest
	select {
	case req = <-queued:
	case <-time.After(30 * time.Second):
		t.Fatal("never reached a queue")
	}
	close(release)
	if req.Queue != "sales" || req.Lang != "en" || req.Vars["order"] != "1234" || req.Vars["order.status"] != "shipped" || req.Vars["order.days"] != "4" {
		t.Errorf("queue request %+v", req)
	}
	rec := bx.lastEnded()
	want := "start>language>to-en>hours>main>order>order-lookup>order-status>order-shipped>main>sales"
	if rec.Data[ivr.CallPath] != want || rec.Data[ivr.CallDigits] != "language=1;main=3;order=1234;main=1" {
		t.Errorf("path %q\ndigits %q", rec.Data[ivr.CallPath], rec.Data[ivr.CallDigits])
	}
}
