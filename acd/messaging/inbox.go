package messaging

import (
	"slices"

	"callbox/firmware/store"
)

// FaxItem is a received fax as a work item.
type FaxItem struct {
	Message store.Message `json:"message"`
	// Queue is the route of the line it came in on: who should handle it.
	Queue string `json:"queue,omitempty"`
	// Preview is the PNG of its first page, relative to the data
	// directory ("" for a fax without pages).
	Preview    string `json:"preview,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
}

// FaxInbox lists the received faxes, newest first; queue, when not empty,
// keeps those for that queue.
func FaxInbox(st *store.Store, queue string) ([]FaxItem, error) {
	routes, err := lineRoutes(st)
	if err != nil {
		return nil, err
	}
	plan := planOf(st)
	var out []FaxItem
	err = store.ListFunc(st, "", func(m store.Message) bool {
		if m.Channel != store.ChannelFax || m.Direction != store.DirectionIn {
			return true
		}
		it := FaxItem{Message: m, Queue: routes[m.Line], Preview: FaxPreview(m)}
		if queue == "" || it.Queue == queue {
			out = append(out, it)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	byNumber := map[string][]int{}
	for i, it := range out {
		k := Key(plan, it.Message.Number)
		byNumber[k] = append(byNumber[k], i)
	}
	err = store.ListFunc(st, "", func(c store.Customer) bool {
		for _, n := range c.Numbers {
			for _, i := range byNumber[Key(plan, n)] {
				if out[i].CustomerID == "" {
					out[i].CustomerID = c.ID
				}
			}
		}
		return true
	})
	slices.SortStableFunc(out, func(a, b FaxItem) int { return arrival(b.Message).Compare(arrival(a.Message)) })
	return out, err
}
