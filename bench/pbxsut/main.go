// Command pbxsut is the benchmark's stand-in for the callbox binary while
// the binary does not yet answer SIP: the SIP server (acd/sip), the
// switch (acd), the B2BUA (acd/sip/b2bua) and the relay (media/relay,
// media/rtp) wired exactly as acd/sip/b2bua's Example does, on a data
// directory seeded by bench/seed. Every dialled extension in the store is
// rung (the B2BUA's default without a dialplan).
//
// Two settings differ from the box's defaults, both so that the load
// generator is measured and not the protections against it: the
// per-address rate limit is lifted (all load comes from 127.0.0.1), and
// keep-alives to registered phones are off (1,000 extensions registered
// at one SIPp address would get 1,000 OPTIONS every 30 s).
//
// --http serves /status (JSON: goroutines, active legs) and
// /debug/pprof/ for the harness's profiles.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"callbox/acd"
	acdsip "callbox/acd/sip"
	"callbox/acd/sip/b2bua"
	"callbox/acd/sip/guard"
	"callbox/firmware"
	"callbox/firmware/store"
	"callbox/media/relay"
	"callbox/media/rtp"
)

func main() {
	data := flag.String("data", "", "data directory seeded by bench/seed")
	sipAddr := flag.String("sip", "127.0.0.1:5060", "SIP UDP address")
	httpAddr := flag.String("http", "127.0.0.1:8080", "status and pprof address")
	rtpMin := flag.Int("rtp-min", 20000, "first RTP port")
	rtpMax := flag.Int("rtp-max", 31999, "last RTP port")
	maxlife := flag.Duration("maxlife", 30*time.Minute, "exit after this long at most")
	verbose := flag.Bool("v", false, "debug logs")
	flag.Parse()
	if *data == "" {
		log.Fatal("pbxsut: -data is required")
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	st, err := store.Open(firmware.StorePath(*data), store.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	host, _, err := net.SplitHostPort(*sipAddr)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := acdsip.New(st, acdsip.Config{UDP: *sipAddr, KeepAlive: -1,
		Guard: guard.Config{Rate: 1e6, Burst: 1e6}}, acdsip.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	eng, err := relay.NewEngine(relay.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	ports, err := rtp.NewPorts(eng, netip.MustParseAddr(host), *rtpMin, *rtpMax)
	if err != nil {
		log.Fatal(err)
	}
	var calls *b2bua.B2BUA
	sw := acd.NewSwitch(func(ctx context.Context, c *acd.Call) error { return calls.Handle(ctx, c) })
	calls, err = b2bua.New(st, srv, sw, ports, b2bua.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *maxlife)
	defer cancel()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]int{"goroutines": runtime.NumGoroutine(), "active_legs": calls.Active()})
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	// As the binary's debug listener: collect, then hand every free page
	// back to the kernel (the harness's settle before its memory steps).
	mux.HandleFunc("POST /debug/free-memory", func(w http.ResponseWriter, r *http.Request) {
		debug.FreeOSMemory()
		w.WriteHeader(http.StatusNoContent)
	})
	hs := &http.Server{Addr: *httpAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		log.Fatal(err)
	}

	// The switch stops first (it hangs up the calls), then the B2BUA's
	// background work, then the SIP server.
	var wg sync.WaitGroup
	sipCtx, sipStop := context.WithCancel(context.Background())
	b2bCtx, b2bStop := context.WithCancel(context.Background())
	run := func(ctx context.Context, name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("service stopped", "service", name, "err", err)
			}
		}()
	}
	run(sipCtx, "sip", srv.Run)
	run(b2bCtx, "b2bua", calls.Run)
	swDone := make(chan struct{})
	go func() {
		defer close(swDone)
		if err := sw.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("switch stopped", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http", "err", err)
		}
	}()
	select {
	case <-srv.Ready():
		log.Printf("pbxsut: ready sip=%s http=%s", *sipAddr, ln.Addr())
	case <-ctx.Done():
	}
	<-ctx.Done()
	// A call whose far end vanished can hold the switch's shutdown for
	// its transaction timers; the benchmark does not wait for them.
	select {
	case <-swDone:
	case <-time.After(5 * time.Second):
		logger.Warn("switch still stopping after 5 s; exiting")
		os.Exit(1)
	}
	b2bStop()
	sipStop()
	sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
	hs.Shutdown(sctx)
	scancel()
	wg.Wait()
}
