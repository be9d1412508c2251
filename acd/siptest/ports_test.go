package siptest

import (
	"net"
	"strconv"
	"testing"
)

func TestFreeUDPPort_IsBindableAndBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		port := FreeUDPPort(t, "127.0.0.1")
		if port < 10000 || port >= low {
			t.Fatalf("port %d, ephemeral range from %d", port, low)
		}
		pc, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		pc.Close()
	}
}
