//go:build linux

package relay

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawAddr holds an IPv4 or IPv6 socket address in kernel layout.
type rawAddr = unix.RawSockaddrInet6

const rawAddrLen = unix.SizeofSockaddrInet6

// putAddr writes ap into raw for a socket of the given family and returns
// the address length to pass to the kernel.
func putAddr(raw *rawAddr, family int, ap netip.AddrPort) uint32 {
	port := ap.Port()
	a := ap.Addr()
	if family == unix.AF_INET {
		r4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		r4.Family = unix.AF_INET
		p := (*[2]byte)(unsafe.Pointer(&r4.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		r4.Addr = a.Unmap().As4()
		r4.Zero = [8]uint8{}
		return unix.SizeofSockaddrInet4
	}
	raw.Family = unix.AF_INET6
	p := (*[2]byte)(unsafe.Pointer(&raw.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	raw.Flowinfo = 0
	raw.Addr = a.As16()
	raw.Scope_id = 0
	return unix.SizeofSockaddrInet6
}

// getAddr reads a kernel socket address.
func getAddr(raw *rawAddr) netip.AddrPort {
	switch raw.Family {
	case unix.AF_INET:
		r4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		p := (*[2]byte)(unsafe.Pointer(&r4.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(r4.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		p := (*[2]byte)(unsafe.Pointer(&raw.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(raw.Addr).Unmap(), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}
