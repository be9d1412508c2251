package modem_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"callbox/drivers/modem"
	"callbox/drivers/modem/modemsim"
	"callbox/drivers/modem/sms"
)

func TestServiceLoop_HandsURCsAfterStartAndEndsWhenTheModemStops(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	port, err := modem.OpenSerial(sim.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	m := modem.New(port, modem.WithName("gsm0"), modem.WithTimeout(500*time.Millisecond), modem.WithInit("AT+CMGF=0", "AT+CNMI=2,1,0,1,0"))
	mctx, stopModem := context.WithCancel(context.Background())
	go m.Run(mctx)
	t.Cleanup(func() { stopModem(); <-m.Done() })
	waitFor(t, "modem ready", func() bool { return m.State() == modem.StateReady })

	seen := make(chan string, 16)
	var sending, senderStopped atomic.Bool
	loop := modem.ServiceLoop{
		Subscribe: m.Subscribe,
		Send: func(ctx context.Context) error {
			sending.Store(true)
			<-ctx.Done()
			senderStopped.Store(true)
			return ctx.Err()
		},
		Start: func(context.Context) { seen <- "start" },
		URC:   func(_ context.Context, u modem.URC) { seen <- u.Name },
	}
	done := make(chan error, 1)
	go func() { done <- loop.Run(context.Background()) }()
	if got := <-seen; got != "start" {
		t.Fatalf("first event %q, want start", got)
	}
	waitFor(t, "sender running", sending.Load)
	if err := sim.Deliver(sms.Deliver{From: "+8613922220000", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != "+CMTI" {
		t.Fatalf("URC %q, want +CMTI", got)
	}
	stopModem()
	if err := <-done; !errors.Is(err, modem.ErrClosed) {
		t.Fatalf("Run returned %v, want ErrClosed", err)
	}
	if !senderStopped.Load() {
		t.Fatal("Run returned before its sender stopped")
	}
}

func TestServiceLoop_EndsWithTheSendersError(t *testing.T) {
	errStore := errors.New("store is read-only")
	urcs := make(chan modem.URC)
	loop := modem.ServiceLoop{
		Subscribe: func(context.Context) <-chan modem.URC { return urcs },
		Send:      func(context.Context) error { return errStore },
		URC:       func(context.Context, modem.URC) { t.Error("no URC was sent") },
	}
	if err := loop.Run(context.Background()); !errors.Is(err, errStore) {
		t.Fatalf("Run returned %v, want the sender's error", err)
	}
}

func TestServiceLoop_SubscribesBeforeItsSenderStarts(t *testing.T) {
	errEarly := errors.New("sending before anyone listens for status reports")
	errSent := errors.New("sent")
	var subscribed atomic.Bool
	loop := modem.ServiceLoop{
		Subscribe: func(context.Context) <-chan modem.URC { subscribed.Store(true); return make(chan modem.URC) },
		Send: func(context.Context) error {
			if !subscribed.Load() {
				return errEarly
			}
			return errSent
		},
		URC: func(context.Context, modem.URC) {},
	}
	if err := loop.Run(context.Background()); !errors.Is(err, errSent) {
		t.Fatalf("Run returned %v, want the sender's %v", err, errSent)
	}
}

func TestServiceLoop_RunsDueWorkOnItsGoroutineUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var asked, ran int // only the loop's goroutine touches them
	loop := modem.ServiceLoop{
		Subscribe: func(context.Context) <-chan modem.URC { return make(chan modem.URC) },
		URC:       func(context.Context, modem.URC) {},
		Due: func() <-chan time.Time {
			asked++
			if ran > 0 {
				return nil // nothing more is due
			}
			c := make(chan time.Time, 1)
			c <- time.Time{}
			return c
		},
		OnDue: func(context.Context) {
			ran++
			cancel()
		},
	}
	if err := loop.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if ran != 1 || asked < 1 {
		t.Fatalf("due work ran %d times after %d asks, want once", ran, asked)
	}
}

func TestServiceLoop_NoticeRaisedWhileStartRunsIsHandledAfterIt(t *testing.T) {
	sim := newSim(t, modemsim.Config{Number: "+8613911110000", SMS: true})
	m := start(t, sim, modem.WithInit("AT+CMGF=0", "AT+CNMI=2,1,0,1,0"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan string, 16)
	loop := modem.ServiceLoop{
		Subscribe: m.Subscribe,
		// A message reaches the SIM while the service scans it at start:
		// its +CMTI comes before the OK of the next command, so the driver
		// has passed it on by the time Command returns.
		Start: func(ctx context.Context) {
			if err := sim.Deliver(sms.Deliver{From: "+8613922220000", Text: "during start"}); err != nil {
				t.Error(err)
			}
			if _, err := m.Command(ctx, "AT"); err != nil {
				t.Error(err)
			}
			seen <- "start done"
		},
		URC: func(_ context.Context, u modem.URC) { seen <- u.Name },
	}
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	for _, want := range []string{"start done", "+CMTI"} {
		select {
		case got := <-seen:
			if got != want {
				t.Fatalf("event %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s", want)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}
