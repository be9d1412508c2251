package store

import (
	"slices"

	"callbox/firmware/i18n"
)

// Wrap-up codes are what an agent picks after a call (the outcome:
// "sale", "complaint", ...). The installer keeps the list; the agent
// console offers the codes of the call's queue. Like the CTI's kinds the
// bucket came without a schema step: Open creates it when a file of the
// current schema lacks it, and older firmware never reads it.

// KindWrapUp keeps the wrap-up codes agents choose from.
const KindWrapUp Kind = "wrapups"

// MaxWrapUpCode bounds a code: the CTI's wrap-up call takes at most 64
// characters, so a longer stored code could never be saved with a call.
const MaxWrapUpCode = 64

// WrapUp is one wrap-up code. Key: Code.
type WrapUp struct {
	// Code is what is saved with the call (a name: letters, digits, '.',
	// '_', '-').
	Code string `json:"code"`
	// LabelEN and LabelZH are what agents read; at least one is required,
	// and the other language falls back to it (Label).
	LabelEN string `json:"labelEn,omitempty"`
	LabelZH string `json:"labelZh,omitempty"`
	// Queues limits the code to calls of these queues; empty offers it on
	// every call.
	Queues []string `json:"queues,omitempty"`
	// NoteRequired: the agent must write a note with this code.
	NoteRequired bool `json:"noteRequired,omitempty"`
	// FollowUp: choosing this code creates a follow-up for the customer.
	FollowUp bool `json:"followUp,omitempty"`
	// Disabled keeps a retired code for old calls' reports without
	// offering it any more.
	Disabled bool `json:"disabled,omitempty"`
}

// Kind implements Record.
func (WrapUp) Kind() Kind { return KindWrapUp }

// Key implements Record.
func (w WrapUp) Key() string { return w.Code }

// Validate implements Record.
func (w WrapUp) Validate() error {
	var f fields
	f.name("code", w.Code)
	f.text("labelEn", w.LabelEN, false, 64)
	f.text("labelZh", w.LabelZH, false, 64)
	if w.LabelEN == "" && w.LabelZH == "" {
		f.add("labelEn", codeRequired)
	}
	if len(w.Queues) > 256 {
		f.add("queues", codeRange, 0, 256)
	}
	seen := map[string]bool{}
	for _, q := range w.Queues {
		if !isName(q) {
			f.add("queues", codeName, 64)
			break
		}
		if seen[q] {
			f.add("queues", codeDuplicate, q)
			break
		}
		seen[q] = true
	}
	return f.result(KindWrapUp, w.Code)
}

// Label is the code's label in lang, the other language's when that one
// is empty.
func (w WrapUp) Label(lang i18n.Lang) string {
	en, zh := w.LabelEN, w.LabelZH
	if lang == i18n.ZH {
		en, zh = zh, en
	}
	if en != "" {
		return en
	}
	return zh
}

// For reports whether the code is offered on a call of queue ("" for a
// call outside any queue: only codes without a queue list).
func (w WrapUp) For(queue string) bool {
	if w.Disabled {
		return false
	}
	return len(w.Queues) == 0 || queue != "" && slices.Contains(w.Queues, queue)
}

// WrapUpsFor lists the codes offered on a call of queue, in code order.
func WrapUpsFor(s *Store, queue string) ([]WrapUp, error) {
	all, err := List[WrapUp](s)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(w WrapUp) bool { return !w.For(queue) }), nil
}

func init() {
	recordVersions[KindWrapUp] = 1
	codecs[KindWrapUp] = codecFor[WrapUp]()
}
