// Package siptest is a test softphone on sipgo, so that a test registers,
// calls, answers, sends DTMF and checks audio in a line or two:
//
//	p := siptest.NewPhone(t, siptest.WithUser("1001", "secret"))
//	res, err := p.Register(ctx, registrar)
//
//	out, err := p.Dial(ctx, "1002")     // INVITE through the registrar, digest answered
//	in, err := q.Incoming(ctx)          // the call arriving at another phone
//	err = in.Answer(ctx)                // 200 with SDP, waits for the ACK
//	err = out.WaitAnswer(ctx)           // nil once answered; Status() otherwise
//	go out.Play(ctx, 1000, time.Second) // a tone as PCMU RTP
//	heard := in.Listen(500 * time.Millisecond)
//	err = out.SendDigit(ctx, '5')       // RFC 4733; in.Digits() receives it
//	err = out.Hold(ctx)                 // re-INVITE sendonly; Resume sendrecv
//	err = out.Hangup(ctx)               // BYE; in.Done() is closed
//
// Call features:
//
//	res, err := in.Refer(ctx, q.ReferTarget("1003"))          // blind transfer; 202
//	frag := <-in.Sipfrags()                                   // NOTIFY bodies: "SIP/2.0 200 OK"
//	res, err = in.Refer(ctx, q.AttendedTarget(consult, "1003")) // Refer-To with Replaces
//	c, err := p.DialWith(ctx, "1002", sip.NewHeader("Replaces", v)) // extra INVITE headers
//	res, err = out.Update(ctx)                                // session refresh; UpdatesReceived counts the far end's
//	req := <-p.Notifies()                                     // NOTIFYs outside calls (message waiting)
//
// A Phone listens on its own loopback socket (UDP, or a TCP connection
// to the registrar), answers digest challenges with an independent
// implementation (github.com/icholy/digest), answers OPTIONS keep-alives
// and counts them. Each call has its own RTP socket. SendUDP sends raw
// bytes for bad-input tests. Everything is closed by t.Cleanup.
package siptest
