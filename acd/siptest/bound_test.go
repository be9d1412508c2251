package siptest

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func TestUDPBound_SeesALoopbackSocketAndNotAFreePort(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(pc.LocalAddr().String())
	if ok, err := UDPBound(ap); err != nil || !ok {
		t.Fatalf("UDPBound(%v) = %v, %v for a bound socket", ap, ok, err)
	}
	port := int(ap.Port())
	pc.Close()
	if ok, err := UDPBound(ap); err != nil || ok {
		t.Fatalf("UDPBound(%v) = %v, %v once closed", ap, ok, err)
	}
	// Another loopback address on the same port is not that socket.
	if pc, err = net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if ok, _ := UDPBound(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), uint16(port))); ok {
		t.Fatal("a socket on 127.0.0.1 counted as bound on 127.0.0.2")
	}
	if ok, err := UDPBound(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))); err != nil || !ok {
		t.Fatalf("UDPBound(127.0.0.1:%d) = %v, %v for a bound socket", port, ok, err)
	}
	if err := AwaitUDPBound("127.0.0.1", port, nil); err != nil {
		t.Fatal(err)
	}
}

func TestAwaitUDPBound_SaysWhenTheProgramExitedFirst(t *testing.T) {
	port := FreeUDPPort(t, "127.0.0.1")
	done := make(chan error, 1)
	done <- errors.New("exit status 255")
	err := AwaitUDPBound("127.0.0.1", port, done)
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "exit status 255") {
		t.Fatalf("AwaitUDPBound = %v, want ErrExited with the exit status", err)
	}
	if len(done) != 1 {
		t.Fatal("the exit was taken from done, not put back")
	}
}

func TestParseProcAddr_ReadsBothFamilies(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the table is written for little-endian hosts")
	}
	for in, want := range map[string]string{
		"0100007F:13C4":                         "127.0.0.1:5060",
		"00000000:0035":                         "0.0.0.0:53",
		"00000000000000000000000001000000:13C5": "[::1]:5061",
	} {
		got, err := ParseProcAddr(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseProcAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0100007F", "XYZ:13C4", "0100007F:XYZ", "01007F:13C4"} {
		if _, err := ParseProcAddr(bad); err == nil {
			t.Errorf("ParseProcAddr(%q) accepted", bad)
		}
	}
}

func FuzzParseProcAddr(f *testing.F) {
	for _, s := range []string{"0100007F:13C4", "00000000000000000000000001000000:13C5", "", ":", "zz:zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := ParseProcAddr(s); err == nil && !a.Addr().IsValid() {
			t.Fatalf("%q parsed to an invalid address", s)
		}
	})
}
