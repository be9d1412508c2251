package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// boxStats are the counts of calls, SIP legs and media the binary serves
// on its --debug listener's /debug/stats (firmware/debug.go), with the Go
// runtime's memory classes in bytes: the soak records them so a leak
// shows where it is (a leg, a session, a socket, the heap or stacks). The
// box reports -1 for a figure it cannot read.
type boxStats struct {
	Goroutines       int64  `json:"goroutines"`
	CallsActive      int64  `json:"callsActive"`
	SIPLegs          int64  `json:"sipLegs"`
	RTPSessions      int64  `json:"rtpSessions"`
	RelaySockets     int64  `json:"relaySockets"`
	RelaySendDropped uint64 `json:"relaySendDropped"`
	MemHeapObjects   int64  `json:"memHeapObjects"`
	MemHeapFree      int64  `json:"memHeapFree"`
	MemHeapReleased  int64  `json:"memHeapReleased"`
	MemHeapStacks    int64  `json:"memHeapStacks"`
	MemOSStacks      int64  `json:"memOSStacks"`
	MemMetadataOther int64  `json:"memMetadataOther"`
	MemTotal         int64  `json:"memTotal"`
}

// errNoBoxStats: the binary's /debug/stats predates the call and media
// counts.
var errNoBoxStats = errors.New("callbench: /debug/stats has no call and media counts")

// parseBoxStats reads a /debug/stats body.
func parseBoxStats(r io.Reader) (*boxStats, error) {
	var v struct {
		boxStats
		Calls *int64 `json:"callsActive"`
	}
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&v); err != nil {
		return nil, err
	}
	if v.Calls == nil {
		return nil, errNoBoxStats
	}
	st := v.boxStats
	st.CallsActive = *v.Calls
	return &st, nil
}

// boxStats asks the binary for its counts; nil when it does not serve
// them.
func (s *system) boxStats() *boxStats {
	if s.debug == "" {
		return nil
	}
	c := http.Client{Timeout: 3 * time.Second}
	r, err := c.Get("http://" + s.debug + "/debug/stats")
	if err != nil {
		return nil
	}
	defer r.Body.Close()
	st, err := parseBoxStats(r.Body)
	if err != nil {
		return nil
	}
	return st
}

// summary is the counts for a log line.
func (b *boxStats) summary() string {
	if b == nil {
		return ""
	}
	return fmt.Sprintf(", box: calls %d, legs %d, RTP sessions %d, relay sockets %d, heap objects %.1f MB",
		b.CallsActive, b.SIPLegs, b.RTPSessions, b.RelaySockets, mb(b.MemHeapObjects))
}

// counts is the table cell of calls, legs and sessions.
func (b *boxStats) counts() string {
	if b == nil {
		return "–"
	}
	return fmt.Sprintf("%d / %d / %d", b.CallsActive, b.SIPLegs, b.RTPSessions)
}

// memory is the table cell of the Go memory classes.
func (b *boxStats) memory() string {
	if b == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f / %.1f / %.1f / %.1f", mb(b.MemHeapObjects), mb(b.MemHeapFree), mb(b.MemHeapReleased),
		mb(b.MemHeapStacks+max(b.MemOSStacks, 0)))
}

func mb(b int64) float64 {
	if b < 0 {
		return -1
	}
	return float64(b) / (1 << 20)
}
