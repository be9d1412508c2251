package cti

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"callbox/acd"
	"callbox/firmware/store"
)

// ErrWrapUp: a wrap-up code or notes are too long or unprintable.
var ErrWrapUp = errors.New("cti: bad wrap-up")

// Wrap-up bounds (the contact's summary holds both).
const (
	maxWrapCode  = 64
	maxWrapNotes = 3000
)

// contactID is the history entry of a call: derived from the call ID so
// that a wrap-up finds it without a scan.
func contactID(callID string) string {
	id := "call." + callID
	if len(id) > 64 {
		id = id[:64]
	}
	var b strings.Builder
	for _, r := range id {
		if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// outsideNumber is the party outside the box of a call: the caller of an
// inbound call, the dialled number of an outbound one; "" for internal
// calls.
func (h *Hub) outsideNumber(rec acd.CallRecord) (string, store.Direction) {
	pub := func(raw string) string {
		n := h.cfg.Plan.Normalize(raw)
		if strings.HasPrefix(n, "+") && store.IsDialable(n) {
			return n
		}
		return ""
	}
	if rec.Direction == acd.DirectionIn || rec.Caller.Source.External() {
		return pub(rec.Caller.Number), store.DirectionIn
	}
	return pub(rec.Dialed), store.DirectionOut
}

// contactOf is the history entry of an ended call, or false when the call
// had no outside party.
func (h *Hub) contactOf(rec acd.CallRecord, customer string, wrap string) (store.Contact, bool) {
	n, dir := h.outsideNumber(rec)
	if n == "" {
		return store.Contact{}, false
	}
	at := rec.Start
	if at.IsZero() {
		at = h.now()
	}
	ct := store.Contact{ID: contactID(rec.ID), Number: n, CustomerID: customer, Channel: store.ChannelCall, Direction: dir,
		At: at, CallID: rec.ID, Summary: wrap}
	if a := rec.Agent; len(a) >= 2 && len(a) <= 8 && strings.Trim(a, "0123456789") == "" {
		ct.Agent = a
	}
	return ct, true
}

// writeContact keeps an ended call in the customer history. The customer
// is linked when the built-in directory knew the caller.
func (h *Hub) writeContact(rec acd.CallRecord, lk *lookup, wrap string) {
	customer := ""
	if lk != nil {
		select {
		case <-lk.done:
			r := lk.res.Record
			if lk.err == nil && len(r.Sources) > 0 && r.Sources[0] == "builtin" && r.CustomerID != "" {
				customer = r.CustomerID
			}
		default:
		}
	}
	ct, ok := h.contactOf(rec, customer, wrap)
	if !ok {
		return
	}
	if old, err := store.Get[store.Contact](h.st, ct.ID); err == nil && ct.Summary == "" {
		ct.Summary = old.Summary // a wrap-up saved first
	}
	if _, err := store.Put(h.st, ct); err != nil {
		h.log.Error("cti: write call contact", "call", rec.ID, "err", err)
	}
}

// WrapUp saves the agent's wrap-up code and notes with the call's entry
// in the customer history: at once when the call has ended, else when it
// ends. Calls without an outside party have no entry and no wrap-up.
func (h *Hub) WrapUp(ctx context.Context, callID, code, notes string) error {
	code, notes = strings.TrimSpace(code), strings.TrimSpace(notes)
	if utf8.RuneCountInString(code) > maxWrapCode || utf8.RuneCountInString(notes) > maxWrapNotes ||
		strings.ContainsAny(code, "\r\n\t") || !utf8.ValidString(code+notes) {
		return ErrWrapUp
	}
	summary := code
	if notes != "" {
		summary = strings.TrimSpace(code + "\n" + notes)
	}
	h.mu.Lock()
	c := h.calls[callID]
	if c != nil && !c.ended {
		c.wrap = summary
		h.mu.Unlock()
		return nil
	}
	var rec acd.CallRecord
	if c != nil {
		rec = c.rec
	}
	h.mu.Unlock()
	id := contactID(callID)
	_, err := store.Update(h.st, id, func(ct *store.Contact) error { ct.Summary = summary; return nil })
	if errors.Is(err, store.ErrNotFound) && c != nil {
		ct, ok := h.contactOf(rec, "", summary)
		if !ok {
			return fmt.Errorf("%w: %q has no outside party", ErrUnknownCall, callID)
		}
		_, err = store.Put(h.st, ct)
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %q", ErrUnknownCall, callID)
	}
	return err
}
