package siptest

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreeUDPPort returns a UDP port on ip that nothing is bound to, for a
// program the test starts (SIPp, baresip) to bind.
//
// A port the kernel hands out for port 0 comes from its ephemeral range,
// where any socket another test opens in the meantime may land on it
// before the program binds. This one is picked at random below that
// range, where the kernel hands out nothing by itself.
func FreeUDPPort(tb testing.TB, ip string) int {
	tb.Helper()
	low := ephemeralLow()
	for range 200 {
		port := 10000 + rand.IntN(low-10000)
		pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			continue
		}
		pc.Close()
		return port
	}
	tb.Fatalf("siptest: no free UDP port on %s between 10000 and %d", ip, low)
	return 0
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read, Linux's default).
func ephemeralLow() int {
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
}
