package webui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"callbox/acd/cti"
	"callbox/firmware/i18n"
)

// eventPing is how often an idle event stream sends a keep-alive, so that
// proxies and NAT tables keep the connection and a dead client is found.
const eventPing = 20 * time.Second

// ParseEventID reads a Last-Event-ID value: a decimal event ID, or empty
// for none (0).
func ParseEventID(v string) (uint64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if len(v) > 20 {
		return 0, fmt.Errorf("%w: event ID too long", ErrBadEventID)
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrBadEventID, v)
	}
	return id, nil
}

// ErrBadEventID: a Last-Event-ID is not an event ID.
var ErrBadEventID = errors.New("webui: bad event ID")

// eventFilter is what the user may see: everything for watchers, their
// own agent's events for agents. It has answered when ok is false.
func (s *Server) eventFilter(w http.ResponseWriter, rc *reqCtx) (cti.Filter, bool) {
	if isWatcher(rc.user) {
		return cti.Filter{All: true}, true
	}
	me, ok := s.ownAgent(w, rc)
	return cti.Filter{Agent: me}, ok
}

// eventStream is what both event streams (SSE and WebSocket) start from:
// the CTI hub, what the user may see, and the replay point. It has
// answered when ok is false.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request, rc *reqCtx) (h *cti.Hub, f cti.Filter, after uint64, ok bool) {
	if h, ok = s.hub(w, rc); !ok {
		return nil, f, 0, false
	}
	if f, ok = s.eventFilter(w, rc); !ok {
		return nil, f, 0, false
	}
	after, err := lastEventID(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, i18n.T(rc.lang, "web.api.bad_json", err))
		return nil, f, 0, false
	}
	return h, f, after, true
}

// lastEventID takes the replay point from the Last-Event-ID header (what
// EventSource sends on reconnect) or the lastEventId query parameter (for
// the first connection and WebSocket clients).
func lastEventID(r *http.Request) (uint64, error) {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		return ParseEventID(v)
	}
	return ParseEventID(r.URL.Query().Get("lastEventId"))
}

// apiEvents streams the CTI's events as Server-Sent Events. Each event
// carries its ID, so a client that reconnects gets what it missed while
// that is still kept; when it is not, a "reset" event tells it to reload.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	h, f, after, ok := s.eventStream(w, r, rc)
	if !ok {
		return
	}
	ctx := r.Context()
	ch, gap := h.Subscribe(ctx, f, after)
	rcw := http.NewResponseController(w)
	// The server's timeouts are for ordinary requests; a stream lives
	// until the client leaves.
	_ = rcw.SetWriteDeadline(time.Time{})
	_ = rcw.SetReadDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	if errors.Is(gap, cti.ErrReplayGap) {
		fmt.Fprintf(w, "event: reset\ndata: {\"message\":%q}\n\n", i18n.T(rc.lang, "cti.error.replay-gap", after))
	}
	if err := rcw.Flush(); err != nil {
		return
	}
	ping := time.NewTicker(eventPing)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case e, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, e.Data)
		}
		if err := rcw.Flush(); err != nil {
			return
		}
	}
}
