package sip

import (
	"context"
	"io"
	"sync"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// maxKeepAliveInFlight bounds concurrent keep-alive OPTIONS.
const maxKeepAliveInFlight = 16

// housekeeping runs on the ticker until ctx ends: it expires bindings,
// forgets old nonces and keeps registered phones' NAT bindings open.
func (s *Server) housekeeping(ctx context.Context) {
	every := s.cfg.KeepAlive
	if every <= 0 {
		every = 30 * time.Second
	}
	tick, stop := s.ticker(every)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		s.reg.expire()
		s.verifier.Prune()
		if s.cfg.KeepAlive > 0 {
			s.keepAlive(ctx)
		}
	}
}

// keepAlive pings every binding once and waits for the answers.
func (s *Server) keepAlive(ctx context.Context) {
	sem := make(chan struct{}, maxKeepAliveInFlight)
	var wg sync.WaitGroup
	for _, b := range s.reg.all() {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			ok := s.ping(ctx, b)
			s.reg.setReachable(b.Extension, b.Contact, ok)
		})
	}
	wg.Wait()
}

// ping sends one keep-alive to b and reports whether it got through:
// OPTIONS over UDP (any response counts), a CRLF pair (RFC 5626 §3.5.1)
// over the phone's TCP or TLS connection.
func (s *Server) ping(ctx context.Context, b Binding) bool {
	s.mu.Lock()
	ua, cl := s.ua, s.cl
	s.mu.Unlock()
	if b.Transport != "udp" {
		conn, err := ua.TransportLayer().GetConnection(b.Transport, b.Source.String())
		if err != nil || conn == nil {
			return false
		}
		defer conn.TryClose()
		w, ok := conn.(io.Writer)
		if !ok {
			return false
		}
		_, err = w.Write([]byte("\r\n\r\n"))
		return err == nil
	}
	var target sipmsg.Uri
	if err := sipmsg.ParseUri(b.Contact, &target); err != nil {
		return false
	}
	req := sipmsg.NewRequest(sipmsg.OPTIONS, target)
	req.SetTransport("UDP")
	req.SetDestination(b.Source.String())
	local := s.Addr("udp")
	// Sent from the listening socket, so the phone's NAT sees the same
	// five-tuple it registered through.
	req.Laddr = sipmsg.Addr{IP: local.Addr().AsSlice(), Port: int(local.Port())}
	from := sipmsg.FromHeader{Address: sipmsg.Uri{Scheme: "sip", User: s.cfg.UserAgent, Host: local.Addr().String()}}
	from.Params = sipmsg.NewParams()
	from.Params.Add("tag", sipmsg.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(sipmsg.NewHeader("User-Agent", s.cfg.UserAgent))
	ctx, cancel := context.WithTimeout(ctx, s.cfg.KeepAliveTimeout)
	defer cancel()
	if _, err := cl.Do(ctx, req); err != nil {
		s.log.Debug("sip: keep-alive unanswered", "ext", b.Extension, "contact", b.Contact, "error", err)
		return false
	}
	return true
}
