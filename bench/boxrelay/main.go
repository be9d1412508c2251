// Command boxrelay runs the box's relay as its own process for the
// benchmark: the media/rtp sessions and relay engine exactly as the switch
// uses them (port allocator, latching, statistics, RTCP, header rewrite),
// two sessions per call bridged with RelayTo both ways. It prints "A B"
// ports per call, then "ready", and runs until stdin closes, SIGTERM, or
// -maxlife; then it prints one JSON line of engine counters.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"callbox/media/relay"
	"callbox/media/rtp"
)

func main() {
	calls := flag.Int("calls", 100, "calls (two sessions each)")
	addr := flag.String("addr", "127.0.0.1", "address to bind")
	base := flag.Int("base", 50000, "first (even) port of the range")
	loops := flag.Int("loops", 0, "poll loops (0: GOMAXPROCS)")
	window := flag.Duration("window", 0, "minimum time between polls")
	batch := flag.Int("batch", 0, "datagrams per recvmmsg (0: max)")
	backend := flag.String("backend", "epoll", "relay engine backend: epoll or uring")
	maxlife := flag.Duration("maxlife", 15*time.Minute, "exit after this long at most")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	opts := relay.Options{Loops: *loops, Window: *window, Batch: *batch}
	if *backend == "uring" {
		opts.Backend = relay.BackendURing
	}
	e, err := relay.NewEngine(opts)
	if err != nil {
		log.Fatal(err)
	}
	ports, err := rtp.NewPorts(e, netip.MustParseAddr(*addr), *base, *base+4**calls+3)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	out := bufio.NewWriter(os.Stdout)
	var sessions []*rtp.Session
	var stops []func()
	for range *calls {
		a, err := rtp.Open(ctx, ports, rtp.Config{Timeout: -1})
		if err != nil {
			log.Fatal(err)
		}
		b, err := rtp.Open(ctx, ports, rtp.Config{Timeout: -1})
		if err != nil {
			log.Fatal(err)
		}
		stops = append(stops, a.RelayTo(b), b.RelayTo(a))
		sessions = append(sessions, a, b)
		fmt.Fprintf(out, "%d %d\n", a.LocalAddr().Port(), b.LocalAddr().Port())
	}
	fmt.Fprintln(out, "ready")
	out.Flush()
	waitForEnd(*maxlife)
	for _, stop := range stops {
		stop()
	}
	for _, s := range sessions {
		s.Close()
	}
	st := e.Stats()
	e.Close()
	json.NewEncoder(os.Stdout).Encode(st)
}

func waitForEnd(maxlife time.Duration) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	eof := make(chan struct{})
	go func() {
		bufio.NewReader(os.Stdin).ReadString('\n')
		close(eof)
	}()
	select {
	case <-sig:
	case <-eof:
	case <-time.After(maxlife):
	}
}
