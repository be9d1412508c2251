package cti

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"callbox/firmware/store"
)

// Note is what an agent wrote on a call for whoever handles it next (a
// transfer's target), or another agent's wrap-up of the call.
type Note struct {
	Agent string    `json:"agent,omitempty"` // agent ID; "" for a supervisor
	Name  string    `json:"name,omitempty"`  // who wrote it, as people see it
	At    time.Time `json:"at"`
	Text  string    `json:"text"`
	Kind  string    `json:"kind"` // NoteKindNote or NoteKindWrapUp
}

// The kinds of notes.
const (
	NoteKindNote   = "note"
	NoteKindWrapUp = "wrapup"
)

// MaxNote is the longest note, in characters: a few lines for a
// colleague, not a report.
const MaxNote = 500

// maxNotes bounds the notes one call keeps (the history entry keeps as
// many).
const maxNotes = 40

// ErrNote: a note is empty, too long or holds control characters (or
// the call has too many).
var ErrNote = errors.New("cti: bad note")

// CheckNote returns text trimmed, or ErrNote when it is not a note the
// hub keeps.
func CheckNote(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", fmt.Errorf("%w: empty", ErrNote)
	case !utf8.ValidString(text):
		return "", fmt.Errorf("%w: not UTF-8", ErrNote)
	case utf8.RuneCountInString(text) > MaxNote:
		return "", fmt.Errorf("%w: longer than %d characters", ErrNote, MaxNote)
	case strings.ContainsFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return "", fmt.Errorf("%w: control characters", ErrNote)
	}
	return text, nil
}

// Annotate adds a note to a call: every later pop of the call shows it
// (a target already rung gets its pop updated) and the call's history
// entry keeps it. n.Agent names the writer (Name is filled from the
// agent's record when empty); At and Kind are set here.
func (h *Hub) Annotate(ctx context.Context, callID string, n Note) (Note, error) {
	if err := ctx.Err(); err != nil {
		return Note{}, err
	}
	text, err := CheckNote(n.Text)
	if err != nil {
		return Note{}, err
	}
	n.Text, n.Kind, n.At = text, NoteKindNote, h.now()
	if n.Name == "" {
		n.Name = h.agentName(n.Agent)
	}
	h.mu.Lock()
	c := h.calls[callID]
	if c == nil {
		h.mu.Unlock()
		return Note{}, fmt.Errorf("%w: %q", ErrUnknownCall, callID)
	}
	if len(c.notes) >= maxNotes {
		h.mu.Unlock()
		return Note{}, fmt.Errorf("%w: the call has %d notes", ErrNote, maxNotes)
	}
	c.notes = append(c.notes, n)
	ended := c.ended
	others := c.popAgentsBut(n.Agent)
	h.mu.Unlock()
	if ended {
		_, err := store.Update(h.st, contactID(callID), func(ct *store.Contact) error {
			ct.Notes = append(ct.Notes, contactNote(n))
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
	}
	for _, a := range others {
		h.update(callID, a, nil)
	}
	return n, nil
}

// Notes returns a call's notes, oldest first.
func (h *Hub) Notes(callID string) []Note {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.calls[callID]; c != nil {
		return slices.Clone(c.notes)
	}
	return nil
}

// popAgentsBut lists the agents with a pop of the call other than
// agent. Call with h.mu held.
func (c *call) popAgentsBut(agent string) []string {
	var out []string
	for a := range c.pops {
		if a != agent && a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// contactNote is a note as the history entry keeps it.
func contactNote(n Note) store.ContactNote {
	agent := n.Agent
	if !isAgentID(agent) {
		agent = ""
	}
	name := n.Name
	if utf8.RuneCountInString(name) > 64 {
		name = string([]rune(name)[:64])
	}
	return store.ContactNote{Agent: agent, Name: name, At: n.At, Text: n.Text, Kind: n.Kind}
}

// isAgentID: agent IDs are 2 to 8 digits (store.Agent).
func isAgentID(a string) bool {
	return len(a) >= 2 && len(a) <= 8 && strings.Trim(a, "0123456789") == ""
}

// contactExtra is what the hub adds to an ended call's history entry:
// the last handler, who handed it on, the notes and the wrap-up.
type contactExtra struct {
	summary string
	handler string
	from    []string
	notes   []store.ContactNote
}

// contactExtra collects the call's history extras. The summary is the
// wrap-up of the agent who handled the call last; the other agents'
// wrap-ups join the notes. Call with h.mu held.
func (c *call) contactExtra() contactExtra {
	x := contactExtra{handler: c.handler, from: slices.Clone(c.from), summary: c.wrap}
	final := c.handler
	if final == "" {
		final = c.rec.Agent
	}
	used := ""
	if w, ok := c.wraps[final]; ok && final != "" {
		x.summary, used = w.Text, final
	} else if x.summary == "" && len(c.from) == 0 && len(c.wraps) == 1 {
		for a, w := range c.wraps {
			x.summary, used = w.Text, a
		}
	}
	notes := slices.Clone(c.notes)
	for a, w := range c.wraps {
		if a != used {
			notes = append(notes, w)
		}
	}
	slices.SortStableFunc(notes, func(a, b Note) int { return a.At.Compare(b.At) })
	for _, n := range notes {
		x.notes = append(x.notes, contactNote(n))
	}
	return x
}
