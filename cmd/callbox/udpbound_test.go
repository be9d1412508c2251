package main

import (
	binenc "encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
)

// udpBound reports whether a UDP socket of any process on this host is
// bound to want, or to its port on a wildcard address.
func udpBound(want netip.AddrPort) (bool, error) {
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			if f == "/proc/net/udp6" && os.IsNotExist(err) {
				continue // a kernel without IPv6
			}
			return false, err
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 2 {
				continue
			}
			local, err := parseProcAddr(fs[1])
			if err != nil {
				return false, fmt.Errorf("%s: %w", f, err)
			}
			a := local.Addr().Unmap()
			if local.Port() == want.Port() && (a == want.Addr().Unmap() || a.IsUnspecified()) {
				return true, nil
			}
		}
	}
	return false, nil
}

// parseProcAddr reads a local_address of /proc/net/udp(6): the address
// as hex 32-bit words in the host's byte order, a colon, the port in hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	addrHex, portHex, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", s, err)
	}
	raw, err := hex.DecodeString(addrHex)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binenc.NativeEndian.PutUint32(raw[i:], binenc.BigEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a, uint16(port)), nil
}

func TestUDPBound_SeesALoopbackSocketAndNotAFreePort(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(pc.LocalAddr().String())
	if ok, err := udpBound(ap); err != nil || !ok {
		t.Fatalf("udpBound(%v) = %v, %v for a bound socket", ap, ok, err)
	}
	port := int(ap.Port())
	pc.Close()
	if ok, err := udpBound(ap); err != nil || ok {
		t.Fatalf("udpBound(%v) = %v, %v once closed", ap, ok, err)
	}
	// Another loopback address on the same port is not that socket.
	if pc, err = net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if ok, _ := udpBound(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), uint16(port))); ok {
		t.Fatal("a socket on 127.0.0.1 counted as bound on 127.0.0.2")
	}
	if ok, err := udpBound(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))); err != nil || !ok {
		t.Fatalf("udpBound(127.0.0.1:%d) = %v, %v for a bound socket", port, ok, err)
	}
}

func TestParseProcAddr_ReadsBothFamilies(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:13C4":                         "127.0.0.1:5060",
		"00000000:0035":                         "0.0.0.0:53",
		"00000000000000000000000001000000:13C5": "[::1]:5061",
	} {
		got, err := parseProcAddr(in)
		if binenc.NativeEndian.Uint16([]byte{1, 0}) != 1 {
			t.Skip("the table is written for little-endian hosts")
		}
		if err != nil || got.String() != want {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0100007F", "XYZ:13C4", "0100007F:XYZ", "01007F:13C4"} {
		if _, err := parseProcAddr(bad); err == nil {
			t.Errorf("parseProcAddr(%q) accepted", bad)
		}
	}
}

func FuzzParseProcAddr(f *testing.F) {
	for _, s := range []string{"0100007F:13C4", "00000000000000000000000001000000:13C5", "", ":", "zz:zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := parseProcAddr(s); err == nil && !a.Addr().IsValid() {
			t.Fatalf("%q parsed to an invalid address", s)
		}
	})
}
