package guard

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrBadNetwork is returned for an allowed-network entry that is neither
// an address nor a CIDR prefix.
var ErrBadNetwork = errors.New("guard: bad network")

// ParseNets parses allowed-network entries: CIDR prefixes ("10.0.0.0/8",
// "2001:db8::/32") or single addresses.
func ParseNets(nets []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(nets))
	for _, n := range nets {
		n = strings.TrimSpace(n)
		if strings.Contains(n, "/") {
			p, err := netip.ParsePrefix(n)
			if err != nil {
				return nil, fmt.Errorf("%w: %q: %v", ErrBadNetwork, n, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(n)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadNetwork, n, err)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Permitted reports whether addr may use an extension whose allowed
// networks are nets. An empty list allows every address. An entry that
// does not parse allows nothing, so a typo never opens an extension.
func Permitted(nets []string, addr netip.Addr) bool {
	if len(nets) == 0 {
		return true
	}
	ps, err := ParseNets(nets)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range ps {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
