package sms

import (
	"fmt"
	"unicode/utf16"
)

// The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1): index is the
// septet value.
var gsm7Basic = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0x1b, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsm7Ext is the extension table, reached by the escape septet 0x1B
// (3GPP TS 23.038 §6.2.1.1).
var gsm7Ext = map[byte]rune{
	0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€',
}

const gsm7Escape = 0x1b

var gsm7Rev, gsm7ExtRev = func() (map[rune]byte, map[rune]byte) {
	b, e := map[rune]byte{}, map[rune]byte{}
	for i, r := range gsm7Basic {
		if i != gsm7Escape {
			b[r] = byte(i)
		}
	}
	for k, r := range gsm7Ext {
		e[r] = k
	}
	return b, e
}()

// gsm7Septets returns the septets of text in the default alphabet, and false
// if a character is in neither table.
func gsm7Septets(text string) ([]byte, bool) {
	out := make([]byte, 0, len(text))
	for _, r := range text {
		if s, ok := gsm7Rev[r]; ok {
			out = append(out, s)
			continue
		}
		if s, ok := gsm7ExtRev[r]; ok {
			out = append(out, gsm7Escape, s)
			continue
		}
		return nil, false
	}
	return out, true
}

// gsm7Text turns septets back into text. An escape before a septet that is
// not in the extension table gives the basic character (23.038 says so); a
// trailing escape is dropped.
func gsm7Text(septets []byte) string {
	out := make([]rune, 0, len(septets))
	for i := 0; i < len(septets); i++ {
		s := septets[i] & 0x7f
		if s == gsm7Escape {
			if i+1 >= len(septets) {
				break
			}
			i++
			n := septets[i] & 0x7f
			if r, ok := gsm7Ext[n]; ok {
				out = append(out, r)
			} else {
				out = append(out, gsm7Basic[n])
			}
			continue
		}
		out = append(out, gsm7Basic[s])
	}
	return string(out)
}

// packSeptets packs septets into octets, after fill zero bits (used to
// align text after a user data header to a septet boundary).
func packSeptets(septets []byte, fill int) []byte {
	out := make([]byte, (len(septets)*7+fill+7)/8)
	bit := fill
	for _, s := range septets {
		for i := 0; i < 7; i++ {
			if s&(1<<i) != 0 {
				out[bit/8] |= 1 << (bit % 8)
			}
			bit++
		}
	}
	return out
}

// unpackSeptets reads n septets from packed octets after fill bits.
func unpackSeptets(b []byte, n, fill int) ([]byte, error) {
	if (n*7+fill+7)/8 > len(b) {
		return nil, fmt.Errorf("%w: %d septets need %d octets, have %d", ErrLength, n, (n*7+fill+7)/8, len(b))
	}
	out := make([]byte, n)
	bit := fill
	for i := range out {
		var s byte
		for j := 0; j < 7; j++ {
			if b[bit/8]&(1<<(bit%8)) != 0 {
				s |= 1 << j
			}
			bit++
		}
		out[i] = s
	}
	return out, nil
}

// ucs2 encodes text as UTF-16 big-endian (what SMS calls UCS-2; characters
// outside the BMP travel as surrogate pairs, as phones do).
func ucs2(text string) []byte {
	u := utf16.Encode([]rune(text))
	out := make([]byte, 2*len(u))
	for i, c := range u {
		out[2*i], out[2*i+1] = byte(c>>8), byte(c)
	}
	return out
}

func ucs2Text(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}
