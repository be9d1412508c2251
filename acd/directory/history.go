package directory

import (
	"slices"
	"strings"

	"callbox/firmware/store"
)

// History lists the contacts (calls, voicemail, fax, SMS, notes) with
// number, in any written form, most recent first; limit <= 0 means all.
// It reads every contact: the store has no index by number yet.
func History(st *store.Store, plan Plan, number string, limit int) ([]store.Contact, error) {
	n := plan.Normalize(number)
	if n == "" {
		return nil, nil
	}
	return history(st, limit, func(c store.Contact) bool { return plan.Normalize(c.Number) == n })
}

// CustomerHistory lists the contacts of a customer, linked by its ID or
// made with any of its numbers, most recent first; limit <= 0 means all.
func CustomerHistory(st *store.Store, plan Plan, c store.Customer, limit int) ([]store.Contact, error) {
	nums := make([]string, 0, len(c.Numbers))
	for _, raw := range c.Numbers {
		nums = append(nums, plan.Normalize(raw))
	}
	return history(st, limit, func(ct store.Contact) bool {
		return ct.CustomerID == c.ID || slices.Contains(nums, plan.Normalize(ct.Number))
	})
}

func history(st *store.Store, limit int, match func(store.Contact) bool) ([]store.Contact, error) {
	var out []store.Contact
	err := store.ListFunc(st, "", func(c store.Contact) bool {
		if match(c) {
			out = append(out, c)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b store.Contact) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
