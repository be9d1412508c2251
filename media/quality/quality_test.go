package quality

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func feed(r *Receiver, seqs []uint16) {
	for _, s := range seqs {
		ts := uint32(s) * 160
		r.Update(s, ts, ts+1000, 172)
	}
}

func TestReceiver_CountsAcrossSequenceWrap(t *testing.T) {
	var r Receiver
	var seqs []uint16
	for i := range 200 {
		seqs = append(seqs, uint16(65500+i))
	}
	feed(&r, seqs)
	if r.Lost() != 0 {
		t.Fatalf("lost %d across wrap, want 0", r.Lost())
	}
	if got, want := r.ExtendedMax(), uint32(65500+199); got != want {
		t.Fatalf("extended max %d, want %d", got, want)
	}
	if r.Received() != 200 {
		t.Fatalf("received %d, want 200", r.Received())
	}
}

func TestReceiver_LossAndFractionInReport(t *testing.T) {
	var r Receiver
	for s := uint16(1); s <= 100; s++ {
		if s%10 == 0 {
			continue // lose every tenth
		}
		r.Update(s, uint32(s)*160, uint32(s)*160, 172)
	}
	if r.Lost() != 9 { // seq 100 never arrived so max is 99: 10..90 lost = 9
		t.Fatalf("lost %d, want 9", r.Lost())
	}
	rep := r.Report(time.Now())
	if rep.TotalLost != 9 || rep.FractionLost == 0 {
		t.Fatalf("report %+v", rep)
	}
	if math.Abs(r.LossRatio()-9.0/99) > 1e-9 {
		t.Fatalf("loss ratio %v", r.LossRatio())
	}
}

func TestReceiver_JitterFollowsRFC3550(t *testing.T) {
	var r Receiver
	// Alternate arrival offsets of 0 and 80 units: |D| = 80 each step,
	// so J converges to 80.
	for s := uint16(1); s < 2000; s++ {
		off := uint32(0)
		if s%2 == 0 {
			off = 80
		}
		r.Update(s, uint32(s)*160, uint32(s)*160+off, 172)
	}
	if j := r.Jitter(); j < 78 || j > 80 {
		t.Fatalf("jitter %d, want ~80", j)
	}
	if d := r.JitterDuration(8000); d < 9*time.Millisecond || d > 10*time.Millisecond {
		t.Fatalf("jitter duration %v, want ~10ms", d)
	}
}

func TestReceiver_RestartAfterBigJumpResyncs(t *testing.T) {
	var r Receiver
	feed(&r, []uint16{1, 2, 3, 4, 5})
	feed(&r, []uint16{30000, 30001, 30002})
	if r.Lost() != 0 {
		t.Fatalf("lost %d after restart, want 0", r.Lost())
	}
}

func TestRTCP_SenderReportRoundTrips(t *testing.T) {
	sr := SenderReport{SSRC: 7, NTPTime: NTPTime(time.Unix(1700000000, 5e8)), RTPTime: 99, PacketCount: 5, OctetCount: 800,
		Reports: []ReceptionReport{{SSRC: 9, FractionLost: 3, TotalLost: -2, HighestSeq: 70000, Jitter: 12, LastSR: 4, DelaySinceLastSR: 5}}}
	rr := ReceiverReport{SSRC: 8, Reports: []ReceptionReport{{SSRC: 1, TotalLost: 5}}}
	b := AppendSR(nil, &sr)
	b = AppendSDESCname(b, 7, "callbox")
	b = AppendRR(b, &rr)
	b = append(b, 0x81, TypeBYE, 0, 1, 0, 0, 0, 7)
	c, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.SenderReports, []SenderReport{sr}) || !reflect.DeepEqual(c.ReceiverReports, []ReceiverReport{rr}) {
		t.Fatalf("parsed %+v", c)
	}
	if !reflect.DeepEqual(c.Bye, []uint32{7}) {
		t.Fatalf("bye %v", c.Bye)
	}
}

func TestRTCP_RoundTripFromReport(t *testing.T) {
	sent := time.Unix(1700000000, 0)
	rr := ReceptionReport{LastSR: MiddleNTP(sent), DelaySinceLastSR: 65536 / 10} // peer held it 100 ms
	rtt := RoundTrip(rr, sent.Add(150*time.Millisecond))
	if rtt < 49*time.Millisecond || rtt > 51*time.Millisecond {
		t.Fatalf("rtt %v, want 50ms", rtt)
	}
}

func TestRTCP_RejectsBrokenFraming(t *testing.T) {
	for _, b := range [][]byte{{}, {0x80}, {0x40, 200, 0, 0}, {0x80, 200, 0, 9}, {0x81, 201, 0, 1, 0, 0, 0, 1}, {0xa0, 201, 0, 1, 0, 0, 0, 0}} {
		if _, err := Parse(b); !errors.Is(err, ErrMalformedRTCP) {
			t.Errorf("Parse(%x) = %v, want ErrMalformedRTCP", b, err)
		}
	}
}

func TestMOS_FallsWithLossAndDelay(t *testing.T) {
	clean := MOS(Call{})
	if clean < 4.3 || clean > 4.5 {
		t.Fatalf("clean G.711 MOS %.2f, want ~4.4", clean)
	}
	lossy := MOS(Call{Loss: 0.05})
	slow := MOS(Call{RoundTrip: 600 * time.Millisecond})
	if lossy >= clean || slow >= clean || MOS(Call{Loss: 0.05, PLC: true}) <= lossy {
		t.Fatalf("clean %.2f lossy %.2f slow %.2f", clean, lossy, slow)
	}
	if m := MOS(Call{Loss: 1}); m < 1 || m > 1.5 {
		t.Fatalf("total loss MOS %.2f", m)
	}
}

func FuzzParseRTCP(f *testing.F) {
	f.Add(AppendRR(nil, &ReceiverReport{SSRC: 1, Reports: []ReceptionReport{{SSRC: 2}}}))
	f.Add(AppendSR(nil, &SenderReport{SSRC: 1}))
	f.Add(AppendSDESCname(nil, 1, "x"))
	f.Add([]byte{0xa0, 201, 0, 1, 0, 0, 0, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		// What parsed re-encodes to something that parses the same.
		var out []byte
		for i := range c.SenderReports {
			if len(c.SenderReports[i].Reports) > 31 {
				return
			}
			out = AppendSR(out, &c.SenderReports[i])
		}
		for i := range c.ReceiverReports {
			if len(c.ReceiverReports[i].Reports) > 31 {
				return
			}
			out = AppendRR(out, &c.ReceiverReports[i])
		}
		if len(out) == 0 {
			return
		}
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-encoded packet does not parse: %v", err)
		}
		if !reflect.DeepEqual(c.SenderReports, c2.SenderReports) && len(c.SenderReports) > 0 {
			t.Fatalf("SR changed on round trip")
		}
	})
}

func BenchmarkReceiverUpdate(b *testing.B) {
	var r Receiver
	b.ReportAllocs()
	for i := range b.N {
		s := uint16(i)
		r.Update(s, uint32(i)*160, uint32(i)*160+uint32(i&7), 172)
	}
}
