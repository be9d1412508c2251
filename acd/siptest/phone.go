package siptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Phone is a SIP user agent for tests.
type Phone struct {
	t         testing.TB
	user      string
	pass      string
	agent     string
	transport string // "udp" or "tcp"
	localIP   string
	algorithm string // digest algorithm to answer with; "" takes the first
	contact   string // Contact override (NAT tests)
	expires   int

	ua     *sipgo.UserAgent
	cl     *sipgo.Client
	srv    *sipgo.Server
	pc     net.PacketConn
	laddr  netip.AddrPort
	wg     sync.WaitGroup
	callID string
	cseq   atomic.Uint32

	closeOnce sync.Once
	handling  sync.WaitGroup // requests being answered (guard)
	mu        sync.Mutex
	closing   bool // Close has begun: requests get no answer
	shut      bool // the listening socket is going: see dropLate
	registrar netip.AddrPort
	options   int
	calls     map[string]*Call // by Call-ID
	incoming  chan *Call
	notifies  chan *sip.Request
}

// Option configures a Phone.
type Option func(*Phone)

// WithUser sets the extension number and digest secret.
func WithUser(user, secret string) Option { return func(p *Phone) { p.user, p.pass = user, secret } }

// WithUserAgent sets the User-Agent header (default "siptest").
func WithUserAgent(ua string) Option { return func(p *Phone) { p.agent = ua } }

// WithTransport picks "udp" (default) or "tcp".
func WithTransport(tr string) Option { return func(p *Phone) { p.transport = strings.ToLower(tr) } }

// WithLocalIP binds the phone to ip (default 127.0.0.1), e.g. 127.0.0.2
// to play a second host.
func WithLocalIP(ip string) Option { return func(p *Phone) { p.localIP = ip } }

// WithAlgorithm answers the challenge of this digest algorithm ("MD5",
// "SHA-256"); by default the first offered.
func WithAlgorithm(a string) Option { return func(p *Phone) { p.algorithm = a } }

// WithContact registers this Contact URI instead of the phone's socket
// address, as a phone behind NAT would.
func WithContact(uri string) Option { return func(p *Phone) { p.contact = uri } }

// WithExpires sets the requested registration lifetime in seconds
// (default 300).
func WithExpires(sec int) Option { return func(p *Phone) { p.expires = sec } }

// NewPhone starts a phone; t.Cleanup stops it.
func NewPhone(t testing.TB, opts ...Option) *Phone {
	t.Helper()
	p := &Phone{t: t, agent: "siptest", transport: "udp", localIP: "127.0.0.1", expires: 300,
		callID: sip.GenerateTagN(20)}
	for _, o := range opts {
		o(p)
	}
	p.cseq.Store(1)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(p.agent))
	if err != nil {
		t.Fatalf("siptest: %v", err)
	}
	p.ua = ua
	p.srv, err = sipgo.NewServer(ua)
	if err != nil {
		t.Fatalf("siptest: %v", err)
	}
	p.srv.OnOptions(p.dropLate(p.guard(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		p.options++
		p.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})))
	p.srv.OnNoRoute(p.dropLate(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil))
	}))
	p.callSetup()
	p.featureSetup()
	if p.transport == "udp" {
		pc, lerr := net.ListenPacket("udp", net.JoinHostPort(p.localIP, "0"))
		if lerr != nil {
			t.Fatalf("siptest: %v", lerr)
		}
		p.pc = pc
		p.laddr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
		p.wg.Go(func() { _ = p.srv.ServeUDP(pc) })
		// Requests must leave from the listening socket; sipgo finds it in
		// its pool only once ServeUDP has put it there.
		for deadline := time.Now().Add(5 * time.Second); ua.TransportLayer().Pool("udp").Size() == 0; {
			if time.Now().After(deadline) {
				t.Fatal("siptest: UDP listener never started")
			}
			time.Sleep(time.Millisecond)
		}
		p.cl, err = sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(p.laddr.String()), sipgo.WithClientNAT())
	} else {
		p.cl, err = sipgo.NewClient(ua, sipgo.WithClientHostname(p.localIP), sipgo.WithClientNAT())
	}
	if err != nil {
		t.Fatalf("siptest: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Close stops the phone: it no longer answers anything. Cleanup calls
// it; calling it twice is harmless.
func (p *Phone) Close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closing = true
		calls := make([]*Call, 0, len(p.calls))
		for _, c := range p.calls {
			calls = append(calls, c)
		}
		p.mu.Unlock()
		for _, c := range calls {
			c.Cancel()
			c.end()
		}
		// A request being answered must be done before the listening
		// socket goes: answering once sipgo has dropped it from its pool
		// opens a socket of its own that nothing closes.
		p.handling.Wait()
		p.mu.Lock()
		p.shut = true
		p.mu.Unlock()
		if p.pc != nil {
			p.pc.Close()
		}
		p.ua.Close()
		p.wg.Wait()
		for _, c := range calls {
			c.wg.Wait()
		}
	})
}

// guard wraps a handler of requests that are answered at once (not
// INVITE, whose answer waits on the test): once Close has begun a
// request is left unanswered, and Close waits for those being answered.
func (p *Phone) guard(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		if p.closing {
			p.mu.Unlock()
			return
		}
		p.handling.Add(1)
		p.mu.Unlock()
		defer p.handling.Done()
		h(req, tx)
	}
}

// dropLate wraps every handler. sipgo hands each request to a goroutine
// of its own, which only there looks up the socket to answer through. One
// that looks after Close took the listening socket out of sipgo's pool
// (or after UserAgent.Close closed the TCP connection) makes sipgo open a
// new socket, with a reader goroutine, that UserAgent.Close may already
// have missed. Every such request reaches a handler, so the handler drops
// it and closes that socket.
func (p *Phone) dropLate(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		shut := p.shut
		p.mu.Unlock()
		if !shut {
			h(req, tx)
			return
		}
		// Terminated first, so that a retransmission of the request
		// finds no transaction to join and comes here with its own socket.
		tx.Terminate()
		if c, ok := tx.(interface{ Connection() sip.Connection }); ok && c.Connection() != nil {
			_ = c.Connection().Close() // a no-op for the listening socket
		}
	}
}

// Addr is the phone's UDP address (zero for TCP phones).
func (p *Phone) Addr() netip.AddrPort { return p.laddr }

// OptionsReceived counts the OPTIONS requests (keep-alives) answered.
func (p *Phone) OptionsReceived() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.options
}

// Register registers the phone at registrar, answering a digest
// challenge, and returns the final response.
func (p *Phone) Register(ctx context.Context, registrar netip.AddrPort) (*sip.Response, error) {
	p.mu.Lock()
	p.registrar = registrar
	p.mu.Unlock()
	return p.register(ctx, registrar, p.contactHeader(), strconv.Itoa(p.expires))
}

// Unregister removes this phone's binding (Expires: 0).
func (p *Phone) Unregister(ctx context.Context) (*sip.Response, error) {
	p.mu.Lock()
	r := p.registrar
	p.mu.Unlock()
	return p.register(ctx, r, p.contactHeader(), "0")
}

// UnregisterAll removes every binding of the extension (Contact: *).
func (p *Phone) UnregisterAll(ctx context.Context, registrar netip.AddrPort) (*sip.Response, error) {
	return p.register(ctx, registrar, sip.NewHeader("Contact", "*"), "0")
}

func (p *Phone) contactHeader() sip.Header {
	if p.contact != "" {
		return sip.NewHeader("Contact", "<"+p.contact+">")
	}
	host := p.localIP
	port := int(p.laddr.Port())
	c := fmt.Sprintf("<sip:%s@%s:%d", p.user, host, port)
	if p.transport != "udp" {
		c = fmt.Sprintf("<sip:%s@%s;transport=%s", p.user, host, p.transport)
	}
	return sip.NewHeader("Contact", c+">")
}

func (p *Phone) register(ctx context.Context, registrar netip.AddrPort, contact sip.Header, expires string) (*sip.Response, error) {
	req := p.NewRequest(sip.REGISTER, registrar)
	req.Recipient.User = ""
	req.AppendHeader(contact)
	req.AppendHeader(sip.NewHeader("Expires", expires))
	return p.Do(ctx, req)
}

// NewRequest builds a request from this phone to host (the switch), with
// From and To set to the phone's extension, ready for Do.
func (p *Phone) NewRequest(method sip.RequestMethod, host netip.AddrPort) *sip.Request {
	uri := sip.Uri{Scheme: "sip", User: p.user, Host: host.Addr().String(), Port: int(host.Port())}
	req := sip.NewRequest(method, uri)
	req.SetTransport(strings.ToUpper(p.transport))
	aor := sip.Uri{Scheme: "sip", User: p.user, Host: host.Addr().String()}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	cid := sip.CallIDHeader(p.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.cseq.Add(1), MethodName: method})
	req.AppendHeader(sip.NewHeader("User-Agent", p.agent))
	return req
}

// Do sends req and returns the final response, answering one 401 or 407
// challenge with the phone's credentials.
func (p *Phone) Do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	res, err := p.cl.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 401 && res.StatusCode != 407 {
		return res, nil
	}
	hname, aname := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		hname, aname = "Proxy-Authenticate", "Proxy-Authorization"
	}
	chal, err := p.pickChallenge(res.GetHeaders(hname))
	if err != nil {
		return res, err
	}
	cred, err := digest.Digest(chal, digest.Options{Method: string(req.Method), URI: req.Recipient.Addr(),
		Username: p.user, Password: p.pass})
	if err != nil {
		return res, err
	}
	req.RemoveHeader(aname)
	req.AppendHeader(sip.NewHeader(aname, cred.String()))
	req.CSeq().SeqNo = p.cseq.Add(1)
	req.RemoveHeader("Via")
	return p.cl.Do(ctx, req, sipgo.ClientRequestAddVia)
}

func (p *Phone) pickChallenge(hs []sip.Header) (*digest.Challenge, error) {
	for _, h := range hs {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			continue
		}
		if p.algorithm == "" || strings.EqualFold(c.Algorithm, p.algorithm) {
			return c, nil
		}
	}
	return nil, errors.New("siptest: no usable challenge")
}

// SendUDP sends data from a fresh socket on localIP to addr and returns
// the first datagram that comes back within wait, or nil.
func SendUDP(t testing.TB, localIP string, addr netip.AddrPort, data []byte, wait time.Duration) []byte {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(localIP, "0"))
	if err != nil {
		t.Fatalf("siptest: %v", err)
	}
	defer pc.Close()
	if _, err := pc.WriteTo(data, net.UDPAddrFromAddrPort(addr)); err != nil {
		t.Fatalf("siptest: %v", err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65536)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// StatusOf returns the status code of a raw response, or 0.
func StatusOf(raw []byte) int {
	line, _, _ := strings.Cut(string(raw), "\r\n")
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}
