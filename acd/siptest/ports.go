package siptest

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FreeUDPPort returns a UDP port that nothing is bound to, on ip or on
// any other address, for a program the test starts (SIPp, baresip) to
// bind on ip.
//
// A port the kernel hands out for port 0 comes from its ephemeral range,
// where any socket another test opens in the meantime may land on it
// before the program binds. This one is picked at random below that
// range, where the kernel hands out nothing by itself. It is also free
// on the wildcard address, so that a program binding 0.0.0.0 can take it
// as well as one binding ip.
func FreeUDPPort(tb testing.TB, ip string) int {
	tb.Helper()
	return freeUDPBlock(tb, ip, 10000, ephemeralLow(), 1, 1)
}

// SIPpPorts returns the arguments that give a SIPp its media ports on ip
// and its control port ("-mp", "-cp"), each free now on every address.
//
// SIPp binds its RTP echo at the media port and the one two above, on
// its media address, so the media base is even with the three ports
// above it free too. It binds its control socket on 0.0.0.0, where it
// takes the port from every address: a control port picked among the
// ports other tests' programs bind on 127.0.0.x could take one such a
// program is about to bind, so control ports come from a band of their
// own, below the others (and below SIPp's default control ports, 8888
// and up).
func SIPpPorts(tb testing.TB, ip string) []string {
	tb.Helper()
	media := freeUDPBlock(tb, ip, 10000, ephemeralLow(), 4, 2)
	control := freeUDPBlock(tb, "0.0.0.0", controlLow, controlHigh, 1, 1)
	return []string{"-mp", strconv.Itoa(media), "-cp", strconv.Itoa(control)}
}

// SIPp control ports come from [controlLow, controlHigh).
const (
	controlLow  = 7000
	controlHigh = 8800
)

// freeUDPBlock returns the first of n consecutive UDP ports in [low,
// high), a multiple of align, free on ip and on the wildcard address of
// ip's family.
func freeUDPBlock(tb testing.TB, ip string, low, high, n, align int) int {
	tb.Helper()
	wildcard := "0.0.0.0"
	if a := net.ParseIP(ip); a != nil && a.To4() == nil {
		wildcard = "::"
	}
	for range 200 {
		port := low + rand.IntN(high-low-n)
		port -= port % align
		if blockFree(ip, wildcard, port, n) {
			return port
		}
	}
	tb.Fatalf("siptest: no %d free UDP ports on %s between %d and %d", n, ip, low, high)
	return 0
}

// blockFree binds each of the n ports from first on wildcard and on ip
// (once when ip is the wildcard address), and lets them go again.
func blockFree(ip, wildcard string, first, n int) bool {
	addrs := []string{wildcard, ip}
	if ip == wildcard {
		addrs = addrs[:1]
	}
	for p := first; p < first+n; p++ {
		for _, a := range addrs {
			pc, err := net.ListenPacket("udp", net.JoinHostPort(a, strconv.Itoa(p)))
			if err != nil {
				return false
			}
			pc.Close()
		}
	}
	return true
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read, Linux's default), read once per test binary.
var ephemeralLow = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	low, err := strconv.Atoi(f[0])
	if err != nil || low <= 11000 {
		return 32768
	}
	return low
})
