package siptest

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// UDPBound reports whether a UDP socket of any process on this host is
// bound to ap, or to its port on a wildcard address. It reads
// /proc/net/udp and udp6 and binds nothing: a test that checked by
// binding the port itself could hold it at the very moment the program
// it waits for binds, and that program would fail ("Unable to bind main
// socket") while the test waited on.
func UDPBound(ap netip.AddrPort) (bool, error) {
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
			local, err := ParseProcAddr(fs[1])
			if err != nil {
				return false, fmt.Errorf("%s: %w", f, err)
			}
			a := local.Addr().Unmap()
			if local.Port() == ap.Port() && (a == ap.Addr().Unmap() || a.IsUnspecified()) {
				return true, nil
			}
		}
	}
	return false, nil
}

// ParseProcAddr reads a local_address of /proc/net/udp(6): the address
// as hex 32-bit words in the host's byte order, a colon, the port in hex.
func ParseProcAddr(s string) (netip.AddrPort, error) {
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
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// BindWait is how long AwaitUDPBound waits: a SIPp starting beside a
// whole test run under the race detector can take seconds.
const BindWait = 20 * time.Second

// ErrExited is AwaitUDPBound's error when the program exited first.
var ErrExited = errors.New("the program exited before it bound its port")

// AwaitUDPBound waits until something binds UDP ip:port (UDPBound),
// polling every 20 ms for BindWait. done, if not nil, is the channel on
// which the program that should bind it reports its exit (capacity 1,
// the error put back by whoever reads it, as every SIPp launcher of the
// tests does): ErrExited once it has. The caller fails its test with
// the program's output.
func AwaitUDPBound(ip string, port int, done chan error) error {
	ap := netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port))
	for deadline := time.Now().Add(BindWait); ; {
		select {
		case err := <-done: // a nil done never reports
			done <- err
			return fmt.Errorf("UDP %v: %w (%v)", ap, ErrExited, err)
		default:
		}
		bound, err := UDPBound(ap)
		if err != nil || bound {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing bound UDP %v in %v", ap, BindWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
