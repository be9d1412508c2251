package ivr

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"callbox/firmware/store"
)

// The demo: what `callbox --demo` installs. Everything here is for
// demonstration only; a real site designs its own flow and points lookups
// at its own ERP or CRM.

//go:embed demo.json
var demoJSON string

// Names the demo flow refers to; the firmware's demo seeding must create
// them (queues "sales" and "support", DemoHours, extension 201 with
// voicemail).
const (
	DemoFlowID      = "demo"
	DemoHoursName   = "demo-office"
	demoURLMarker   = "DEMO-ORDERS-URL"
	demoOrderPrefix = "/orders/"
)

// DemoFlow returns the demo flow document with its order lookup pointed at
// ordersURL, where DemoOrders is served (for example
// "http://127.0.0.1:8080/demo/orders"). The document validates.
func DemoFlow(ordersURL string) []byte {
	return []byte(strings.ReplaceAll(demoJSON, demoURLMarker, strings.TrimSuffix(ordersURL, "/")))
}

// DemoFlowRecord is the demo flow as a published store record under id
// (the route the demo lines use), ready for store.Put.
func DemoFlowRecord(id, ordersURL string, now time.Time) store.Flow {
	return store.Flow{ID: id, Name: "Demo: bilingual reception", Version: 1, Published: true,
		Doc: json.RawMessage(DemoFlow(ordersURL)), UpdatedAt: now}
}

// DemoHours is the demo's business hours: Monday to Friday 09:00-18:00,
// Saturday 09:00-12:00, in the box's zone; closed every year on New
// Year's Day, Labour Day and the National Day week, and on the Spring
// Festival week of now's year and the next (a lunar date, so it is kept
// as dated ranges). Years outside the table get the yearly holidays only.
func DemoHours(now time.Time) store.Hours {
	h := store.Hours{Name: DemoHoursName}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Weekly = append(h.Weekly, store.WeeklyRange{Day: d, Start: "09:00", End: "18:00"})
	}
	h.Weekly = append(h.Weekly, store.WeeklyRange{Day: time.Saturday, Start: "09:00", End: "12:00"})
	h.Holidays = append(h.Holidays,
		store.Holiday{Name: "New Year", From: "01-01"},
		store.Holiday{Name: "Labour Day", From: "05-01"},
		store.Holiday{Name: "National Day", From: "10-01", To: "10-07"})
	for _, y := range []int{now.Year(), now.Year() + 1} {
		if first, ok := springFestival[y]; ok {
			from := time.Date(y, time.Month(first/100), first%100, 0, 0, 0, 0, time.UTC)
			h.Holidays = append(h.Holidays, store.Holiday{Name: "Spring Festival " + strconv.Itoa(y),
				From: from.Format(time.DateOnly), To: from.AddDate(0, 0, 6).Format(time.DateOnly)})
		}
	}
	return h
}

// springFestival is the Lunar New Year's Day (month*100+day) by year.
var springFestival = map[int]int{
	2025: 129, 2026: 217, 2027: 206, 2028: 126, 2029: 213, 2030: 203,
}

// DemoOrders is the DEMO-ONLY order-status service behind the demo flow's
// lookup node: GET <prefix>/orders/<number> answers
// {"order":{"number":..., "status":..., "days":...}} made up from the
// number itself (last digit even: shipped, arriving in that many days;
// odd: processing). Numbers starting with 0 are unknown (404), to show the
// error branch. It stores nothing and knows no real orders.
func DemoOrders() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "demo order service: GET only", http.StatusMethodNotAllowed)
			return
		}
		i := strings.LastIndex(r.URL.Path, demoOrderPrefix)
		if i < 0 {
			http.NotFound(w, r)
			return
		}
		number := r.URL.Path[i+len(demoOrderPrefix):]
		if !isNumber(number, false) || len(number) > 10 || number[0] == '0' {
			http.NotFound(w, r)
			return
		}
		last := int(number[len(number)-1] - '0')
		status, days := "processing", 0
		if last%2 == 0 {
			status, days = "shipped", last
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Callbox-Demo", "demo only: not a real order system")
		body := map[string]any{"order": map[string]any{"number": number, "status": status, "days": days}, "demo": true}
		// A failed write means the client went away; there is no one
		// left to tell.
		_ = json.NewEncoder(w).Encode(body)
	})
}
