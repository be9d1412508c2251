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

func TestSIPpPorts_MediaBlockIsEvenAndFree(t *testing.T) {
	for range 20 {
		args := SIPpPorts(t, "127.0.0.1")
		if len(args) != 4 || args[0] != "-mp" || args[2] != "-cp" {
			t.Fatalf("args %q", args)
		}
		media, _ := strconv.Atoi(args[1])
		if media%2 != 0 {
			t.Fatalf("media port %d is odd", media)
		}
		for p := media; p < media+4; p++ {
			pc, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				t.Fatalf("media block from %d: %v", media, err)
			}
			pc.Close()
		}
		control, _ := strconv.Atoi(args[3])
		if control < controlLow || control >= controlHigh {
			t.Fatalf("control port %d outside its band %d-%d", control, controlLow, controlHigh-1)
		}
		pc, err := net.ListenPacket("udp", "0.0.0.0:"+strconv.Itoa(control))
		if err != nil {
			t.Fatalf("control port %d on the wildcard address: %v", control, err)
		}
		pc.Close()
	}
}

// A port held on another loopback address or on the wildcard address
// (SIPp's control socket) is not free for a program binding 127.0.0.3.
func TestFreeUDPPort_APortHeldOnAnyAddressIsNotFree(t *testing.T) {
	for _, holder := range []string{"127.0.0.1", "0.0.0.0"} {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(holder, "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		if blockFree("127.0.0.3", "0.0.0.0", port, 1) {
			t.Errorf("port %d held on %s counted as free", port, holder)
		}
		if blockFree("127.0.0.3", "0.0.0.0", port-1, 2) {
			t.Errorf("block %d-%d with %d held on %s counted as free", port-1, port, port, holder)
		}
		pc.Close()
		if !blockFree("127.0.0.3", "0.0.0.0", port, 1) {
			t.Errorf("port %d let go on %s still counted as held", port, holder)
		}
	}
}
