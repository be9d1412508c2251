package sip

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"callbox/acd/sip/guard"
	"callbox/firmware/store"
)

// Binding is one registered device of an extension: where the switch
// sends requests for it.
type Binding struct {
	Extension string
	// Contact is the Contact URI as the phone registered it.
	Contact string
	// Target is where requests go: Contact, or for a phone behind NAT
	// (or on TCP/TLS) the Contact with host and port replaced by Source.
	Target    string
	Source    netip.AddrPort
	Transport string // "udp", "tcp" or "tls"
	NAT       bool
	Expires   time.Time
	UserAgent string
	CallID    string
	CSeq      uint32
	// Reachable is false after a keep-alive went unanswered.
	Reachable bool
}

// Contacts returns the live bindings of extension ext, newest first. The
// switch calls it to ring every device of an extension.
func (s *Server) Contacts(ext string) []Binding {
	return s.reg.contacts(ext)
}

// registry holds the bindings in memory and mirrors them in the store.
type registry struct {
	s  *Server
	mu sync.Mutex
	by map[string][]Binding
	// wmu orders store writes the same way as the table changes, so the
	// store never ends up older than memory.
	wmu sync.Mutex
	// addrs is the latest expiry per source address, rebuilt after a
	// change (stale set): the rate limiter asks for every datagram.
	addrs map[netip.Addr]time.Time
	stale bool
}

func newRegistry(s *Server) *registry {
	return &registry{s: s, by: map[string][]Binding{}, stale: true}
}

func bindingFrom(r store.Registration) (Binding, error) {
	src, err := netip.ParseAddrPort(r.Source)
	if err != nil {
		return Binding{}, err
	}
	var u sipmsg.Uri
	if err := sipmsg.ParseUri(r.Contact, &u); err != nil {
		return Binding{}, err
	}
	b := Binding{
		Extension: r.Extension, Contact: r.Contact, Target: r.Contact, Source: src,
		Transport: string(r.Transport), Expires: r.Expires, UserAgent: r.UserAgent,
		CallID: r.CallID, CSeq: r.CSeq, Reachable: true,
	}
	if behindNAT(u, src, b.Transport) {
		b.NAT = true
		t := rewriteContact(u, src)
		b.Target = t.String()
	}
	return b, nil
}

func (b Binding) record(now time.Time) store.Registration {
	return store.Registration{
		Extension: b.Extension, Contact: b.Contact, Expires: b.Expires, Source: b.Source.String(),
		Transport: store.Transport(b.Transport), UserAgent: b.UserAgent, CallID: b.CallID,
		CSeq: b.CSeq, UpdatedAt: now,
	}
}

// load reads the persisted registrations, dropping expired ones and those
// of extensions that no longer exist.
func (r *registry) load() error {
	regs, err := store.List[store.Registration](r.s.st)
	if err != nil {
		return err
	}
	now := r.s.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := 0
	for _, rec := range regs {
		b, err := bindingFrom(rec)
		_, extErr := store.Get[store.Extension](r.s.st, rec.Extension)
		if err != nil || !now.Before(rec.Expires) || extErr != nil {
			r.s.deleteRecord(rec.Key())
			continue
		}
		r.by[b.Extension] = append(r.by[b.Extension], b)
		kept++
	}
	for ext := range r.by {
		r.sortLocked(ext)
	}
	r.stale = true
	r.s.log.Info("sip: registrations loaded", "kept", kept, "dropped", len(regs)-kept)
	return nil
}

func (s *Server) deleteRecord(key string) {
	if _, err := store.Delete[store.Registration](s.st, key); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("sip: delete registration", "key", key, "error", err)
	}
}

func (r *registry) sortLocked(ext string) {
	slices.SortFunc(r.by[ext], func(a, b Binding) int { return b.Expires.Compare(a.Expires) })
}

func (r *registry) contacts(ext string) []Binding {
	now := r.s.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Binding
	for _, b := range r.by[ext] {
		if now.Before(b.Expires) {
			out = append(out, b)
		}
	}
	return out
}

// knownSource reports whether src is the address of a registered phone.
func (r *registry) knownSource(src netip.AddrPort) bool {
	now := r.s.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, bs := range r.by {
		for _, b := range bs {
			if b.Source == src && now.Before(b.Expires) {
				return true
			}
		}
	}
	return false
}

// knownAddr reports whether a registered phone sends from addr.
func (r *registry) knownAddr(addr netip.Addr) bool {
	now := r.s.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stale {
		r.addrs = map[netip.Addr]time.Time{}
		for _, bs := range r.by {
			for _, b := range bs {
				if a := b.Source.Addr(); b.Expires.After(r.addrs[a]) {
					r.addrs[a] = b.Expires
				}
			}
		}
		r.stale = false
	}
	return now.Before(r.addrs[addr])
}

// update is one Contact of a REGISTER: expires 0 removes it.
type update struct {
	uri     sipmsg.Uri
	expires time.Duration
}

// errOutOfOrder: a REGISTER with the Call-ID of a binding but a CSeq not
// above it (RFC 3261 §10.3 step 7).
var errOutOfOrder = errors.New("sip: REGISTER out of order")

// apply changes the bindings of ext as one REGISTER asks, persists the
// changes and returns the resulting bindings. removeAll is Contact: *.
func (r *registry) apply(ext string, ups []update, removeAll bool, meta Binding) ([]Binding, error) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	now := r.s.now()
	r.mu.Lock()
	cur := slices.Clone(r.by[ext])
	var puts []Binding
	var dels []string
	keep := cur[:0]
	for _, b := range cur {
		if !now.Before(b.Expires) {
			dels = append(dels, b.Contact)
			continue
		}
		keep = append(keep, b)
	}
	cur = keep
	if removeAll {
		for _, b := range cur {
			if b.CallID == meta.CallID && meta.CSeq <= b.CSeq {
				r.mu.Unlock()
				return nil, errOutOfOrder
			}
		}
		for _, b := range cur {
			dels = append(dels, b.Contact)
		}
		cur = nil
	}
	for _, u := range ups {
		contact := u.uri.String()
		i := slices.IndexFunc(cur, func(b Binding) bool { return b.Contact == contact })
		if i >= 0 && cur[i].CallID == meta.CallID && meta.CSeq <= cur[i].CSeq {
			r.mu.Unlock()
			return nil, errOutOfOrder
		}
		if u.expires == 0 {
			if i >= 0 {
				dels = append(dels, contact)
				cur = slices.Delete(cur, i, i+1)
			}
			continue
		}
		b := meta
		b.Contact, b.Target = contact, contact
		b.Expires = now.Add(u.expires)
		b.Reachable = true
		if behindNAT(u.uri, b.Source, b.Transport) {
			b.NAT = true
			t := rewriteContact(u.uri, b.Source)
			b.Target = t.String()
		}
		if i >= 0 {
			cur[i] = b
		} else {
			if len(cur) >= r.s.cfg.MaxContacts {
				// Replace the device closest to expiry: most likely one
				// that changed address and will not refresh.
				j := 0
				for k := range cur {
					if cur[k].Expires.Before(cur[j].Expires) {
						j = k
					}
				}
				dels = append(dels, cur[j].Contact)
				cur = slices.Delete(cur, j, j+1)
			}
			cur = append(cur, b)
		}
		puts = append(puts, b)
	}
	if len(cur) == 0 {
		delete(r.by, ext)
	} else {
		r.by[ext] = cur
		r.sortLocked(ext)
	}
	out := slices.Clone(r.by[ext])
	r.stale = true
	r.mu.Unlock()

	for _, c := range dels {
		r.s.deleteRecord(store.RegistrationKey(ext, c))
	}
	for _, b := range puts {
		if _, err := store.Put(r.s.st, b.record(now)); err != nil {
			// Memory still has it; a restart would lose it. Say so.
			r.s.log.Error("sip: persist registration", "ext", ext, "contact", b.Contact, "error", err)
		}
	}
	return out, nil
}

// drop removes bindings of ext for which keep returns false (all when
// keep is nil) and deletes their records.
func (r *registry) drop(ext string, keep func(Binding) bool, why string) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.mu.Lock()
	var gone []string
	var left []Binding
	for _, b := range r.by[ext] {
		if keep != nil && keep(b) {
			left = append(left, b)
		} else {
			gone = append(gone, b.Contact)
		}
	}
	if len(left) == 0 {
		delete(r.by, ext)
	} else {
		r.by[ext] = left
	}
	r.stale = true
	r.mu.Unlock()
	for _, c := range gone {
		r.s.log.Info("sip: registration removed", "ext", ext, "contact", c, "reason", why)
		r.s.deleteRecord(store.RegistrationKey(ext, c))
	}
}

// expire removes every expired binding.
func (r *registry) expire() {
	now := r.s.now()
	r.mu.Lock()
	var exts []string
	for ext, bs := range r.by {
		for _, b := range bs {
			if !now.Before(b.Expires) {
				exts = append(exts, ext)
				break
			}
		}
	}
	r.mu.Unlock()
	for _, ext := range exts {
		r.drop(ext, func(b Binding) bool { return now.Before(b.Expires) }, "expired")
	}
}

// forget removes a binding from memory only: its record was deleted by
// someone else (an admin).
func (r *registry) forget(key string) {
	ext, contact, ok := strings.Cut(key, "|")
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	bs := slices.DeleteFunc(r.by[ext], func(b Binding) bool { return b.Contact == contact })
	r.stale = true
	if len(bs) == 0 {
		delete(r.by, ext)
	} else {
		r.by[ext] = bs
	}
}

// setReachable records the outcome of a keep-alive.
func (r *registry) setReachable(ext, contact string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.by[ext] {
		if r.by[ext][i].Contact == contact {
			r.by[ext][i].Reachable = ok
		}
	}
}

// all returns a snapshot of every live binding.
func (r *registry) all() []Binding {
	now := r.s.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Binding
	for _, bs := range r.by {
		for _, b := range bs {
			if now.Before(b.Expires) {
				out = append(out, b)
			}
		}
	}
	return out
}

// follow applies extension changes from the store's feed until ctx
// ends: a deleted extension loses its registrations, a narrowed
// allowed-network list loses those outside it. When the store drops the
// subscription (it fell behind), follow resubscribes, reconciling with a
// full read if changes were lost.
func (r *registry) follow(ctx context.Context, after uint64) {
	last := after
	for ctx.Err() == nil {
		got := false
		for ch := range r.s.st.Subscribe(ctx, last) {
			got = true
			last = ch.Seq
			r.applyChange(ch)
		}
		if ctx.Err() != nil {
			return
		}
		if oldest := r.s.st.OldestSeq(); oldest > 0 && last+1 < oldest {
			r.reconcile()
			last = r.s.st.Seq()
		}
		if !got {
			// The store refuses subscriptions (closing): pace the retries.
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (r *registry) applyChange(ch store.Change) {
	switch ch.Kind {
	case store.KindExtension:
		r.recheck(ch.Key)
	case store.KindRegistration:
		if ch.Op == store.OpDelete {
			r.forget(ch.Key)
		}
	}
}

// recheck drops the bindings of ext that its record no longer allows.
func (r *registry) recheck(number string) {
	ext, err := store.Get[store.Extension](r.s.st, number)
	if errors.Is(err, store.ErrNotFound) {
		r.drop(number, nil, "extension deleted")
		return
	}
	if err != nil {
		r.s.log.Error("sip: read extension", "ext", number, "error", err)
		return
	}
	r.drop(ext.Number, func(b Binding) bool { return guard.Permitted(ext.AllowedNets, b.Source.Addr()) },
		"address no longer in the allowed networks")
}

// reconcile rechecks every extension with bindings.
func (r *registry) reconcile() {
	r.mu.Lock()
	exts := make([]string, 0, len(r.by))
	for ext := range r.by {
		exts = append(exts, ext)
	}
	r.mu.Unlock()
	for _, ext := range exts {
		r.recheck(ext)
	}
}
