package trunk

import (
	"context"
	"net/netip"
	"testing"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd"
	"callbox/firmware/store"
)

func TestSet_FollowsTheStore(t *testing.T) {
	tr := store.Trunk{Name: "carrier", Host: carrierIP, Transport: store.TransportUDP, Enabled: true}
	bx := startBox(t, Config{}, tr)
	carrier := netip.MustParseAddr(carrierIP)
	eventually(t, "trunk running", func() bool { return bx.set.Known(carrier) })

	tr.Enabled = false
	if _, err := store.Put(bx.st, tr); err != nil {
		t.Fatal(err)
	}
	eventually(t, "trunk disabled", func() bool { return !bx.set.Known(carrier) && !bx.status("carrier").Enabled })
	_, err := bx.set.Dial(ctxT(t), "carrier", "013800138000", acd.Party{}, nil)
	if c, _ := acd.CauseOf(err); c != acd.CauseNetworkOutOfOrder {
		t.Errorf("dial over a disabled trunk: %v, want network out of order", err)
	}

	tr.Enabled, tr.Addresses = true, []string{"127.0.0.4"}
	if _, err := store.Put(bx.st, tr); err != nil {
		t.Fatal(err)
	}
	eventually(t, "new address trusted", func() bool { return bx.set.Known(netip.MustParseAddr("127.0.0.4")) })

	if _, err := store.Delete[store.Trunk](bx.st, "carrier"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "trunk gone", func() bool { return !bx.set.Known(carrier) && len(bx.set.Status()) == 0 })
	_, err = bx.set.Dial(ctxT(t), "carrier", "013800138000", acd.Party{}, nil)
	if c, _ := acd.CauseOf(err); c != acd.CauseNoRoute || !c.Retryable() {
		t.Errorf("dial over a deleted trunk: %v, want no route", err)
	}
}

func TestSet_DialBoundsChannels(t *testing.T) {
	s := tableSet(t, store.Trunk{Name: "small", Host: "192.0.2.1", Transport: store.TransportUDP, MaxChannels: 1, Enabled: true})
	s.base = context.Background()
	e := s.entries["small"]
	if !e.claimChannel() {
		t.Fatal("first channel refused")
	}
	_, err := s.Dial(context.Background(), "small", "013800138000", acd.Party{}, nil)
	if c, _ := acd.CauseOf(err); c != acd.CauseNoCircuitAvailable || !c.Retryable() {
		t.Errorf("dial beyond MaxChannels: %v, want no circuit available", err)
	}
	_, err = s.Dial(context.Background(), "small", "not-a-number", acd.Party{}, nil)
	if c, _ := acd.CauseOf(err); c != acd.CauseInvalidNumberFormat {
		t.Errorf("dial of a bad number: %v", err)
	}
}

var identifySeeds = []string{
	"INVITE sip:+861012345678@192.0.2.5 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nFrom: <sip:1@h>;tag=a\r\nTo: <sip:+861012345678@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	"INVITE sip:cbdeadbeef@192.0.2.5 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nFrom: <sip:1@h>;tag=a\r\nTo: <sip:(010)-8765.4321@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	"OPTIONS sip:192.0.2.5 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nFrom: <sip:1@h>;tag=a\r\nTo: <sip:h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
}

// FuzzIdentify feeds whatever sipgo parses to Identify: it must answer,
// never panic, and a refusal must name a trunk.
func FuzzIdentify(f *testing.F) {
	for _, s := range identifySeeds {
		f.Add([]byte(s), byte(10))
	}
	s := tableSet(f,
		store.Trunk{Name: "a", Host: "192.0.2.10", Transport: store.TransportUDP,
			DIDs: []store.TrunkDID{{Number: "+861012345678", Map: "8001"}, {Number: "01087654321"}}, Enabled: true},
		store.Trunk{Name: "b", Host: "192.0.2.10", Transport: store.TransportUDP, Enabled: true})
	parser := sipmsg.NewParser()
	f.Fuzz(func(t *testing.T, data []byte, last byte) {
		msg, err := parser.ParseSIP(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sipmsg.Request)
		if !ok {
			return
		}
		p, ok := s.Identify(req, netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, last}), 5060))
		if ok && p.Trunk == "" {
			t.Fatalf("recognised without a trunk: %+v", p)
		}
	})
}

func BenchmarkIdentify(b *testing.B) {
	var trunks []store.Trunk
	for i := range 20 {
		trunks = append(trunks, store.Trunk{Name: "t" + itoa(i), Host: "192.0.2." + itoa(i+1), Transport: store.TransportUDP,
			DIDs: []store.TrunkDID{{Number: "+86101234" + itoa(1000+i)}}, Enabled: true})
	}
	s := tableSet(b, trunks...)
	msg, err := sipmsg.NewParser().ParseSIP([]byte(identifySeeds[0]))
	if err != nil {
		b.Fatal(err)
	}
	req := msg.(*sipmsg.Request)
	src := netip.MustParseAddrPort("192.0.2.20:5060")
	b.ReportAllocs()
	for b.Loop() {
		s.Identify(req, src)
	}
}

func TestSet_TrustsTheAddressesAHostNameResolvesTo(t *testing.T) {
	// localhost resolves from /etc/hosts: no DNS traffic.
	bx := startBox(t, Config{}, store.Trunk{Name: "named", Host: "localhost", Transport: store.TransportUDP, Enabled: true})
	if !bx.set.Known(netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("the address of localhost is not the trunk's")
	}
	// The lookup is repeated on the clock; the table stays the same.
	eventually(t, "relookup", func() bool { return bx.clock.fire() > 0 })
	if !bx.set.Known(netip.MustParseAddr("127.0.0.1")) {
		t.Error("lost the address after looking it up again")
	}
}
