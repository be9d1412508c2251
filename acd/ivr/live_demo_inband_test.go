package ivr_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/hours"
	"callbox/acd/ivr"
	"callbox/firmware/store"
)

// The demo flow navigated by a SIPp caller whose phone sends its keys as
// in-band tones only (no telephone-event): English, order status, the
// order number, then sales, each group of keys after a pause as a caller
// who listens to the prompts. TestDemoFlow_LiveCallerChecksAnOrderThenReachesSales
// walks the same path with RFC 4733 events.
func TestDemoFlow_SIPpCallerWithInBandKeysChecksAnOrderThenReachesSales(t *testing.T) {
	bin := needSIPp(t)
	orders := httptest.NewServer(ivr.DemoOrders())
	t.Cleanup(orders.Close)
	office, err := hours.FromStore(ivr.DemoHours(time.Now()), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	wednesday := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	queued := make(chan ivr.QueueRequest, 1)
	bx := startLiveBox(t, string(ivr.DemoFlow(orders.URL+"/demo/orders")), func(*store.Store, *ivr.Voice) ivr.Actions {
		return ivr.Actions{Queue: func(ctx context.Context, c *acd.Call, req ivr.QueueRequest) error {
			queued <- req
			return hold(ctx, nil) // an agent talks until the caller hangs up
		}}
	}, ivr.WithClock(func() time.Time { return wednesday }),
		ivr.WithHours(func(name string) (*hours.Schedule, bool) { return office, name == ivr.DemoHoursName }))

	tmpl, err := os.ReadFile(filepath.Join("testdata", "sipp", "inband-uac.xml"))
	if err != nil {
		t.Fatal(err)
	}
	keys := dtmfPcapPaced(t, 3*time.Second, "1", "3", "1234#", "1")
	scenario := bytes.ReplaceAll(tmpl, []byte("PCAP_FILE"), []byte(keys))
	// Stay on the line until the keys are out and the queue is reached.
	scenario = bytes.ReplaceAll(scenario, []byte(`<pause milliseconds="3000" />`), []byte(`<pause milliseconds="16000" />`))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "demo-inband.xml"), scenario, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 28*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, bx.srv.Addr("udp").String(),
		"-sf", "demo-inband.xml", "-i", "127.0.0.1", "-p", fmt.Sprint(freeUDPPort(t)),
		"-mp", fmt.Sprint(freeUDPPort(t)&^1), "-m", "1", "-l", "1",
		"-recv_timeout", "20000", "-timeout", "25s", "-timeout_error", "-nostdin",
		"-s", "80081", "-key", "caller", "201", "-au", "201", "-ap", phoneSecret)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, tail(out.String()))
	}
	var req ivr.QueueRequest
	select {
	case req = <-queued:
	default:
		rec := bx.lastEnded()
		t.Fatalf("never reached a queue: path %q, digits %q", rec.Data[ivr.CallPath], rec.Data[ivr.CallDigits])
	}
	if req.Queue != "sales" || req.Lang != "en" || req.Vars["order"] != "1234" || req.Vars["order.status"] != "shipped" {
		t.Errorf("queue request %+v", req)
	}
	rec := bx.lastEnded()
	want := "start>language>to-en>hours>main>order>order-lookup>order-status>order-shipped>main>sales"
	if rec.Data[ivr.CallPath] != want || rec.Data[ivr.CallDigits] != "language=1;main=3;order=1234;main=1" {
		t.Errorf("path %q\ndigits %q", rec.Data[ivr.CallPath], rec.Data[ivr.CallDigits])
	}
}
