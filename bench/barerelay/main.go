// Command barerelay is the floor the box's relay is measured against:
// receive-and-forward and nothing else, the plainest Go way (one goroutine
// per socket, ReadFrom then WriteTo), with the box's socket layout (per
// call two legs, each an even RTP port with its odd RTCP port bound).
// Each leg sends to the address its peer leg last heard from, so it needs
// no signalling. It prints "A B" ports per call, then "ready", and runs
// until stdin closes, SIGTERM, or -maxlife.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type leg struct {
	rtp, rtcp *net.UDPConn
	peer      atomic.Pointer[netip.AddrPort]
}

func main() {
	calls := flag.Int("calls", 100, "port pairs per leg: calls")
	addr := flag.String("addr", "127.0.0.1", "address to bind")
	base := flag.Int("base", 40000, "first (even) port")
	maxlife := flag.Duration("maxlife", 15*time.Minute, "exit after this long at most")
	flag.Parse()
	ip := netip.MustParseAddr(*addr)
	listen := func(port int) *net.UDPConn {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	var legs []*leg
	out := bufio.NewWriter(os.Stdout)
	for i := range *calls {
		a := &leg{rtp: listen(*base + 4*i), rtcp: listen(*base + 4*i + 1)}
		b := &leg{rtp: listen(*base + 4*i + 2), rtcp: listen(*base + 4*i + 3)}
		legs = append(legs, a, b)
		fmt.Fprintf(out, "%d %d\n", *base+4*i, *base+4*i+2)
	}
	var wg sync.WaitGroup
	for i := 0; i < len(legs); i += 2 {
		a, b := legs[i], legs[i+1]
		wg.Add(2)
		go func() { defer wg.Done(); forward(a, b) }()
		go func() { defer wg.Done(); forward(b, a) }()
	}
	fmt.Fprintln(out, "ready")
	out.Flush()
	waitForEnd(*maxlife)
	for _, l := range legs {
		l.rtp.Close()
		l.rtcp.Close()
	}
	wg.Wait()
}

// forward relays what arrives on in out of out's socket to out's peer.
func forward(in, out *leg) {
	buf := make([]byte, 1500)
	for {
		n, from, err := in.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if p := in.peer.Load(); p == nil || *p != from {
			in.peer.Store(&from)
		}
		if p := out.peer.Load(); p != nil {
			out.rtp.WriteToUDPAddrPort(buf[:n], *p)
		}
	}
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
