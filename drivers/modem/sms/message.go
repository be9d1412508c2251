package sms

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// Submit is an SMS-SUBMIT: a message the phone sends (23.040 §9.2.2.2).
type Submit struct {
	// SMSC is the service centre number; "" uses the one on the SIM.
	SMSC string
	// MR is the message reference the network echoes in status reports;
	// modems set it themselves (the value here is a placeholder then).
	MR             byte
	To             string
	StatusReport   bool
	Encoding       Encoding
	Concat         *Concat
	Text           string
	ValidityPeriod time.Duration // 0: the network's default
}

// Encode returns the PDU as hex (SMSC prefix included) and the TPDU length
// in octets that AT+CMGS wants.
func (s Submit) Encode() (string, int, error) {
	var smsc []byte
	if s.SMSC == "" {
		smsc = []byte{0}
	} else {
		a, err := encodeAddress(s.SMSC)
		if err != nil {
			return "", 0, err
		}
		smsc = append([]byte{byte(len(a) - 1)}, a[1:]...)
	}
	fo := byte(0x01) // SMS-SUBMIT
	if s.ValidityPeriod > 0 {
		fo |= 0x10 // relative validity period
	}
	if s.StatusReport {
		fo |= 0x20
	}
	if s.Concat != nil {
		fo |= 0x40
	}
	da, err := encodeAddress(s.To)
	if err != nil {
		return "", 0, err
	}
	tpdu := append([]byte{fo, s.MR}, da...)
	tpdu = append(tpdu, 0x00, encodingDCS(s.Encoding))
	if s.ValidityPeriod > 0 {
		tpdu = append(tpdu, relativeVP(s.ValidityPeriod))
	}
	ud, err := encodeUserData(s.Text, s.Encoding, s.Concat)
	if err != nil {
		return "", 0, err
	}
	tpdu = append(tpdu, ud...)
	return strings.ToUpper(hex.EncodeToString(append(smsc, tpdu...))), len(tpdu), nil
}

// relativeVP encodes a validity period (23.040 §9.2.3.12.1).
func relativeVP(d time.Duration) byte {
	switch m := int(d / time.Minute); {
	case m <= 720:
		return byte(max(m/5-1, 0))
	case m <= 1440:
		return byte(143 + (m-720)/30)
	case m <= 30*1440:
		return byte(166 + m/1440)
	default:
		return byte(min(192+m/(7*1440), 255))
	}
}

// DecodeSubmit reads an SMS-SUBMIT (the simulator's side of AT+CMGS).
func DecodeSubmit(pdu string, tpduLen int) (Submit, error) {
	smsc, tpdu, err := splitHex(pdu, tpduLen)
	if err != nil {
		return Submit{}, err
	}
	r := &reader{b: tpdu}
	fo := r.byte()
	if Type(fo&3) != TypeSubmit {
		return Submit{}, fmt.Errorf("%w: type %d, want SUBMIT", ErrType, fo&3)
	}
	s := Submit{SMSC: smsc, StatusReport: fo&0x20 != 0}
	s.MR = r.byte()
	s.To = r.address()
	r.byte() // PID
	s.Encoding = dcsEncoding(r.byte())
	switch fo >> 3 & 3 {
	case 2:
		r.byte()
	case 1, 3:
		r.bytes(7)
	}
	ud := r.userData(s.Encoding, fo&0x40 != 0)
	if r.err != nil {
		return Submit{}, r.err
	}
	s.Concat, s.Text = ud.concat, ud.text
	if s.Encoding == Data8 {
		s.Text = hex.EncodeToString(ud.data)
	}
	return s, nil
}

// Deliver is an SMS-DELIVER: a message the phone receives (23.040 §9.2.2.1).
type Deliver struct {
	SMSC     string
	From     string
	Time     time.Time // service centre time stamp
	Encoding Encoding
	Concat   *Concat
	// Text is the message; for 8-bit data it is the data in hex.
	Text string
	// Data is the user data of an 8-bit message.
	Data []byte
	// StatusReportIndication is set when the sender asked for a report.
	StatusReportIndication bool
}

// DecodeDeliver reads an SMS-DELIVER from a modem's PDU line. tpduLen is the
// length the modem stated (-1: unknown); a mismatch is ErrLength.
func DecodeDeliver(pdu string, tpduLen int) (Deliver, error) {
	smsc, tpdu, err := splitHex(pdu, tpduLen)
	if err != nil {
		return Deliver{}, err
	}
	r := &reader{b: tpdu}
	fo := r.byte()
	if Type(fo&3) != TypeDeliver {
		return Deliver{}, fmt.Errorf("%w: type %d, want DELIVER", ErrType, fo&3)
	}
	d := Deliver{SMSC: smsc, StatusReportIndication: fo&0x20 != 0}
	d.From = r.address()
	r.byte() // PID
	d.Encoding = dcsEncoding(r.byte())
	d.Time = r.timestamp()
	ud := r.userData(d.Encoding, fo&0x40 != 0)
	if r.err != nil {
		return Deliver{}, r.err
	}
	d.Concat, d.Text, d.Data = ud.concat, ud.text, ud.data
	if d.Encoding == Data8 {
		d.Text = hex.EncodeToString(ud.data)
	}
	return d, nil
}

// Encode returns the DELIVER as a modem shows it: hex with SMSC prefix, and
// the TPDU length (the simulator stores these).
func (d Deliver) Encode() (string, int, error) {
	smsc := []byte{0}
	if d.SMSC != "" {
		a, err := encodeAddress(d.SMSC)
		if err != nil {
			return "", 0, err
		}
		smsc = append([]byte{byte(len(a) - 1)}, a[1:]...)
	}
	fo := byte(0x04) // DELIVER, no more messages waiting
	if d.StatusReportIndication {
		fo |= 0x20
	}
	if d.Concat != nil {
		fo |= 0x40
	}
	oa, err := encodeAddress(d.From)
	if err != nil {
		return "", 0, err
	}
	tpdu := append([]byte{fo}, oa...)
	tpdu = append(tpdu, 0x00, encodingDCS(d.Encoding))
	tpdu = append(tpdu, encodeTimestamp(d.Time)...)
	ud, err := encodeUserData(d.Text, d.Encoding, d.Concat)
	if err != nil {
		return "", 0, err
	}
	tpdu = append(tpdu, ud...)
	return strings.ToUpper(hex.EncodeToString(append(smsc, tpdu...))), len(tpdu), nil
}

// StatusReport is an SMS-STATUS-REPORT: the network telling whether a sent
// message reached its recipient (23.040 §9.2.2.3).
type StatusReport struct {
	SMSC      string
	MR        byte // the reference +CMGS returned for the message
	Recipient string
	SCTS      time.Time // when the centre received the message
	Discharge time.Time // when it was delivered or failed
	Status    byte      // TP-ST (23.040 §9.2.3.15)
}

// Delivered reports whether the message reached the recipient.
func (s StatusReport) Delivered() bool { return s.Status <= 0x02 }

// Pending reports whether the centre is still trying (temporary error).
func (s StatusReport) Pending() bool { return s.Status >= 0x20 && s.Status < 0x40 }

// Failed reports whether the centre gave up.
func (s StatusReport) Failed() bool { return !s.Delivered() && !s.Pending() }

// DecodeStatusReport reads an SMS-STATUS-REPORT PDU line.
func DecodeStatusReport(pdu string, tpduLen int) (StatusReport, error) {
	smsc, tpdu, err := splitHex(pdu, tpduLen)
	if err != nil {
		return StatusReport{}, err
	}
	r := &reader{b: tpdu}
	fo := r.byte()
	if Type(fo&3) != TypeStatusReport {
		return StatusReport{}, fmt.Errorf("%w: type %d, want STATUS-REPORT", ErrType, fo&3)
	}
	s := StatusReport{SMSC: smsc}
	s.MR = r.byte()
	s.Recipient = r.address()
	s.SCTS = r.timestamp()
	s.Discharge = r.timestamp()
	s.Status = r.byte()
	// Optional parameters (PID, DCS, UD) after TP-PI are not needed.
	return s, r.err
}

// Encode returns the report as a modem shows it (for the simulator).
func (s StatusReport) Encode() (string, int, error) {
	ra, err := encodeAddress(s.Recipient)
	if err != nil {
		return "", 0, err
	}
	tpdu := append([]byte{0x06, s.MR}, ra...) // STATUS-REPORT, no more messages
	tpdu = append(tpdu, encodeTimestamp(s.SCTS)...)
	tpdu = append(tpdu, encodeTimestamp(s.Discharge)...)
	tpdu = append(tpdu, s.Status)
	return strings.ToUpper(hex.EncodeToString(append([]byte{0}, tpdu...))), len(tpdu), nil
}

// Part limits (23.040 §9.2.3.24): a single message carries 160 GSM 7-bit
// septets or 70 UCS-2 units; a concatenation header costs 7 septets (or 8
// with a 16-bit reference) or 3 (4) UCS-2 units.
const (
	gsm7Single = 160
	ucs2Single = 70
)

// Split makes the SUBMIT PDUs for a text: GSM 7-bit if every character is in
// the default alphabet or its extension table, UCS-2 otherwise; one part if
// it fits, else concatenated parts with reference ref (16-bit if ref16).
// Escape pairs and surrogate pairs are never cut apart.
func Split(to, text string, ref uint16, ref16, statusReport bool) ([]Submit, error) {
	if text == "" {
		return nil, fmt.Errorf("%w: empty text", ErrPDU)
	}
	base := Submit{To: to, StatusReport: statusReport}
	var chunks []string
	if septets, ok := gsm7Septets(text); ok {
		base.Encoding = GSM7
		if len(septets) <= gsm7Single {
			chunks = []string{text}
		} else {
			chunks = splitRunes(text, 153-boolInt(ref16), func(r rune) int {
				if _, ext := gsm7ExtRev[r]; ext {
					return 2
				}
				return 1
			})
		}
	} else {
		base.Encoding = UCS2
		if len(utf16.Encode([]rune(text))) <= ucs2Single {
			chunks = []string{text}
		} else {
			chunks = splitRunes(text, 67-boolInt(ref16), func(r rune) int { return utf16.RuneLen(r) })
		}
	}
	if len(chunks) > 255 {
		return nil, fmt.Errorf("%w: text needs %d parts", ErrLength, len(chunks))
	}
	parts := make([]Submit, len(chunks))
	for i, c := range chunks {
		p := base
		p.Text = c
		if len(chunks) > 1 {
			p.Concat = &Concat{Ref: ref, Total: byte(len(chunks)), Seq: byte(i + 1), Ref16: ref16}
			if !ref16 {
				p.Concat.Ref &= 0xff
			}
		}
		parts[i] = p
	}
	return parts, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// splitRunes cuts text into chunks of at most limit units, a rune costing
// cost(r) units.
func splitRunes(text string, limit int, cost func(rune) int) []string {
	var out []string
	var b strings.Builder
	n := 0
	for _, r := range text {
		c := cost(r)
		if n+c > limit {
			out = append(out, b.String())
			b.Reset()
			n = 0
		}
		b.WriteRune(r)
		n += c
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}
