package firmware

import (
	"bufio"
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"strings"

	"callbox/webui"
)

// The network is changed on the serial console; the web UI shows it
// read-only (the setup wizard and the admin menu). These read what the
// kernel has: interfaces and addresses, the default gateway from
// /proc/net/route, the name servers from /etc/resolv.conf.

const (
	routeFile    = "/proc/net/route"
	resolverFile = "/etc/resolv.conf"
)

// networkView lists the box's interfaces that are up, loopback last.
func networkView() []webui.NetInterface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	gateways := defaultGateways(routeFile)
	dns := nameServers(resolverFile)
	var out, loop []webui.NetInterface
	for _, nif := range ifs {
		if nif.Flags&net.FlagUp == 0 {
			continue
		}
		v := webui.NetInterface{Name: nif.Name, Gateway: gateways[nif.Name]}
		addrs, _ := nif.Addrs()
		for _, a := range addrs {
			v.Addrs = append(v.Addrs, a.String())
		}
		if nif.Flags&net.FlagLoopback != 0 {
			loop = append(loop, v)
			continue
		}
		v.DNS = dns
		out = append(out, v)
	}
	return append(out, loop...)
}

// defaultGateways reads the kernel routing table (path is
// /proc/net/route): interface -> gateway of its default route.
func defaultGateways(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Iface Destination Gateway Flags ... (hex, host byte order)
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[1] != "00000000" {
			continue
		}
		if gw, ok := hexIPv4(fields[2]); ok && gw.IsValid() && !gw.IsUnspecified() {
			out[fields[0]] = gw.String()
		}
	}
	return out
}

// hexIPv4 decodes an address as /proc/net/route writes it: 8 hex digits
// in little-endian order.
func hexIPv4(s string) (netip.Addr, bool) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{b[3], b[2], b[1], b[0]}), true
}

// nameServers reads the nameserver lines of a resolv.conf.
func nameServers(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" {
			if a, err := netip.ParseAddr(fields[1]); err == nil {
				out = append(out, a.String())
			}
		}
	}
	return out
}
