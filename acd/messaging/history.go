package messaging

import (
	"errors"
	"slices"
	"strings"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

// maxSummary bounds the text a history entry keeps of a message.
const maxSummary = 500

// planOf returns the numbering plan of the site, for matching numbers in
// any written form.
func planOf(st *store.Store) directory.Plan {
	set, err := store.GetSettings(st)
	if err != nil {
		return directory.PlanFor("")
	}
	return directory.PlanFor(set.Country)
}

// Key returns the conversation key of a number: its normalised form, or
// the number as given when it does not normalise (a short code).
func Key(plan directory.Plan, number string) string {
	if n := plan.Normalize(number); n != "" {
		return n
	}
	return number
}

// customerOf finds the customer who has number, by any written form of it
// ("" when none does).
func customerOf(st *store.Store, plan directory.Plan, number string) string {
	want := plan.Normalize(number)
	if want == "" {
		return ""
	}
	id := ""
	_ = store.ListFunc(st, "", func(c store.Customer) bool {
		if slices.ContainsFunc(c.Numbers, func(n string) bool { return plan.Normalize(n) == want }) {
			id = c.ID
			return false
		}
		return true
	})
	return id
}

// contactFor is the history entry of a message: same ID, same number, so
// the customer's history shows it next to their calls.
func contactFor(st *store.Store, plan directory.Plan, m store.Message, agent string) store.Contact {
	summary := m.Text
	if m.Channel == store.ChannelFax {
		summary = strings.TrimSpace(m.Path + " " + m.Text)
	}
	if r := []rune(summary); len(r) > maxSummary {
		summary = string(r[:maxSummary])
	}
	return store.Contact{
		ID: m.ID, Number: m.Number, CustomerID: customerOf(st, plan, m.Number), Channel: m.Channel,
		Direction: m.Direction, At: arrival(m), Agent: agent, Summary: summary,
	}
}

// record writes a message and its history entry in one transaction, so
// that neither exists without the other.
func record(st *store.Store, plan directory.Plan, m store.Message, agent string) error {
	_, err := store.PutAll(st, m, contactFor(st, plan, m, agent))
	return err
}

// recordContact writes the history entry of a message another part stored.
func recordContact(st *store.Store, plan directory.Plan, m store.Message, agent string) error {
	_, err := store.Put(st, contactFor(st, plan, m, agent))
	if errors.Is(err, store.ErrExists) {
		return nil
	}
	return err
}
