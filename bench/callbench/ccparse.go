package main

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ccLeg is one side of a call-center call as a SIPp log line gives it:
// where the box wants that side's media, and when (the caller's INVITE
// left, or the agent's 200 did).
type ccLeg struct {
	Caller string
	Agent  string // B lines only
	Media  netip.AddrPort
	At     time.Time
}

// parseCCLine reads "A caller ip port sec usec ..." (cc-caller.xml) or
// "B caller agent ip port sec usec ..." (cc-agent.xml); ok is false for
// any other line.
func parseCCLine(line string) (tag byte, leg ccLeg, ok bool) {
	f := strings.Fields(line)
	if len(f) < 6 || len(f[0]) != 1 {
		return 0, leg, false
	}
	tag = f[0][0]
	i := 1
	leg.Caller = f[i]
	i++
	switch tag {
	case 'A':
	case 'B':
		if len(f) < 7 {
			return 0, leg, false
		}
		leg.Agent = f[i]
		i++
	default:
		return 0, leg, false
	}
	ip, err := netip.ParseAddr(f[i])
	if err != nil || !ip.Is4() {
		return 0, leg, false
	}
	port, err := strconv.Atoi(f[i+1])
	if err != nil || port <= 0 || port > 65535 {
		return 0, leg, false
	}
	// SIPp prints its variables as doubles: "1795776628.000000".
	sec, err1 := strconv.ParseFloat(f[i+2], 64)
	usec, err2 := strconv.ParseFloat(f[i+3], 64)
	if err1 != nil || err2 != nil || !(sec > 0 && sec < 1<<40) || !(usec >= 0 && usec < 1e6) {
		return 0, leg, false
	}
	leg.Media = netip.AddrPortFrom(ip, uint16(port))
	leg.At = time.Unix(int64(sec), int64(usec)*1000)
	return tag, leg, true
}
