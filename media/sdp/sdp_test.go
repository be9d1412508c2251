package sdp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"callbox/media"
)

const phoneOffer = "v=0\r\n" +
	"o=- 1 1 IN IP4 192.0.2.10\r\n" +
	"s=-\r\n" +
	"c=IN IP4 192.0.2.10\r\n" +
	"t=0 0\r\n" +
	"m=video 5002 RTP/AVP 96\r\n" +
	"a=rtpmap:96 H264/90000\r\n" +
	"m=audio 4000 RTP/AVP 0 8 18 96\r\n" +
	"a=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:18 G729/8000\r\n" +
	"a=rtpmap:96 telephone-event/8000\r\n" +
	"a=fmtp:96 0-16\r\n" +
	"a=ptime:30\r\n" +
	"a=sendrecv\r\n"

var box = Local{Addr: netip.MustParseAddrPort("10.0.0.1:20000"), DTMF: 101, SessionID: 7, Version: 1}

func mustParse(t *testing.T, s string) *Description {
	t.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAnswer_PicksBoxPreferenceAndOfferedTelephoneEvent(t *testing.T) {
	offer := mustParse(t, phoneOffer)
	if offer.Audio.Ptime != 30 || offer.Audio.Addr != netip.MustParseAddrPort("192.0.2.10:4000") || offer.Audio.DTMF != 96 {
		t.Fatalf("parsed %+v", offer.Audio)
	}
	ans, n, err := Answer(offer, box) // box prefers PCMA
	if err != nil {
		t.Fatal(err)
	}
	if n.Codec != media.PCMA || n.DTMF != 96 || n.Direction != media.SendRecv || n.Ptime != 30 {
		t.Fatalf("negotiated %+v", n)
	}
	got := mustParse(t, string(ans))
	if len(got.Media) != 2 || got.Media[0] != "video" || got.Audio.Index != 1 {
		t.Fatalf("answer m-lines %v", got.Media)
	}
	if !strings.Contains(string(ans), "m=video 0 ") {
		t.Fatalf("video not rejected with port 0:\n%s", ans)
	}
	if len(got.Audio.Codecs) != 1 || got.Audio.Codecs[0] != media.PCMA || got.Audio.DTMF != 96 {
		t.Fatalf("answer audio %+v", got.Audio)
	}
	// With PCMU first in the box's order, PCMU wins.
	_, n, _ = Answer(offer, Local{Addr: box.Addr, Codecs: []media.Codec{media.PCMU, media.PCMA}})
	if n.Codec != media.PCMU || n.DTMF != 0 {
		t.Fatalf("negotiated %+v, want PCMU without DTMF", n)
	}
}

func TestAnswer_HoldDirections(t *testing.T) {
	cases := []struct {
		attr string
		conn string
		want media.Direction
	}{
		{"a=sendonly", "192.0.2.10", media.RecvOnly},
		{"a=inactive", "192.0.2.10", media.Inactive},
		{"a=recvonly", "192.0.2.10", media.SendOnly},
		{"a=sendrecv", "0.0.0.0", media.RecvOnly}, // RFC 2543 hold
	}
	for _, c := range cases {
		s := strings.Replace(phoneOffer, "a=sendrecv", c.attr, 1)
		s = strings.Replace(s, "c=IN IP4 192.0.2.10", "c=IN IP4 "+c.conn, 1)
		ans, n, err := Answer(mustParse(t, s), box)
		if err != nil {
			t.Fatal(err)
		}
		if n.Direction != c.want || !strings.Contains(string(ans), "a="+c.want.String()) {
			t.Errorf("%s c=%s: direction %v, want %v\n%s", c.attr, c.conn, n.Direction, c.want, ans)
		}
		if c.want.Sends() != n.Direction.Sends() {
			t.Errorf("%s: media toward the held party would flow", c.attr)
		}
	}
}

func TestOffer_AcceptRoundTrip(t *testing.T) {
	hold := box
	hold.Direction = media.SendOnly
	off, err := Offer(hold)
	if err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, string(off))
	if d.Audio.Direction != media.SendOnly || d.Audio.DTMF != 101 || len(d.Audio.Codecs) != 2 {
		t.Fatalf("offer %+v", d.Audio)
	}
	// The phone answers the hold offer.
	phone := Local{Addr: netip.MustParseAddrPort("192.0.2.10:4000"), Codecs: []media.Codec{media.PCMU}, DTMF: 101}
	ans, pn, err := Answer(d, phone)
	if err != nil {
		t.Fatal(err)
	}
	if pn.Direction != media.RecvOnly {
		t.Fatalf("phone direction %v", pn.Direction)
	}
	n, err := Accept(mustParse(t, string(ans)), hold)
	if err != nil {
		t.Fatal(err)
	}
	if n.Codec != media.PCMU || n.DTMF != 101 || n.Direction != media.SendOnly || n.Remote != phone.Addr {
		t.Fatalf("accepted %+v", n)
	}
}

func TestParse_BadSDPIsNamedError(t *testing.T) {
	cases := map[string]error{
		"garbage":       ErrMalformed,
		phoneOffer[:40]: ErrMalformed,
		strings.Replace(phoneOffer, "m=audio 4000", "m=audio 0", 1):            ErrNoAudio,
		strings.Replace(phoneOffer, "c=IN IP4 192.0.2.10\r\n", "", 1):          ErrNoAddress,
		strings.Replace(phoneOffer, "c=IN IP4 192.0.2.10", "c=IN IP4 nope", 1): ErrNoAddress,
		strings.Replace(phoneOffer, "a=ptime:30", "a=ptime:x", 1):              ErrMalformed,
		strings.Replace(phoneOffer, "RTP/AVP 0 8 18 96", "RTP/AVP 0 x", 1):     ErrMalformed,
		strings.Replace(phoneOffer, "RTP/AVP 0 8", "RTP/SAVP 0 8", 1):          ErrNoAudio,
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		if !errors.Is(err, want) || !errors.Is(err, ErrNotAcceptable) {
			t.Errorf("Parse(%.30q...) = %v, want %v", in, err, want)
		}
	}
	g729 := strings.Replace(phoneOffer, "RTP/AVP 0 8 18 96", "RTP/AVP 18", 1)
	if _, _, err := Answer(mustParse(t, g729), box); !errors.Is(err, ErrNoCommonCodec) || !errors.Is(err, ErrNotAcceptable) {
		t.Fatalf("G.729-only offer: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(phoneOffer))
	off, _ := Offer(box)
	f.Add(off)
	f.Add([]byte("v=0\r\nm=audio 1 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrNotAcceptable) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		ans, _, err := Answer(d, box)
		if err != nil {
			if !errors.Is(err, ErrNotAcceptable) {
				t.Fatalf("unnamed answer error %v", err)
			}
			return
		}
		if _, err := Parse(ans); err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
	})
}
