package sms

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of the codec, checked with errors.Is.
var (
	// ErrLength is a PDU whose stated length does not match its bytes.
	ErrLength = errors.New("sms: PDU length mismatch")
	// ErrPDU is a PDU that is malformed in some other way.
	ErrPDU = errors.New("sms: malformed PDU")
	// ErrType is a PDU of another type than the one asked for.
	ErrType = errors.New("sms: unexpected PDU type")
)

// Type is the message type indicator of a TPDU (TP-MTI, 23.040 §9.2.3.1)
// as seen by the mobile: the same two bits mean DELIVER towards the phone
// and SUBMIT from it.
type Type byte

// The TPDU types.
const (
	TypeDeliver      Type = 0 // network to phone
	TypeSubmit       Type = 1 // phone to network
	TypeStatusReport Type = 2 // network to phone
)

// Encoding is the alphabet of the user data.
type Encoding byte

// The alphabets (DCS, 23.038 §4).
const (
	GSM7  Encoding = 0
	Data8 Encoding = 1
	UCS2  Encoding = 2
)

func (e Encoding) String() string {
	return [...]string{"gsm7", "8bit", "ucs2"}[e%3]
}

// Concat is a concatenated-message information element (23.040 §9.2.3.24.1
// with an 8-bit reference, §9.2.3.24.8 with a 16-bit one).
type Concat struct {
	Ref   uint16
	Total byte
	Seq   byte // 1-based
	Ref16 bool
}

// Address type octets (TON/NPI, 23.040 §9.1.2.5).
const (
	typeInternational = 0x91
	typeUnknown       = 0x81
	typeAlphanumeric  = 0xd0
)

// encodeAddress encodes a phone number as length (digits), type and swapped
// semi-octets. A leading '+' makes it international.
func encodeAddress(num string) ([]byte, error) {
	typ := byte(typeUnknown)
	if strings.HasPrefix(num, "+") {
		typ, num = typeInternational, num[1:]
	}
	if len(num) == 0 || len(num) > 20 {
		return nil, fmt.Errorf("%w: address %q", ErrPDU, num)
	}
	out := []byte{byte(len(num)), typ}
	digits, err := semiOctets(num)
	if err != nil {
		return nil, err
	}
	return append(out, digits...), nil
}

func semiOctets(num string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(num); i += 2 {
		lo, ok := bcdDigit(num[i])
		if !ok {
			return nil, fmt.Errorf("%w: digit %q in %q", ErrPDU, num[i], num)
		}
		hi := byte(0xf)
		if i+1 < len(num) {
			if hi, ok = bcdDigit(num[i+1]); !ok {
				return nil, fmt.Errorf("%w: digit %q in %q", ErrPDU, num[i+1], num)
			}
		}
		out = append(out, hi<<4|lo)
	}
	return out, nil
}

func bcdDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c == '*':
		return 0xa, true
	case c == '#':
		return 0xb, true
	}
	return 0, false
}

const bcdChars = "0123456789*#abc"

// reader walks a TPDU, failing with ErrLength when it runs out.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.pos+n > len(r.b) {
		r.err = fmt.Errorf("%w: need %d more bytes at offset %d of %d", ErrLength, n, r.pos, len(r.b))
		return nil
	}
	b := r.b[r.pos : r.pos+n]
	r.pos += n
	return b
}

func (r *reader) byte() byte {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// address reads an address field; digits counts semi-octets, except for
// alphanumeric addresses where it counts the useful semi-octets of packed
// GSM 7-bit text.
func (r *reader) address() string {
	n := int(r.byte())
	typ := r.byte()
	raw := r.bytes((n + 1) / 2)
	if r.err != nil {
		return ""
	}
	if typ&0x70 == 0x50 { // alphanumeric
		septets, err := unpackSeptets(raw, n*4/7, 0)
		if err != nil {
			r.err = err
			return ""
		}
		return gsm7Text(septets)
	}
	var b strings.Builder
	if typ&0x70 == 0x10 {
		b.WriteByte('+')
	}
	for i := 0; i < n; i++ {
		d := raw[i/2]
		if i%2 == 1 {
			d >>= 4
		}
		d &= 0xf
		if d == 0xf {
			break
		}
		b.WriteByte(bcdChars[min(int(d), len(bcdChars)-1)])
	}
	return b.String()
}

// smscAddress reads the SMSC prefix of a PDU from a modem: length in
// octets (type included), then the number.
func (r *reader) smscAddress() string {
	n := int(r.byte())
	if n == 0 {
		return ""
	}
	raw := r.bytes(n)
	if r.err != nil {
		return ""
	}
	sub := &reader{b: append([]byte{byte(2 * (n - 1))}, raw...)}
	s := sub.address()
	if sub.err != nil {
		r.err = sub.err
	}
	return s
}

// timestamp reads a service centre time stamp (23.040 §9.2.3.11).
func (r *reader) timestamp() time.Time {
	b := r.bytes(7)
	if b == nil {
		return time.Time{}
	}
	d := func(x byte) int { return int(x&0x0f)*10 + int(x>>4) }
	tz := int(b[6]&0x07)*10 + int(b[6]>>4)
	if b[6]&0x08 != 0 {
		tz = -tz
	}
	loc := time.FixedZone("", tz*15*60)
	t := time.Date(2000+d(b[0]), time.Month(d(b[1])), d(b[2]), d(b[3]), d(b[4]), d(b[5]), 0, loc)
	return t
}

func encodeTimestamp(t time.Time) []byte {
	sw := func(v int) byte { return byte(v%10)<<4 | byte(v/10%10) }
	_, off := t.Zone()
	q := off / (15 * 60)
	tz := sw(abs(q))
	if q < 0 {
		tz |= 0x08
	}
	return []byte{sw(t.Year() % 100), sw(int(t.Month())), sw(t.Day()), sw(t.Hour()), sw(t.Minute()), sw(t.Second()), tz}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// dcsEncoding reads the data coding scheme's alphabet (23.038 §4). Coding
// groups the driver does not know are read as 8-bit data.
func dcsEncoding(dcs byte) Encoding {
	switch {
	case dcs&0xc0 == 0x00 || dcs&0xc0 == 0x40: // general data coding, maybe auto-deleting
		switch dcs >> 2 & 3 {
		case 0:
			return GSM7
		case 2:
			return UCS2
		}
		return Data8
	case dcs&0xf0 == 0xf0:
		if dcs&0x04 != 0 {
			return Data8
		}
		return GSM7
	case dcs&0xf0 == 0xc0 || dcs&0xf0 == 0xd0:
		return GSM7 // message waiting indication, default alphabet
	case dcs&0xf0 == 0xe0:
		return UCS2
	}
	return Data8
}

func encodingDCS(e Encoding) byte {
	switch e {
	case UCS2:
		return 0x08
	case Data8:
		return 0x04
	}
	return 0x00
}

// userData is a decoded TP-UD.
type userData struct {
	concat *Concat
	text   string
	data   []byte // 8-bit data
}

// readUserData reads UDL and UD to the end of the TPDU.
func (r *reader) userData(enc Encoding, udhi bool) userData {
	udl := int(r.byte())
	rest := r.bytes(len(r.b) - r.pos)
	if r.err != nil {
		return userData{}
	}
	var ud userData
	udhLen := 0
	if udhi {
		if len(rest) < 1 || int(rest[0])+1 > len(rest) {
			r.err = fmt.Errorf("%w: user data header longer than the data", ErrLength)
			return ud
		}
		udhLen = int(rest[0]) + 1
		c, err := parseUDH(rest[1:udhLen])
		if err != nil {
			r.err = err
			return ud
		}
		ud.concat = c
	}
	switch enc {
	case GSM7:
		if udl*7 > len(rest)*8+6 {
			r.err = fmt.Errorf("%w: %d septets in %d octets", ErrLength, udl, len(rest))
			return ud
		}
		udhSeptets := (udhLen*8 + 6) / 7
		if udl < udhSeptets {
			r.err = fmt.Errorf("%w: user data length %d shorter than its header", ErrLength, udl)
			return ud
		}
		fill := udhSeptets*7 - udhLen*8
		septets, err := unpackSeptets(rest[udhLen:], udl-udhSeptets, fill)
		if err != nil {
			r.err = err
			return ud
		}
		ud.text = gsm7Text(septets)
	default:
		if udl > len(rest) || udl < udhLen {
			r.err = fmt.Errorf("%w: user data length %d, have %d octets", ErrLength, udl, len(rest))
			return ud
		}
		body := rest[udhLen:udl]
		if enc == UCS2 {
			if len(body)%2 != 0 {
				r.err = fmt.Errorf("%w: odd UCS-2 length %d", ErrLength, len(body))
				return ud
			}
			ud.text = ucs2Text(body)
		} else {
			ud.data = append([]byte(nil), body...)
		}
	}
	return ud
}

// parseUDH finds the concatenation element among the information elements.
func parseUDH(h []byte) (*Concat, error) {
	var c *Concat
	for i := 0; i < len(h); {
		if i+2 > len(h) || i+2+int(h[i+1]) > len(h) {
			return nil, fmt.Errorf("%w: information element overruns the header", ErrPDU)
		}
		id, v := h[i], h[i+2:i+2+int(h[i+1])]
		switch {
		case id == 0x00 && len(v) == 3:
			c = &Concat{Ref: uint16(v[0]), Total: v[1], Seq: v[2]}
		case id == 0x08 && len(v) == 4:
			c = &Concat{Ref: uint16(v[0])<<8 | uint16(v[1]), Total: v[2], Seq: v[3], Ref16: true}
		}
		i += 2 + int(h[i+1])
	}
	if c != nil && (c.Total == 0 || c.Seq == 0 || c.Seq > c.Total) {
		// 23.040: such an element is ignored; the part stands alone.
		c = nil
	}
	return c, nil
}

func (c *Concat) udh() []byte {
	if c == nil {
		return nil
	}
	if c.Ref16 {
		return []byte{6, 0x08, 4, byte(c.Ref >> 8), byte(c.Ref), c.Total, c.Seq}
	}
	return []byte{5, 0x00, 3, byte(c.Ref), c.Total, c.Seq}
}

// encodeUserData builds UDL and UD for text in enc with an optional
// concatenation header.
func encodeUserData(text string, enc Encoding, c *Concat) ([]byte, error) {
	udh := c.udh()
	switch enc {
	case GSM7:
		septets, ok := gsm7Septets(text)
		if !ok {
			return nil, fmt.Errorf("%w: text not in the GSM 7-bit alphabet", ErrPDU)
		}
		udhSeptets := (len(udh)*8 + 6) / 7
		udl := udhSeptets + len(septets)
		if udl > 160 {
			return nil, fmt.Errorf("%w: %d septets", ErrLength, udl)
		}
		fill := udhSeptets*7 - len(udh)*8
		packed := packSeptets(septets, fill)
		return append(append([]byte{byte(udl)}, udh...), packed...), nil
	case UCS2:
		body := ucs2(text)
		if len(udh)+len(body) > 140 {
			return nil, fmt.Errorf("%w: %d octets", ErrLength, len(udh)+len(body))
		}
		return append(append([]byte{byte(len(udh) + len(body))}, udh...), body...), nil
	}
	return nil, fmt.Errorf("%w: encoding %v for text", ErrPDU, enc)
}

// splitHex turns a PDU line from the modem into the SMSC number and TPDU.
// tpduLen is the length the modem gave (+CMGR, +CMT, +CDS); -1 skips the
// check.
func splitHex(pdu string, tpduLen int) (string, []byte, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(pdu))
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrPDU, err)
	}
	r := &reader{b: raw}
	smsc := r.smscAddress()
	if r.err != nil {
		return "", nil, r.err
	}
	tpdu := raw[r.pos:]
	if tpduLen >= 0 && len(tpdu) != tpduLen {
		return "", nil, fmt.Errorf("%w: modem says %d octets, PDU has %d", ErrLength, tpduLen, len(tpdu))
	}
	if len(tpdu) == 0 {
		return "", nil, fmt.Errorf("%w: empty TPDU", ErrLength)
	}
	return smsc, tpdu, nil
}

// TypeOf returns the type of a PDU line from the modem.
func TypeOf(pdu string) (Type, error) {
	_, tpdu, err := splitHex(pdu, -1)
	if err != nil {
		return 0, err
	}
	return Type(tpdu[0] & 3), nil
}
