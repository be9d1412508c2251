// Package sdp does the audio offer/answer of RFC 3264 over SDP (RFC 4566)
// parsed with github.com/pion/sdp/v3: codec choice by a preference order,
// telephone-event (RFC 4733) negotiation, direction attributes for hold,
// ptime, the connection address, and rejected streams (port 0).
//
// Every error from Parse, Answer and Accept wraps ErrNotAcceptable, which
// the switch turns into 488 Not Acceptable Here; a second wrapped error
// says why (ErrMalformed, ErrNoAudio, ErrNoCommonCodec, ErrNoAddress).
package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"callbox/media"

	psdp "github.com/pion/sdp/v3"
)

// Named errors.
var (
	ErrNotAcceptable = errors.New("sdp: not acceptable")
	ErrMalformed     = errors.New("sdp: malformed")
	ErrNoAudio       = errors.New("sdp: no usable audio stream")
	ErrNoCommonCodec = errors.New("sdp: no common codec")
	ErrNoAddress     = errors.New("sdp: no connection address")
)

func reject(why error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrNotAcceptable, why, fmt.Sprintf(format, args...))
}

// TelephoneEvent is the RFC 4733 payload format name.
const TelephoneEvent = "telephone-event"

// Audio is the audio stream of one description.
type Audio struct {
	// Index is the position of the audio m-line among all m-lines.
	Index int
	// Addr is the connection address and port. Port 0 means the stream
	// is rejected or disabled.
	Addr netip.AddrPort
	// Codecs are the audio formats in the order listed, telephone-event
	// left out.
	Codecs []media.Codec
	// DTMF is the telephone-event payload type at 8000 Hz, 0 if absent.
	DTMF uint8
	// Direction is the sender's direction (media level over session
	// level). An old-style hold (c=0.0.0.0) removes receiving.
	Direction media.Direction
	// Ptime is the packet time in milliseconds, 0 when not given.
	Ptime int
}

// Description is a parsed SDP body.
type Description struct {
	Audio Audio
	// Media lists every m-line's media type, so an answer can reject the
	// ones it does not take in the same positions.
	Media []string
	// Protos lists each m-line's transport, for the same reason.
	Protos []string
	// Formats lists each m-line's formats.
	Formats [][]string
	Origin  psdp.Origin
}

// staticCodecs are the RFC 3551 static payload types the box speaks.
var staticCodecs = map[uint8]media.Codec{0: media.PCMU, 8: media.PCMA}

// Parse reads an SDP body and extracts its first usable audio stream
// (RTP/AVP or RTP/AVPF, port not 0).
func Parse(b []byte) (*Description, error) {
	var sd psdp.SessionDescription
	if err := sd.Unmarshal(b); err != nil {
		return nil, reject(ErrMalformed, "%v", err)
	}
	d := &Description{Origin: sd.Origin}
	sessDir, _ := direction(sd.Attributes)
	found := false
	for i, md := range sd.MediaDescriptions {
		d.Media = append(d.Media, md.MediaName.Media)
		d.Protos = append(d.Protos, strings.Join(md.MediaName.Protos, "/"))
		d.Formats = append(d.Formats, md.MediaName.Formats)
		if found || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		proto := strings.Join(md.MediaName.Protos, "/")
		if proto != "RTP/AVP" && proto != "RTP/AVPF" {
			continue
		}
		a, err := parseAudio(&sd, md, sessDir)
		if err != nil {
			return nil, err
		}
		a.Index = i
		d.Audio = a
		found = true
	}
	if !found {
		return nil, reject(ErrNoAudio, "no RTP/AVP audio m-line with a port")
	}
	return d, nil
}

func parseAudio(sd *psdp.SessionDescription, md *psdp.MediaDescription, sessDir media.Direction) (Audio, error) {
	var a Audio
	port := md.MediaName.Port.Value
	if port < 1 || port > 65535 {
		return a, reject(ErrMalformed, "audio port %d", port)
	}
	ci := md.ConnectionInformation
	if ci == nil {
		ci = sd.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return a, reject(ErrNoAddress, "no c= line for audio")
	}
	if ci.NetworkType != "IN" || (ci.AddressType != "IP4" && ci.AddressType != "IP6") {
		return a, reject(ErrNoAddress, "connection %s %s", ci.NetworkType, ci.AddressType)
	}
	addr, err := netip.ParseAddr(ci.Address.Address)
	if err != nil || addr.Is4() != (ci.AddressType == "IP4") || addr.Zone() != "" {
		return a, reject(ErrNoAddress, "connection address %q", ci.Address.Address)
	}
	a.Addr = netip.AddrPortFrom(addr, uint16(port))
	a.Direction = sessDir
	if dir, ok := direction(md.Attributes); ok {
		a.Direction = dir
	}
	if addr.IsUnspecified() {
		// RFC 2543 hold: "do not send to me".
		switch a.Direction {
		case media.SendRecv:
			a.Direction = media.SendOnly
		case media.RecvOnly:
			a.Direction = media.Inactive
		}
	}
	rtpmap := map[uint8]string{}
	for _, at := range md.Attributes {
		switch at.Key {
		case "rtpmap":
			pt, rest, ok := strings.Cut(at.Value, " ")
			n, err := strconv.ParseUint(pt, 10, 7)
			if !ok || err != nil {
				return a, reject(ErrMalformed, "rtpmap %q", at.Value)
			}
			rtpmap[uint8(n)] = strings.TrimSpace(rest)
		case "ptime":
			n, err := strconv.Atoi(strings.TrimSpace(at.Value))
			if err != nil || n <= 0 || n > 1000 {
				return a, reject(ErrMalformed, "ptime %q", at.Value)
			}
			a.Ptime = n
		}
	}
	for _, f := range md.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			return a, reject(ErrMalformed, "format %q", f)
		}
		pt := uint8(n)
		name, rate, ok := encoding(rtpmap[pt])
		if !ok {
			if c, static := staticCodecs[pt]; static {
				a.Codecs = append(a.Codecs, c)
			}
			continue
		}
		switch {
		case strings.EqualFold(name, TelephoneEvent):
			if rate == 8000 && a.DTMF == 0 {
				a.DTMF = pt
			}
		case strings.EqualFold(name, "PCMU") && rate == 8000:
			a.Codecs = append(a.Codecs, media.Codec{Name: "PCMU", PayloadType: pt, ClockRate: 8000})
		case strings.EqualFold(name, "PCMA") && rate == 8000:
			a.Codecs = append(a.Codecs, media.Codec{Name: "PCMA", PayloadType: pt, ClockRate: 8000})
		default:
			a.Codecs = append(a.Codecs, media.Codec{Name: name, PayloadType: pt, ClockRate: rate})
		}
	}
	return a, nil
}

// encoding splits "PCMU/8000[/1]".
func encoding(s string) (name string, rate uint32, ok bool) {
	if s == "" {
		return "", 0, false
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 {
		return "", 0, false
	}
	r, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return "", 0, false
	}
	return parts[0], uint32(r), true
}

func direction(attrs []psdp.Attribute) (media.Direction, bool) {
	for _, at := range attrs {
		switch at.Key {
		case "sendrecv":
			return media.SendRecv, true
		case "sendonly":
			return media.SendOnly, true
		case "recvonly":
			return media.RecvOnly, true
		case "inactive":
			return media.Inactive, true
		}
	}
	return media.SendRecv, false
}
