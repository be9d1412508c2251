package ivr

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"callbox/acd/hours"
	"callbox/firmware/store"
	"callbox/media/prompt"
)

// ErrDraft marks a stored flow that is not published, so takes no calls.
var ErrDraft = errors.New("ivr: flow is a draft")

// Load compiles a published store record for running. Only the structure
// is checked: names the flow refers to are looked up when a call reaches
// them, so that deleting a queue cannot take a whole flow off the air.
func Load(rec store.Flow) (*Flow, error) {
	if !rec.Published {
		return nil, fmt.Errorf("%w: %s", ErrDraft, rec.ID)
	}
	doc, err := Parse(rec.Doc)
	if err != nil {
		return nil, fmt.Errorf("flow %s v%d: %w", rec.ID, rec.Version, err)
	}
	f, err := Compile(doc, rec.ID, rec.Version, Checks{})
	if err != nil {
		return nil, fmt.Errorf("flow %s v%d: %w", rec.ID, rec.Version, err)
	}
	return f, nil
}

// Publish checks a record's document with every lookup in chk and returns
// the record to store (next version, published, stamped now) and the
// compiled flow for the catalog. An invalid flow returns Problems and the
// record unchanged.
func Publish(rec store.Flow, chk Checks, now time.Time) (store.Flow, *Flow, error) {
	doc, err := Parse(rec.Doc)
	if err != nil {
		return rec, nil, err
	}
	f, err := Compile(doc, rec.ID, rec.Version+1, chk)
	if err != nil {
		return rec, nil, err
	}
	// Store the document as the engine read it, so export and the
	// designer see exactly what runs.
	canon, err := json.Marshal(doc)
	if err != nil {
		return rec, nil, fmt.Errorf("ivr: publish: %w", err)
	}
	rec.Version++
	rec.Doc, rec.Published, rec.UpdatedAt = canon, true, now
	return rec, f, nil
}

// StoreChecks builds the lookups that Validate and Publish use from the
// store and the prompt library: prompts by key (shipped, or custom ones
// the installer uploaded, which the store keeps), queues, business hours,
// mailboxes (extensions with voicemail, and queues) and published flows.
// Prompt files named by path (Prompt.File) are not checked.
func StoreChecks(st *store.Store, lib *prompt.Library) Checks {
	exists := func(err error) bool { return err == nil }
	return Checks{
		// Shipped, uploaded, or stored and not yet mirrored into the
		// library's directory (the moment after an upload).
		Prompt: prompt.Exists(st, lib),
		Queue:  func(name string) bool { _, err := store.Get[store.Queue](st, name); return exists(err) },
		Hours:  func(name string) bool { _, err := store.Get[store.Hours](st, name); return exists(err) },
		Mailbox: func(id string) bool {
			if x, err := store.Get[store.Extension](st, id); err == nil {
				return x.Voicemail
			}
			_, err := store.Get[store.Queue](st, id)
			return exists(err)
		},
		Flow: func(id string) bool { fl, err := store.Get[store.Flow](st, id); return err == nil && fl.Published },
	}
}

// FaxLine reports whether the store has an enabled modem line, the only
// way the box sends faxes (acd/messaging queues them to its serial
// modems; there is no software fax modem). Without one a fax node could
// only fail, so validation refuses it (Checks.NoFax) and the designer
// leaves it out (Palette).
func FaxLine(st *store.Store) bool {
	lines, err := store.List[store.Line](st)
	if err != nil {
		return false
	}
	for _, l := range lines {
		if l.Type == store.LineGSM && l.Enabled {
			return true
		}
	}
	return false
}

// StoreHours looks business hours up in the store for branch-hours nodes
// (WithHours), compiled in site's zone unless the record names its own. A
// nil site means the box's zone as the settings say at each lookup, so a
// changed zone applies to the next call.
func StoreHours(st *store.Store, site *time.Location) func(name string) (*hours.Schedule, bool) {
	return func(name string) (*hours.Schedule, bool) {
		rec, err := store.Get[store.Hours](st, name)
		if err != nil {
			return nil, false
		}
		loc := site
		if loc == nil {
			loc = SiteZone(st)
		}
		s, err := hours.FromStore(rec, loc)
		return s, err == nil
	}
}

// SiteZone is the box's time zone from the settings (UTC when unset or
// unknown).
func SiteZone(st *store.Store) *time.Location {
	set, err := store.GetSettings(st)
	if err != nil || set.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(set.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
