package sdp

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"callbox/media"

	psdp "github.com/pion/sdp/v3"
)

// Local is what the box offers or accepts for one leg.
type Local struct {
	// Addr is the leg's RTP address (the session's LocalAddr).
	Addr netip.AddrPort
	// Codecs is the preference order, most preferred first; default
	// PCMA, PCMU.
	Codecs []media.Codec
	// DTMF offers RFC 4733 telephone-events with this payload type
	// (96..127); 0 disables them.
	DTMF uint8
	// Direction is what the box wants: SendRecv normally, SendOnly to
	// put the peer on hold.
	Direction media.Direction
	// Ptime in milliseconds; default 20.
	Ptime int
	// SessionID and Version go in the o= line; bump Version on every
	// new offer in a dialog.
	SessionID, Version uint64
}

func (l *Local) defaults() {
	if len(l.Codecs) == 0 {
		l.Codecs = []media.Codec{media.PCMA, media.PCMU}
	}
	if l.Ptime == 0 {
		l.Ptime = 20
	}
}

// Negotiated is the outcome of offer/answer for one leg: what the RTP
// session is configured with.
type Negotiated struct {
	Codec media.Codec
	// DTMF is the telephone-event payload type both sides use, 0 if
	// none.
	DTMF uint8
	// Remote is the peer's RTP address.
	Remote netip.AddrPort
	// Direction is the box's direction toward the peer: without send,
	// the peer is held and gets no media.
	Direction media.Direction
	// Ptime is the peer's packet time (ms), 0 if it gave none.
	Ptime int
}

// Offer builds an SDP offer for local.
func Offer(local Local) ([]byte, error) {
	local.defaults()
	return build(local, nil, local.Codecs, local.DTMF, local.Direction)
}

// Answer negotiates an answer to a parsed offer: the first codec of the
// box's preference order the offer also lists, telephone-events when both
// sides have them (with the offer's payload type), and the direction that
// the offer and the box both allow.
func Answer(offer *Description, local Local) ([]byte, Negotiated, error) {
	local.defaults()
	var n Negotiated
	codec, ok := pick(local.Codecs, offer.Audio.Codecs)
	if !ok {
		return nil, n, reject(ErrNoCommonCodec, "offer has %s", names(offer.Audio.Codecs))
	}
	n = Negotiated{
		Codec:     codec,
		Remote:    offer.Audio.Addr,
		Direction: intersect(offer.Audio.Direction.Reverse(), local.Direction),
		Ptime:     offer.Audio.Ptime,
	}
	if local.DTMF != 0 && offer.Audio.DTMF != 0 {
		n.DTMF = offer.Audio.DTMF
	}
	b, err := build(local, offer, []media.Codec{codec}, n.DTMF, n.Direction)
	return b, n, err
}

// Accept reads the answer to an offer the box made with local.
func Accept(answer *Description, local Local) (Negotiated, error) {
	local.defaults()
	var n Negotiated
	// The answerer's order wins here: it chose.
	codec, ok := pick(answer.Audio.Codecs, local.Codecs)
	if !ok {
		return n, reject(ErrNoCommonCodec, "answer has %s", names(answer.Audio.Codecs))
	}
	codec.PayloadType = payloadTypeIn(answer.Audio.Codecs, codec)
	n = Negotiated{
		Codec:     codec,
		Remote:    answer.Audio.Addr,
		Direction: intersect(answer.Audio.Direction.Reverse(), local.Direction),
		Ptime:     answer.Audio.Ptime,
	}
	if local.DTMF != 0 && answer.Audio.DTMF != 0 {
		n.DTMF = answer.Audio.DTMF
	}
	return n, nil
}

func payloadTypeIn(list []media.Codec, c media.Codec) uint8 {
	for _, x := range list {
		if strings.EqualFold(x.Name, c.Name) && x.ClockRate == c.ClockRate {
			return x.PayloadType
		}
	}
	return c.PayloadType
}

// pick returns the first codec of prefer that appears in have, with
// have's payload type.
func pick(prefer, have []media.Codec) (media.Codec, bool) {
	for _, p := range prefer {
		for _, h := range have {
			if strings.EqualFold(p.Name, h.Name) && p.ClockRate == h.ClockRate {
				c := p
				c.PayloadType = h.PayloadType
				return c, true
			}
		}
	}
	return media.Codec{}, false
}

func names(cs []media.Codec) string {
	if len(cs) == 0 {
		return "no audio codec"
	}
	var s []string
	for _, c := range cs {
		s = append(s, c.Name)
	}
	return strings.Join(s, ",")
}

// intersect keeps only the flows both directions allow.
func intersect(a, b media.Direction) media.Direction {
	send := a.Sends() && b.Sends()
	recv := a.Receives() && b.Receives()
	switch {
	case send && recv:
		return media.SendRecv
	case send:
		return media.SendOnly
	case recv:
		return media.RecvOnly
	}
	return media.Inactive
}

func build(local Local, offer *Description, codecs []media.Codec, dtmf uint8, dir media.Direction) ([]byte, error) {
	if !local.Addr.IsValid() || local.Addr.Addr().IsUnspecified() {
		return nil, fmt.Errorf("sdp: local address %v: %w", local.Addr, ErrNoAddress)
	}
	ip := local.Addr.Addr().Unmap()
	atype := "IP4"
	if ip.Is6() {
		atype = "IP6"
	}
	sd := &psdp.SessionDescription{
		Origin: psdp.Origin{Username: "callbox", SessionID: local.SessionID, SessionVersion: local.Version,
			NetworkType: "IN", AddressType: atype, UnicastAddress: ip.String()},
		SessionName:           "callbox",
		ConnectionInformation: &psdp.ConnectionInformation{NetworkType: "IN", AddressType: atype, Address: &psdp.Address{Address: ip.String()}},
		TimeDescriptions:      []psdp.TimeDescription{{}},
	}
	audio := &psdp.MediaDescription{MediaName: psdp.MediaName{Media: "audio", Port: psdp.RangedPort{Value: int(local.Addr.Port())},
		Protos: []string{"RTP", "AVP"}}}
	for _, c := range codecs {
		pt := strconv.Itoa(int(c.PayloadType))
		audio.MediaName.Formats = append(audio.MediaName.Formats, pt)
		audio.Attributes = append(audio.Attributes, psdp.NewAttribute("rtpmap", fmt.Sprintf("%s %s/%d", pt, c.Name, c.ClockRate)))
	}
	if dtmf != 0 {
		pt := strconv.Itoa(int(dtmf))
		audio.MediaName.Formats = append(audio.MediaName.Formats, pt)
		audio.Attributes = append(audio.Attributes,
			psdp.NewAttribute("rtpmap", pt+" "+TelephoneEvent+"/8000"),
			psdp.NewAttribute("fmtp", pt+" 0-16"))
	}
	audio.Attributes = append(audio.Attributes,
		psdp.NewAttribute("ptime", strconv.Itoa(local.Ptime)),
		psdp.NewPropertyAttribute(dir.String()))
	if offer == nil {
		sd.MediaDescriptions = []*psdp.MediaDescription{audio}
		return sd.Marshal()
	}
	// RFC 3264 section 6: one m-line per offered m-line, in order, the
	// ones not taken rejected with port 0.
	for i, m := range offer.Media {
		if i == offer.Audio.Index {
			sd.MediaDescriptions = append(sd.MediaDescriptions, audio)
			continue
		}
		protos := strings.Split(offer.Protos[i], "/")
		formats := offer.Formats[i]
		if len(formats) == 0 {
			formats = []string{"0"}
		}
		sd.MediaDescriptions = append(sd.MediaDescriptions, &psdp.MediaDescription{
			MediaName: psdp.MediaName{Media: m, Port: psdp.RangedPort{Value: 0}, Protos: protos, Formats: formats[:1]}})
	}
	return sd.Marshal()
}
