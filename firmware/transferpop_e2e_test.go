package firmware

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"callbox/acd"
	"callbox/acd/cti"
	"callbox/firmware/store"
)

// eventStream is an agent's CTI event stream (SSE) read off the box's
// web API.
type eventStream struct {
	t     *testing.T
	lines chan string
}

func (b *ctiBox) events(tok string) *eventStream {
	b.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.web+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		cancel()
		b.t.Fatalf("events: %v %v", res, err)
	}
	s := &eventStream{t: b.t, lines: make(chan string, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(s.lines)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	b.t.Cleanup(func() { cancel(); res.Body.Close(); <-done })
	return s
}

// next returns the data of the next event of typ that ok accepts.
func (s *eventStream) next(typ string, ok func(data []byte) bool) []byte {
	s.t.Helper()
	timeout := time.After(20 * time.Second)
	var ev, data string
	for {
		select {
		case line, open := <-s.lines:
			if !open {
				s.t.Fatalf("the event stream ended waiting for %s", typ)
			}
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			case line == "":
				if ev == typ && ok([]byte(data)) {
					return []byte(data)
				}
				ev, data = "", ""
			}
		case <-timeout:
			s.t.Fatalf("no %s event", typ)
		}
	}
}

func seedCustomer(st *store.Store) error {
	_, err := store.Put(st, store.Customer{ID: "wang", Name: "Wang Fang", Company: "Acme Trading", Numbers: []string{"+8613812345678"}})
	return err
}

func TestTransferPop_ConsultedAgentGetsTheCustomersPopAndNoteWhileRingingAndTheHistoryNamesThem(t *testing.T) {
	b := newCTIBox(t, seedQueues, seedCustomer)
	desk, tomDesk := b.phone("201"), b.phone("203")
	handoffs := watchHandoffs(t, b)
	customer, lily, id := queueCallToLily(t, b, desk)
	tomEvents := b.events(b.tom)

	// Lily consults Tom's desk with a note for him.
	const note = "Wants a refund for order A-778; already checked the invoice"
	if out := b.want(http.StatusBadRequest, b.lily, "POST", "/api/v1/calls/"+id+"/consult",
		map[string]string{"target": "203", "note": strings.Repeat("x", cti.MaxNote+1)}); !strings.Contains(out, `"note"`) {
		t.Fatalf("a long note is not refused by field: %s", out)
	}
	consult := b.async(b.lily, "POST", "/api/v1/calls/"+id+"/consult", map[string]string{"target": "203", "note": note})
	tom := incoming(t, tomDesk, "Tom's desk")

	// While Tom's phone rings his console's stream has the customer's
	// pop: the record, who hands it over, and the note.
	var p cti.Pop
	raw := tomEvents.next(cti.EventCallOffered, func(d []byte) bool {
		return json.Unmarshal(d, &p) == nil && p.CallID == id && p.Agent == "12"
	})
	if !p.Found || p.Customer.Name != "Wang Fang" || p.Queue != "sales" || !slices.Contains(p.Route, "queue:sales") {
		t.Fatalf("Tom's pop %s", raw)
	}
	if p.Handoff == nil || p.Handoff.FromAgent != "11" || p.Handoff.FromName != "Lily" || p.Handoff.Kind != acd.HandoffConsult {
		t.Fatalf("handoff %+v", p.Handoff)
	}
	if len(p.Notes) != 1 || p.Notes[0].Text != note || p.Notes[0].Agent != "11" {
		t.Fatalf("notes %+v", p.Notes)
	}
	if code, _ := b.api(b.tom, "GET", "/api/v1/calls/"+id+"/pop", nil); code != http.StatusOK {
		t.Fatalf("Tom cannot read his pop of the call: %d", code)
	}

	answer(t, tom)
	asyncResult(t, consult, http.StatusNoContent, "consult")
	b.want(http.StatusNoContent, b.lily, "POST", "/api/v1/calls/"+id+"/consult/complete", nil)
	ended(t, lily, "Lily's leg")
	if !hears(tom, customer, 700) || !hears(customer, tom, 1000) {
		t.Fatal("the customer and Tom do not hear each other")
	}
	tomEvents.next(cti.EventCallHandoff, func(d []byte) bool {
		var h cti.Handoff
		return json.Unmarshal(d, &h) == nil && h.CallID == id && h.Stage == acd.HandoffCompleted && h.Agent == "12"
	})
	if got := handoffs.stages(); !slices.Equal(got, []acd.HandoffStage{acd.HandoffRinging, acd.HandoffAnswered, acd.HandoffCompleted}) {
		t.Errorf("handoff stages %v", got)
	}

	// Tom wraps up and hangs up: the call's history entry names Tom, who
	// handed it over, and the note.
	b.want(http.StatusNoContent, b.tom, "POST", "/api/v1/calls/"+id+"/wrapup", map[string]string{"code": "refund", "notes": "refund approved"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tom.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(t, customer, "the customer's leg")
	var ct store.Contact
	settle(t, "the call's history entry", func() bool {
		found := false
		_ = store.ListFunc(b.a.store, "", func(c store.Contact) bool {
			if c.CallID == id {
				ct, found = c, true
			}
			return !found
		})
		return found
	})
	if ct.Agent != "12" || !slices.Equal(ct.TransferredFrom, []string{"11"}) || ct.CustomerID != "wang" ||
		ct.Summary != "refund\nrefund approved" || len(ct.Notes) != 1 || ct.Notes[0].Text != note {
		t.Fatalf("history entry %+v", ct)
	}
}

func TestTransferPop_BlindTransferToADeskShowsTheCustomersNameAndPopsTheAgentThere(t *testing.T) {
	b := newCTIBox(t, seedQueues, seedCustomer)
	desk, tomDesk := b.phone("201"), b.phone("203")
	customer, lily, id := queueCallToLily(t, b, desk)
	tomEvents := b.events(b.tom)

	transfer := b.async(b.lily, "POST", "/api/v1/calls/"+id+"/transfer", map[string]string{"target": "203", "note": "VIP, be quick"})
	tom := incoming(t, tomDesk, "Tom's desk")
	if name, number, _ := tom.From(); number != "013812345678" || !strings.Contains(name, "Wang Fang") {
		t.Errorf("Tom's phone shows %q <%s>, want the customer's name and number", name, number)
	}
	var p cti.Pop
	tomEvents.next(cti.EventCallOffered, func(d []byte) bool {
		return json.Unmarshal(d, &p) == nil && p.CallID == id && p.Agent == "12"
	})
	if p.Customer.Name != "Wang Fang" || p.Handoff == nil || p.Handoff.Kind != acd.HandoffBlind || p.Handoff.FromName != "Lily" ||
		len(p.Notes) != 1 || p.Notes[0].Text != "VIP, be quick" {
		t.Fatalf("Tom's pop %+v (handoff %+v)", p, p.Handoff)
	}
	answer(t, tom)
	asyncResult(t, transfer, http.StatusNoContent, "blind transfer")
	ended(t, lily, "Lily's leg")
	if !hears(tom, customer, 700) || !hears(customer, tom, 1000) {
		t.Fatal("the customer and Tom do not hear each other")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := customer.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	ended(t, tom, "Tom's leg")
}
