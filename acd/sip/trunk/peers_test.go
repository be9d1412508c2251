package trunk

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// tableSet is a Set that knows trunks, without running anything.
func tableSet(t testing.TB, trunks ...store.Trunk) *Set {
	t.Helper()
	s := &Set{cfg: Config{}.withDefaults(), log: quiet(), clock: realClock{}, entries: map[string]*entry{}}
	for _, tr := range trunks {
		if err := tr.Validate(); err != nil {
			t.Fatal(err)
		}
		s.entries[tr.Name] = s.newEntry(context.Background(), tr)
	}
	s.publishPeers()
	return s
}

func invite(ruri, to string) *sipmsg.Request {
	var u sipmsg.Uri
	if err := sipmsg.ParseUri(ruri, &u); err != nil {
		panic(err)
	}
	req := sipmsg.NewRequest(sipmsg.INVITE, u)
	var tu sipmsg.Uri
	if err := sipmsg.ParseUri(to, &tu); err != nil {
		panic(err)
	}
	req.AppendHeader(&sipmsg.ToHeader{Address: tu, Params: sipmsg.NewParams()})
	return req
}

func TestIdentify_RecognisesCarriersByAddressAndRegisteredContact(t *testing.T) {
	s := tableSet(t,
		store.Trunk{Name: "a", Host: "192.0.2.10", Transport: store.TransportUDP, Addresses: []string{"198.51.100.0/24"},
			DIDs: []store.TrunkDID{{Number: "+861012345678", Map: "8001"}, {Number: "01087654321"}}, Enabled: true},
		store.Trunk{Name: "b", Host: "192.0.2.10", Transport: store.TransportUDP,
			DIDs: []store.TrunkDID{{Number: "+862011112222", Map: "8002"}}, Enabled: true},
		store.Trunk{Name: "reg", Host: "192.0.2.50", Transport: store.TransportUDP, Username: "acct",
			Secret: "Reg-Secret-1x", Register: true, Enabled: true},
		store.Trunk{Name: "off", Host: "192.0.2.99", Transport: store.TransportUDP},
	)
	src := func(ip string) netip.AddrPort { return netip.MustParseAddrPort(ip + ":5060") }
	token := s.entries["reg"].token
	for _, tc := range []struct {
		what string
		req  *sipmsg.Request
		from netip.AddrPort
		want string // trunk; "" not recognised
		did  string
		code int
	}{
		{"listed DID, mapped", invite("sip:+861012345678@box", "sip:+861012345678@box"), src("192.0.2.10"), "a", "8001", 0},
		{"listed without +", invite("sip:861012345678@box", "sip:x@box"), src("192.0.2.10"), "a", "8001", 0},
		{"listed, no map", invite("sip:010-8765-4321@box", "sip:x@box"), src("192.0.2.10"), "a", "01087654321", 0},
		{"shared address, other trunk's DID", invite("sip:+862011112222@box", "sip:x@box"), src("192.0.2.10"), "b", "8002", 0},
		{"extra address range", invite("sip:+861012345678@box", "sip:x@box"), src("198.51.100.77"), "a", "8001", 0},
		{"unlisted DID refused", invite("sip:999@box", "sip:999@box"), src("198.51.100.77"), "a", "", 404},
		{"registered contact, DID from To", invite("sip:"+token+"@box", "sip:+8675500001111@carrier"), src("203.0.113.5"), "reg", "+8675500001111", 0},
		{"unknown address", invite("sip:+861012345678@box", "sip:x@box"), src("203.0.113.5"), "", "", 0},
		{"disabled trunk's address", invite("sip:1234@box", "sip:x@box"), src("192.0.2.99"), "", "", 0},
	} {
		p, ok := s.Identify(tc.req, tc.from)
		if tc.want == "" {
			if ok {
				t.Errorf("%s: recognised as %+v", tc.what, p)
			}
			continue
		}
		if !ok || p.Trunk != tc.want || p.Dialed != tc.did || p.Refuse != tc.code {
			t.Errorf("%s: got %+v %v, want trunk %s DID %q refuse %d", tc.what, p, ok, tc.want, tc.did, tc.code)
		}
	}
	if !s.Known(netip.MustParseAddr("198.51.100.1")) || s.Known(netip.MustParseAddr("203.0.113.5")) {
		t.Error("Known disagrees with the trunks' addresses")
	}
}

func TestPresent_CallerIDPerTrunk(t *testing.T) {
	ext := acd.Party{Number: "201", Name: "Desk 201", Source: acd.SourceExtension, Via: "201"}
	fwd := acd.Party{Number: "+8613911112222", Name: "Li Lei", Source: acd.SourceTrunk, Via: "in"}
	for _, tc := range []struct {
		what   string
		trunk  store.Trunk
		caller acd.Party
		want   presentation
	}{
		{"fixed", store.Trunk{CallerID: "+861012345678"}, fwd,
			presentation{fromUser: "+861012345678", fromName: "Li Lei", name: "Li Lei"}},
		{"fixed with PAI", store.Trunk{CallerID: "+861012345678", AssertIdentity: true}, ext,
			presentation{fromUser: "+861012345678", fromName: "Desk 201", name: "Desk 201", asserted: "+861012345678"}},
		{"passthrough of a forwarded caller", store.Trunk{CallerID: "+861012345678", CallerIDMode: store.CallerIDPassthrough}, fwd,
			presentation{fromUser: "+8613911112222", fromName: "Li Lei", name: "Li Lei"}},
		{"privacy", store.Trunk{CallerID: "+861012345678", Privacy: true}, ext,
			presentation{fromUser: "anonymous", fromName: "Anonymous", name: "Desk 201", asserted: "+861012345678", privacy: true}},
		{"no number at all", store.Trunk{}, acd.Party{}, presentation{fromUser: "anonymous", fromName: "Anonymous", privacy: true}},
	} {
		if got := present(tc.trunk, tc.caller); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.what, got, tc.want)
		}
	}
}

func TestTrunk_ValidatesTheTrunkFields(t *testing.T) {
	good := store.Trunk{Name: "c", Host: "192.0.2.1", Transport: store.TransportUDP, Addresses: []string{"192.0.2.0/28", "198.51.100.3"},
		DIDs: []store.TrunkDID{{Number: "+861012345678", Map: "8001"}}, CallerIDMode: store.CallerIDPassthrough,
		OptionsInterval: 30, Expires: 300}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid trunk refused: %v", err)
	}
	bad := good
	bad.Addresses = []string{"not-an-address"}
	bad.DIDs = []store.TrunkDID{{Number: "12x"}, {Number: "+861012345678", Map: "8001"}, {Number: "+861012345678"}}
	bad.CallerIDMode = "spoof"
	bad.OptionsInterval = 1
	bad.Expires = 10
	err := bad.Validate()
	for _, f := range []string{"addresses[0]", "dids[0].number", "dids[2]", "callerIdMode", "optionsInterval", "expires"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("no error on %s: %v", f, err)
		}
	}
}

// rawInvite sends one INVITE from ip to the box and returns the final
// status of the answer.
func rawInvite(t *testing.T, ip string, box netip.AddrPort, ruri string) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	local := pc.LocalAddr().String()
	body := "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
	msg := "INVITE " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bKraw" + ip + "\r\n" +
		"From: <sip:013911112222@" + ip + ">;tag=raw\r\nTo: <" + ruri + ">\r\nCall-ID: raw-" + ip + "@test\r\n" +
		"CSeq: 1 INVITE\r\nContact: <sip:x@" + local + ">\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n" +
		"Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
	if _, err := pc.WriteTo([]byte(msg), net.UDPAddrFromAddrPort(box)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no answer from the box: %v", err)
		}
		var code int
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		if f := strings.Fields(line); len(f) >= 2 {
			for _, c := range f[1] {
				code = code*10 + int(c-'0')
			}
		}
		if code >= 200 {
			return code
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestServer_UnknownPeersMustAuthenticateAndUnlistedDIDsAreRefused(t *testing.T) {
	bx := startBox(t, Config{}, store.Trunk{Name: "ipcarrier", Host: carrierIP, Transport: store.TransportUDP,
		DIDs: []store.TrunkDID{{Number: "+861012345678", Map: "8001"}}, Enabled: true})
	ruri := "sip:+861012345678@" + bx.addr().String()
	eventually(t, "trunk known", func() bool { return bx.set.Known(netip.MustParseAddr(carrierIP)) })
	if code := rawInvite(t, "127.0.0.2", bx.addr(), ruri); code != 407 {
		t.Errorf("INVITE from an unknown address answered %d, want 407", code)
	}
	if code := rawInvite(t, carrierIP, bx.addr(), "sip:+869999@"+bx.addr().String()); code != 404 {
		t.Errorf("INVITE to an unlisted DID answered %d, want 404", code)
	}
}

func TestHealth_LabelsAreInTheCatalogue(t *testing.T) {
	for _, h := range []Health{HealthUp, HealthDown, HealthUnknown, HealthOff} {
		for _, l := range []i18n.Lang{i18n.EN, i18n.ZH} {
			if got := i18n.T(l, h.Key()); got == h.Key() || got == "" {
				t.Errorf("%s in %s: no message", h, l)
			}
		}
	}
}
