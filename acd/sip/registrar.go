package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// register is the registrar (RFC 3261 §10.3).
func (s *Server) register(req *sipmsg.Request, tx sipmsg.ServerTransaction, src netip.AddrPort) {
	to := req.To()
	if to.Address.Scheme != "sip" && to.Address.Scheme != "sips" {
		s.respond(tx, req, 400, "Address-of-record must be a SIP URI")
		return
	}
	ext, ok := s.authenticate(req, tx, src)
	if !ok {
		return
	}
	if to.Address.User != ext.Number {
		// A phone may only register its own extension.
		s.fail(src, ext.Number, reasonWrongAOR)
		s.respond(tx, req, 403, "Forbidden")
		return
	}

	var defExp time.Duration = s.cfg.DefaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		d, err := parseExpires(h.Value())
		if err != nil {
			s.respond(tx, req, 400, "Bad Expires")
			return
		}
		defExp = d
	}
	var ups []update
	removeAll := false
	contacts := req.GetHeaders("Contact")
	for _, h := range contacts {
		c, ok := h.(*sipmsg.ContactHeader)
		if !ok {
			s.respond(tx, req, 400, "Bad Contact")
			return
		}
		if c.Address.Wildcard {
			// RFC 3261 §10.3 step 6: "*" only alone and with Expires: 0.
			if len(contacts) != 1 || req.GetHeader("Expires") == nil || defExp != 0 {
				s.respond(tx, req, 400, "Wildcard Contact needs Expires: 0 and no other Contact")
				return
			}
			removeAll = true
			continue
		}
		if c.Address.Scheme != "sip" && c.Address.Scheme != "sips" || c.Address.Host == "" {
			s.respond(tx, req, 400, "Contact must be a SIP URI")
			return
		}
		exp := defExp
		if v, ok := c.Params.Get("expires"); ok {
			d, err := parseExpires(v)
			if err != nil {
				s.respond(tx, req, 400, "Bad Contact expires")
				return
			}
			exp = d
		}
		if exp != 0 && exp < s.cfg.MinExpires {
			s.respond(tx, req, 423, "Interval Too Brief",
				sipmsg.NewHeader("Min-Expires", strconv.Itoa(int(s.cfg.MinExpires/time.Second))))
			return
		}
		ups = append(ups, update{uri: c.Address, expires: min(exp, s.cfg.MaxExpires)})
	}

	var cseq uint32
	if h := req.CSeq(); h != nil {
		cseq = h.SeqNo
	}
	meta := Binding{
		Extension: ext.Number, Source: src, Transport: string(transportOf(req)),
		UserAgent: headerValue(req, "User-Agent"), CallID: callID(req), CSeq: cseq,
	}
	var bs []Binding
	if len(ups) == 0 && !removeAll {
		bs = s.reg.contacts(ext.Number) // a query
	} else {
		var err error
		bs, err = s.reg.apply(ext.Number, ups, removeAll, meta)
		if errors.Is(err, errOutOfOrder) {
			s.respond(tx, req, 500, "Request Out Of Order", sipmsg.NewHeader("Retry-After", "1"))
			return
		}
		if err != nil {
			s.respond(tx, req, 500, "Server Internal Error")
			return
		}
		s.log.Info("sip: registered", "ext", ext.Number, "addr", src, "contacts", len(bs),
			"user_agent", meta.UserAgent)
	}
	now := s.now()
	hdrs := []sipmsg.Header{sipmsg.NewHeader("Date", now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))}
	for _, b := range bs {
		left := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
		hdrs = append(hdrs, sipmsg.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", b.Contact, max(left, 0))))
	}
	s.respond(tx, req, 200, "OK", hdrs...)
}
