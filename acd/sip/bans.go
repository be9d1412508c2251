package sip

import (
	"errors"
	"net/netip"

	"callbox/acd/sip/guard"
	"callbox/firmware/store"
)

// Bans outlive a restart: each new ban is written to the store, a lifted
// one removed, and Run puts back those still in force before it listens
// (a brute-forcing address gets no fresh start from a power cut). A store
// write that fails is logged; the ban holds in memory either way.

// keepBan is the guard's ban hook.
func (s *Server) keepBan(b guard.Ban) {
	rec := store.SIPBan{Prefix: b.Prefix.String(), Since: b.Since, Until: b.Until, Failures: b.Failures, Reason: b.Reason}
	if _, err := store.Put(s.st, rec); err != nil {
		s.log.Error("sip: ban not kept", "addr", rec.Prefix, "err", err)
	}
}

// forgetBan removes a lifted ban from the store.
func (s *Server) forgetBan(addr netip.Addr) {
	p := guard.PrefixOf(addr)
	if _, err := store.Delete[store.SIPBan](s.st, p.String()); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("sip: lifted ban still stored", "addr", p, "err", err)
	}
}

// loadBans puts the stored bans still in force back into the guard and
// drops the ones that are over.
func (s *Server) loadBans() error {
	bans, err := store.List[store.SIPBan](s.st)
	if err != nil {
		return err
	}
	for _, b := range bans {
		p, perr := netip.ParsePrefix(b.Prefix)
		restored := perr == nil && s.guard.Restore(guard.Ban{Prefix: p, Since: b.Since, Until: b.Until,
			Failures: b.Failures, Reason: b.Reason})
		if restored {
			continue
		}
		if _, err := store.Delete[store.SIPBan](s.st, b.Prefix); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}
