package trunk

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	acdsip "callbox/acd/sip"
	"callbox/firmware/store"
)

// defaultExpires is the registration lifetime asked for when the trunk
// names none.
const defaultExpires = 600 * time.Second

// regDialog is what successive REGISTERs of one trunk share (RFC 3261
// §10.2: the same Call-ID, CSeq rising).
type regDialog struct {
	callID, tag string
	cseq        uint32
}

// errRegistrar wraps a registrar's refusal.
var errRegistrar = errors.New("registrar refused")

// registerLoop keeps the trunk registered until ctx ends: refreshed at
// three quarters of the lifetime granted, retried with doubling backoff
// (or the registrar's Retry-After) after a failure.
func (e *entry) registerLoop(ctx context.Context) {
	cfg := e.s.cfg
	backoff := cfg.RetryMin
	ask := defaultExpires
	if e.rec.Expires > 0 {
		ask = time.Duration(e.rec.Expires) * time.Second
	}
	for {
		granted, retry, err := e.register(ctx, ask)
		if ctx.Err() != nil {
			return
		}
		now := e.s.clock.Now()
		var wait time.Duration
		e.mu.Lock()
		if err == nil {
			wait = max(granted*3/4, time.Second)
			backoff = cfg.RetryMin
			if !e.registered {
				e.s.log.Info("trunk: registered", "trunk", e.rec.Name, "expires", granted)
			}
			e.registered, e.regErr, e.regUntil = true, "", now.Add(granted)
		} else {
			wait = backoff
			if retry > 0 {
				wait = retry
			}
			backoff = min(2*backoff, cfg.RetryMax)
			// A failed refresh leaves the last binding good until it
			// expires.
			e.registered = now.Before(e.regUntil)
			e.regErr = err.Error()
			e.s.log.Warn("trunk: registration failed", "trunk", e.rec.Name, "error", err, "retry_in", wait)
		}
		e.nextReg = now.Add(wait)
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-e.s.clock.After(wait):
		}
	}
}

// register sends one REGISTER asking for lifetime ask (0 removes the
// binding), answering challenges, and returns the lifetime granted. A
// 423 is retried once with the registrar's Min-Expires. retry is the
// registrar's Retry-After, when it gave one.
func (e *entry) register(ctx context.Context, ask time.Duration) (granted, retry time.Duration, err error) {
	e.s.mu.Lock()
	cl := e.s.cl
	e.s.mu.Unlock()
	if cl == nil {
		return 0, 0, errors.New("SIP client not ready")
	}
	ctx, cancel := context.WithTimeout(ctx, e.s.cfg.RegisterTimeout)
	defer cancel()
	req := e.newRegister(ask)
	res, err := cl.Do(ctx, req)
	for auth, brief := 0, false; err == nil; {
		switch {
		case (res.StatusCode == 401 || res.StatusCode == 407) && auth < 2 && e.rec.Secret != "":
			auth++
			req = e.again(req)
			if err := acdsip.Authorize(req, res, e.rec.Username, e.rec.Secret); err != nil {
				return 0, 0, err
			}
		case res.StatusCode == 423 && !brief:
			brief = true
			m, perr := strconv.Atoi(strings.TrimSpace(headerValue(res, "Min-Expires")))
			if perr != nil || m <= 0 {
				return 0, 0, fmt.Errorf("%w: 423 without Min-Expires", errRegistrar)
			}
			ask = time.Duration(m) * time.Second
			req = e.again(req)
			req.ReplaceHeader(sipmsg.NewHeader("Expires", strconv.Itoa(m)))
		default:
			return e.registered200(res, ask)
		}
		res, err = cl.Do(ctx, req)
	}
	return 0, 0, err
}

// registered200 reads the registrar's final answer.
func (e *entry) registered200(res *sipmsg.Response, ask time.Duration) (granted, retry time.Duration, err error) {
	if !res.IsSuccess() {
		if s, perr := strconv.Atoi(strings.TrimSpace(headerValue(res, "Retry-After"))); perr == nil && s > 0 {
			retry = time.Duration(min(s, 3600)) * time.Second
		}
		return 0, retry, fmt.Errorf("%w: %d %s", errRegistrar, res.StatusCode, res.Reason)
	}
	if ask == 0 {
		return 0, 0, nil
	}
	granted = ask
	if v, perr := strconv.Atoi(strings.TrimSpace(headerValue(res, "Expires"))); perr == nil && v >= 0 {
		granted = time.Duration(v) * time.Second
	}
	// The registrar lists every binding of the address of record; ours
	// is the one with our Contact user.
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sipmsg.ContactHeader)
		if !ok || c.Address.User != e.token {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, perr := strconv.Atoi(v); perr == nil && n >= 0 {
				granted = time.Duration(n) * time.Second
			}
		}
	}
	if granted == 0 {
		return 0, 0, fmt.Errorf("%w: binding granted for 0 s", errRegistrar)
	}
	return granted, 0, nil
}

// newRegister builds the next REGISTER of the trunk's registration.
func (e *entry) newRegister(expires time.Duration) *sipmsg.Request {
	e.mu.Lock()
	if e.reg.callID == "" {
		e.reg = regDialog{callID: sipmsg.GenerateTagN(24), tag: sipmsg.GenerateTagN(16)}
	}
	e.reg.cseq++
	rd := e.reg
	e.mu.Unlock()

	registrar := sipmsg.Uri{Scheme: "sip", Host: e.rec.Host, Port: e.rec.Port}
	transport := "UDP"
	switch e.rec.Transport {
	case store.TransportTCP:
		transport = "TCP"
		registrar.UriParams = sipmsg.NewParams()
		registrar.UriParams.Add("transport", "tcp")
	case store.TransportTLS:
		transport = "TLS"
		registrar.Scheme = "sips"
	}
	req := sipmsg.NewRequest(sipmsg.REGISTER, registrar)
	req.SetTransport(transport)
	if d := e.destination(); d != "" {
		req.SetDestination(d)
	}
	aor := sipmsg.Uri{Scheme: registrar.Scheme, User: e.rec.Username, Host: e.rec.Host, Port: e.rec.Port}
	from := &sipmsg.FromHeader{Address: aor, Params: sipmsg.NewParams()}
	from.Params.Add("tag", rd.tag)
	req.AppendHeader(from)
	req.AppendHeader(&sipmsg.ToHeader{Address: aor, Params: sipmsg.NewParams()})
	cid := sipmsg.CallIDHeader(rd.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: rd.cseq, MethodName: sipmsg.REGISTER})
	req.AppendHeader(e.contact(transport))
	req.AppendHeader(sipmsg.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sipmsg.NewHeader("User-Agent", "callbox"))
	e.s.setLaddr(req)
	return req
}

// again is req ready to go out as a new transaction: a fresh Via branch
// and the next CSeq.
func (e *entry) again(req *sipmsg.Request) *sipmsg.Request {
	n := req.Clone()
	n.RemoveHeader("Via")
	e.mu.Lock()
	e.reg.cseq++
	seq := e.reg.cseq
	e.mu.Unlock()
	if c := n.CSeq(); c != nil {
		c.SeqNo = seq
	}
	e.s.setLaddr(n)
	return n
}

// contact is the box's Contact for the trunk: the listener of the
// transport, with the trunk's token as the user.
func (e *entry) contact(transport string) *sipmsg.ContactHeader {
	a := e.s.srv.Addr(strings.ToLower(transport))
	if !a.IsValid() {
		a = e.s.localAddr()
	}
	u := sipmsg.Uri{Scheme: "sip", User: e.token, Host: a.Addr().String(), Port: int(a.Port())}
	switch transport {
	case "TCP":
		u.UriParams = sipmsg.NewParams()
		u.UriParams.Add("transport", "tcp")
	case "TLS":
		u.Scheme = "sips"
	}
	return &sipmsg.ContactHeader{Address: u}
}

// unregister removes the binding (Expires: 0) when the trunk has one;
// bounded, best effort: the binding expires anyway.
func (e *entry) unregister() {
	e.mu.Lock()
	had := e.rec.Register && (e.registered || e.s.clock.Now().Before(e.regUntil))
	e.registered, e.regUntil, e.nextReg = false, time.Time{}, time.Time{}
	e.mu.Unlock()
	if !had {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(e.s.cfg.RegisterTimeout, 3*time.Second))
	defer cancel()
	if _, _, err := e.register(ctx, 0); err != nil {
		e.s.log.Info("trunk: unregister failed", "trunk", e.rec.Name, "error", err)
		return
	}
	e.s.log.Info("trunk: unregistered", "trunk", e.rec.Name)
}

// setLaddr makes a UDP request leave from the listening socket, where
// the carrier's answers and calls come back.
func (s *Set) setLaddr(req *sipmsg.Request) {
	if req.Transport() != "UDP" {
		return
	}
	if a := s.srv.Addr("udp"); a.IsValid() {
		req.Laddr = sipmsg.Addr{IP: a.Addr().AsSlice(), Port: int(a.Port())}
	}
}

// localAddr is the box's SIP address: UDP, else TCP.
func (s *Set) localAddr() netip.AddrPort {
	if a := s.srv.Addr("udp"); a.IsValid() {
		return a
	}
	return s.srv.Addr("tcp")
}

func headerValue(m interface{ GetHeader(string) sipmsg.Header }, name string) string {
	if h := m.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}
