package ivr_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"time"

	"callbox/acd/hours"
	"callbox/acd/ivr"
)

// An installer tests the demo flow before publishing it: a caller picks
// English, asks for the status of order 12344 and goes on to support.
func ExampleEngine_DryRun() {
	orders := httptest.NewServer(ivr.DemoOrders())
	defer orders.Close()

	doc, err := ivr.Parse(ivr.DemoFlow(orders.URL + "/demo/orders"))
	if err != nil {
		fmt.Println(err)
		return
	}
	flow, err := ivr.Compile(doc, ivr.DemoFlowID, 1, ivr.Checks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	office, err := hours.FromStore(ivr.DemoHours(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), time.UTC)
	if err != nil {
		fmt.Println(err)
		return
	}
	engine := ivr.NewEngine(
		ivr.WithHours(func(name string) (*hours.Schedule, bool) { return office, name == ivr.DemoHoursName }),
		ivr.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))

	res, err := engine.DryRun(context.Background(), flow, ivr.DryRun{
		ANI: "13800001111", DNIS: "80081",
		At:     time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), // a Wednesday morning
		Digits: []string{"1", "3", "12344", "2"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(res.Path(), " > "))
	fmt.Println(res.Actions, res.Vars["order.status"], res.Vars["order.days"])
	// Output:
	// start > language > to-en > hours > main > order > order-lookup > order-status > order-shipped > main > support
	// [queue support] shipped 4
}
