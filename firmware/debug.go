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
}

func (d *debugServer) stats() RuntimeStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds := -1
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = len(ents)
	}
	return RuntimeStats{Time: d.now(), Goroutines: runtime.NumGoroutine(), HeapAlloc: m.HeapAlloc, HeapSys: m.HeapSys,
		Sys: m.Sys, NumGC: m.NumGC, PauseTotal: int64(m.PauseTotalNs), OpenFiles: fds}
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
	mux.HandleFunc("GET /debug/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(d.stats()); err != nil {
			d.log.Debug("debug stats", "err", err)
		}
	})
	return mux
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
