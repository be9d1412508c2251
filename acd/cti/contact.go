package cti

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
// is linked when the built-in directory knew the caller; a transferred
// call names the agent who handled it last and those who handed it on.
func (h *Hub) writeContact(rec acd.CallRecord, lk *lookup, x contactExtra) {
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
	ct, ok := h.contactOf(rec, customer, x.summary)
	if !ok {
		return
	}
	if isAgentID(x.handler) {
		ct.Agent = x.handler
	}
	for _, a := range x.from {
		if isAgentID(a) {
			ct.TransferredFrom = append(ct.TransferredFrom, a)
		}
	}
	ct.Notes = x.notes
	h.contactMu.Lock()
	defer h.contactMu.Unlock()
	if old, err := store.Get[store.Contact](h.st, ct.ID); err == nil {
		if ct.Summary == "" {
			ct.Summary = old.Summary // a wrap-up saved first
		}
		ct.Notes = append(old.Notes, ct.Notes...)
	}
	if _, err := store.Put(h.st, ct); err != nil {
		h.log.Error("cti: write call contact", "call", rec.ID, "err", err)
	}
}

// WrapUp saves the agent's wrap-up code and notes with the call's entry
// in the customer history: at once when the call has ended, else when it
// ends. Calls without an outside party have no entry and no wrap-up.
func (h *Hub) WrapUp(ctx context.Context, callID, code, notes string) error {
	return h.WrapUpAs(ctx, callID, "", code, notes)
}

// WrapUpAs is WrapUp naming the agent (the API knows who wraps up): on a
// transferred call each agent's wrap-up is kept, the last handler's as
// the entry's summary and the others' as its notes, and an earlier
// agent's wrap-up shows in the pop of the agent who has the call now.
func (h *Hub) WrapUpAs(ctx context.Context, callID, agent, code, notes string) error {
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
		if agent == "" {
			c.wrap = summary
			h.mu.Unlock()
			return nil
		}
		if c.wraps == nil {
			c.wraps = map[string]Note{}
		}
		c.wraps[agent] = Note{Agent: agent, Name: h.agentName(agent), At: h.now(), Text: summary, Kind: NoteKindWrapUp}
		others := c.popAgentsBut(agent)
		h.mu.Unlock()
		for _, a := range others {
			h.update(callID, a, nil)
		}
		return nil
	}
	var rec acd.CallRecord
	if c != nil {
		rec = c.rec
	}
	h.mu.Unlock()
	id := contactID(callID)
	h.contactMu.Lock()
	defer h.contactMu.Unlock()
	_, err := store.Update(h.st, id, func(ct *store.Contact) error {
		if agent == "" || agent == ct.Agent || (ct.Agent == "" && len(ct.TransferredFrom) == 0) {
			ct.Summary = summary
			return nil
		}
		// An agent who handed the call on: their wrap-up is a note.
		ct.Notes = slices.DeleteFunc(ct.Notes, func(n store.ContactNote) bool {
			return n.Agent == agent && n.Kind == NoteKindWrapUp
		})
		ct.Notes = append(ct.Notes, contactNote(Note{Agent: agent, Name: h.agentName(agent), At: h.now(), Text: summary,
			Kind: NoteKindWrapUp}))
		return nil
	})
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
