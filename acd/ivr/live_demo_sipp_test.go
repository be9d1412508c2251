package ivr_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/hours"
	"callbox/acd/ivr"
	"callbox/firmware/store"
	"callbox/media"
)

// demoKeys are the caller's keys through the demo flow, a group per
// prompt: English, order status, the order number, then sales.
var demoKeys = []string{"1", "3", "1234#", "1"}

// The demo flow navigated by a SIPp caller whose phone sends its keys as
// in-band tones only (no telephone-event offered), each group of keys
// after a pause as a caller who listens to the prompts.
// TestDemoFlow_LiveCallerChecksAnOrderThenReachesSales walks the same
// path with the test softphone.
func TestDemoFlow_SIPpCallerWithInBandKeysChecksAnOrderThenReachesSales(t *testing.T) {
	bin := needSIPp(t)
	walkDemoBySIPp(t, bin, false, dtmfPcapPaced(t, 3*time.Second, demoKeys...))
}

// The same walk with the keys as RFC 4733 telephone-events, which the
// caller's phone offers in its SDP.
func TestDemoFlow_SIPpCallerWithRFC4733KeysChecksAnOrderThenReachesSales(t *testing.T) {
	bin := needSIPp(t)
	walkDemoBySIPp(t, bin, true, eventPcap(t, 3*time.Second, demoKeys...))
}

// eventPcap is a caller's RTP stream as a pcap: silence (A-law), with
// each key as an RFC 4733 event (payload type 101) of 120 ms and its
// three end packets, 120 ms between keys and gap between groups.
func eventPcap(t *testing.T, gap time.Duration, groups ...string) string {
	t.Helper()
	var pkts [][]byte
	var seq uint16
	silence := make([]byte, media.FrameSamples)
	for i := range silence {
		silence[i] = 0xd5 // A-law zero
	}
	add := func(pt byte, marker bool, ts uint32, payload []byte) {
		rtp := make([]byte, 12+len(payload))
		rtp[0], rtp[1] = 0x80, pt
		if marker {
			rtp[1] |= 0x80
		}
		binary.BigEndian.PutUint16(rtp[2:], seq)
		binary.BigEndian.PutUint32(rtp[4:], ts)
		binary.BigEndian.PutUint32(rtp[8:], 0x5eed4733)
		copy(rtp[12:], payload)
		pkts = append(pkts, rtp)
		seq++
	}
	quiet := func(d time.Duration) {
		for range int(d / media.FrameDuration) {
			add(8, false, uint32(len(pkts)*media.FrameSamples), silence)
		}
	}
	quiet(500 * time.Millisecond)
	for g, keys := range groups {
		if g > 0 {
			quiet(gap)
		}
		for _, k := range keys {
			event := byte(strings.IndexByte("0123456789*#", byte(k)))
			start := uint32(len(pkts) * media.FrameSamples)
			for n := 1; n <= 6; n++ {
				add(101, n == 1, start, []byte{event, 10, 0, byte(n * media.FrameSamples)})
			}
			for range 3 {
				end := []byte{event, 0x80 | 10, 0, 0}
				binary.BigEndian.PutUint16(end[2:], uint16(7*media.FrameSamples))
				add(101, false, start, end)
			}
			quiet(120 * time.Millisecond)
		}
	}
	quiet(500 * time.Millisecond)
	return rtpPcap(t, pkts)
}

// walkDemoBySIPp runs the demo flow on a live box and calls it with SIPp
// playing keys (a pcap); with events the caller offers telephone-event.
// The caller must reach sales in English with order 1234 looked up.
func walkDemoBySIPp(t *testing.T, bin string, events bool, keys string) {
	t.Helper()
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

	scenario, err := os.ReadFile(filepath.Join("testdata", "sipp", "inband-uac.xml"))
	if err != nil {
		t.Fatal(err)
	}
	scenario = bytes.ReplaceAll(scenario, []byte("PCAP_FILE"), []byte(keys))
	// Stay on the line until the keys are out and the queue is reached.
	scenario = bytes.ReplaceAll(scenario, []byte(`<pause milliseconds="3000" />`), []byte(`<pause milliseconds="16000" />`))
	if events {
		scenario = bytes.ReplaceAll(scenario, []byte("RTP/AVP 8\n"), []byte("RTP/AVP 8 101\n"))
		scenario = bytes.ReplaceAll(scenario, []byte("a=rtpmap:8 PCMA/8000\n"),
			[]byte("a=rtpmap:8 PCMA/8000\n      a=rtpmap:101 telephone-event/8000\n      a=fmtp:101 0-15\n"))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "demo-keys.xml"), scenario, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 28*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, bx.srv.Addr("udp").String(),
		"-sf", "demo-keys.xml", "-i", "127.0.0.1", "-p", fmt.Sprint(freeUDPPort(t)),
		"-mp", fmt.Sprint(freeUDPPort(t)&^1), "-m", "1", "-l", "1",
		"-recv_timeout", "20000", "-timeout", "25s", "-timeout_error", "-nostdin",
		"-s", "80081", "-key", "caller", "201", "-au", "201", "-ap", phoneSecret)
	cmd.Dir = dir // SIPp's logs stay out of the repository
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
