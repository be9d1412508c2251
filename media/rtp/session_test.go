package rtp

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"callbox/media"
	"callbox/media/audiotest"
	"callbox/media/g711"
	"callbox/media/quality"
)

func fds(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func TestPorts_NoGoroutineOrPortLeaksAfter10000Sessions(t *testing.T) {
	eachBackend(t, testPorts_NoGoroutineOrPortLeaksAfter10000Sessions)
}

func testPorts_NoGoroutineOrPortLeaksAfter10000Sessions(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 31000, 31199) // 100 pairs, each reused ~100 times
	beforeG, beforeFD := runtime.NumGoroutine(), fds(t)
	for i := range 10000 {
		s, err := Open(t.Context(), p, Config{Timeout: -1})
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.InUse(); n != 0 {
		t.Fatalf("%d pairs still reserved", n)
	}
	if got := fds(t); got > beforeFD {
		t.Fatalf("fds %d, were %d", got, beforeFD)
	}
	eventually(t, "goroutines back to start", func() bool { return runtime.NumGoroutine() <= beforeG })
	// Every port of the range binds again.
	for port := 31000; port <= 31199; port++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatalf("port %d still held: %v", port, err)
		}
		c.Close()
	}
}

func TestPorts_RefusesWildcardAndBadRange(t *testing.T) {
	e := newEngine(t)
	if _, err := NewPorts(e, netip.MustParseAddr("0.0.0.0"), 30000, 30100); !errors.Is(err, ErrWildcard) {
		t.Fatalf("wildcard: %v", err)
	}
	if _, err := NewPorts(e, netip.MustParseAddr("::"), 30000, 30100); !errors.Is(err, ErrWildcard) {
		t.Fatalf("v6 wildcard: %v", err)
	}
	if _, err := NewPorts(e, netip.MustParseAddr("127.0.0.1"), 30000, 30000); !errors.Is(err, ErrPortRange) {
		t.Fatalf("range: %v", err)
	}
}

func TestPorts_SkipsTakenPortsAndReportsExhaustion(t *testing.T) {
	e := newEngine(t)
	// Another program holds the RTCP port of the first pair.
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 31301})
	if err != nil {
		t.Skip("port busy:", err)
	}
	defer c.Close()
	p := newPorts(t, e, 31300, 31305) // pairs 31300, 31302, 31304
	a := open(t, p, Config{Timeout: -1})
	b := open(t, p, Config{Timeout: -1})
	if a.pair.Port == 31300 || b.pair.Port == 31300 {
		t.Fatal("allocated a pair whose RTCP port is taken")
	}
	if _, err := Open(t.Context(), p, Config{Timeout: -1}); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("third session: %v, want ErrNoPorts", err)
	}
	if p.InUse() != 2 {
		t.Fatalf("in use %d after failed open, want 2", p.InUse())
	}
	a.Close()
	if _, err := Open(t.Context(), p, Config{Timeout: -1}); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// bridge sets up phone A -> session A -> session B -> phone B (and back).
func bridge(t *testing.T, ca, cb Config) (pa, pb *phone, a, b *Session) {
	e := newEngine(t)
	p := newPorts(t, e, 32000, 32999)
	pa, pb = newPhone(t), newPhone(t)
	ca.Remote, cb.Remote = pa.addr(), pb.addr()
	a, b = open(t, p, ca), open(t, p, cb)
	t.Cleanup(a.RelayTo(b))
	t.Cleanup(b.RelayTo(a))
	return pa, pb, a, b
}

func TestRelay_StreamArrivesCompleteAndInOrder(t *testing.T) {
	eachBackend(t, testRelay_StreamArrivesCompleteAndInOrder)
}

func testRelay_StreamArrivesCompleteAndInOrder(t *testing.T) {
	pa, pb, a, b := bridge(t, Config{Timeout: -1}, Config{Timeout: -1})
	const n = 500
	payload := make([]byte, 160)
	firstSeq := pa.seq
	for i := range n {
		pa.send(a.LocalAddr(), 0, payload)
		if i%20 != 19 {
			continue
		}
		// Read in bursts of 20, like a paced phone, within the buffers.
		for j := i - 19; j <= i; j++ {
			checkSeq(t, pb, b, j, firstSeq)
		}
	}
	st := a.Stats()
	if st.PacketsIn != n || st.Lost != 0 || b.Stats().PacketsOut != n {
		t.Fatalf("leg A stats %+v, leg B sent %d", st, b.Stats().PacketsOut)
	}
}

func checkSeq(t *testing.T, pb *phone, b *Session, i int, firstSeq uint16) {
	t.Helper()
	{
		pkt, from := pb.recv()
		if from != b.LocalAddr() {
			t.Fatalf("packet from %v, want leg B's port %v", from, b.LocalAddr())
		}
		if seq := binary.BigEndian.Uint16(pkt[2:]); seq != firstSeq+uint16(i) {
			t.Fatalf("packet %d has seq %d, want %d", i, seq, firstSeq+uint16(i))
		}
	}
}

func TestRelay_ToneCrossesTranscodingRelayAtRightFrequency(t *testing.T) {
	pa, pb, a, _ := bridge(t, Config{Codec: media.PCMU, Timeout: -1}, Config{Codec: media.PCMA, Timeout: -1})
	tone := audiotest.Sine(1000, 8000, 8000) // 1 s
	pay := make([]byte, 160)
	got := make([]int16, 0, len(tone))
	for off := 0; off < len(tone); off += 160 {
		g711.EncodeUlaw(pay, tone[off:off+160])
		pa.send(a.LocalAddr(), 0, pay)
		pkt, _ := pb.recv()
		if pkt[1]&0x7f != 8 {
			t.Fatalf("payload type %d toward the PCMA leg", pkt[1]&0x7f)
		}
		pcm := make([]int16, len(pkt)-12)
		g711.DecodeAlaw(pcm, pkt[12:])
		got = append(got, pcm...)
	}
	if f := audiotest.Dominant(got, 300, 3400); f < 995 || f > 1005 {
		t.Fatalf("dominant %v Hz at the far end, want 1000", f)
	}
}

func TestReader_DecodesToneSentIntoLeg(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33000, 33099)
	pa := newPhone(t)
	a := open(t, p, Config{Codec: media.PCMA, Remote: pa.addr(), Timeout: -1})
	r := a.Reader()
	tone := audiotest.Sine(697, 6000, 4000)
	pay := make([]byte, 160)
	sent := make(chan struct{})
	defer func() { <-sent }()
	go func() {
		defer close(sent)
		for off := 0; off < len(tone); off += 160 {
			g711.EncodeAlaw(pay, tone[off:off+160])
			pa.send(a.LocalAddr(), 8, pay)
			time.Sleep(time.Millisecond) // pacing, as a phone would
		}
	}()
	var got []int16
	var f media.Frame
	for len(got) < len(tone)-3*160 { // the jitter buffer holds the last few back
		if err := r.ReadFrame(&f); err != nil {
			t.Fatal(err)
		}
		got = append(got, f[:]...)
	}
	if fr := audiotest.Dominant(got, 300, 3400); fr < 692 || fr > 702 {
		t.Fatalf("decoded %v Hz, want 697", fr)
	}
	a.Close()
	if err := r.ReadFrame(&f); !errors.Is(err, media.ErrClosed) && err != nil {
		t.Fatalf("after close: %v", err)
	}
}

func TestWriter_SendsEncodedFramesToPeer(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33100, 33199)
	pa := newPhone(t)
	a := open(t, p, Config{Codec: media.PCMU, Remote: pa.addr(), Timeout: -1})
	tone := audiotest.Frames(audiotest.Sine(1500, 8000, 1600))
	var got []int16
	for i := range tone {
		if err := a.Writer().WriteFrame(&tone[i]); err != nil {
			t.Fatal(err)
		}
		pkt, _ := pa.recv()
		pcm := make([]int16, len(pkt)-12)
		g711.DecodeUlaw(pcm, pkt[12:])
		got = append(got, pcm...)
	}
	if fr := audiotest.Dominant(got, 300, 3400); fr < 1495 || fr > 1505 {
		t.Fatalf("phone heard %v Hz, want 1500", fr)
	}
}

func TestHold_StopsMediaTowardHeldParty(t *testing.T) {
	eachBackend(t, testHold_StopsMediaTowardHeldParty)
}

func testHold_StopsMediaTowardHeldParty(t *testing.T) {
	pa, pb, a, b := bridge(t, Config{Timeout: -1}, Config{Timeout: -1})
	// B put the call on hold with a=sendonly; the box answered recvonly.
	b.SetDirection(media.SendOnly.Reverse())
	pay := make([]byte, 160)
	for range 50 {
		pa.send(a.LocalAddr(), 0, pay)
	}
	eventually(t, "leg A received the held-period packets", func() bool { return a.Stats().PacketsIn == 50 })
	// The held party still reaches A (music on hold flows the other way).
	pb.send(b.LocalAddr(), 0, pay)
	if _, from := pa.recv(); from != a.LocalAddr() {
		t.Fatalf("A got media from %v", from)
	}
	if b.Stats().PacketsOut != 0 {
		t.Fatalf("%d packets went toward the held party", b.Stats().PacketsOut)
	}
	// Resume: the first packet B's phone sees is the one after resume.
	b.SetDirection(media.SendRecv)
	marker := pa.seq
	pa.send(a.LocalAddr(), 0, pay)
	pkt, _ := pb.recv()
	if seq := binary.BigEndian.Uint16(pkt[2:]); seq != marker {
		t.Fatalf("first packet after hold has seq %d, want %d (held media leaked)", seq, marker)
	}
	// The writer respects hold too.
	b.SetDirection(media.Inactive)
	var f media.Frame
	b.Writer().WriteFrame(&f)
	if b.Stats().PacketsOut != 1 {
		t.Fatalf("writer sent while inactive: %d packets out", b.Stats().PacketsOut)
	}
}

func TestTimeout_ReportedAfterSilenceWithInjectedClock(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33200, 33299)
	clk := newFakeClock()
	pa := newPhone(t)
	fired := make(chan struct{}, 2)
	a := open(t, p, Config{Remote: pa.addr(), Timeout: 10 * time.Second, Clock: clk,
		OnTimeout: func() { fired <- struct{}{} }})
	pay := make([]byte, 160)
	// Media flows for 30 s of fake time: no timeout.
	for i := range 30 {
		pa.send(a.LocalAddr(), 0, pay)
		eventually(t, "packet counted", func() bool { return a.Stats().PacketsIn == uint64(i+1) })
		clk.Advance(time.Second)
	}
	select {
	case <-a.TimedOut():
		t.Fatal("timed out while media flowed")
	default:
	}
	// Silence: 8 s is not enough; the timeout is reported between 10 and
	// 15 s (1.5 × Timeout) after the last packet.
	clk.Advance(8 * time.Second)
	select {
	case <-a.TimedOut():
		t.Fatal("timed out early")
	default:
	}
	clk.Advance(8 * time.Second)
	select {
	case <-a.TimedOut():
	default:
		t.Fatal("no timeout after 16 s of silence")
	}
	if len(fired) != 1 {
		t.Fatalf("OnTimeout called %d times", len(fired))
	}
	if err := a.Reader().ReadFrame(new(media.Frame)); !errors.Is(err, media.ErrTimeout) {
		t.Fatalf("reader after timeout: %v", err)
	}
}

func TestTimeout_SuspendedWhileHeldInactive(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33300, 33399)
	clk := newFakeClock()
	a := open(t, p, Config{Timeout: 10 * time.Second, Clock: clk, Direction: media.Inactive})
	clk.Advance(time.Minute)
	select {
	case <-a.TimedOut():
		t.Fatal("timed out on an inactive leg")
	default:
	}
}

func TestLatch_LearnsPeerAndResistsHijack(t *testing.T) {
	eachBackend(t, testLatch_LearnsPeerAndResistsHijack)
}

func testLatch_LearnsPeerAndResistsHijack(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33400, 33499)
	phoneNAT, attacker := newPhone(t), newPhone(t)
	attacker.ssrc = 0xbad
	sdp := netip.MustParseAddrPort("127.0.0.1:9") // what the phone's SDP said
	a := open(t, p, Config{Remote: sdp, Timeout: -1, LatchPackets: 10})
	pay := make([]byte, 160)
	phoneNAT.send(a.LocalAddr(), 0, pay)
	eventually(t, "latched to the NAT address", func() bool { return a.Peer() == phoneNAT.addr() })
	// The attacker sends more than LatchPackets, but the phone keeps talking.
	for range 3 {
		for range 8 {
			attacker.send(a.LocalAddr(), 0, pay)
		}
		phoneNAT.send(a.LocalAddr(), 0, pay)
	}
	eventually(t, "all packets seen", func() bool { st := a.Stats(); return st.PacketsIn+st.Dropped == 28 })
	if a.Peer() != phoneNAT.addr() {
		t.Fatalf("hijacked: peer %v", a.Peer())
	}
	// The phone moves (new NAT binding) and the old address goes silent:
	// after 10 packets in a row the session follows it.
	moved := newPhone(t)
	for range 10 {
		moved.send(a.LocalAddr(), 0, pay)
	}
	eventually(t, "followed the moved phone", func() bool { return a.Peer() == moved.addr() })
	var f media.Frame
	a.WriteFrame(&f)
	if _, from := moved.recv(); from != a.LocalAddr() {
		t.Fatalf("media from %v", from)
	}
}

func TestRelay_SSRCChangeKeepsOutgoingStreamContinuous(t *testing.T) {
	eachBackend(t, testRelay_SSRCChangeKeepsOutgoingStreamContinuous)
}

func testRelay_SSRCChangeKeepsOutgoingStreamContinuous(t *testing.T) {
	pa, pb, a, _ := bridge(t, Config{Timeout: -1}, Config{Timeout: -1})
	pay := make([]byte, 160)
	var seqs []uint16
	var ssrcs []uint32
	for i := range 20 {
		if i == 10 {
			pa.ssrc, pa.seq, pa.ts = 0x9999, 40000, 123456 // the far end restarted
		}
		pa.send(a.LocalAddr(), 0, pay)
		pkt, _ := pb.recv()
		seqs = append(seqs, binary.BigEndian.Uint16(pkt[2:]))
		ssrcs = append(ssrcs, binary.BigEndian.Uint32(pkt[8:]))
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 || ssrcs[i] != ssrcs[0] {
			t.Fatalf("packet %d: seq %d after %d, ssrc %x (first %x)", i, seqs[i], seqs[i-1], ssrcs[i], ssrcs[0])
		}
	}
}

func TestRTCP_SenderReportSentAndReceiverReportParsed(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33500, 33599)
	clk := newFakeClock()
	pa := newPhone(t)
	rtcpPhone, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(pa.addr().Port()) + 1})
	if err != nil {
		t.Skip("phone's RTCP port busy")
	}
	defer rtcpPhone.Close()
	a := open(t, p, Config{Remote: pa.addr(), Timeout: -1, Clock: clk, RTCPInterval: 5 * time.Second})
	pay := make([]byte, 160)
	for range 5 {
		pa.send(a.LocalAddr(), 0, pay)
	}
	eventually(t, "packets in", func() bool { return a.Stats().PacketsIn == 5 })
	var f media.Frame
	for range 3 {
		a.WriteFrame(&f)
		pa.recv()
	}
	clk.Advance(7500 * time.Millisecond) // the randomised interval's longest
	buf := make([]byte, 1500)
	rtcpPhone.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := rtcpPhone.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if from.Port() != a.LocalAddr().Port()+1 {
		t.Fatalf("RTCP from port %d, want the odd port", from.Port())
	}
	c, err := quality.Parse(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SenderReports) != 1 || c.SenderReports[0].PacketCount != 3 || len(c.SenderReports[0].Reports) != 1 ||
		c.SenderReports[0].Reports[0].SSRC != pa.ssrc {
		t.Fatalf("SR %+v", c)
	}
	// The phone answers with an RR: 25% loss, 80 units of jitter, and a
	// DLSR that leaves 50 ms of round trip (RFC 3550 section 6.4.1).
	sr := c.SenderReports[0]
	clk.Advance(100 * time.Millisecond)
	lsr := uint32(sr.NTPTime >> 16)
	dlsr := quality.MiddleNTP(clk.Now()) - lsr - 65536/20
	rr := quality.AppendRR(nil, &quality.ReceiverReport{SSRC: pa.ssrc, Reports: []quality.ReceptionReport{{
		SSRC: sr.SSRC, FractionLost: 64, Jitter: 80, LastSR: lsr, DelaySinceLastSR: dlsr}}})
	rtcpPhone.WriteToUDPAddrPort(rr, from)
	eventually(t, "RR parsed", func() bool { return a.Stats().RemoteLossRatio == 0.25 })
	st := a.Stats()
	if st.RemoteJitter != 10*time.Millisecond || st.RoundTrip < 40*time.Millisecond || st.RoundTrip > 60*time.Millisecond {
		t.Fatalf("stats %+v", st)
	}
	if st.MOS < 4 {
		t.Fatalf("MOS %.2f for a clean leg", st.MOS)
	}
}

// frameSink is an endpoint that is not an RTP session (a mixer, a line
// card): relaying to it goes through decoded frames.
type frameSink struct {
	frames chan media.Frame
}

func (f *frameSink) Reader() media.FrameReader { return nil }
func (f *frameSink) Writer() media.FrameWriter {
	return media.FrameWriterFunc(func(fr *media.Frame) error { f.frames <- *fr; return nil })
}
func (f *frameSink) RelayTo(media.Endpoint) func() { return func() {} }

func TestRelayTo_OtherEndpointGetsDecodedFrames(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33800, 33899)
	pa := newPhone(t)
	a := open(t, p, Config{Remote: pa.addr(), Timeout: -1})
	sink := &frameSink{frames: make(chan media.Frame, 100)}
	stop := a.RelayTo(sink)
	tone := audiotest.Sine(2100, 8000, 40*160) // a fax CED tone
	pay := make([]byte, 160)
	var got []int16
	for off := 0; off < len(tone); off += 160 {
		g711.EncodeUlaw(pay, tone[off:off+160])
		pa.send(a.LocalAddr(), 0, pay)
		if off >= 4*160 { // past the jitter buffer's depth, a frame per packet
			f := <-sink.frames
			got = append(got, f[:]...)
		}
	}
	stop()
	stop()
	if fr := audiotest.Dominant(got, 300, 3400); fr < 2095 || fr > 2105 {
		t.Fatalf("endpoint heard %v Hz, want 2100", fr)
	}
}

func TestRestore_StandbyContinuesOutgoingStream(t *testing.T) {
	eachBackend(t, testRestore_StandbyContinuesOutgoingStream)
}

func testRestore_StandbyContinuesOutgoingStream(t *testing.T) {
	e := newEngine(t)
	p := newPorts(t, e, 33900, 33999)
	pa, pb := newPhone(t), newPhone(t)
	a := open(t, p, Config{Remote: pa.addr(), Timeout: -1})
	b := open(t, p, Config{Remote: pb.addr(), Timeout: -1})
	stop := b.RelayTo(a)
	pay := make([]byte, 160)
	var last []byte
	for range 5 {
		pb.send(b.LocalAddr(), 0, pay)
		last, _ = pa.recv()
	}
	st := a.State()
	stop()
	a.Close()

	// The standby: its own engine and allocator on the same address.
	e2 := newEngine(t)
	p2 := newPorts(t, e2, 33900, 33999)
	a2, err := Restore(t.Context(), p2, st, Config{Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	if a2.LocalAddr().Port() != uint16(st.LocalPort) {
		t.Fatalf("restored on %v, want port %d", a2.LocalAddr(), st.LocalPort)
	}
	var f media.Frame
	if err := a2.WriteFrame(&f); err != nil {
		t.Fatal(err)
	}
	pkt, _ := pa.recv()
	if binary.BigEndian.Uint32(pkt[8:]) != binary.BigEndian.Uint32(last[8:]) ||
		binary.BigEndian.Uint16(pkt[2:]) != binary.BigEndian.Uint16(last[2:])+1 {
		t.Fatalf("after failover ssrc %x seq %d; before ssrc %x seq %d",
			binary.BigEndian.Uint32(pkt[8:]), binary.BigEndian.Uint16(pkt[2:]),
			binary.BigEndian.Uint32(last[8:]), binary.BigEndian.Uint16(last[2:]))
	}
	if a2.Peer() != pa.addr() {
		t.Fatalf("restored peer %v", a2.Peer())
	}
	if _, err := Restore(t.Context(), p2, st, Config{Timeout: -1}); !errors.Is(err, ErrPortTaken) {
		t.Fatalf("second restore on the same port: %v", err)
	}
}
