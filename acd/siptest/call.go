package siptest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callbox/media"
	"callbox/media/dtmf"
	"callbox/media/sdp"
)

// Call is one call of a Phone, placed (Dial) or received (Incoming).
// Its audio is PCMU on a loopback socket of its own: Play sends a tone,
// Listen collects what arrives.
type Call struct {
	p      *Phone
	dc     *sipgo.DialogClientSession // placed calls
	ds     *sipgo.DialogServerSession // received calls
	invite *sip.Request
	rtp    *net.UDPConn
	local  sdp.Local

	ringing  chan struct{}
	answered chan struct{}
	ended    chan struct{} // the dialog ended, from either side
	result   chan error    // placed calls: WaitAnswer's outcome
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	digits chan byte
	frags  chan string // NOTIFY bodies received in the call

	mu        sync.Mutex
	remote    netip.AddrPort
	dtmfPT    uint8
	dtmfRx    dtmf.Receiver
	status    int
	ringed    bool
	rec       []int16
	keep      bool
	seq       uint16
	ts        uint32
	version   uint64
	closed    bool
	updates   int
	reinvites int
}

// callSetup makes the calls part of a phone: handlers for INVITE, ACK
// and BYE and the dialog user agent.
func (p *Phone) callSetup() {
	p.calls = map[string]*Call{}
	p.incoming = make(chan *Call, 8)
	p.srv.OnInvite(p.dropLate(p.onInvite))
	p.srv.OnAck(p.dropLate(p.guard(func(req *sip.Request, tx sip.ServerTransaction) {
		if c := p.callOf(req); c != nil && c.ds != nil {
			_ = c.ds.ReadAck(req, tx)
		}
	})))
	p.srv.OnBye(p.dropLate(func(req *sip.Request, tx sip.ServerTransaction) {
		c := p.callOf(req)
		if c == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
			return
		}
		if c.ds != nil {
			_ = c.ds.ReadBye(req, tx)
		} else {
			_ = c.dc.ReadBye(req, tx)
		}
		c.end()
	}))
}

func (p *Phone) dialogUA() *sipgo.DialogUA {
	host, port := p.localIP, int(p.laddr.Port())
	return &sipgo.DialogUA{Client: p.cl, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.user,
		Host: host, Port: port}}}
}

func (p *Phone) callOf(req *sip.Request) *Call {
	cid := req.CallID()
	if cid == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[cid.Value()]
}

func (p *Phone) newCall() (*Call, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(p.localIP), 0)))
	if err != nil {
		return nil, err
	}
	c := &Call{p: p, rtp: conn, ringing: make(chan struct{}), answered: make(chan struct{}),
		ended: make(chan struct{}), result: make(chan error, 1), version: 1, seq: 1000, ts: 16000,
		digits: make(chan byte, 32), frags: make(chan string, 16)}
	c.local = sdp.Local{Addr: conn.LocalAddr().(*net.UDPAddr).AddrPort(), Codecs: []media.Codec{media.PCMU},
		DTMF: 101, SessionID: uint64(time.Now().UnixNano()), Version: 1}
	c.wg.Go(c.receive)
	return c, nil
}

func (p *Phone) track(c *Call, callID string) {
	p.mu.Lock()
	p.calls[callID] = c
	p.mu.Unlock()
}

// Dial calls number through the registrar the phone registered with. It
// returns once the INVITE is sent; WaitAnswer tells how it went.
func (p *Phone) Dial(ctx context.Context, number string) (*Call, error) {
	return p.DialWith(ctx, number)
}

// DialWith is Dial with extra headers in the INVITE (Replaces,
// Session-Expires, Supported).
func (p *Phone) DialWith(ctx context.Context, number string, hdrs ...sip.Header) (*Call, error) {
	p.mu.Lock()
	reg := p.registrar
	p.mu.Unlock()
	c, err := p.newCall()
	if err != nil {
		return nil, err
	}
	offer, err := sdp.Offer(c.local)
	if err != nil {
		c.close()
		return nil, err
	}
	uri := sip.Uri{Scheme: "sip", User: number, Host: reg.Addr().String(), Port: int(reg.Port())}
	req := sip.NewRequest(sip.INVITE, uri)
	req.SetTransport(map[string]string{"udp": "UDP", "tcp": "TCP"}[p.transport])
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.user, Host: reg.Addr().String()}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: reg.Addr().String()}, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("User-Agent", p.agent))
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	req.SetBody(offer)
	c.invite = req
	c.dc, err = p.dialogUA().WriteInvite(ctx, req)
	if err != nil {
		c.close()
		return nil, err
	}
	p.track(c, req.CallID().Value())
	wctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.wg.Go(func() { c.result <- c.wait(wctx) })
	return c, nil
}

// wait is a placed call's goroutine until the final response.
func (c *Call) wait(ctx context.Context) error {
	err := c.dc.WaitAnswer(ctx, sipgo.AnswerOptions{Username: c.p.user, Password: c.p.pass,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode == 180 || res.StatusCode == 183 {
				c.markRinging()
				if res.StatusCode == 183 && len(res.Body()) > 0 {
					c.takeAnswer(res.Body())
				}
			}
			return nil
		}})
	res := c.dc.InviteResponse
	c.mu.Lock()
	if res != nil {
		c.status = res.StatusCode
	}
	c.mu.Unlock()
	if err != nil {
		c.end()
		return err
	}
	if err := c.takeAnswer(res.Body()); err != nil {
		return err
	}
	if err := c.dc.Ack(context.Background()); err != nil {
		return err
	}
	close(c.answered)
	c.wg.Go(func() {
		select {
		case <-c.dc.Context().Done():
			c.end()
		case <-c.ended:
		}
	})
	return nil
}

func (c *Call) markRinging() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ringed {
		c.ringed = true
		close(c.ringing)
	}
}

func (c *Call) takeAnswer(body []byte) error {
	d, err := sdp.Parse(body)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.remote, c.dtmfPT = d.Audio.Addr, d.Audio.DTMF
	c.mu.Unlock()
	return nil
}

// WaitAnswer waits for a placed call's final response: nil when
// answered, an error otherwise (Status has the code).
func (c *Call) WaitAnswer(ctx context.Context) error {
	select {
	case err := <-c.result:
		c.result <- err
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Status is the final response a placed call got, 0 before.
func (c *Call) Status() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Ringing is closed when a placed call gets 180 or 183.
func (c *Call) Ringing() <-chan struct{} { return c.ringing }

// Done is closed when the call has ended, from either side.
func (c *Call) Done() <-chan struct{} { return c.ended }

// Cancel abandons a placed call before it is answered (CANCEL).
func (c *Call) Cancel() {
	if c.cancel != nil {
		c.cancel()
	}
}

// Incoming waits for the next call to the phone.
func (p *Phone) Incoming(ctx context.Context) (*Call, error) {
	select {
	case c := <-p.incoming:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		p.onReinvite(req, tx)
		return
	}
	c, err := p.newCall()
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		return
	}
	c.invite = req
	if err := c.takeAnswer(req.Body()); err != nil {
		c.close()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	c.ds, err = p.dialogUA().ReadInvite(req, tx)
	if err != nil {
		c.close()
		return
	}
	// As a desk phone does: 100 at once, so the caller stops
	// retransmitting and may CANCEL (RFC 3261 §9.1) even while the test
	// has not rung the phone. The box turns sipgo's own late 100 off
	// (acd/sip), process-wide.
	_ = c.ds.Respond(100, "Trying", nil)
	p.track(c, req.CallID().Value())
	c.wg.Go(func() {
		select {
		case <-c.ds.Context().Done():
			c.end()
		case <-c.ended:
		}
	})
	select {
	case p.incoming <- c:
	default:
		_ = c.ds.Respond(486, "Busy Here", nil)
		c.end()
		return
	}
	// sipgo ends the transaction when this handler returns: stay until
	// the call is answered or over.
	select {
	case <-c.answered:
	case <-c.ended:
	}
}

// From is the caller as the INVITE presented it: display name and user
// of From, and the P-Asserted-Identity value ("" when absent).
func (c *Call) From() (name, number, asserted string) {
	f := c.invite.From()
	if h := c.invite.GetHeader("P-Asserted-Identity"); h != nil {
		asserted = h.Value()
	}
	return f.DisplayName, f.Address.User, asserted
}

// Ring answers a received call with 180 Ringing.
func (c *Call) Ring() error { return c.ds.Respond(180, "Ringing", nil) }

// EarlyMedia answers a received call with 183 Session Progress and an
// SDP answer, so Play reaches the caller before the call is answered.
func (c *Call) EarlyMedia() error {
	body, err := c.answerSDP()
	if err != nil {
		return err
	}
	return c.ds.Respond(183, "Session Progress", body, sip.NewHeader("Content-Type", "application/sdp"))
}

func (c *Call) answerSDP() ([]byte, error) {
	offer, err := sdp.Parse(c.invite.Body())
	if err != nil {
		return nil, err
	}
	body, _, err := sdp.Answer(offer, c.local)
	return body, err
}

// Reject refuses a received call with code (486, 603, ...).
func (c *Call) Reject(code int, reason string) error {
	err := c.ds.Respond(code, reason, nil)
	c.end()
	return err
}

// Answer accepts a received call with 200 and an SDP answer, and waits
// for the ACK.
func (c *Call) Answer(ctx context.Context) error { return c.AnswerWith(ctx) }

// AnswerWith is Answer with extra headers in the 200 (Session-Expires,
// Allow).
func (c *Call) AnswerWith(ctx context.Context, hdrs ...sip.Header) error {
	body, err := c.answerSDP()
	if err != nil {
		return err
	}
	hdrs = append(hdrs, sip.NewHeader("Content-Type", "application/sdp"))
	if err := c.ds.Respond(200, "OK", body, hdrs...); err != nil {
		return err
	}
	close(c.answered)
	return nil
}

// Hangup ends an answered call with BYE.
func (c *Call) Hangup(ctx context.Context) error {
	defer c.end()
	if c.ds != nil {
		return c.ds.Bye(ctx)
	}
	return c.dc.Bye(ctx)
}

// Hold puts the far end on hold with a re-INVITE offering sendonly;
// Resume takes it off with sendrecv.
func (c *Call) Hold(ctx context.Context) error { return c.reinvite(ctx, media.SendOnly) }

// Resume ends a hold.
func (c *Call) Resume(ctx context.Context) error { return c.reinvite(ctx, media.SendRecv) }

func (c *Call) reinvite(ctx context.Context, dir media.Direction) error {
	c.mu.Lock()
	c.version++
	local := c.local
	local.Version, local.Direction = c.version, dir
	c.mu.Unlock()
	offer, err := sdp.Offer(local)
	if err != nil {
		return err
	}
	target := c.invite.Contact().Address
	if c.dc != nil && c.dc.InviteResponse.Contact() != nil {
		target = c.dc.InviteResponse.Contact().Address
	}
	req := sip.NewRequest(sip.INVITE, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)
	var res *sip.Response
	if c.dc != nil {
		res, err = c.dc.Do(ctx, req)
	} else {
		req.SetDestination(c.invite.Source())
		res, err = c.ds.Do(ctx, req)
	}
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("siptest: re-INVITE answered %d", res.StatusCode)
	}
	ack := sip.NewRequest(sip.ACK, target)
	if c.dc != nil {
		return c.dc.WriteRequest(ack)
	}
	ack.SetDestination(c.invite.Source())
	return c.ds.WriteRequest(ack)
}

// end marks the call ended and releases its socket.
func (c *Call) end() {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return
	}
	close(c.ended)
	c.rtp.Close()
	c.p.mu.Lock()
	delete(c.p.calls, c.invite.CallID().Value())
	c.p.mu.Unlock()
}

func (c *Call) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.rtp.Close()
	c.wg.Wait()
}
