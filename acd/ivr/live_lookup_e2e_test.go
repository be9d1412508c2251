package ivr_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/ivr"
	"callbox/firmware/store"
)

// lookupFlow greets, looks the caller's order up, and either thanks them
// (found) or says "please hold" (the error branch); both go on to the
// support queue, so a failed lookup costs the caller nothing but the
// data.
func lookupFlow(url string) string {
	return `{"format": 1, "languages": ["en"], "nodes": [
 {"id": "start", "type": "start", "exits": {"next": "hello"}},
 {"id": "hello", "type": "play", "settings": {"prompts": [{"key": "welcome"}]}, "exits": {"next": "lookup"}},
 {"id": "lookup", "type": "lookup", "settings": {"url": "` + url + `/orders/{{ani}}", "timeoutMs": 800,
   "map": {"order.status": "status"}}, "exits": {"ok": "found", "error": "sorry"}},
 {"id": "found", "type": "play", "settings": {"prompts": [{"key": "thank-you"}]}, "exits": {"next": "support"}},
 {"id": "sorry", "type": "play", "settings": {"prompts": [{"key": "please-hold"}]}, "exits": {"next": "support"}},
 {"id": "support", "type": "queue", "settings": {"queue": "support"}, "exits": {"failed": "bye"}},
 {"id": "bye", "type": "hangup"}
]}`
}

// closedURL is an http:// address on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// queued is what the queue node saw of the call when the flow reached it.
type queued struct {
	path, played, fail string
	callerUp           bool
}

func TestRunner_LookupFailsSafeOnALiveCallWhenTheServiceIsDownOrSlow(t *testing.T) {
	// The slow service answers only after the test ends; it notes that
	// the box gave up on the request (its context was cancelled).
	gaveUp := make(chan struct{}, 1)
	stop := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			gaveUp <- struct{}{}
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); slow.Close() })

	for _, tc := range []struct {
		name, url, why string
		gaveUp         bool
	}{
		{"down", closedURL(t), "connection refused", false},
		{"slow", slow.URL, "no answer within 800ms", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached := make(chan queued, 1)
			release := make(chan struct{})
			bx := startLiveBox(t, lookupFlow(tc.url), func(*store.Store, *ivr.Voice) ivr.Actions {
				return ivr.Actions{Queue: func(ctx context.Context, c *acd.Call, req ivr.QueueRequest) error {
					var q queued
					q.path, _ = c.Get(ivr.CallPath)
					q.played, _ = c.Get(ivr.CallPlayed)
					q.fail, _ = c.Get(ivr.CallFailPrefix + "lookup")
					select {
					case <-c.Caller().Done():
					default:
						q.callerUp = true
					}
					reached <- q
					return hold(ctx, release)
				}}
			})
			c := bx.call("800")
			if !c.hearsSpeech(5 * time.Second) {
				t.Fatal("no welcome")
			}
			var q queued
			select {
			case q = <-reached:
			case <-time.After(20 * time.Second):
				t.Fatal("the flow never went on after the failed lookup")
			}
			if q.path != "start>hello>lookup>sorry" || !q.callerUp {
				t.Errorf("reached the queue by %q (caller connected: %v), want the error branch with the caller on the line", q.path, q.callerUp)
			}
			// welcome and the error branch's "please hold", nothing of
			// the found branch.
			if q.played != strconv.Itoa(2) {
				t.Errorf("%s prompts played before the queue, want 2 (welcome, please-hold)", q.played)
			}
			if !strings.HasPrefix(q.fail, "error: ") || !strings.Contains(q.fail, tc.why) {
				t.Errorf("lookup failure noted as %q, want the error exit because of %q", q.fail, tc.why)
			}
			if tc.gaveUp {
				select {
				case <-gaveUp:
				case <-time.After(10 * time.Second):
					t.Error("the slow request was never abandoned")
				}
			}
			close(release)
			rec := bx.lastEnded()
			if rec.Data[ivr.CallEnd] != string(ivr.EndServed) || rec.Data[ivr.CallVarPrefix+"order.status"] != "" {
				t.Errorf("call ended %q with order status %q", rec.Data[ivr.CallEnd], rec.Data[ivr.CallVarPrefix+"order.status"])
			}
		})
	}
}
