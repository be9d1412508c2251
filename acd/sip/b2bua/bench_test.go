package b2bua

import (
	"testing"
)

// BenchmarkCall measures one whole call between two siptest phones
// through the box: INVITE with digest, fork, 180, 200, ACKs, BYEs, RTP
// sessions opened and released (no audio sent).
func BenchmarkCall(b *testing.B) {
	bx := startBox(b, Config{}, nil)
	p1, p2 := bx.phone("201"), bx.phone("202")
	b.ReportAllocs()
	for b.Loop() {
		out, err := p1.Dial(ctxT(b), "202")
		if err != nil {
			b.Fatal(err)
		}
		in, err := p2.Incoming(ctxT(b))
		if err != nil {
			b.Fatal(err)
		}
		if err := in.Answer(ctxT(b)); err != nil {
			b.Fatal(err)
		}
		if err := out.WaitAnswer(ctxT(b)); err != nil {
			b.Fatal(err)
		}
		if err := out.Hangup(ctxT(b)); err != nil {
			b.Fatal(err)
		}
		<-in.Done()
		bx.lastEnded()
	}
}
