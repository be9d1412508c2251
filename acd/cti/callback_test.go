package cti

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"callbox/acd"
	"callbox/firmware/store"
)

// booker records bookings like a queue would take them.
type booker struct {
	mu       sync.Mutex
	booked   chan Booking
	refuse   error
	canceled []string
}

func newBooker() *booker { return &booker{booked: make(chan Booking, 8)} }

func (b *booker) BookCallback(_ context.Context, bk Booking) error {
	b.mu.Lock()
	err := b.refuse
	b.mu.Unlock()
	if err == nil {
		b.booked <- bk
	}
	return err
}

func (b *booker) CancelCallback(_ context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.canceled = append(b.canceled, id)
	return nil
}

func callbackRig(t *testing.T, bk *booker) *rig {
	t.Helper()
	r := newRig(t, Config{Callbacks: bk, Dialable: func(n string) bool { return n != "999" },
		HasQueue: func(q string) bool { return q == "sales" }})
	return r
}

func TestScheduleCallback_RefusesEachBadFieldByName(t *testing.T) {
	r := callbackRig(t, newBooker())
	_, err := r.hub.ScheduleCallback(context.Background(), ScheduleRequest{Number: "999", Queue: "nope",
		When: time.Now().Add(-time.Hour)})
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("schedule: %v", err)
	}
	codes := map[string]string{}
	for _, f := range ve.Fields {
		codes[f.Field] = f.Code
	}
	if codes["number"] != "cti3.err.not-dialable" || codes["queue"] != "cti3.err.no-queue" || codes["when"] != "cti3.err.past" {
		t.Fatalf("codes %v", codes)
	}
	if list, _ := r.hub.ScheduledCallbacks(); len(list) != 0 {
		t.Fatalf("a refused callback was stored: %+v", list)
	}
}

func TestScheduleCallback_BookedWhenDueAndItsNotesReachThePop(t *testing.T) {
	bk := newBooker()
	r := callbackRig(t, bk)
	ctx := context.Background()
	soon, err := r.hub.ScheduleCallback(ctx, ScheduleRequest{Number: "013812345678", Queue: "sales",
		When: time.Now().Add(200 * time.Millisecond), Name: "Li Lei", Notes: "invoice 42", CustomerID: "c1", CreatedBy: "lily"})
	if err != nil {
		t.Fatal(err)
	}
	later, err := r.hub.ScheduleCallback(ctx, ScheduleRequest{Number: "013812345679", Queue: "sales", When: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	got := <-bk.booked
	if got.ID != soon.ID || got.Number != "013812345678" || got.Queue != "sales" || got.Name != "Li Lei" {
		t.Fatalf("booked %+v", got)
	}
	inState(t, r.hub, soon.ID, store.ScheduledBooked)
	list, err := r.hub.ScheduledCallbacks()
	if err != nil || len(list) != 2 || list[0].ID != later.ID {
		t.Fatalf("list %+v %v", list, err)
	}

	p := r.hub.Offered(ctx, OfferInfo{CallID: soon.ID, Agent: "11", Queue: "sales", Callback: true,
		Caller: acd.Party{Number: "013812345678"}})
	if p.Data["callback.notes"] != "invoice 42" || p.Data["callback.customer"] != "c1" {
		t.Fatalf("pop data %v", p.Data)
	}

	// The booked one is withdrawn from its queue; the later one simply
	// cancelled; neither can be cancelled twice.
	if err := r.hub.CancelCallback(ctx, soon.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.hub.CancelCallback(ctx, later.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.hub.CancelCallback(ctx, later.ID); !errors.Is(err, ErrCallbackOver) {
		t.Fatalf("second cancel: %v", err)
	}
	if err := r.hub.CancelCallback(ctx, "cb-nope"); !errors.Is(err, ErrUnknownCallback) {
		t.Fatalf("unknown: %v", err)
	}
	bk.mu.Lock()
	defer bk.mu.Unlock()
	if len(bk.canceled) != 1 || bk.canceled[0] != soon.ID {
		t.Fatalf("queue cancellations %v", bk.canceled)
	}
}

func TestScheduleCallback_QueueRefusalIsKeptAsFailed(t *testing.T) {
	bk := newBooker()
	bk.refuse = errors.New("queue: unknown queue: sales")
	r := callbackRig(t, bk)
	rec, err := r.hub.ScheduleCallback(context.Background(), ScheduleRequest{Number: "013812345678", Queue: "sales"})
	if err != nil {
		t.Fatal(err)
	}
	if got := inState(t, r.hub, rec.ID, store.ScheduledFailed); got.Error == "" {
		t.Fatalf("no reason: %+v", got)
	}
}

// inState waits until the scheduled callback id is in state (the
// scheduler saves it right after the queue took it).
func inState(t *testing.T, h *Hub, id, state string) store.ScheduledCallback {
	t.Helper()
	for i := 0; ; i++ {
		got, err := h.ScheduledCallback(id)
		if err == nil && got.State == state {
			return got
		}
		if i > 1000 {
			t.Fatalf("callback %s never %s: %+v %v", id, state, got, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
