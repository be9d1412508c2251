package firmware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// ErrDebugNotLoopback refuses a --debug address that is not a loopback IP:
// the profiler shows the box's memory and must never face the network.
var ErrDebugNotLoopback = errors.New("the debug listener must be on a loopback address (127.0.0.0/8 or [::1])")

// ValidateDebugAddr checks a --debug address: an IP literal on loopback
// with a port; "" means no debug listener.
func ValidateDebugAddr(addr string) error {
	if addr == "" {
		return nil
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("%w %q: want ip:port", ErrBadAddr, addr)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("%w: %s", ErrDebugNotLoopback, addr)
	}
	return nil
}

// debugServer serves Go's profiler and a small runtime figure page on a
// loopback address, so that a technician or the benchmark harness can
// profile the running binary itself.
type debugServer struct {
	addr string
	log  *slog.Logger
	now  func() time.Time
	// bound is told the address once listening (port 0 picks one).
	bound func(string)
	// calls reads the switch's figures; nil reports them as -1.
	calls func() CallFigures
}

// CallFigures are what is in progress in the switch: all return to zero
// once no call is up, so a soak sees a stuck leg or session at its end.
type CallFigures struct {
	Calls        int `json:"callsActive"`  // calls in the switch
	SIPLegs      int `json:"sipLegs"`      // B2BUA legs with a live dialog
	RTPSessions  int `json:"rtpSessions"`  // RTP port pairs open
	RelaySockets int `json:"relaySockets"` // sockets the relay engine serves (two per session)
	// The relay engine's counters since start: datagrams read, sent on by
	// forwards, and sends the kernel refused (a full send buffer). A load
	// test reads them per step to tell the relay's losses from the network's.
	RelayReceived    uint64 `json:"relayReceived"`
	RelayForwarded   uint64 `json:"relayForwarded"`
	RelaySendDropped uint64 `json:"relaySendDropped"`
}

// MemoryClasses are runtime/metrics memory classes, in bytes: where the
// process's memory goes beyond the live heap (memory returned to the OS,
// free heap kept, stacks, runtime metadata).
type MemoryClasses struct {
	HeapReleased  uint64 `json:"memHeapReleased"`
	HeapFree      uint64 `json:"memHeapFree"`
	OSStacks      uint64 `json:"memOSStacks"`
	HeapStacks    uint64 `json:"memHeapStacks"`
	HeapObjects   uint64 `json:"memHeapObjects"`
	MetadataOther uint64 `json:"memMetadataOther"`
	Total         uint64 `json:"memTotal"`
}

// memoryMetrics names the runtime/metrics samples MemoryClasses reads, in
// its fields' order.
var memoryMetrics = []string{"/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes",
	"/memory/classes/os-stacks:bytes", "/memory/classes/heap/stacks:bytes", "/memory/classes/heap/objects:bytes",
	"/memory/classes/metadata/other:bytes", "/memory/classes/total:bytes"}

func readMemoryClasses() MemoryClasses {
	samples := make([]metrics.Sample, len(memoryMetrics))
	for i, name := range memoryMetrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	v := make([]uint64, len(samples))
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	return MemoryClasses{HeapReleased: v[0], HeapFree: v[1], OSStacks: v[2], HeapStacks: v[3], HeapObjects: v[4],
		MetadataOther: v[5], Total: v[6]}
}

// debugFigures are the switch's figures for /debug/stats.
func (t *telephony) debugFigures() CallFigures {
	rs := t.engine.Stats()
	return CallFigures{Calls: t.sw.Active(), SIPLegs: t.b2b.Active(), RTPSessions: t.ports.InUse(),
		RelaySockets: t.engine.Sockets(), RelayReceived: rs.Received, RelayForwarded: rs.Forwarded,
		RelaySendDropped: rs.Dropped}
}

// Name is the service name the supervisor shows.
func (d *debugServer) Name() string { return "debug" }

// RuntimeStats are the figures /debug/stats reports.
type RuntimeStats struct {
	Time       time.Time `json:"time"`
	Goroutines int       `json:"goroutines"`
	HeapAlloc  uint64    `json:"heapAlloc"`
	HeapSys    uint64    `json:"heapSys"`
	Sys        uint64    `json:"sys"`
	NumGC      uint32    `json:"numGC"`
	PauseTotal int64     `json:"gcPauseTotalNs"`
	OpenFiles  int       `json:"openFiles"` // -1 where /proc/self/fd cannot be read
	CallFigures
	MemoryClasses
}

func (d *debugServer) stats() RuntimeStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds := -1
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = len(ents)
	}
	calls := CallFigures{Calls: -1, SIPLegs: -1, RTPSessions: -1, RelaySockets: -1}
	if d.calls != nil {
		calls = d.calls()
	}
	return RuntimeStats{Time: d.now(), Goroutines: runtime.NumGoroutine(), HeapAlloc: m.HeapAlloc, HeapSys: m.HeapSys,
		Sys: m.Sys, NumGC: m.NumGC, PauseTotal: int64(m.PauseTotalNs), OpenFiles: fds,
		CallFigures: calls, MemoryClasses: readMemoryClasses()}
}

func (d *debugServer) handler() http.Handler {
	mux := http.NewServeMux()
	// Registered by hand on a private mux: importing net/http/pprof also
	// registers on http.DefaultServeMux, which nothing here serves.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/stats", func(w http.ResponseWriter, _ *http.Request) { d.writeStats(w) })
	// A technician's (and the benchmark's) way to see what the box holds
	// rather than what the runtime kept after a burst: a collection,
	// then every free page handed back to the kernel at once instead of
	// over the minutes the runtime's scavenger takes. It stops the world
	// for the length of one collection; POST, so no crawler or prefetch
	// triggers it.
	mux.HandleFunc("POST /debug/free-memory", func(w http.ResponseWriter, _ *http.Request) {
		debug.FreeOSMemory()
		d.writeStats(w)
	})
	return mux
}

// writeStats answers with the figures of /debug/stats.
func (d *debugServer) writeStats(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(d.stats()); err != nil {
		d.log.Debug("debug stats", "err", err)
	}
}

// Run listens on the loopback address until ctx is done.
func (d *debugServer) Run(ctx context.Context) error {
	if err := ValidateDebugAddr(d.addr); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", d.addr)
	if err != nil {
		return fmt.Errorf("debug: listen: %w", err)
	}
	if d.bound != nil {
		d.bound(ln.Addr().String())
	}
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 10 * time.Second,
		// A CPU profile or trace runs for its ?seconds= (30 s by default).
		WriteTimeout: 5 * time.Minute}
	d.log.Info("debug listener on", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("debug: serve: %w", err)
	case <-ctx.Done():
	}
	// Profiles in progress are cut off: a debug client can ask again.
	err = srv.Close()
	<-served
	if err != nil {
		return fmt.Errorf("debug: close: %w", err)
	}
	return nil
}

// atomicString is a string set once by one goroutine and read by others.
type atomicString struct{ v atomic.Pointer[string] }

func (a *atomicString) Store(s string) { a.v.Store(&s) }

func (a *atomicString) Load() string {
	if p := a.v.Load(); p != nil {
		return *p
	}
	return ""
}
