// Package siptest is a test softphone on sipgo, so that a test registers
// with a line or two instead of hand-written SIP:
//
//	p := siptest.NewPhone(t, siptest.WithUser("1001", "secret"))
//	res, err := p.Register(ctx, registrar)
//
// A Phone listens on its own loopback socket (UDP, or a TCP connection
// to the registrar), answers digest challenges with an independent
// implementation (github.com/icholy/digest), answers OPTIONS keep-alives
// and counts them. SendUDP sends raw bytes for bad-input tests.
// Everything is closed by t.Cleanup.
package siptest
