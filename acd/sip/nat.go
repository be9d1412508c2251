package sip

import (
	"net/netip"
	"strconv"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// noAutoTrying is how long sipgo would wait before answering an INVITE
// with its own 100 Trying: long enough that it never does. The switch
// answers 100 itself once the request has passed the checks and its Via
// is fixed (b2bua answers at once). sipgo's timer, when the box is slow
// to reach the request, copies it while fixVia writes its Via: a data
// race seen under load. A transaction that ends stops the timer, so it
// never fires.
const noAutoTrying = 24 * time.Hour

func init() { sipmsg.Timer_1xx = noAutoTrying }

// fixVia applies RFC 3261 §18.2.1 and RFC 3581 §4 to the top Via of a
// request that arrived from src: "received" when the sent-by host is not
// the source address, and with an empty "rport" both the source port and
// "received". Responses copy the Via, so they go back through the NAT the
// request came through.
func fixVia(req *sipmsg.Request, src netip.AddrPort) {
	via := req.Via()
	if via == nil || !src.IsValid() {
		return
	}
	ip := src.Addr().String()
	rport, hasRport := via.Params.Get("rport")
	sentBy, err := netip.ParseAddr(via.Host)
	if hasRport || err != nil || sentBy.Unmap() != src.Addr() {
		via.Params.Add("received", ip)
	}
	if hasRport && rport == "" {
		via.Params.Add("rport", strconv.Itoa(int(src.Port())))
	}
}

// behindNAT reports whether a phone that registered contact from src must
// be reached at src instead: the contact's host and port are not the
// address its packets come from, or it is connection-oriented (requests
// must reuse the phone's connection).
func behindNAT(contact sipmsg.Uri, src netip.AddrPort, transport string) bool {
	if transport != "udp" {
		return true
	}
	host, err := netip.ParseAddr(contact.Host)
	if err != nil {
		return true
	}
	port := contact.Port
	if port == 0 {
		port = 5060
		if contact.Scheme == "sips" {
			port = 5061
		}
	}
	return host.Unmap() != src.Addr() || uint16(port) != src.Port()
}

// rewriteContact returns contact with its host and port replaced by src,
// the address the phone is reachable at through its NAT.
func rewriteContact(contact sipmsg.Uri, src netip.AddrPort) sipmsg.Uri {
	c := *contact.Clone()
	c.Host = src.Addr().String()
	c.Port = int(src.Port())
	return c
}
