package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/websocket"

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

// hijackable gives the WebSocket library the connection through the
// writers the server wraps around the real one.
type hijackable struct{ http.ResponseWriter }

func (h hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

// sameOrigin refuses a WebSocket opened by a page of another site, which
// the browser would otherwise let ride on the session cookie. Programs
// (no Origin header) pass; they authenticate with a token.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// apiEventsWS streams the same events as apiEvents over a WebSocket, one
// JSON text frame each; the replay point is the lastEventId parameter.
func (s *Server) apiEventsWS(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, ok := s.hub(w, rc)
	if !ok {
		return
	}
	f, ok := s.eventFilter(w, rc)
	if !ok {
		return
	}
	after, err := lastEventID(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "web.api.bad_json", err))
		return
	}
	if !sameOrigin(r) {
		s.forbidden(w, r, rc, "web.error.cross_origin")
		return
	}
	srv := websocket.Server{
		Handshake: func(*websocket.Config, *http.Request) error { return nil }, // origin checked above
		Handler:   func(ws *websocket.Conn) { s.streamWS(r.Context(), ws, h, f, after, rc.lang) },
	}
	srv.ServeHTTP(hijackable{w}, r)
}

func (s *Server) streamWS(ctx context.Context, ws *websocket.Conn, h *cti.Hub, f cti.Filter, after uint64, lang i18n.Lang) {
	defer ws.Close()
	// The server's deadlines stay on a hijacked connection; a stream
	// has none but its pings.
	_ = ws.SetDeadline(time.Time{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The client sends nothing we need; reading finds when it leaves.
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer cancel()
		var discard []byte
		for websocket.Message.Receive(ws, &discard) == nil {
		}
	}()
	defer func() {
		ws.Close()
		<-readerDone
	}()
	ch, gap := h.Subscribe(ctx, f, after)
	send := func(m wsMessage) bool {
		_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return websocket.JSON.Send(ws, m) == nil
	}
	if errors.Is(gap, cti.ErrReplayGap) && !send(wsMessage{Type: "reset", Message: i18n.T(lang, "cti.error.replay-gap", after)}) {
		return
	}
	ping := time.NewTicker(eventPing)
	defer ping.Stop()
	for {
		var m wsMessage
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			m = wsMessage{Type: "ping"}
		case e, ok := <-ch:
			if !ok {
				return
			}
			m = wsMessage{ID: e.ID, Type: e.Type, At: e.At, Agent: e.Agent, Data: e.Data}
		}
		if !send(m) {
			return
		}
	}
}
