package trunk

import (
	"net/netip"
	"sort"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"

	acdsip "callbox/acd/sip"
	"callbox/firmware/store"
)

// peerTable is an immutable snapshot of who the trunks' carriers are,
// read for every request without a lock.
type peerTable struct {
	trunks  []peerTrunk           // by name
	byToken map[string]*peerTrunk // registered Contact user -> trunk
}

type peerTrunk struct {
	name     string
	username string
	token    string
	nets     []netip.Prefix
	dids     []store.TrunkDID
}

// publishPeers rebuilds the table from the running, enabled trunks.
func (s *Set) publishPeers() {
	s.mu.Lock()
	t := &peerTable{byToken: map[string]*peerTrunk{}}
	for _, e := range s.entries {
		if !e.rec.Enabled {
			continue
		}
		e.mu.Lock()
		nets := e.nets
		e.mu.Unlock()
		t.trunks = append(t.trunks, peerTrunk{name: e.rec.Name, username: e.rec.Username, token: e.token,
			nets: nets, dids: e.rec.DIDs})
	}
	s.mu.Unlock()
	sort.Slice(t.trunks, func(i, j int) bool { return t.trunks[i].name < t.trunks[j].name })
	for i := range t.trunks {
		if p := &t.trunks[i]; p.token != "" {
			t.byToken[p.token] = p
		}
	}
	s.peers.Store(t)
}

// Identify implements acdsip.Peers: a request sent to the Contact a
// trunk registered, or coming from a trunk's address, is the trunk's.
// When several trunks share an address (two accounts at one carrier),
// the one carrying the dialled number wins, else the first by name.
func (s *Set) Identify(req *sipmsg.Request, src netip.AddrPort) (acdsip.Peer, bool) {
	t := s.peers.Load()
	var p *peerTrunk
	if req.Recipient.User != "" {
		p = t.byToken[req.Recipient.User]
	}
	if p == nil {
		addr := src.Addr().Unmap()
		var first *peerTrunk
		for i := range t.trunks {
			c := &t.trunks[i]
			if !containsAddr(c.nets, addr) {
				continue
			}
			if first == nil {
				first = c
			}
			if req.Method == sipmsg.INVITE && len(c.dids) > 0 {
				if _, ok := mapDID(c.dids, dialedOf(req, c)); ok {
					p = c
					break
				}
			}
		}
		if p == nil {
			p = first
		}
	}
	if p == nil {
		return acdsip.Peer{}, false
	}
	peer := acdsip.Peer{Trunk: p.name}
	if req.Method == sipmsg.INVITE {
		n := dialedOf(req, p)
		if len(p.dids) == 0 {
			peer.Dialed = n
		} else if m, ok := mapDID(p.dids, n); ok {
			peer.Dialed = m
		} else {
			peer.Refuse = 404
		}
	}
	return peer, true
}

// Known implements acdsip.Peers: addr is a trunk's carrier.
func (s *Set) Known(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range s.peers.Load().trunks {
		if containsAddr(p.nets, addr) {
			return true
		}
	}
	return false
}

func containsAddr(nets []netip.Prefix, a netip.Addr) bool {
	for _, n := range nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// dialedOf is the number an INVITE from the carrier of p is for: the
// Request-URI user, unless that is the Contact the box registered (or
// the account's user name, or empty), in which case the To user.
func dialedOf(req *sipmsg.Request, p *peerTrunk) string {
	n := req.Recipient.User
	if n == "" || n == p.token || (p.username != "" && n == p.username) {
		if to := req.To(); to != nil {
			n = to.Address.User
		}
	}
	return stripVisual(n)
}

// stripVisual drops the visual separators RFC 3966 allows in numbers
// ("-", ".", "(", ")"), so "+86-10-1234" matches "+86101234".
func stripVisual(n string) string {
	if !strings.ContainsAny(n, "-.()") {
		return n
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("-.()", r) {
			return -1
		}
		return r
	}, n)
}

// mapDID finds n in the trunk's DID list and returns the number inbound
// routes see. A listed number matches with or without its leading '+'.
func mapDID(dids []store.TrunkDID, n string) (string, bool) {
	if n == "" {
		return "", false
	}
	bare := strings.TrimPrefix(n, "+")
	for _, d := range dids {
		if d.Number == n || strings.TrimPrefix(d.Number, "+") == bare {
			if d.Map != "" {
				return d.Map, true
			}
			return d.Number, true
		}
	}
	return "", false
}
