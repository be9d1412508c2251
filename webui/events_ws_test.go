package webui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// dialWS opens the event stream as the holder of token, from origin
// ("" for a program, which sends none).
func (cf *ctiFixture) dialWS(base, token, origin, lastID string) (*websocket.Conn, *http.Response, error) {
	cf.t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	if origin != "" {
		h.Set("Origin", origin)
	}
	u := strings.Replace(base, "http://", "ws://", 1) + "/api/v1/events/ws"
	if lastID != "" {
		u += "?lastEventId=" + lastID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
}

// waitSubscribers waits, bounded, until the hub counts n subscribers.
func (cf *ctiFixture) waitSubscribers(n int) {
	cf.t.Helper()
	for i := 0; cf.hub.Status().Subscribers != n; i++ {
		if i > 2000 {
			cf.t.Fatalf("subscribers %d, want %d", cf.hub.Status().Subscribers, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// nextWS reads messages until one of type typ, skipping keep-alives.
func nextWS(t *testing.T, c *websocket.Conn, typ string) wsMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if m.Type == typ {
			return m
		}
	}
}

func TestEventsWS_FiltersByUserAndReplaysFromLastEventID(t *testing.T) {
	cf := newCTIFixture(t)
	cf.agentUser("lily", "11", "201")
	cf.agentUser("tom", "12", "202")
	lily, sup := cf.token(store.RoleAgent, "lily"), cf.token(store.RoleSupervisor, "")
	lc, _, err := cf.dialWS(cf.base, lily, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.CloseNow()
	sc, _, err := cf.dialWS(cf.base, sup, cf.base, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sc.CloseNow()
	cf.waitSubscribers(2)

	cf.bus.Publish(acd.QueueJoined{Queue: "sales", CallID: "c9", Caller: acd.Party{Number: "+8613800000000"}, Position: 1})
	if m := nextWS(t, sc, cti.EventQueueJoined); m.ID == 0 || !strings.Contains(string(m.Data), `"callId":"c9"`) {
		t.Fatalf("supervisor got %+v", m)
	}
	// Tom's state change is not Lily's to see; her own is.
	cf.bus.Publish(acd.AgentStateChanged{Agent: "12", From: acd.AgentAvailable, To: acd.AgentPaused, Reason: "lunch"})
	cf.bus.Publish(acd.AgentStateChanged{Agent: "11", From: acd.AgentAvailable, To: acd.AgentPaused, Reason: "tea"})
	tomsID := nextWS(t, sc, cti.EventAgentState).ID
	lilysID := nextWS(t, sc, cti.EventAgentState).ID
	if got := nextWS(t, lc, cti.EventAgentState); got.ID != lilysID || got.Agent != "11" {
		t.Fatalf("lily got %+v, want only her own event %d", got, lilysID)
	}

	// The supervisor reconnects from before Lily's event and gets it again.
	again, _, err := cf.dialWS(cf.base, sup, "", strconv.FormatUint(tomsID, 10))
	if err != nil {
		t.Fatal(err)
	}
	defer again.CloseNow()
	if got := nextWS(t, again, cti.EventAgentState); got.ID != lilysID {
		t.Fatalf("replayed %d, want %d", got.ID, lilysID)
	}
}

func TestEventsWS_RefusesAPageFromAnotherSite(t *testing.T) {
	cf := newCTIFixture(t)
	sup := cf.token(store.RoleSupervisor, "")
	for _, origin := range []string{"http://evil.example", "http://" + cf.srv.Addr() + ".evil.example", "null"} {
		c, resp, err := cf.dialWS(cf.base, sup, origin, "")
		if err == nil {
			c.CloseNow()
			t.Fatalf("origin %q accepted", origin)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: %v %v", origin, resp, err)
		}
	}
	if _, resp, err := cf.dialWS(cf.base, sup, "", "x1"); err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad lastEventId: %v %v", resp, err)
	}
}

// wsTestServer serves every event to any client with short limits, so
// that keep-alive and size checks show in milliseconds.
func wsTestServer(t *testing.T, cf *ctiFixture, lim wsLimits) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cf.srv.serveEventsWS(w, r, cf.hub, cti.Filter{All: true}, 0, i18n.EN, lim)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestEventsWS_DropsAClientThatStopsAnsweringAndKeepsOneThatReads(t *testing.T) {
	cf := newCTIFixture(t)
	base := wsTestServer(t, cf, wsLimits{ping: 20 * time.Millisecond, pongWait: 100 * time.Millisecond, writeWait: time.Second, readLimit: 1 << 10})
	ctx := context.Background()
	// The silent client never reads, so it never answers a ping.
	silent, _, err := websocket.Dial(ctx, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.CloseNow()
	cf.waitSubscribers(1)
	cf.waitSubscribers(0)

	// A reading client answers pings, sees the JSON keep-alive, and still
	// gets events after many of them.
	reader, _, err := websocket.Dial(ctx, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.CloseNow()
	for range 5 {
		nextWS(t, reader, "ping")
	}
	cf.bus.Publish(acd.QueueJoined{Queue: "sales", CallID: "c1", Position: 1})
	nextWS(t, reader, cti.EventQueueJoined)
}

func TestEventsWS_ClosesAClientThatSendsMoreThanTheReadLimit(t *testing.T) {
	cf := newCTIFixture(t)
	base := wsTestServer(t, cf, wsLimits{ping: time.Hour, pongWait: time.Second, writeWait: time.Second, readLimit: 1 << 10})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, base, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte(`"small"`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ctx, websocket.MessageText, make([]byte, 4<<10)); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Read(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Fatalf("close status %v (%v), want %v", got, err, websocket.StatusMessageTooBig)
	}
	cf.waitSubscribers(0)
}

// streamGoroutines counts goroutines running the WebSocket stream code.
func streamGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "webui.(*Server).serveEventsWS") || strings.Contains(g, "webui.sendEvents") {
			n++
		}
	}
	return n
}

func TestEventsWS_ServerStopClosesTheStreamAndLeavesNoGoroutine(t *testing.T) {
	cf := newCTIFixture(t)
	sup := cf.token(store.RoleSupervisor, "")
	// A second web server on the same store and hub, stopped on its own
	// while the hub runs on: only the server's stop can end the stream.
	srv, err := New(Config{Addr: "127.0.0.1:0", Store: cf.st, Now: cf.clock.Now, Version: "test", CTI: cf.hub, Directory: cf.live, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	defer func() { stop(); wg.Wait() }()
	for i := 0; srv.Addr() == ""; i++ {
		if i > 2000 {
			t.Fatal("server did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c, _, err := cf.dialWS("http://"+srv.Addr(), sup, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	cf.waitSubscribers(1)
	if streamGoroutines() == 0 {
		t.Fatal("no stream goroutine while streaming")
	}

	stop()
	wg.Wait()
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err2 error
	for err2 == nil {
		_, _, err2 = c.Read(rctx) // JSON pings may come first
	}
	if got := websocket.CloseStatus(err2); got != websocket.StatusGoingAway {
		t.Fatalf("close status %v (%v), want going away", got, err2)
	}
	cf.waitSubscribers(0)
	for i := 0; streamGoroutines() != 0; i++ {
		if i > 2000 {
			t.Fatalf("%d stream goroutines left after the server stopped", streamGoroutines())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		t.Fatal("no close frame before the deadline")
	}
}

func TestEventsWS_DropsAClientWhoseWritesStall(t *testing.T) {
	cf := newCTIFixture(t)
	// No pings: only the write timeout can find this client.
	base := wsTestServer(t, cf, wsLimits{ping: time.Hour, pongWait: time.Hour, writeWait: 100 * time.Millisecond, readLimit: 1 << 10})
	// A client that completes the handshake, then never reads, with a
	// small receive buffer, so the server's writes stall once the
	// socket buffers are full.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetReadBuffer(4 << 10); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", strings.TrimPrefix(base, "http://"))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", resp.Status)
	}
	cf.waitSubscribers(1)
	// 64 events of 64 KiB: far more than the socket buffers hold, far
	// fewer than the hub's queue, so the hub itself never drops the client.
	reason := strings.Repeat("x", 64<<10)
	for range 64 {
		cf.bus.Publish(acd.AgentStateChanged{Agent: "11", From: acd.AgentAvailable, To: acd.AgentPaused, Reason: reason})
	}
	cf.waitSubscribers(0)
}
