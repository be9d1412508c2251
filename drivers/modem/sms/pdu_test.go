package sms

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Published example PDUs (the classic SMS PDU tutorial examples).
const (
	exampleDeliver = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"
	exampleSubmit  = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
)

func TestDecodeDeliver_ReadsPublishedExample(t *testing.T) {
	d, err := DecodeDeliver(exampleDeliver, len(exampleDeliver)/2-8)
	if err != nil {
		t.Fatal(err)
	}
	if d.SMSC != "+31624000000" || d.From != "+31641600986" || d.Text != "How are you?" {
		t.Fatalf("got %+v", d)
	}
	// The example's zone octet 0x08 is, strictly by 23.040 §9.2.3.11,
	// minus zero quarters; only the wall clock is checked here.
	if got := d.Time.Format("2006-01-02 15:04:05"); got != "2002-08-26 19:37:41" {
		t.Fatalf("time %s", got)
	}
}

func TestSubmit_EncodesPublishedExample(t *testing.T) {
	s := Submit{To: "+46708251358", Text: "hellohello", ValidityPeriod: 4 * 24 * time.Hour}
	pdu, n, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if pdu != exampleSubmit || n != len(exampleSubmit)/2-1 {
		t.Fatalf("got %s (%d), want %s", pdu, n, exampleSubmit)
	}
	back, err := DecodeSubmit(pdu, n)
	if err != nil || back.To != s.To || back.Text != s.Text {
		t.Fatalf("decode: %+v %v", back, err)
	}
}

func TestDeliver_RoundTripsGSM7ExtensionAndUCS2(t *testing.T) {
	at := time.Date(2026, 11, 27, 5, 30, 0, 0, time.FixedZone("", 8*3600))
	for _, tc := range []struct {
		text string
		enc  Encoding
	}{
		{"Price: 10€ [incl. {tax}] ~ ^|\\ @£$¥èé", GSM7},
		{"您好，您的回拨已安排在下午三点。", UCS2},
		{"emoji 😀 outside the BMP", UCS2},
	} {
		d := Deliver{SMSC: "+8613800100500", From: "+8613912345678", Time: at, Encoding: tc.enc, Text: tc.text,
			Concat: &Concat{Ref: 0x1234, Total: 3, Seq: 2, Ref16: true}}
		pdu, n, err := d.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeDeliver(pdu, n)
		if err != nil {
			t.Fatal(err)
		}
		if got.Text != tc.text || got.From != d.From || got.SMSC != d.SMSC || !got.Time.Equal(at) || *got.Concat != *d.Concat {
			t.Fatalf("round trip of %q: %+v", tc.text, got)
		}
	}
}

func TestDecodeDeliver_RejectsWrongLength(t *testing.T) {
	_, err := DecodeDeliver(exampleDeliver, 40)
	if !errors.Is(err, ErrLength) {
		t.Fatalf("stated length 40: %v, want ErrLength", err)
	}
	// Truncated user data: UDL says 12 septets, fewer octets follow.
	short := exampleDeliver[:len(exampleDeliver)-6]
	if _, err := DecodeDeliver(short, -1); !errors.Is(err, ErrLength) {
		t.Fatalf("truncated: %v, want ErrLength", err)
	}
	if _, err := DecodeDeliver("07911326zz", -1); !errors.Is(err, ErrPDU) {
		t.Fatalf("bad hex: %v, want ErrPDU", err)
	}
}

func TestSplit_LongTextsUseConcatenatedParts(t *testing.T) {
	en := strings.Repeat("The quick brown fox jumps over the lazy dog {0}. ", 11)[:500]
	zh := string([]rune(strings.Repeat("客户您好，我们已经收到您的传真，工作人员将尽快与您联系。", 18))[:500])
	for _, tc := range []struct {
		text  string
		ref16 bool
		parts int
		enc   Encoding
	}{
		{en, false, 4, GSM7}, // 500 + 11 escapes for {} = 522 septets / 153
		{en, true, 4, GSM7},
		{zh, false, 8, UCS2}, // 500 / 67
		{zh, true, 8, UCS2},  // 500 / 66
		{strings.Repeat("a", 160), false, 1, GSM7},
		{strings.Repeat("中", 70), false, 1, UCS2},
	} {
		parts, err := Split("+8613912345678", tc.text, 0x1a2, tc.ref16, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != tc.parts || parts[0].Encoding != tc.enc {
			t.Fatalf("%d parts in %v, want %d in %v", len(parts), parts[0].Encoding, tc.parts, tc.enc)
		}
		var joined strings.Builder
		for _, p := range parts {
			pdu, n, err := p.Encode()
			if err != nil {
				t.Fatalf("part %v: %v", p.Concat, err)
			}
			back, err := DecodeSubmit(pdu, n)
			if err != nil {
				t.Fatal(err)
			}
			joined.WriteString(back.Text)
		}
		if joined.String() != tc.text {
			t.Fatalf("parts do not join back to the text")
		}
	}
}

func TestStatusReport_RoundTrips(t *testing.T) {
	at := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	s := StatusReport{MR: 42, Recipient: "+8613912345678", SCTS: at, Discharge: at.Add(3 * time.Second), Status: 0}
	pdu, n, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeStatusReport(pdu, n)
	if err != nil || got.MR != 42 || !got.Delivered() || got.Recipient != s.Recipient {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := DecodeDeliver(pdu, n); !errors.Is(err, ErrType) {
		t.Fatalf("status report as deliver: %v", err)
	}
}

func FuzzDecodePDU(f *testing.F) {
	f.Add(exampleDeliver, -1)
	f.Add(exampleSubmit, 24)
	f.Add("0006", -1)
	f.Add("00440B919136214365F70008622072115022230A0500030A0201", -1)
	f.Fuzz(func(t *testing.T, pdu string, n int) {
		if d, err := DecodeDeliver(pdu, n); err == nil {
			_ = d.Text
		}
		_, _ = DecodeSubmit(pdu, n)
		_, _ = DecodeStatusReport(pdu, n)
		_, _ = TypeOf(pdu)
	})
}

func BenchmarkSplitAndEncode500CharsChinese(b *testing.B) {
	text := string([]rune(strings.Repeat("客户您好，我们已经收到您的传真。", 40))[:500])
	b.ReportAllocs()
	for b.Loop() {
		parts, err := Split("+8613912345678", text, 1, false, true)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range parts {
			if _, _, err := p.Encode(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkDecodeDeliver(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeDeliver(exampleDeliver, -1); err != nil {
			b.Fatal(err)
		}
	}
}
