package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"callbox/acd/cti"
	"callbox/firmware/i18n"
)

// wsMessage is one WebSocket text frame: an event, a keep-alive ping, or
// a reset when the events after lastEventId are no longer kept.
type wsMessage struct {
	ID      uint64          `json:"id,omitempty"`
	Type    string          `json:"type"`
	At      time.Time       `json:"at,omitzero"`
	Agent   string          `json:"agent,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
	Message string          `json:"message,omitempty"`
}

// wsLimits bound one WebSocket stream. They are a value, not constants,
// so that tests can make a stuck client visible in milliseconds.
type wsLimits struct {
	ping      time.Duration // how often an idle stream is checked
	pongWait  time.Duration // how long the client has to answer a ping
	writeWait time.Duration // how long one frame may take to leave
	readLimit int64         // the largest message a client may send
}

// defaultWSLimits: a ping as often as the SSE stream's, and a client that
// cannot take a frame or answer a ping within 10 s is dropped, so that a
// dead or stuck browser does not hold a subscription. Clients send
// nothing the server needs, so their messages are kept small.
var defaultWSLimits = wsLimits{ping: eventPing, pongWait: 10 * time.Second, writeWait: 10 * time.Second, readLimit: 4 << 10}

// hijackable gives the WebSocket library the connection through the
// writers the server wraps around the real one, and clears the deadlines
// the server set for ordinary requests: a stream has none but its pings.
type hijackable struct{ http.ResponseWriter }

func (h hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err == nil {
		_ = c.SetDeadline(time.Time{})
	}
	return c, rw, err
}

// sameOrigin refuses a WebSocket opened by a page of another site, which
// the browser would otherwise let ride on the session cookie. Programs
// (no Origin header) pass; they authenticate with a token. Accept checks
// the same again (no OriginPatterns, no InsecureSkipVerify); this check
// comes first so that the refusal is the box's own, translated, answer.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// apiEventsWS streams the same events as apiEvents over a WebSocket, one
// JSON text frame each; the replay point is the lastEventId parameter.
func (s *Server) apiEventsWS(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, f, after, ok := s.eventStream(w, r, rc)
	if !ok {
		return
	}
	if !sameOrigin(r) {
		s.forbidden(w, r, rc, "web.error.cross_origin")
		return
	}
	s.serveEventsWS(w, r, h, f, after, rc.lang, defaultWSLimits)
}

// serveEventsWS upgrades the request and streams h's events that f
// matches until the client leaves, falls behind, the hub stops or the
// HTTP server shuts down.
func (s *Server) serveEventsWS(w http.ResponseWriter, r *http.Request, h *cti.Hub, f cti.Filter, after uint64, lang i18n.Lang, lim wsLimits) {
	st := streamsOf(r)
	if !st.add() {
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}
	defer st.wg.Done()
	c, err := websocket.Accept(hijackable{w}, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		// Accept has answered the client.
		s.log.Debug("websocket refused", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(st.ctx, cancel)()
	c.SetReadLimit(lim.readLimit)
	// The client sends nothing we need, but reading is what answers its
	// pings, takes our pongs, and finds when it leaves or sends more than
	// the limit. The reader's context does not end on shutdown, so the
	// close handshake can still read the client's close frame; closing
	// the connection ends it.
	left := make(chan struct{})
	go func() {
		defer close(left)
		rctx := context.WithoutCancel(ctx)
		for {
			if _, _, err := c.Read(rctx); err != nil {
				return
			}
		}
	}()
	if code := sendEvents(ctx, c, h, f, after, lang, lim, left); code != 0 {
		_ = c.Close(code, "")
	}
	_ = c.CloseNow()
	<-left
}

// sendEvents sends the events until the stream ends, and says how to
// close it: a status for a close handshake, or 0 to drop the connection
// (a client that does not read or answer, or one that has already gone).
func sendEvents(ctx context.Context, c *websocket.Conn, h *cti.Hub, f cti.Filter, after uint64, lang i18n.Lang, lim wsLimits, left <-chan struct{}) websocket.StatusCode {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, gap := h.Subscribe(ctx, f, after)
	send := func(m wsMessage) bool {
		wctx, cancel := context.WithTimeout(ctx, lim.writeWait)
		defer cancel()
		return wsjson.Write(wctx, c, m) == nil
	}
	if errors.Is(gap, cti.ErrReplayGap) && !send(wsMessage{Type: "reset", Message: i18n.T(lang, "cti.error.replay-gap", after)}) {
		return 0
	}
	ping := time.NewTicker(lim.ping)
	defer ping.Stop()
	for {
		var m wsMessage
		select {
		case <-ctx.Done():
			return websocket.StatusGoingAway
		case <-left:
			return 0
		case <-ping.C:
			// A ping frame finds a client that no longer reads; the JSON
			// ping lets a browser script, which never sees ping frames,
			// find a dead server.
			if !send(wsMessage{Type: "ping"}) {
				return 0
			}
			pctx, cancel := context.WithTimeout(ctx, lim.pongWait)
			err := c.Ping(pctx)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return websocket.StatusGoingAway
				}
				return 0
			}
			continue
		case e, ok := <-ch:
			if !ok {
				// The hub stopped or the client fell behind: it
				// reconnects with its last ID and gets the rest.
				return websocket.StatusGoingAway
			}
			m = wsMessage{ID: e.ID, Type: e.Type, At: e.At, Agent: e.Agent, Data: e.Data}
		}
		if !send(m) {
			return 0
		}
	}
}

// wsStreams are the WebSocket streams of one http.Server. Their
// connections are hijacked, so Shutdown neither closes nor waits for
// them: its hook ends them here instead.
type wsStreams struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// add counts a new stream, or refuses it once the server is stopping.
func (st *wsStreams) add() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return false
	}
	st.wg.Add(1)
	return true
}

// stop ends the streams with a close frame and waits for them.
func (st *wsStreams) stop() {
	st.mu.Lock()
	st.closed = true
	st.mu.Unlock()
	st.cancel()
	st.wg.Wait()
}

// streamsByServer maps each running http.Server (weakly, so a stopped one
// is collected) to its streams; the web server's Run owns the
// http.Server, and this is how a handler reaches its shutdown.
var streamsByServer sync.Map // weak.Pointer[http.Server] → *wsStreams

// streamsOf returns the streams of the server r came through, registering
// their shutdown hook with the first one. A request served outside an
// http.Server (a handler called directly) gets streams of its own.
func streamsOf(r *http.Request) *wsStreams {
	// Not the request's context: the streams outlive requests, and the
	// request's values hold the http.Server, which must stay collectable.
	ctx, cancel := context.WithCancel(context.Background())
	st := &wsStreams{ctx: ctx, cancel: cancel}
	hs, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if hs == nil {
		return st
	}
	key := weak.Make(hs)
	got, loaded := streamsByServer.LoadOrStore(key, st)
	if loaded {
		cancel()
		return got.(*wsStreams)
	}
	hs.RegisterOnShutdown(st.stop)
	runtime.AddCleanup(hs, func(k weak.Pointer[http.Server]) { streamsByServer.Delete(k) }, key)
	return st
}
